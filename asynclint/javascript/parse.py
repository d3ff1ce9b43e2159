"""Tree-sitter languages and parsers for JavaScript, TypeScript and TSX.

The grammars are loaded once per process. Which grammar a file gets depends
only on its extension: the JavaScript grammar also parses JSX, TypeScript and
TSX are two different dialects with two grammars.
"""

from __future__ import annotations

import functools

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


@functools.lru_cache(maxsize=None)
def language(dialect: str) -> Language:
    if dialect == "javascript":
        import tree_sitter_javascript

        return Language(tree_sitter_javascript.language())
    import tree_sitter_typescript

    if dialect == "typescript":
        return Language(tree_sitter_typescript.language_typescript())
    if dialect == "tsx":
        return Language(tree_sitter_typescript.language_tsx())
    raise ValueError(f"unknown dialect {dialect!r}")


@functools.lru_cache(maxsize=None)
def parser(dialect: str) -> Parser:
    return Parser(language(dialect))


def parse(source: bytes, dialect: str):
    return parser(dialect).parse(source)
