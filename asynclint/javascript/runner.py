"""Run every JavaScript rule over one file in a single query pass.

The per-file facts' patterns and all rules' patterns for a grammar are joined
into one tree-sitter query, so each file is traversed once (a traversal costs
about a third of a parse). Fact matches are processed first — a function may
be called above its declaration — then each rule match goes to the rule that
owns its pattern.

Compiling that query is the fixed cost of a process: tree-sitter analyses
every pattern against the grammar's parse table, about 2.5 ms a pattern for
JavaScript and twice that for TypeScript, far more than linting one file. So
a process that lints only a few files (``asynclint scan one.js``, the
language server) compiles, per file, just the patterns that can match it: a
pattern whose text predicate (``#eq?``, ``#any-of?``, a literal ``#match?``)
sits on a capture it always makes cannot match a file that lacks the literal.
Once those partial compilations add up to a whole query (or when the caller
says many files are coming, :func:`expect_files`), the full query is compiled
once and used for every file. Both ways give the same matches.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from tree_sitter import Query

from ..rules import js_rules
from ..rules.base import JsRule
from . import parse as ts_parse
from .context import FACT_QUERY, JsFile
from .parse import cursor as ts_cursor

# A process that will lint at least this many JS/TS files compiles the full
# query at once: per-file partial queries would cost more in total.
FULL_QUERY_AT = 8
_expected_files = 0


def expect_files(count: int) -> None:
    """Tell the runner how many files this process is about to lint."""
    global _expected_files
    _expected_files = count


# ------------------------------------------------------------ query text
# One token of tree-sitter's query syntax (comments dropped, whitespace skipped).
_TOKEN = re.compile(
    r'(?:\s|;[^\n]*)*("(?:[^"\\]|\\.)*"|@[\w.\-]+|[()\[\]?*+.]|![\w]+|#[\w\-]+[?!]|[\w\-.]+:?|\S)'
)


def _split(text: str) -> list[tuple[str, list[str]]]:
    """The top-level patterns of a query, each as written (with its trailing
    quantifiers and captures) and as tokens. Raises ValueError on text it
    does not understand (the caller then compiles the query whole)."""
    out: list[tuple[str, list[str]]] = []
    depth = 0
    start = end = None
    toks: list[str] = []
    for m in _TOKEN.finditer(text):
        tok = m.group(1)
        if depth == 0 and start is not None and not (tok[0] == "@" or tok in ("?", "*", "+")):
            out.append((text[start:end], toks))
            start, toks = None, []
        if depth == 0 and start is None:
            if tok not in ("(", "[") and tok[0] != '"' and tok != "_":
                raise ValueError(f"unexpected token at top level: {tok!r}")
            start = m.start(1)
        end = m.end(1)
        toks.append(tok)
        if tok in ("(", "["):
            depth += 1
        elif tok in (")", "]"):
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced query")
    if depth != 0:
        raise ValueError("unbalanced query")
    if start is not None:
        out.append((text[start:end], toks))
    return out


def split_patterns(text: str) -> list[str]:
    return [pattern for pattern, _ in _split(text)]


def _unquote(tok: str) -> Optional[str]:
    body = tok[1:-1]
    return None if "\\" in body else body


_REGEX_META = set(".^$*+?{}[]\\|()")


def _regex_literal(regex: str) -> Optional[str]:
    """The literal a ``#match?`` regex needs in the text, if it is a plain
    string with optional anchors."""
    if regex.startswith("^"):
        regex = regex[1:]
    if regex.endswith("$") and not regex.endswith("\\$"):
        regex = regex[:-1]
    if not regex or any(c in _REGEX_META for c in regex):
        return None
    return regex


def literal_needs(pattern: str | list) -> tuple[tuple[bytes, ...], ...]:
    """What a file must contain for ``pattern`` to match it: a tuple of
    groups, each group satisfied by any one of its byte strings. Only text
    predicates on captures the pattern always makes count (a predicate on an
    optional capture may hold vacuously)."""
    toks = pattern if isinstance(pattern, list) else _split(pattern)[0][1]
    mandatory = _mandatory_captures(toks)
    needs = []
    i = 0
    while i < len(toks):
        if toks[i] == "(" and i + 1 < len(toks) and toks[i + 1].startswith("#"):
            j = toks.index(")", i)
            name, args = toks[i + 1], toks[i + 2 : j]
            i = j + 1
            if len(args) < 2 or not args[0].startswith("@") or args[0][1:] not in mandatory:
                continue
            if not all(a.startswith('"') for a in args[1:]):
                continue
            lits = [_unquote(a) for a in args[1:]]
            if name in ("#eq?", "#any-eq?") and len(lits) == 1 and lits[0]:
                needs.append((lits[0].encode(),))
            elif name == "#any-of?" and all(lits):
                needs.append(tuple(sorted(set(l.encode() for l in lits))))
            elif name in ("#match?", "#any-match?") and len(lits) == 1 and lits[0] is not None:
                lit = _regex_literal(lits[0])
                if lit:
                    needs.append((lit.encode(),))
            continue
        i += 1
    return tuple(needs)


def _mandatory_captures(toks: list[str]) -> set[str]:
    """Captures that every match of the pattern has: not under a ``?`` or
    ``*`` quantifier, and in every branch of each alternation around them."""
    pos = 0

    def element() -> set[str]:
        # One element: a group/node (...), an alternation [...], or an atom;
        # then its quantifier and captures.
        nonlocal pos
        tok = toks[pos]
        if tok == "(" and pos + 1 < len(toks) and toks[pos + 1].startswith("#"):
            while toks[pos] != ")":
                pos += 1
            pos += 1
            return set()
        if tok == "(":
            pos += 1
            caps: set[str] = set()
            while toks[pos] != ")":
                caps |= element()
            pos += 1
        elif tok == "[":
            pos += 1
            branches = []
            while toks[pos] != "]":
                branches.append(element())
            pos += 1
            caps = set.intersection(*branches) if branches else set()
        else:  # atoms: node names, fields, anchors, strings, negated fields
            pos += 1
            if tok.endswith(":"):  # a field applies to the next element
                return element()
            caps = set()
        optional = False
        while pos < len(toks) and (toks[pos] in ("?", "*", "+") or toks[pos].startswith("@")):
            if toks[pos] in ("?", "*"):
                optional = True
            elif toks[pos].startswith("@"):
                caps.add(toks[pos][1:])
            pos += 1
        return set() if optional else caps

    out: set[str] = set()
    while pos < len(toks):
        out |= element()
    return out


# ------------------------------------------------------------ the patterns
@dataclass(frozen=True)
class Pattern:
    text: str
    owner: Optional[type]  # the rule class; None for the per-file facts
    needs: tuple

    def can_match(self, source: bytes) -> bool:
        return all(any(lit in source for lit in group) for group in self.needs)


# The shared patterns: every call and every new expression. Tree-sitter keeps
# a state per pattern at each node a pattern can start at, for as long as it
# is inside that node, so twenty rule patterns rooted at call_expression cost
# the query a third of its time; one shared pattern and a dispatch by callee
# name in Python cost a tenth of that. Rules subscribe (JsRule.plain_calls,
# member_calls, call_suffix, all_calls, other_calls, wants_callbacks,
# new_names, new_suffix) and get on_call / on_other_call / on_callback /
# on_new.
class _Hub:
    """The owner of a shared pattern."""


class _HubCall(_Hub):
    """every call; the callee's kind is sorted out in Python"""


class _HubNew(_Hub):
    """every new expression"""


_HUB_OWNERS = frozenset({_HubCall, _HubNew})


# One pattern for every call, the callee's kind sorted out in Python.
# Filtering calls by name in the query (#any-of?, #match?) costs more in
# py-tree-sitter's predicate check than the Python objects it saves
# (callgrind: +3 % instructions on a sample of the corpus). Callbacks come
# from the facts' every-function pattern and the function's parent: a
# pattern rooted at `arguments` waits through every argument list for a
# function child, 15 % of the query's matching.
HUB_PATTERNS = (
    (_HubCall, "(call_expression function: (_) @hub_fn) @hub_call"),
    (_HubNew, "(new_expression constructor: (_) @hub_ctor) @hub_new"),
)
CALLBACK_TYPES = frozenset({"arrow_function", "function_expression"})


@functools.lru_cache(maxsize=None)
def patterns() -> tuple:
    """Every pattern of the facts, the hub and the rules, in query order;
    None when some rule's query text is beyond :func:`split_patterns`."""
    out = []
    try:
        for owner, text in [(None, FACT_QUERY)] + list(HUB_PATTERNS) + \
                [(c, c.query) for c in js_rules() if c.query.strip()]:
            out.extend(Pattern(p, owner, literal_needs(toks)) for p, toks in _split(text))
    except (ValueError, IndexError):
        return None
    return tuple(out)


@functools.lru_cache(maxsize=None)
def query_rules() -> tuple:
    """The rule classes to run per file (each gets ``finish``), whether they
    have patterns of their own, take calls or callbacks from the hub, or
    only look at the file in ``finish``."""
    return tuple(js_rules())


_FACT = object()  # route marker: a match of the per-file facts
_ROSTERS: dict = {}


def _roster(finish: Optional[tuple], enabled) -> tuple:
    """For the rules a process runs on a file: (the rules, as a set, those
    that take callbacks, and a map {(callee name, member?): the rules that
    want that call}, filled as names are met)."""
    hit = _ROSTERS.get((finish, enabled))
    if hit is None:
        mine = tuple(c for c in (query_rules() if finish is None else finish)
                     if enabled is None or c.meta.id in enabled)
        hit = _ROSTERS[(finish, enabled)] = (
            mine, frozenset(mine), tuple(c for c in mine if c.wants_callbacks),
            _CallTargets(tuple(c for c in mine if c.wants_calls())),
            tuple(c for c in mine if c.other_calls), _NewTargets(tuple(c for c in mine if c.wants_news())))
    return hit


class _NewTargets(dict):
    """{(constructor text as bytes, plain name?): the rules that want such a
    new expression}."""

    def __init__(self, takers: tuple):
        super().__init__()
        self.takers = takers

    def __missing__(self, key):
        if len(self) > 100_000:
            self.clear()
        text, plain = key
        wanted = self[key] = tuple(c for c in self.takers if c.wants_new(text.decode("utf-8", "replace"), plain))
        return wanted


class _CallTargets(dict):
    """{(callee name as bytes, member?): the rules that want such a call}."""

    def __init__(self, callers: tuple):
        super().__init__()
        self.callers = callers
        self.always = tuple(c for c in callers if c.all_calls)
        self.named = {}
        for c in callers:
            for member, names in ((False, c.plain_calls), (True, c.member_calls)):
                for n in names:
                    self.named.setdefault((n.encode(), member), set()).add(c)
        self.suffixes = tuple({c.call_suffix.encode() for c in callers if c.call_suffix})

    def __missing__(self, key):
        if len(self) > 100_000:
            self.clear()
        name, member = key
        if key not in self.named and not (self.suffixes and name.endswith(self.suffixes)):
            wanted = self.always  # the usual case: a name no rule asked for
        else:
            text = name.decode("utf-8", "replace")
            wanted = tuple(c for c in self.callers if c.wants_call(text, member))
        self[key] = wanted
        return wanted


@dataclass
class CompiledQuery:
    query: Query
    owners: list  # owners[i]: the owner of pattern i (None: facts; a _Hub class: shared)

    def route(self, enabled) -> tuple:
        """Where each pattern's matches go: _FACT, a _Hub class, the rule
        class, or None (a rule that is not enabled). Cached per set of
        enabled rules."""
        cache = self.__dict__.setdefault("_routes", {})
        hit = cache.get(enabled)
        if hit is None:
            hit = cache[enabled] = tuple(
                _FACT if o is None else o if o in _HUB_OWNERS or enabled is None or o.meta.id in enabled
                else None
                for o in self.owners
            )
        return hit


def _compile_whole(dialect: str) -> CompiledQuery:
    """The fallback: compile the rules' queries as written, one by one for
    their pattern counts, then together."""
    lang = ts_parse.language(dialect)
    owners: list = [None] * Query(lang, FACT_QUERY).pattern_count + [owner for owner, _ in HUB_PATTERNS]
    parts = [FACT_QUERY] + [text for _, text in HUB_PATTERNS]
    for cls in query_rules():
        if not cls.query.strip():
            continue
        owners += [cls] * Query(lang, cls.query).pattern_count
        parts.append(cls.query)
    return CompiledQuery(Query(lang, "\n".join(parts)), owners)


def _compile(dialect: str, chosen: tuple) -> Optional[CompiledQuery]:
    pats = patterns()
    query = Query(ts_parse.language(dialect), "\n".join(pats[i].text for i in chosen))
    if query.pattern_count != len(chosen):  # the split went wrong: do not guess
        return None
    return CompiledQuery(query, [pats[i].owner for i in chosen])


class _DialectQueries:
    MAX_PARTIAL = 8

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.full: Optional[CompiledQuery] = None
        self.partial: dict[tuple, CompiledQuery] = {}
        self.partial_patterns = 0  # patterns compiled so far in partial queries

    def get_full(self) -> CompiledQuery:
        if self.full is None:
            pats = patterns()
            compiled = _compile(self.dialect, tuple(range(len(pats)))) if pats is not None else None
            self.full = compiled or _compile_whole(self.dialect)
            self.partial.clear()
        return self.full

    def choose(self, source: bytes, enabled) -> Optional[tuple]:
        """The patterns a partial query for ``source`` needs; None when the
        full query is (or is about to be) the one to use."""
        pats = patterns()
        if self.full is not None or pats is None or _expected_files >= FULL_QUERY_AT \
                or self.partial_patterns >= len(pats):
            return None
        return tuple(
            i for i, p in enumerate(pats)
            if (p.owner is None or p.owner in _HUB_OWNERS or enabled is None or p.owner.meta.id in enabled)
            and p.can_match(source)
        )

    def for_source(self, source: bytes, enabled) -> CompiledQuery:
        pats = patterns()
        chosen = self.choose(source, enabled)
        if chosen is None:
            return self.get_full()
        hit = self.partial.get(chosen)
        if hit is None:
            wanted = set(chosen)
            for key, compiled in self.partial.items():
                if wanted.issubset(key):  # extra patterns cannot match or are not enabled
                    return compiled
            if self.partial_patterns + len(chosen) > len(pats) and self.partial:
                return self.get_full()
            hit = _compile(self.dialect, chosen)
            if hit is None:
                return self.get_full()
            self.partial_patterns += len(chosen)
            if len(self.partial) >= self.MAX_PARTIAL:
                self.partial.pop(next(iter(self.partial)))
            self.partial[chosen] = hit
        return hit


@functools.lru_cache(maxsize=None)
def _queries(dialect: str) -> _DialectQueries:
    return _DialectQueries(dialect)


def combined_query(dialect: str) -> CompiledQuery:
    """The full query of ``dialect`` (compiled once per process)."""
    return _queries(dialect).get_full()


def lint_js(path: str, source: bytes, dialect: str, enabled: frozenset | None = None,
            display_path: str | None = None, options: dict | None = None):
    """Findings (unconditional and conditional), exports and the file context."""
    tree = ts_parse.parse(source, dialect)
    compiled = _queries(dialect).for_source(source, enabled)
    ctx = _run(compiled, path, source, dialect, tree, enabled, display_path, options)
    return ctx.findings, ctx.exports(), ctx


def _run(compiled: CompiledQuery, path, source, dialect, tree, enabled, display_path, options,
         finish: Optional[tuple] = None) -> JsFile:
    """One query pass and the rules. ``finish``: the rules to finish (default:
    every enabled rule with a query)."""
    route = compiled.route(enabled)
    mine, rules_here, callbacks, targets, others, new_targets = _roster(finish, enabled)
    matches = ts_cursor(compiled.query).matches(tree.root_node)
    ctx = JsFile(path, source, dialect, tree=tree, display_path=display_path,
                 fact_matches=[m for m in matches if route[m[0]] is _FACT])
    ctx.options = options or {}
    ctx.too_deep = ts_parse.deeper_than(tree.root_node)
    rules = _Rules(ctx)  # a rule object is made on its first match: most files give most rules nothing
    # {callee text: the rule objects that take such calls}, per file: the same
    # callee (`path.join`, `res.send`) recurs, and most calls go to no rule.
    plain_takers: dict = {}
    member_takers: dict = {}
    for index, caps in matches:
        owner = route[index]
        if owner is _HubCall:
            fn = caps["hub_fn"][0]
            kind = fn.type
            if kind == "identifier":
                key = source[fn.start_byte:fn.end_byte]
                takers = plain_takers.get(key)
                if takers is None:
                    takers = plain_takers[key] = _takers(rules, targets[(key, False)], caps["hub_call"][0], key)
                if takers:
                    call = caps["hub_call"][0]
                    for rule in takers:
                        rule.on_call(call, fn, False)
            elif kind == "member_expression":
                key = source[fn.start_byte:fn.end_byte]  # the callee's text ends with its property
                takers = member_takers.get(key)
                if takers is None:
                    name = fn.child_by_field_name("property")
                    takers = member_takers[key] = () if name is None or name.type != "property_identifier" \
                        else _takers(rules, targets[(source[name.start_byte:name.end_byte], True)],
                                     caps["hub_call"][0], key)
                if takers:
                    call, name = caps["hub_call"][0], fn.child_by_field_name("property")
                    for rule in takers:
                        rule.on_call(call, name, True)
            elif kind in ("subscript_expression", "call_expression"):
                for cls in others:
                    rules[cls].on_other_call(caps["hub_call"][0], fn)
        elif owner is _FACT:
            if callbacks:  # a function passed as an argument
                fn = caps.get("fn")
                if fn is not None and fn[0].type in CALLBACK_TYPES:
                    parent = ctx.fn_parents[fn[0].id] = fn[0].parent
                    if parent is not None and parent.type == "arguments":
                        for cls in callbacks:
                            rules[cls].on_callback(fn[0], parent)
        elif owner is None:
            continue
        elif owner is _HubNew:
            ctor = caps["hub_ctor"][0]
            for cls in new_targets[(source[ctor.start_byte:ctor.end_byte], ctor.type == "identifier")]:
                rules[cls].on_new(caps["hub_new"][0], ctor)
        elif owner in rules_here:
            rules[owner].on_match(caps)
    for cls in mine:  # in rule order; a rule with no match and no finish of its own has nothing to do
        if cls in rules or cls.finish is not JsRule.finish:
            rules[cls].finish()
    return ctx


def _takers(rules, classes: tuple, call, callee: bytes) -> tuple:
    """The rule objects (of ``classes``, which want the callee's name) that
    take calls of ``callee``: a rule that takes every call is asked once per
    callee text of the file (``JsRule.takes_callee``)."""
    return tuple(rules[c] for c in classes if not c.all_calls or rules[c].takes_callee(call, callee))


class _Rules(dict):
    """{rule class: its object for this file}, made when first asked for."""

    def __init__(self, ctx):
        super().__init__()
        self.ctx = ctx

    def __missing__(self, cls):
        made = self[cls] = cls(self.ctx)
        return made
