from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="busy-wait",
    severity=Severity.ERROR,
    languages=frozenset({"js", "ts"}),
    summary="A loop spins on the clock without awaiting: it burns the only thread until time runs out.",
    fix=FixSafety.NONE,
)
