"""The shape of a Python check: ``visit_<NodeType>`` hooks and the file's facts.

Every enabled check of a file is a :class:`PyRule`; the runner walks the
tree once and calls each check's ``visit_<Type>`` method (``visit_Call``,
``visit_ExceptHandler`` ... named after libcst node classes) for every node
of that exact type, parents before children. There are no ``leave_*``
hooks. A fresh instance is made per file (instance attributes are per-file
state). Helper methods must not start with ``visit_``.

``TRIGGER`` is a pattern the source must contain for the check to possibly
fire (``except`` for empty-catch): a file without it skips the check
entirely, which keeps scans of ordinary code close to the parse cost.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar, Optional

from ..findings import Condition, Fix
from ..rules.base import RuleMeta
from .context import PyFile

if TYPE_CHECKING:  # libcst is imported by the Python runner, not here
    import libcst as cst


class PyRule:
    meta: ClassVar[RuleMeta]
    # No libcst metadata is declared: ``self.ctx`` computes parents, scopes,
    # qualified names and positions the first time a check asks, so a file
    # that needs none of them (no candidate call, no finding) never pays.
    TRIGGER: ClassVar[Optional[re.Pattern]] = None

    def __init__(self, ctx: PyFile):
        self.ctx = ctx

    @property
    def options(self) -> dict:
        """This rule's options: the META defaults with the user's on top."""
        opts = dict(self.meta.options)
        opts.update(self.ctx.options.get(self.meta.id, {}))
        return opts

    def report(self, node: cst.CSTNode, message: str, fix: Fix | None = None,
               condition: Condition | None = None, **kw) -> None:
        self.ctx.report(self.meta, node, message, fix=fix, condition=condition, **kw)
