from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="unforwarded-async-error",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="An async Express 4 handler awaits outside try/catch: a rejection never reaches the error middleware.",
    fix=FixSafety.UNSAFE,
)
