from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="worker-per-request",
    severity=Severity.INFO,
    languages=frozenset({"js", "ts"}),
    summary="`new Worker()` (worker_threads) inside request handling: a new thread per request; use a pool.",
    fix=FixSafety.NONE,
)
