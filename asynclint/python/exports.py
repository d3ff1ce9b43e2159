"""What a Python module exports, for cross-file checks.

``exports_of`` lists module-level names: ``async def`` coroutine functions
(not async generators, not under decorators that could change what a call
returns) as "async", every other binding as "sync", and ``from .x import y``
of a project module as a re-export. A name bound more than once is "sync"
unless every binding is an async def. This is the shape the engine's
``ProjectIndex`` reads.

``may_be_async_export`` answers the same question at lint time, from a
per-process cache keyed by the file's size and mtime, so a call of an
imported *sync* function is dropped before it costs a position lookup; the
engine still confirms every finding that survives against its own index.
"""

from __future__ import annotations

import ast
import os
import warnings
from typing import Optional

import libcst as cst

from .context import PRESERVING_DECORATOR_NAMES, has_own_yield
from .resolve import resolve_module

PARSE_ERRORS = (cst.ParserSyntaxError, SyntaxError, UnicodeError, LookupError, ValueError)
MAX_EXPORT_SOURCE = 4_000_000
_CACHE: dict = {}


def module_exports(path: str, source: bytes) -> Optional[dict]:
    """What a project module not in the scan exports (for the project index).
    Read with CPython's own parser (``ast``: compiles to a tree, runs
    nothing, a fraction of libcst's cost); with libcst when this Python
    cannot parse the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, UnicodeError, LookupError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        return exports_of_ast(tree, path)
    try:
        module = cst.parse_module(source)
    except PARSE_ERRORS:
        return None
    return exports_of(module, path)


_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _ast_own_yield(fn) -> bool:
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, _AST_SCOPES):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def _ast_decorators_preserve(fn) -> bool:
    for dec in fn.decorator_list:
        expr = dec.func if isinstance(dec, ast.Call) else dec
        name = expr.attr if isinstance(expr, ast.Attribute) else getattr(expr, "id", None)
        if name not in PRESERVING_DECORATOR_NAMES:
            return False
    return True


def _ast_target_names(target) -> list:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for el in target.elts for n in _ast_target_names(el)]
    if isinstance(target, ast.Starred):
        return _ast_target_names(target.value)
    return []


def exports_of_ast(tree, path: str) -> dict:
    """``exports_of`` for a tree from ``ast.parse``: the same answer."""
    bindings: dict = {}
    star: list = []
    compound = tuple(getattr(ast, n) for n in ("If", "Try", "TryStar", "With", "AsyncWith", "For", "AsyncFor",
                                               "While") if hasattr(ast, n))

    def bind(name, kind) -> None:
        bindings.setdefault(name, []).append(kind)

    def walk(stmts) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                coroutine = (isinstance(stmt, ast.AsyncFunctionDef) and _ast_decorators_preserve(stmt)
                             and not _ast_own_yield(stmt))
                bind(stmt.name, "async" if coroutine else "sync")
            elif isinstance(stmt, ast.ClassDef):
                bind(stmt.name, "sync")
            elif isinstance(stmt, compound):
                if isinstance(stmt, (ast.For, ast.AsyncFor)):
                    for n in _ast_target_names(stmt.target):
                        bind(n, "sync")
                if isinstance(stmt, (ast.With, ast.AsyncWith)):
                    for item in stmt.items:
                        if item.optional_vars is not None:
                            for n in _ast_target_names(item.optional_vars):
                                bind(n, "sync")
                walk(stmt.body)
                for handler in getattr(stmt, "handlers", ()):
                    walk(handler.body)
                walk(getattr(stmt, "orelse", ()))
                walk(getattr(stmt, "finalbody", ()))
            elif isinstance(stmt, ast.Assign):
                for t in stmt.targets:
                    for n in _ast_target_names(t):
                        bind(n, "sync")
            elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
                if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                    continue
                for n in _ast_target_names(stmt.target):
                    bind(n, "sync")
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    bind(alias.asname or alias.name.split(".")[0], "sync")
            elif isinstance(stmt, ast.ImportFrom):
                target = resolve_module(path, stmt.module or "", stmt.level or 0)
                if any(alias.name == "*" for alias in stmt.names):
                    if target is not None:
                        star.append((target, "*", "*"))
                    continue
                for alias in stmt.names:
                    exported = alias.asname or alias.name
                    bind(exported, ("reexport", target, alias.name) if target is not None else "sync")

    walk(tree.body)
    return _shape(bindings, star)


def remember(path: str, source: bytes, exports: Optional[dict]) -> None:
    """Keep the exports of a file just linted, so that a module importing it
    does not parse it again (when what was linted is, by its size, what is
    on disk: an editor's unsaved buffer is not)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return
    if st.st_size == len(source):
        _CACHE[path] = ((st.st_mtime_ns, st.st_size), exports)


def cached_exports(path: str) -> Optional[dict]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    key = (st.st_mtime_ns, st.st_size)
    hit = _CACHE.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    exports = None
    if st.st_size <= MAX_EXPORT_SOURCE:
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_EXPORT_SOURCE + 1)
            exports = module_exports(path, data)
        except (OSError, RecursionError, MemoryError):
            exports = None
    _CACHE[path] = (key, exports)
    return exports


def may_be_async_export(path: str, name: str, depth: int = 0) -> bool:
    """False only when the module's exports show ``name`` is not a coroutine
    function (mirrors ``ProjectIndex.is_async_export``; True when unsure)."""
    if depth > 16:
        return True
    info = cached_exports(path)
    if info is None:
        return False
    if name in info["async"]:
        return True
    if name in info["sync"]:
        return False
    for src, src_name, exported in info["reexports"]:
        if exported == name:
            return may_be_async_export(src, src_name, depth + 1)
        if exported == "*" and src_name == "*" and may_be_async_export(src, name, depth + 1):
            return True
    return False


def _decorators_preserve(fn: cst.FunctionDef) -> bool:
    for dec in fn.decorators:
        expr = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        name = expr.attr.value if isinstance(expr, cst.Attribute) else getattr(expr, "value", None)
        if name not in PRESERVING_DECORATOR_NAMES:
            return False
    return True


def _module_name(node) -> str:
    if node is None:
        return ""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_module_name(node.value)}.{node.attr.value}"
    return ""


def _target_names(target) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for el in target.elements for n in _target_names(el.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


def exports_of(module: cst.Module, path: str, yielding=None) -> dict:
    """``yielding``: the set of functions that ``yield`` (generators), when
    the caller already knows it; else each ``async def`` is walked."""
    bindings: dict[str, list] = {}
    star: list = []

    def bind(name: str, kind) -> None:
        bindings.setdefault(name, []).append(kind)

    def walk(stmts) -> None:
        for stmt in stmts:
            if isinstance(stmt, cst.FunctionDef):
                coroutine = (stmt.asynchronous is not None and _decorators_preserve(stmt)
                             and not (stmt in yielding if yielding is not None else has_own_yield(stmt)))
                bind(stmt.name.value, "async" if coroutine else "sync")
            elif isinstance(stmt, cst.ClassDef):
                bind(stmt.name.value, "sync")
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    small_statement(small)
            elif isinstance(stmt, (cst.If, cst.Try, cst.TryStar, cst.With, cst.For, cst.While)):
                if isinstance(stmt, cst.For):
                    for n in _target_names(stmt.target):
                        bind(n, "sync")
                if isinstance(stmt, cst.With):
                    for item in stmt.items:
                        if item.asname is not None:
                            for n in _target_names(item.asname.name):
                                bind(n, "sync")
                for block in _blocks(stmt):
                    walk(block)

    def small_statement(small) -> None:
        if isinstance(small, cst.Assign):
            for t in small.targets:
                for n in _target_names(t.target):
                    bind(n, "sync")
        elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
            if isinstance(small, cst.AnnAssign) and small.value is None:
                return  # a bare annotation binds nothing
            for n in _target_names(small.target):
                bind(n, "sync")
        elif isinstance(small, cst.Import):
            for alias in small.names:
                if alias.asname is not None:
                    names = _target_names(alias.asname.name)
                else:
                    names = [_module_name(alias.name).split(".")[0]]
                for n in names:
                    bind(n, "sync")
        elif isinstance(small, cst.ImportFrom):
            level = len(small.relative)
            module_name = _module_name(small.module)
            target = resolve_module(path, module_name, level)
            if isinstance(small.names, cst.ImportStar):
                if target is not None:
                    star.append((target, "*", "*"))
                return
            for alias in small.names:
                src = _module_name(alias.name)
                exported = _target_names(alias.asname.name)[0] if alias.asname is not None else src
                if target is not None:
                    bind(exported, ("reexport", target, src))
                else:
                    bind(exported, "sync")

    walk(module.body)
    return _shape(bindings, star)


def _shape(bindings: dict, star: list) -> dict:
    out = {"async": [], "sync": [], "reexports": []}
    for name, kinds in bindings.items():
        if all(k == "async" for k in kinds):
            out["async"].append(name)
        elif len(kinds) == 1 and isinstance(kinds[0], tuple):
            _, target, src = kinds[0]
            out["reexports"].append((target, src, name))
        else:
            out["sync"].append(name)
    out["reexports"].extend(star)
    return out


def _blocks(stmt) -> list:
    out = []
    body = getattr(stmt, "body", None)
    if isinstance(body, cst.IndentedBlock):
        out.append(body.body)
    for handler in getattr(stmt, "handlers", ()) or ():
        if isinstance(handler.body, cst.IndentedBlock):
            out.append(handler.body.body)
    for attr in ("orelse", "finalbody"):
        extra = getattr(stmt, attr, None)
        if isinstance(extra, cst.If):  # elif
            out.extend(_blocks(extra))
        elif extra is not None and isinstance(getattr(extra, "body", None), cst.IndentedBlock):
            out.append(extra.body.body)
    return out
