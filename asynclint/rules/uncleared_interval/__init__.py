from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="uncleared-interval",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts"}),
    summary="A `setInterval()` timer that nothing can stop: its id is dropped, or never cleared in the file.",
    fix=FixSafety.UNSAFE,
    options=(
        # Also report module-level intervals of entry scripts (files that export nothing)
        # that are neither unref'd nor cleared. Off by default: there they usually run for
        # the life of the process on purpose.
        ("entry-scripts", False),
    ),
)
