from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="exec-user-input",
    severity=Severity.ERROR,
    languages=frozenset({"js", "ts", "py"}),
    summary="A shell runs a command string that is not a constant: shell injection if any part comes from outside.",
    fix=FixSafety.NONE,
)
