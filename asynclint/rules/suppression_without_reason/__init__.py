from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="suppression-without-reason",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts", "py"}),
    summary="A suppression comment without a reason after `--`, where the configuration requires one.",
    fix=FixSafety.NONE,
    kind="meta",
)
