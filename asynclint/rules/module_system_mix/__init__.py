from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="module-system-mix",
    severity=Severity.ERROR,
    languages=frozenset({"js", "ts"}),
    summary="CommonJS and ES module syntax mixed where Node will not accept it (require of ESM, import in CJS ...).",
    fix=FixSafety.NONE,
)
