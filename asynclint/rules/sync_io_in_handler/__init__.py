from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="sync-io-in-handler",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts", "py"}),
    summary="A blocking call (fs.*Sync, execSync, time.sleep, requests ...) runs while serving a request.",
    fix=FixSafety.UNSAFE,
)
