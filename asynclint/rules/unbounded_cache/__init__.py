from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="unbounded-cache",
    severity=Severity.INFO,
    languages=frozenset({"js", "ts"}),
    summary="A module-level object/Map/array that request handlers fill with request-derived keys and never evict.",
    fix=FixSafety.NONE,
)
