"""Which files' findings can change when other files change.

``--changed-since`` lints the changed files and, with them, the files whose
cross-file facts come from a changed file: a file that imports a changed
module (``save`` became ``async`` there, so an un-awaited ``save()`` here is
now a finding), directly or through modules that may re-export it. Imports
are found by a text search (``require('./x')``, ``import … from './x'``,
``from .x import y``, ``import pkg.x``) and resolved with the same resolvers
as the project index; nothing is parsed. The search is generous: a comment
that looks like an import counts, which can only add a file to the scan,
never drop one.
"""

from __future__ import annotations

import os
import re
from typing import Iterable

from .files import language_of

# a quoted relative specifier, and what must come just before it: require( /
# import( / from / a bare import (searched from the quote: quick on big files)
JS_SPECIFIER = re.compile(rb"""(['"])(\.\.?(?:/[^'"\r\n]*)?)\1""")
JS_IMPORT_BEFORE = re.compile(rb"(?:\brequire\s*\(|\bimport\s*\(|\bfrom|\bimport)\s*$")
PY_FROM = re.compile(rb"^[ \t]*from[ \t]+(\.*)[ \t]*([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\r\n#;]*)", re.M)
PY_IMPORT = re.compile(rb"^[ \t]*import[ \t]+([^\r\n#;]+)", re.M)
NAME = re.compile(r"[A-Za-z_]\w*")


def _js_imports(path: str, source: bytes) -> Iterable[tuple[str, bool]]:
    from .javascript.resolve import resolve_module

    folder = os.path.dirname(path)
    reexports = None
    for m in JS_SPECIFIER.finditer(source):
        start = m.start()
        if JS_IMPORT_BEFORE.search(source, max(0, start - 24), start) is None:
            continue
        target = resolve_module(folder, m.group(2).decode("utf-8", "replace"))
        if target is not None:
            if reexports is None:  # a module that exports anything may pass on what it imports
                reexports = b"export" in source
            yield target, reexports


def _py_imports(path: str, source: bytes) -> Iterable[tuple[str, bool]]:
    from .python.resolve import resolve_module

    for m in PY_FROM.finditer(source):
        level = len(m.group(1))
        module = m.group(2).decode("ascii", "replace")
        target = resolve_module(path, module, level)
        if target is not None:
            yield target, True  # every name a module imports is one it exports
        names = m.group(3).decode("utf-8", "replace").strip("() \t\r\n")
        for part in names.split(","):
            words = part.split()
            if words and NAME.fullmatch(words[0]):  # `from pkg import submodule`
                sub = resolve_module(path, f"{module}.{words[0]}" if module else words[0], level)
                if sub is not None:
                    yield sub, True
    for m in PY_IMPORT.finditer(source):
        for part in m.group(1).decode("utf-8", "replace").split(","):
            words = part.split()
            if words:
                target = resolve_module(path, words[0], 0)
                if target is not None:
                    yield target, False


def dependents(changed: set, files: Iterable[str], max_bytes: int) -> set:
    """The files among ``files`` (absolute paths) that import a file of
    ``changed``, directly or through files that may re-export it."""
    importers: dict[str, list] = {}
    for path in files:
        lang = language_of(path)
        if lang is None:
            continue
        try:
            if os.path.getsize(path) > max_bytes:
                continue
            with open(path, "rb") as fh:
                source = fh.read(max_bytes)
        except OSError:
            continue  # the scan itself reports what it cannot read
        found = _py_imports(path, source) if lang == "py" else _js_imports(path, source)
        for target, reexports in found:
            importers.setdefault(os.path.normpath(target), []).append((path, reexports))
    out: set = set()
    affected = {os.path.normpath(p) for p in changed}
    queue = list(affected)
    while queue:
        for importer, reexports in importers.get(queue.pop(), ()):
            out.add(importer)
            if reexports and importer not in affected:
                affected.add(importer)
                queue.append(importer)
    return out - set(changed)
