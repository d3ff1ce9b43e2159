"""``--format json``: the public machine-readable shape (documented in the README)."""

from __future__ import annotations

import json
from collections import Counter

from .. import __version__


def as_dict(result) -> dict:
    by_rule = Counter(f.rule for f in result.findings)
    return {
        "version": __version__,
        "findings": [f.to_dict() for f in result.findings],
        "summary": {
            "files": result.files,
            "findings": len(result.findings),
            "by_rule": dict(sorted(by_rule.items())),
        },
    }


def write(result, stream, **_) -> None:
    json.dump(as_dict(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
