from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="next-tick-recursion",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts", "py"}),
    summary="A function reschedules itself with process.nextTick/queueMicrotask: the queue never drains and I/O starves.",
    fix=FixSafety.UNSAFE,
)
