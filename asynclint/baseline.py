"""Baselines: adopt asynclint in an old codebase without fixing everything first.

``--write-baseline FILE`` records today's findings; ``--baseline FILE`` then
reports only findings that are not in it. An entry is matched by a
fingerprint of the rule, the file's path (relative to the baseline's folder),
the normalised text of the flagged code and its occurrence index among equal
texts in that file — not by line number, so edits elsewhere in the file do
not disturb it. Entries that match nothing any more are counted as fixed, so
the baseline can shrink.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter

from .config import ConfigError
from .findings import Finding

FORMAT_VERSION = 1
_SPACE = re.compile(r"\s+")


def _flagged_text(lines: list[str], f: Finding) -> str:
    if not lines or f.line > len(lines):
        return ""
    if f.line == f.end_line:
        text = lines[f.line - 1][f.column - 1 : f.end_column - 1]
    else:
        parts = [lines[f.line - 1][f.column - 1 :]]
        parts += lines[f.line : f.end_line - 1]
        if f.end_line <= len(lines):
            parts.append(lines[f.end_line - 1][: f.end_column - 1])
        text = "\n".join(parts)
    return _SPACE.sub(" ", text).strip()[:400]


def _rel(path: str, base: str) -> str:
    rel = os.path.relpath(os.path.abspath(path), base)
    return rel.replace(os.sep, "/")


def fingerprints(findings: list[Finding], base: str, read_text) -> list[tuple[str, Finding]]:
    """(fingerprint, finding) for each finding. ``read_text(path)`` gives a file's text."""
    out = []
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    for path, group in by_path.items():
        lines = (read_text(path) or "").split("\n")
        seen: Counter = Counter()
        rel = _rel(path, base)
        for f in sorted(group, key=lambda f: (f.line, f.column, f.rule)):
            text = _flagged_text(lines, f)
            key = (f.rule, text)
            occurrence = seen[key]
            seen[key] += 1
            digest = hashlib.sha256(f"{f.rule}\0{rel}\0{text}\0{occurrence}".encode()).hexdigest()[:32]
            out.append((digest, f))
    return out


def write(path: str, findings: list[Finding], read_text) -> int:
    base = os.path.dirname(os.path.abspath(path))
    entries = [
        {"rule": f.rule, "path": _rel(f.path, base), "fingerprint": fp}
        for fp, f in fingerprints(findings, base, read_text)
    ]
    entries.sort(key=lambda e: (e["path"], e["rule"], e["fingerprint"]))
    data = {"asynclint-baseline": FORMAT_VERSION, "entries": entries}
    from .fixes import write_new

    write_new(path, json.dumps(data, indent=1) + "\n")
    return len(entries)


def load(path: str) -> set[str]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(50_000_001)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
        if data.get("asynclint-baseline") != FORMAT_VERSION:
            raise ValueError("not an asynclint baseline (missing 'asynclint-baseline': 1)")
        return {e["fingerprint"] for e in data["entries"] if isinstance(e.get("fingerprint"), str)}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise ConfigError(f"{path}: not a valid baseline file: {exc}") from None


def filter_new(findings: list[Finding], baseline_path: str, known: set[str], read_text) -> tuple[list[Finding], int]:
    """Findings not in the baseline, and how many baseline entries matched nothing."""
    base = os.path.dirname(os.path.abspath(baseline_path))
    kept, matched = [], set()
    for fp, f in fingerprints(findings, base, read_text):
        if fp in known:
            matched.add(fp)
        else:
            kept.append(f)
    kept.sort(key=Finding.sort_key)
    return kept, len(known - matched)
