from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="unchecked-callback-error",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="An error-first callback never reads its `err` parameter: failures pass silently.",
    fix=FixSafety.NONE,
)
