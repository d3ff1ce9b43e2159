from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="dangling-task",
    severity=Severity.WARNING,
    languages=frozenset({"py"}),
    summary="An asyncio task is created and no reference is kept: it can be garbage-collected mid-flight.",
    fix=FixSafety.UNSAFE,
)
