"""Run every JavaScript rule over one file in a single query pass.

All rules' patterns for a grammar are joined into one tree-sitter query,
compiled once per process. Each match goes to the rule that owns its pattern
(pattern indices are contiguous per rule).
"""

from __future__ import annotations

import bisect
import functools

from tree_sitter import Query, QueryCursor

from ..rules import js_rules
from . import parse as ts_parse
from .context import JsFile


@functools.lru_cache(maxsize=None)
def combined_query(dialect: str):
    """(Query, starts, rule classes): pattern index ``i`` belongs to
    ``classes[bisect_right(starts, i) - 1]``."""
    lang = ts_parse.language(dialect)
    parts, starts, classes = [], [], []
    count = 0
    for cls in js_rules():
        if not cls.query.strip():
            continue
        n = Query(lang, cls.query).pattern_count
        starts.append(count)
        classes.append(cls)
        parts.append(cls.query)
        count += n
    query = Query(lang, "\n".join(parts)) if parts else None
    return query, starts, classes


def lint_js(path: str, source: bytes, dialect: str, enabled: frozenset | None = None,
            display_path: str | None = None, options: dict | None = None):
    """Findings (unconditional and conditional) and exports of one file."""
    ctx = JsFile(path, source, dialect, display_path=display_path)
    ctx.options = options or {}
    query, starts, classes = combined_query(dialect)
    instances = {}
    for cls in classes:
        if enabled is None or cls.meta.id in enabled:
            instances[cls] = cls(ctx)
    if query is not None and instances:
        for pattern_index, caps in QueryCursor(query).matches(ctx.root):
            cls = classes[bisect.bisect_right(starts, pattern_index) - 1]
            rule = instances.get(cls)
            if rule is not None:
                rule.on_match(caps)
    for rule in instances.values():
        rule.finish()
    return ctx.findings, ctx.exports(), ctx
