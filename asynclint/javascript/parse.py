"""Tree-sitter languages and parsers for JavaScript, TypeScript and TSX.

The grammars are loaded once per process. Which grammar a file gets depends
only on its extension: the JavaScript grammar also parses JSX, TypeScript and
TSX are two different dialects with two grammars.
"""

from __future__ import annotations

import functools
import os

from tree_sitter import Language, Parser

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


def parse(source: bytes, dialect: str):
    return parser(dialect).parse(source)


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
