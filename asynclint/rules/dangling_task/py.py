"""dangling-task: an asyncio task whose only reference is thrown away.

Flags a statement whose value is ``asyncio.create_task(...)``,
``asyncio.ensure_future(<call>)`` or ``<loop>.create_task(...)`` (the result
discarded), and the same call followed by ``.add_done_callback(...)`` (which
keeps no reference either). A receiver counts as a loop when it comes from
``asyncio.get_event_loop()`` / ``get_running_loop()`` / ``new_event_loop()``
or is named like one (``loop``, ``self._loop``); a ``TaskGroup`` (or anything
else) calling ``create_task`` is not flagged: the group keeps its tasks.
``ensure_future`` of a plain variable (possibly an existing task or future)
or of a call that returns a future (``run_in_executor``, ``gather``...) is
not flagged either.

Not flagged: a task assigned, added to a collection, awaited, returned or
passed on.

The fix (unsafe) keeps a strong reference until the task is done, the idiom
the asyncio documentation gives for ``create_task``::

    _background_tasks = set()          # inserted once, after the imports
    ...
    task = asyncio.create_task(work())
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)

Assigning to a local (``task = asyncio.create_task(...)``) would only silence
the rule: the local dies when the function returns, while the task may still
be running. The fix is offered when the call is a statement on its own line
and the module has a top-level import to put the set after.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ...findings import Edit, Fix, FixSafety
from ...python.context import last_name, positional_args, walk
from ...python.rule import PyRule
from . import META

TASK_FUNCTIONS = frozenset({"asyncio.create_task", "asyncio.tasks.create_task"})
ENSURE_FUTURE = frozenset({"asyncio.ensure_future", "asyncio.tasks.ensure_future"})
LOOP_FACTORIES = frozenset(
    {"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop",
     "asyncio.events.get_event_loop", "asyncio.events.get_running_loop", "asyncio.events.new_event_loop"}
)
GROUP_TYPES = frozenset({"asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup"})
# Calls that already return a future (held elsewhere), not a fresh coroutine.
FUTURE_MAKERS = frozenset({"run_in_executor", "create_task", "ensure_future", "gather", "shield", "wrap_future",
                           "create_future", "wait_for"})
LOOPISH = re.compile(r"loop", re.IGNORECASE)
SET_NAME = "_background_tasks"
TASK_NAMES = ("task", "bg_task", "background_task", "new_task")


class Check(PyRule):
    meta = META
    # the function's name is written somewhere, if only in an aliased import
    TRIGGER = re.compile(r"(?:create_task|ensure_future)")

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        chained = False
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "add_done_callback" \
                and isinstance(func.value, cst.Call):
            call, chained = func.value, True
        name = last_name(call.func)
        if name not in ("create_task", "ensure_future") and not (
                isinstance(call.func, cst.Name) and any(i.aliased for i in self.ctx.imported_as(name))):
            return  # cannot be one of ours: no scope analysis needed
        label = self._task_call(call)
        if label is None:
            return
        detail = " (`.add_done_callback()` keeps no reference to it either)" if chained else ""
        self.report(
            call,
            f"The task `{label}` creates is not kept anywhere{detail}: the event loop holds only a weak "
            "reference to it, so it can be garbage-collected before it finishes (the work silently stops) "
            "and its exception is never seen. Keep a reference until it is done (a set plus "
            "`task.add_done_callback(set.discard)`), or start it in an `asyncio.TaskGroup`.",
            fix=None if chained else self._fix(node, call),
        )

    def _task_call(self, call: cst.Call) -> Optional[str]:
        ctx = self.ctx
        func = call.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return None
        names = ctx.qualnames(func)
        if names & TASK_FUNCTIONS:
            return "asyncio.create_task(...)"
        if names & ENSURE_FUTURE:
            args = positional_args(call)
            if not args or not isinstance(args[0], cst.Call):
                return None
            inner = last_name(args[0].func)
            if inner in FUTURE_MAKERS:
                return None
            return "asyncio.ensure_future(...)"
        if isinstance(func, cst.Attribute) and func.attr.value == "create_task":
            receiver = func.value
            kind = ctx.receiver_type(receiver)
            if kind in GROUP_TYPES:
                return None
            if kind in LOOP_FACTORIES:
                return f"{self._short(receiver)}.create_task(...)"
            if isinstance(receiver, (cst.Name, cst.Attribute)) and LOOPISH.search(last_name(receiver) or ""):
                return f"{self._short(receiver)}.create_task(...)"
        return None

    def _short(self, node) -> str:
        return self.ctx.label(node) or "loop"

    # ------------------------------------------------------------------ fix
    def _fix(self, expr: cst.Expr, call: cst.Call) -> Optional[Fix]:
        ctx = self.ctx
        line_stmt = ctx.parent(expr)
        if not isinstance(line_stmt, cst.SimpleStatementLine) or len(line_stmt.body) != 1 or call.lpar:
            return None
        if not isinstance(ctx.parent(line_stmt), (cst.IndentedBlock, cst.Module)):
            return None
        scope = ctx.scope_node(call)
        used = {n.value for n in walk(scope) if isinstance(n, cst.Name)}
        var = next((n for n in TASK_NAMES if n not in used and ctx.lookup(n, call) is None), None)
        if var is None:
            return None
        edits = []
        if SET_NAME not in ctx.bindings(ctx.module):
            insertion = self._set_insertion()
            if insertion is None:
                return None
            edits.append(insertion)
        elif var == SET_NAME:  # pragma: no cover - not one of TASK_NAMES
            return None
        start_line, start_col, end_line, _ = ctx.position(call)
        first = ctx.line_text(start_line)
        indent = first[: len(first) - len(first.lstrip(" \t"))]
        last = ctx.line_text(end_line)
        newline = "\r\n" if last.endswith("\r\n") else "\n"
        body = last.rstrip("\r\n")
        end_col = len(body) + 1
        edits.append(Edit(start_line, start_col, start_line, start_col, f"{var} = "))
        edits.append(Edit(end_line, end_col, end_line, end_col,
                          f"{newline}{indent}{SET_NAME}.add({var}){newline}"
                          f"{indent}{var}.add_done_callback({SET_NAME}.discard)"))
        return Fix(f"Keep a reference in `{SET_NAME}` until the task is done", tuple(edits), FixSafety.UNSAFE)

    def _set_insertion(self) -> Optional[Edit]:
        ctx = self.ctx
        last_import = None
        for i, stmt in enumerate(ctx.module.body):
            if isinstance(stmt, cst.SimpleStatementLine):
                if all(isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body):
                    last_import = stmt
                    continue
                if i == 0 and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr) \
                        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                    continue  # the docstring
            break
        if last_import is None:
            return None
        _, _, end_line, _ = ctx.position(last_import)
        text = ctx.line_text(end_line)
        newline = "\r\n" if text.endswith("\r\n") else "\n"
        col = len(text.rstrip("\r\n")) + 1
        return Edit(end_line, col, end_line, col,
                    f"{newline}{newline}{SET_NAME} = set()  # running tasks, referenced until they finish")
