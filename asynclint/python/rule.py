"""The shape of a Python check: a libcst batchable visitor with the file's facts.

Every enabled check of a file is a :class:`PyRule`; the runner hands them all
to one ``MetadataWrapper.visit_batched`` call, so the tree is walked once.
A fresh instance is made per file (instance attributes are per-file state).
``visit_*`` / ``leave_*`` methods are libcst's; anything a check needs after
the whole file was seen goes in ``leave_Module``. Helper methods must not
start with ``visit_`` or ``leave_`` (libcst would take them for hooks).
"""

from __future__ import annotations

from typing import ClassVar

import libcst as cst
from ..findings import Condition, Fix
from ..rules.base import RuleMeta
from .context import PyFile


class PyRule(cst.BatchableCSTVisitor):
    meta: ClassVar[RuleMeta]
    # Nothing is declared on purpose: ``self.ctx`` computes parents, scopes,
    # qualified names and positions the first time any rule asks, so a file
    # that needs none of them (no candidate call, no finding) never pays.
    # Declaring a provider here makes libcst compute it for every file.
    METADATA_DEPENDENCIES = ()

    def __init__(self, ctx: PyFile):
        super().__init__()
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
