"""syntax-error: a Python file that cannot be parsed.

Emitted by ``asynclint.python.runner`` itself (there is no ``py.py``): a file
that does not parse gets exactly one finding at the error, and no other rule
runs on it. Listed here so ``asynclint rules``, the docs and the
configuration know the id (it can be ignored or re-levelled like any rule).
"""

from ...findings import FixSafety, Severity
from ..base import RuleMeta

META = RuleMeta(
    id="syntax-error",
    severity=Severity.ERROR,
    languages=frozenset({"py"}),
    summary="A Python file does not parse, so nothing else in it was checked.",
    fix=FixSafety.NONE,
)
