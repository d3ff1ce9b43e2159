from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="unhandled-rejection",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="A promise chain is dropped with no rejection handler: a failure crashes the process.",
    fix=FixSafety.UNSAFE,
)
