from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="async-foreach",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="`forEach` with an async callback: nothing waits for the callbacks and their rejections go unhandled.",
    fix=FixSafety.UNSAFE,
)
