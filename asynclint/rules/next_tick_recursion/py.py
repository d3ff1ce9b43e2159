"""next-tick-recursion for Python: ``loop.call_soon(f)`` rescheduling itself.

Flags ``<loop>.call_soon(f)`` / ``call_soon_threadsafe(f)`` inside a
synchronous function F when running ``f`` leads back to F without a pause:

- ``f`` *is* F (a function by name, ``self.m`` inside method ``m``,
  ``functools.partial(F, ...)``, ``lambda: F()``);
- ``f`` is a function of this file (or a method of this class) that reaches F
  through direct calls or its own ``call_soon`` (mutual recursion).

The runtime effect differs from Node's ``process.nextTick``: asyncio runs the
ready callbacks that were queued before each pass, then polls I/O with a zero
timeout while anything is ready. So such a chain does not starve I/O
outright; it keeps the loop from ever sleeping (100% CPU) and makes every
other callback share each pass with it.

Design choices, as for JavaScript (precision first):

- A scheduling call, or a call on the way back to F, that is *guarded* is
  not flagged: it sits in an ``if``/``else`` branch, a conditional
  expression, the right side of ``and``/``or``, a ``for`` or ``while`` body
  (except ``while True``), an ``except`` clause or a ``match`` case, or it
  follows an ``if`` that can ``return``/``raise``. Telling a counter from a
  flag only I/O could flip is beyond a syntactic check, so every guard is
  trusted.
- Only synchronous functions count: ``call_soon`` of an ``async def`` builds
  a coroutine and never runs its body.
- ``call_later`` / ``call_at`` recursion (a timer, the usual fix) is not
  flagged. There is no mechanical fix: the right delay is the author's call.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ...python.context import positional_args, walk
from ...python.rule import PyRule
from . import META

SCHEDULERS = frozenset({"call_soon", "call_soon_threadsafe"})
MAX_FUNCTIONS = 200


class Check(PyRule):
    meta = META
    TRIGGER = re.compile(r"call_soon")

    def __init__(self, ctx):
        super().__init__(ctx)
        self._edges: dict = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in SCHEDULERS:
            return
        args = positional_args(node)
        if not args:
            return
        fn = self.ctx.enclosing_function(node)
        if not self._sync_def(fn) or self._guarded(node, fn):
            return
        targets = self._targets(args[0], node)
        if not targets:
            return
        via = None
        if fn not in targets:
            via = self._path_back(targets, fn)
            if via is None:
                return
        label = self._label(fn)
        through = f" (through `{self._label(via)}`)" if via is not None and via is not fn else ""
        self.report(
            node,
            f"`{label}` reschedules itself with `{func.attr.value}()` every time it runs{through}: the event "
            "loop never goes idle (each pass polls I/O with a zero timeout and runs it again), so the process "
            "spins at 100% CPU and every other callback shares the loop with it. Reschedule with "
            "`loop.call_later(delay, ...)`, or turn it into an `async def` loop that awaits something "
            "(`await asyncio.sleep(delay)`, a queue, an event).",
        )

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _sync_def(fn) -> bool:
        return isinstance(fn, cst.FunctionDef) and fn.asynchronous is None

    def _label(self, fn) -> str:
        cls = self.ctx.enclosing_class(fn)
        return f"{cls.name.value}.{fn.name.value}()" if cls is not None else f"{fn.name.value}()"

    def _targets(self, expr, at) -> list:
        """The synchronous functions of this file that calling ``expr`` runs."""
        ctx = self.ctx
        if isinstance(expr, cst.Name):
            defs = ctx.local_function_defs(expr) or []
            return [d for d in defs if self._sync_def(d)]
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            found = ctx.method_context(at, expr.value.value)
            if found is None:
                return []
            members = ctx.class_members(found[0], expr.attr.value)
            if members and all(isinstance(m, cst.FunctionDef) for m in members):
                return [m for m in members if self._sync_def(m)]
            return []
        if isinstance(expr, cst.Call) and isinstance(expr.func, (cst.Name, cst.Attribute)):
            if "functools.partial" in ctx.qualnames(expr.func):
                inner = positional_args(expr)
                return self._targets(inner[0], at) if inner else []
            return []
        if isinstance(expr, cst.Lambda) and isinstance(expr.body, cst.Call):
            return self._targets(expr.body.func, at)
        return []

    def _edges_of(self, fn) -> list:
        """Functions ``fn`` runs synchronously or schedules with call_soon,
        along unguarded paths."""
        if fn in self._edges:
            return self._edges[fn]
        self._edges[fn] = []
        calls = [n for n in walk(fn.body, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) if isinstance(n, cst.Call)]
        out = []
        for call in calls:
            if self._guarded(call, fn):
                continue
            func = call.func
            if isinstance(func, cst.Attribute) and func.attr.value in SCHEDULERS:
                args = positional_args(call)
                if args:
                    out.extend(self._targets(args[0], call))
            else:
                out.extend(self._targets(func, call))
        self._edges[fn] = out
        return out

    def _path_back(self, starts: list, goal) -> Optional[cst.FunctionDef]:
        """The first function of ``starts`` from which ``goal`` is reached."""
        for start in starts:
            seen = {start}
            todo = [start]
            while todo and len(seen) < MAX_FUNCTIONS:
                cur = todo.pop()
                for nxt in self._edges_of(cur):
                    if nxt is goal:
                        return start
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
        return None

    def _guarded(self, node, fn) -> bool:
        ctx = self.ctx
        child = node
        for anc in ctx.ancestors(node):
            if anc is fn:
                return False
            if isinstance(anc, (cst.If, cst.IfExp)) and child is not anc.test:
                return True
            if isinstance(anc, cst.BooleanOperation) and child is anc.right:
                return True
            if isinstance(anc, cst.For) and child is not anc.iter:
                return True
            if isinstance(anc, cst.While) and child is not anc.test and not (
                    isinstance(anc.test, cst.Name) and anc.test.value == "True"):
                return True
            if isinstance(anc, (cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)):
                return True
            if isinstance(anc, cst.IndentedBlock):
                index = next((i for i, s in enumerate(anc.body) if s is child), 0)
                if any(isinstance(s, cst.If) and _exits(s) for s in anc.body[:index]):
                    return True
            if isinstance(anc, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return False  # left the function without reaching fn: not ours
            child = anc
        return False


def _exits(stmt) -> bool:
    """A return or raise somewhere in the statement (not in nested functions)."""
    return any(isinstance(n, (cst.Return, cst.Raise)) for n in walk(stmt, (cst.FunctionDef, cst.Lambda)))
