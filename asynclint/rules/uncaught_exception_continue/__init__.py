from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="uncaught-exception-continue",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="An 'uncaughtException' handler lets the process carry on in an unknown state.",
    fix=FixSafety.UNSAFE,
)
