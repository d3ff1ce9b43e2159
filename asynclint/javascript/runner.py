"""Run every JavaScript rule over one file in a single query pass.

The per-file facts' patterns and all rules' patterns for a grammar are joined
into one tree-sitter query, compiled once per process, so each file is
traversed once (a traversal costs about a third of a parse). Fact matches are
processed first — a function may be called above its declaration — then each
rule match goes to the rule that owns its pattern (pattern indices are
contiguous per rule).
"""

from __future__ import annotations

import bisect
import functools

from tree_sitter import Query

from ..rules import js_rules
from . import parse as ts_parse
from .parse import cursor as ts_cursor
from .context import FACT_QUERY, JsFile


@functools.lru_cache(maxsize=None)
def combined_query(dialect: str):
    """(Query, starts, owners): pattern ``i`` belongs to
    ``owners[bisect_right(starts, i) - 1]``; owner None is the facts."""
    lang = ts_parse.language(dialect)
    parts, starts, owners = [FACT_QUERY], [0], [None]
    count = Query(lang, FACT_QUERY).pattern_count
    for cls in js_rules():
        if not cls.query.strip():
            continue
        starts.append(count)
        owners.append(cls)
        parts.append(cls.query)
        count += Query(lang, cls.query).pattern_count
    return Query(lang, "\n".join(parts)), starts, owners


def lint_js(path: str, source: bytes, dialect: str, enabled: frozenset | None = None,
            display_path: str | None = None, options: dict | None = None):
    """Findings (unconditional and conditional), exports and the file context."""
    tree = ts_parse.parse(source, dialect)
    query, starts, owners = combined_query(dialect)
    facts, rule_matches = [], []
    for match in ts_cursor(query).matches(tree.root_node):
        owner = owners[bisect.bisect_right(starts, match[0]) - 1]
        if owner is None:
            facts.append(match)
        elif enabled is None or owner.meta.id in enabled:
            rule_matches.append((owner, match[1]))
    ctx = JsFile(path, source, dialect, tree=tree, display_path=display_path, fact_matches=facts)
    ctx.options = options or {}
    ctx.too_deep = ts_parse.deeper_than(tree.root_node)
    instances = {}
    for owner, caps in rule_matches:
        rule = instances.get(owner)
        if rule is None:
            rule = instances[owner] = owner(ctx)
        rule.on_match(caps)
    for cls in owners[1:]:
        if enabled is None or cls.meta.id in enabled:
            rule = instances.get(cls) or cls(ctx)
            rule.finish()
    return ctx.findings, ctx.exports(), ctx
