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


@functools.lru_cache(maxsize=16384)
def _listing(folder: str) -> tuple[frozenset, frozenset] | None:
    """(file names, folder names) in ``folder`` (symbolic links followed),
    or None when it cannot be listed. One listing answers every probe in a
    folder: a scan resolves many imports there, each probing several names
    (``x``, ``x.js``, ``x.ts``, ...), and a stat call per probe cost more."""
    files, folders = set(), set()
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.is_file():
                        files.add(entry.name)
                    elif entry.is_dir():
                        folders.add(entry.name)
                except OSError:
                    continue  # a broken link, a vanished entry
    except (OSError, ValueError):
        return None
    return frozenset(files), frozenset(folders)


def is_file(path: str) -> bool:
    """``os.path.isfile`` answered from the folder's cached listing."""
    folder, name = os.path.split(path)
    found = _listing(folder or ".")
    return found is not None and name in found[0]


def is_dir(path: str) -> bool:
    folder, name = os.path.split(path)
    found = _listing(folder or ".")
    return found is not None and name in found[1]


def forget() -> None:
    """Drop the cached listings and resolutions (files appear and vanish
    while a language server runs)."""
    _listing.cache_clear()
    resolve_module.cache_clear()


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
    if is_file(base):
        return base
    for ext in PROBE_EXTENSIONS:
        if is_file(base + ext):
            return base + ext
    stem, ext = os.path.splitext(base)
    for alt in TS_FOR_JS.get(ext, ()):
        if is_file(stem + alt):
            return stem + alt
    return None


def _probe_dir(base: str) -> str | None:
    if not is_dir(base):
        return None
    pkg = os.path.join(base, "package.json")
    if is_file(pkg):
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
        if is_file(candidate):
            return candidate
    return None
