from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="async-promise-executor",
    severity=Severity.ERROR,
    languages=frozenset({"js", "ts"}),
    summary="`new Promise(async (resolve, reject) => ...)`: a throw in the executor never rejects the promise.",
    fix=FixSafety.UNSAFE,
)
