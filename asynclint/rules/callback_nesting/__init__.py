from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="callback-nesting",
    severity=Severity.INFO,
    languages=frozenset({"js", "ts"}),
    summary="Callbacks nested deeper than the limit (default 3): the pyramid of doom; use async/await.",
    fix=FixSafety.NONE,
    options=(
        # How many callbacks may nest inside each other before the next one is reported.
        ("max-depth", 3),
    ),
)
