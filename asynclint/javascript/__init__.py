"""JavaScript / TypeScript support: tree-sitter parsing, per-file facts, the rule runner."""
