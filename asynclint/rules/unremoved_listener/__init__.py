from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="unremoved-listener",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="A listener is added to a long-lived emitter on every request or iteration and never removed.",
    fix=FixSafety.NONE,
)
