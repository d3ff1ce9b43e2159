from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="unsafe-pipe",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="A `.pipe()` chain leaves streams without an 'error' handler: one failure crashes or leaks.",
    fix=FixSafety.UNSAFE,
)
