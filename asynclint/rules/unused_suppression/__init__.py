from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="unused-suppression",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts", "py"}),
    summary="A suppression comment that suppresses nothing (or names an unknown rule).",
    fix=FixSafety.NONE,
    kind="meta",
)
