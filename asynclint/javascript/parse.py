"""Tree-sitter languages and parsers for JavaScript, TypeScript and TSX.

The grammars are loaded once per process. Which grammar a file gets depends
only on its extension: the JavaScript grammar also parses JSX, TypeScript and
TSX are two different dialects with two grammars.
"""

from __future__ import annotations

import functools
import os

from tree_sitter import Language, Parser

from ..findings import Unlintable

JS_EXTENSIONS = frozenset({".js", ".cjs", ".mjs", ".jsx"})
TS_EXTENSIONS = frozenset({".ts", ".cts", ".mts"})
TSX_EXTENSIONS = frozenset({".tsx"})


def dialect_for(suffix: str) -> str | None:
    suffix = suffix.lower()
    if suffix in JS_EXTENSIONS:
        return "javascript"
    if suffix in TS_EXTENSIONS:
        return "typescript"
    if suffix in TSX_EXTENSIONS:
        return "tsx"
    return None


def _grammar_binding(package: str):
    """The grammar package's compiled ``_binding`` module. Loaded straight
    from its file when possible: the package's ``__init__`` imports
    importlib.resources (for its bundled .scm queries, which asynclint does
    not use), a tenth of the start-up of a one-file scan."""
    import importlib
    import sys

    name = f"{package}._binding"
    if name in sys.modules:
        return sys.modules[name]
    try:
        import importlib.machinery
        import importlib.util

        spec = importlib.util.find_spec(package)  # finds the folder, runs nothing
        folder = spec.submodule_search_locations[0]
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_binding" + suffix)
            if os.path.exists(path):
                loader = importlib.machinery.ExtensionFileLoader(name, path)
                module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, path, loader=loader))
                loader.exec_module(module)
                sys.modules[name] = module
                return module
    except Exception:  # an unusual install: take the ordinary way
        pass
    return importlib.import_module(name)


@functools.lru_cache(maxsize=None)
def language(dialect: str) -> Language:
    if dialect == "javascript":
        return Language(_grammar_binding("tree_sitter_javascript").language())
    if dialect == "typescript":
        return Language(_grammar_binding("tree_sitter_typescript").language_typescript())
    if dialect == "tsx":
        return Language(_grammar_binding("tree_sitter_typescript").language_tsx())
    raise ValueError(f"unknown dialect {dialect!r}")


@functools.lru_cache(maxsize=None)
def parser(dialect: str) -> Parser:
    return Parser(language(dialect))


# Tree-sitter's error recovery is quadratic on block comments that never
# close: each `/*` after the file's last `*/` is lexed to the end of the file
# (4,000 of them, 20 KB, take 2 s; 20,000 take minutes). Such a file is
# parsed with a deadline instead; valid code, even with `/*` in its strings,
# parses as fast either way, only this broken shape takes long.
UNCLOSED_COMMENT_RISK = 20_000_000  # unclosed `/*` x bytes they run to
PARSE_DEADLINE_SECONDS = 5.0  # plus a second per MB


class ParseTooSlow(Unlintable):
    """Parsing gave up at its deadline (see UNCLOSED_COMMENT_RISK)."""


def parse(source: bytes, dialect: str):
    last = source.rfind(b"*/")
    tail = last + 2 if last >= 0 else 0
    unclosed = source.count(b"/*", tail)
    if unclosed and (len(source) - tail) * unclosed > UNCLOSED_COMMENT_RISK:
        return _parse_with_deadline(source, dialect, unclosed)
    return parser(dialect).parse(source)


def _parse_with_deadline(source: bytes, dialect: str, unclosed: int):
    import time

    p = parser(dialect)
    seconds = PARSE_DEADLINE_SECONDS + len(source) / 1e6
    deadline = time.monotonic() + seconds
    try:
        return p.parse(lambda offset, _point: source[offset:offset + 65536],
                       progress_callback=lambda _offset, _errors: time.monotonic() > deadline)
    except ValueError:  # cancelled by the progress callback
        p.reset()  # or the next parse would resume this one
        raise ParseTooSlow(
            f"parsing gave up after {seconds:.0f} s: {unclosed} block comments (`/*`) never close, and "
            "tree-sitter's error recovery slows down with each one") from None


# Tree-sitter's query cursor keeps an in-progress state per nesting level, so
# a query over pathologically deep code (100,000 nested calls) is quadratic.
# No real code nests anywhere near this deep; matches are not started below it.
MAX_QUERY_DEPTH = 1500


def cursor(query):
    """A QueryCursor that does not start matches deeper than MAX_QUERY_DEPTH."""
    from tree_sitter import QueryCursor

    c = QueryCursor(query)
    c.set_max_start_depth(MAX_QUERY_DEPTH)
    return c


def deeper_than(root, limit: int = MAX_QUERY_DEPTH) -> bool:
    """Cheap probe: is the tree nested deeper than ``limit`` at a quarter, half
    or three quarters of the file? (Pathological nesting spans the middle.)
    Walks down with a tree cursor: ``Node.parent`` is itself O(depth)."""
    size = root.end_byte
    for frac in (0.25, 0.5, 0.75):
        offset = int(size * frac)
        cur = root.walk()
        depth = 0
        while depth <= limit and cur.goto_first_child_for_byte(offset) is not None:
            depth += 1
        if depth > limit:
            return True
    return False
