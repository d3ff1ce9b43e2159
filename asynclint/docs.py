"""The rules' explanation pages, shipped inside the package.

A wheel carries them as ``asynclint/pages/<id>.md`` (copied from the
repository's ``rules/`` at build time); a source checkout reads ``rules/``.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def page_path(rule_id: str) -> Path | None:
    for folder in (_HERE / "pages", _HERE.parent / "rules"):
        candidate = folder / f"{rule_id}.md"
        if candidate.is_file():
            return candidate
    return None


def page(rule_id: str) -> str | None:
    path = page_path(rule_id)
    return path.read_text(encoding="utf-8") if path is not None else None
