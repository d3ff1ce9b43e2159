from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="empty-catch",
    severity=Severity.WARNING,
    languages=frozenset({"js", "ts", "py"}),
    summary="An error is caught and silently dropped: an empty catch block or handler.",
    fix=FixSafety.NONE,
    options=(
        # A catch whose only content is a comment explaining why is accepted.
        ("allow-comment", True),
        # Python: `except SomeSpecificError: pass` is reported as info, not warning.
        ("allow-narrow", False),
    ),
)
