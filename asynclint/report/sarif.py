"""SARIF 2.1.0 for code scanning (GitHub and others).

Every rule goes in ``tool.driver.rules`` with its page as ``help`` (code
scanning shows ``help``, not ``helpUri``). Columns are counted in Unicode code
points, as asynclint counts them, and the run says so (``columnKind``).
Results carry a ``partialFingerprints`` entry computed like the baseline's,
so an alert survives edits elsewhere in the file.
"""

from __future__ import annotations

import json
import os

from .. import __version__
from ..findings import rule_url

LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/asynclint/asynclint"


def _rule_descriptor(meta) -> dict:
    from ..docs import page

    text = page(meta.id) or meta.summary
    return {
        "id": meta.id,
        "name": "".join(p.capitalize() for p in meta.id.split("-")),
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.summary},
        "help": {"text": text, "markdown": text},
        "helpUri": rule_url(meta.id),
        "defaultConfiguration": {"level": LEVEL[meta.severity.value], "enabled": meta.default_enabled},
        "properties": {"tags": sorted(meta.languages)},
    }


def _uri(path: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), os.getcwd())
    if rel.startswith(".."):
        rel = os.path.abspath(path)
    return rel.replace(os.sep, "/")


def as_dict(result, read_text=None) -> dict:
    from ..baseline import fingerprints
    from ..rules import all_rules

    metas = all_rules()
    index = {rid: i for i, rid in enumerate(metas)}
    prints = {id(f): fp for fp, f in fingerprints(result.findings, os.getcwd(), read_text or (lambda p: ""))}
    results = []
    for f in result.findings:
        entry = {
            "ruleId": f.rule,
            "level": LEVEL[f.severity.value],
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path), "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": f.line,
                        "startColumn": f.column,
                        "endLine": f.end_line,
                        "endColumn": f.end_column,
                    },
                }
            }],
            "partialFingerprints": {"asynclintFingerprint/v1": prints[id(f)]},
        }
        if f.rule in index:
            entry["ruleIndex"] = index[f.rule]
        results.append(entry)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "asynclint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFO_URI,
                "rules": [_rule_descriptor(m) for m in metas.values()],
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def write(result, stream, read_text=None, **_) -> None:
    json.dump(as_dict(result, read_text), stream, indent=2, ensure_ascii=False)
    stream.write("\n")
