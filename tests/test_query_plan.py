"""The JS runner's query plan: a process that lints few files compiles only
the patterns that can match each file; that must never change a finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from asynclint.config import Config
from asynclint.engine import lint_source
from asynclint.javascript import runner

ROOT = Path(__file__).resolve().parent.parent
JS_FIXTURES = sorted(
    p for p in (ROOT / "fixtures").rglob("*")
    if p.suffix in (".js", ".cjs", ".mjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
)


def test_split_keeps_every_pattern():
    pats = runner.patterns()
    assert pats is not None, "a rule's query is beyond runner.split_patterns"
    from tree_sitter import Query

    from asynclint.javascript.parse import language

    for dialect in ("javascript", "typescript", "tsx"):
        whole = runner._compile_whole(dialect)
        split = runner._compile(dialect, tuple(range(len(pats))))
        assert split is not None and split.owners == whole.owners
        assert split.query.pattern_count == whole.query.pattern_count
    assert Query(language("javascript"), "\n".join(p.text for p in pats)).pattern_count == len(pats)


@pytest.mark.parametrize("pattern, needs", [
    ('(call_expression function: (identifier) @f (#eq? @f "require")) @c', ((b"require",),)),
    ('(x (y) @a (#any-of? @a "p" "q"))', ((b"p", b"q"),)),
    ('(x (y) @a (#match? @a "Sync$"))', ((b"Sync",),)),
    ('(x (y) @a (#match? @a "^(a|b)$"))', ()),  # not a plain literal
    ('(x (y)? @a (#eq? @a "p"))', ()),  # optional capture: the predicate may hold vacuously
    ('(x [(y) @a (z)] (#eq? @a "p"))', ()),  # only in one branch
    ('(x [(y) @a (z (w) @a)] (#eq? @a "p"))', ((b"p",),)),  # in every branch
    ('(x (y) @a (#not-eq? @a "p"))', ()),
    ('(x (y) @a (#eq? @a @b))', ()),
    ('(x (y) @a (#eq? @a "p\\"q"))', ()),  # escapes: not worth the risk
])
def test_literal_needs(pattern, needs):
    assert runner.literal_needs(pattern) == needs


def test_split_patterns_handles_comments_captures_and_quantifiers():
    text = '; a comment (with parens)\n(a (b) @x) @y\n[(c) (d)]+ @z\n((e) @w (#eq? @w ")"))\n'
    assert runner.split_patterns(text) == ['(a (b) @x) @y', '[(c) (d)]+ @z', '((e) @w (#eq? @w ")"))']


_PARTIAL: dict = {}


def _findings(path: Path, plan: str, monkeypatch) -> list:
    if plan == "full":
        monkeypatch.setattr(runner, "_expected_files", runner.FULL_QUERY_AT)
    else:  # never switch to the full query: always the partial query of the file
        monkeypatch.setattr(runner, "_expected_files", 0)
        plan = _PARTIAL.setdefault(path.suffix, runner._DialectQueries(runner.ts_parse.dialect_for(path.suffix)))
        plan.partial_patterns = 0
        monkeypatch.setattr(runner, "_queries", lambda dialect: plan)
    res = lint_source(str(path), path.read_bytes(), Config())
    return [(f.rule, f.line, f.column, f.end_line, f.end_column, f.message, f.fix, f.condition)
            for f in sorted(res.findings, key=lambda f: f.sort_key())], res.exports


@pytest.mark.parametrize("path", JS_FIXTURES, ids=lambda p: str(p.relative_to(ROOT / "fixtures")))
def test_partial_query_finds_what_the_full_query_finds(path, monkeypatch):
    with monkeypatch.context() as m:
        full = _findings(path, "full", m)
    with monkeypatch.context() as m:
        partial = _findings(path, "partial", m)
    assert partial == full


def test_hub_delivers_calls_by_callee_name_and_every_callback():
    """Rules that subscribe to calls get exactly the calls they named (plain
    f(), member x.f(), by suffix), calls of other callees when they ask, every
    function passed as an argument, and the new expressions they named."""
    from asynclint.javascript.parse import parse
    from asynclint.rules.base import JsRule

    seen = []

    class Probe(JsRule):
        meta = type("M", (), {"id": "probe"})()
        plain_calls = frozenset({"require"})  # names some real rule asks for: the
        member_calls = frozenset({"pipe"})  # shared pattern lets through only those
        call_suffix = "Sync"
        other_calls = True
        wants_callbacks = True
        new_names = frozenset({"Promise"})
        new_suffix = "Worker"

        def on_call(self, call, name, member):
            seen.append((self.ctx.text(name), member, call.type))

        def on_other_call(self, call, callee):
            seen.append(("other", callee.type))

        def on_callback(self, function, arguments):
            seen.append(("callback", function.type, arguments.type))

        def on_new(self, new, constructor):
            seen.append(("new", self.ctx.text(constructor)))

    source = (b"require('x'); x.require(); x.pipe(y); pipe(); readFileSync(p); fs.statSync(p); baz(); a[foo]();\n"
              b"run(function () {}, () => 1); new Thing(() => 2); notSync.x(); f(x)();\n"
              b"new Promise(r => r()); new x.Promise(); new threads.Worker(f); new Map();\n")
    compiled = runner.combined_query("javascript")
    runner._run(compiled, "/virtual/probe.js", source, "javascript", parse(source, "javascript"),
                None, None, None, finish=(Probe,))
    assert sorted(seen, key=str) == sorted([
        ("require", False, "call_expression"),
        ("pipe", True, "call_expression"),
        ("readFileSync", False, "call_expression"),
        ("statSync", True, "call_expression"),
        ("other", "subscript_expression"),
        ("other", "call_expression"),
        ("callback", "function_expression", "arguments"),
        ("callback", "arrow_function", "arguments"),
        ("callback", "arrow_function", "arguments"),
        ("callback", "arrow_function", "arguments"),
        ("new", "Promise"),
        ("new", "threads.Worker"),
    ], key=str)


def test_no_rule_brings_its_own_pattern_for_calls_or_arguments():
    """Each pattern rooted at a node as common as a call (or an argument
    list, or the whole program) costs the one query pass a state at every
    such node: rules take calls and callbacks from the shared patterns
    (plain_calls, member_calls, call_suffix, other_calls, new_names,
    wants_callbacks) instead. See the runner's HUB_PATTERNS."""
    shared = {"call_expression", "new_expression", "arguments", "program"}
    offenders = []
    for p in runner.patterns():
        if p.owner is None or p.owner in runner._HUB_OWNERS:
            continue
        toks = runner._split(p.text)[0][1]
        roots = {toks[1]} if toks[0] == "(" else set(toks)
        if roots & shared:
            offenders.append((p.owner.meta.id, p.text.split("\n")[0]))
    assert offenders == []
