from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="ignored-backpressure",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="`stream.write()` in a loop ignores its `false` (buffer full) and never waits for 'drain'.",
    fix=FixSafety.UNSAFE,
)
