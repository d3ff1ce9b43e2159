"""Resolve relative import specifiers the way Node (and TypeScript) do.

``./db`` is probed as a file, then with each known extension, then as a folder
(``package.json`` "main", then ``index.*``). TypeScript sources import
``./x.js`` meaning ``./x.ts``; that mapping is probed too. Only files on disk
are looked at; nothing is read except a folder's package.json.
"""

from __future__ import annotations

import functools
import json
import os

PROBE_EXTENSIONS = (".js", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts", ".jsx")
TS_FOR_JS = {".js": (".ts", ".tsx"), ".mjs": (".mts",), ".cjs": (".cts",), ".jsx": (".tsx",)}


def _is_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except (OSError, ValueError):
        return False


@functools.lru_cache(maxsize=65536)
def resolve_module(from_dir: str, spec: str) -> str | None:
    """Absolute normalised path of the file ``spec`` names, or None."""
    if not spec.startswith("."):
        return None
    base = os.path.normpath(os.path.join(from_dir, spec))
    found = _probe_file(base)
    if found:
        return found
    return _probe_dir(base)


def _probe_file(base: str) -> str | None:
    if _is_file(base):
        return base
    for ext in PROBE_EXTENSIONS:
        if _is_file(base + ext):
            return base + ext
    stem, ext = os.path.splitext(base)
    for alt in TS_FOR_JS.get(ext, ()):
        if _is_file(stem + alt):
            return stem + alt
    return None


def _probe_dir(base: str) -> str | None:
    if not os.path.isdir(base):
        return None
    pkg = os.path.join(base, "package.json")
    if _is_file(pkg):
        try:
            with open(pkg, "rb") as fh:
                main = json.loads(fh.read(1_000_000)).get("main")
        except (OSError, ValueError, AttributeError):
            main = None
        if isinstance(main, str) and main:
            found = _probe_file(os.path.normpath(os.path.join(base, main)))
            if found:
                return found
    for ext in PROBE_EXTENSIONS:
        candidate = os.path.join(base, "index" + ext)
        if _is_file(candidate):
            return candidate
    return None
