from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="sequential-await",
    severity=Severity.INFO,
    languages=frozenset({"js", "ts", "py"}),
    summary="Independent awaits run one after another; Promise.all / asyncio.gather would run them together.",
    fix=FixSafety.UNSAFE,
)
