from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="missing-await",
    severity=Severity.ERROR,
    languages=frozenset({"js", "ts", "py"}),
    summary="A promise (or coroutine) is dropped or used as if it were already its value.",
    fix=FixSafety.UNSAFE,
)
