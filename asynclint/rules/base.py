"""What a rule declares about itself, and the shape of a JavaScript check.

A rule module ``asynclint/rules/<id with underscores>.py`` defines ``META``
(a :class:`RuleMeta`) and, per language it covers, a check: ``JS`` (a
:class:`JsRule` subclass) and/or ``PY`` (see ``asynclint.python``). Everything
else — the rule list, docs links, SARIF rule table, config validation — reads
``META``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from ..findings import FixSafety, Severity

if TYPE_CHECKING:  # pragma: no cover
    from ..javascript.context import JsFile


@dataclass(frozen=True)
class RuleMeta:
    id: str
    severity: Severity
    languages: frozenset  # subset of {"js", "ts", "py"}
    summary: str
    fix: FixSafety = FixSafety.NONE
    default_enabled: bool = True
    # Options a user may set under [tool.asynclint.options.<id>]: name -> default.
    # The default's type is the option's type.
    options: tuple = ()
    # "meta" rules report on asynclint's own directives (suppressions), not on code.
    kind: str = "code"


class JsRule:
    """A JavaScript/TypeScript check.

    ``query`` holds tree-sitter patterns. The engine joins every rule's
    patterns into one query per grammar, runs it once over the tree, and hands
    each match to the rule that owns the pattern (``on_match``). ``finish`` runs
    after all matches, for rules that need the whole file first.
    A fresh instance is made per file, so instance attributes are per-file state.
    """

    meta: ClassVar[RuleMeta]
    query: ClassVar[str] = ""

    # Calls delivered from the runner's shared call patterns instead of a
    # pattern of the rule's own (each pattern rooted at call_expression costs
    # the query a state at every call of the file). Chosen by the callee's
    # name: the identifier of ``f(...)`` (plain_calls), the property of
    # ``x.f(...)`` (member_calls), either form ending with call_suffix, or
    # every call whose callee is a name or a member (all_calls).
    plain_calls: ClassVar[frozenset] = frozenset()
    member_calls: ClassVar[frozenset] = frozenset()
    call_suffix: ClassVar[str] = ""
    all_calls: ClassVar[bool] = False
    # Calls whose callee is neither a name nor a member (`a[k](...)`,
    # `f(x)(...)`): on_other_call(call, callee).
    other_calls: ClassVar[bool] = False
    # Function expressions and arrow functions passed as call (or new)
    # arguments (from the every-function fact and the function's parent):
    # on_callback(function node, arguments node).
    wants_callbacks: ClassVar[bool] = False
    # New expressions, by the constructor's name (new_names: a plain name) or
    # the end of its text (new_suffix): on_new(new_expression, constructor).
    new_names: ClassVar[frozenset] = frozenset()
    new_suffix: ClassVar[str] = ""

    def __init__(self, ctx: "JsFile"):
        self.ctx = ctx

    def on_match(self, captures: dict) -> None:  # pragma: no cover - interface
        pass

    @classmethod
    def wants_calls(cls) -> bool:
        return bool(cls.all_calls or cls.plain_calls or cls.member_calls or cls.call_suffix)

    @classmethod
    def wants_call(cls, name: str, member: bool) -> bool:
        if cls.all_calls or name in (cls.member_calls if member else cls.plain_calls):
            return True
        return bool(cls.call_suffix) and name.endswith(cls.call_suffix)

    def on_call(self, call, name, member: bool) -> None:  # pragma: no cover - interface
        """``call``: a call_expression; ``name``: its callee's identifier
        (``f(...)``) or property_identifier (``x.f(...)``); ``member``: is the
        callee a member_expression (``call.child_by_field_name("function")``)?"""

    def takes_callee(self, call, callee: bytes) -> bool:
        """For a rule with ``all_calls``: does it want this file's calls whose
        callee's text is ``callee`` (``call`` is the first of them)? Asked
        once per callee text per file, so a rule that declines most callees
        is not called for each of their calls. The answer must hold for
        every call with that callee text."""
        return True

    def on_callback(self, function, arguments) -> None:  # pragma: no cover - interface
        pass

    def on_other_call(self, call, callee) -> None:  # pragma: no cover - interface
        pass

    @classmethod
    def wants_news(cls) -> bool:
        return bool(cls.new_names or cls.new_suffix)

    @classmethod
    def wants_new(cls, text: str, plain: bool) -> bool:
        return (plain and text in cls.new_names) or bool(cls.new_suffix and text.endswith(cls.new_suffix))

    def on_new(self, new, constructor) -> None:  # pragma: no cover - interface
        pass

    def finish(self) -> None:
        pass

    def report(self, node, message: str, **kw) -> None:
        self.ctx.report(self.meta, node, message, **kw)
