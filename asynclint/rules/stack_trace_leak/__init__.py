from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="stack-trace-leak",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="An error's `.stack` is sent in an HTTP response without a NODE_ENV/production guard.",
    fix=FixSafety.UNSAFE,
)
