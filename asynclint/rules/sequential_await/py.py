"""sequential-await for Python.

Two or more adjacent statements in an ``async def`` that each await a call
and bind its result (``user = await get_user(uid)``), where no later call
reads a name an earlier one bound: the coroutines run one after another
although none needs another's result; ``asyncio.gather`` would run them
together.

The same exclusions as the JavaScript check: statements in a loop, calls on
the same receiver (``self.``, a session, a connection: a module namespace
such as ``aiofiles`` or ``asyncio`` does not count), a later call that uses
the object an earlier call was made on, calls given a connection/
transaction/session argument, ordering steps (sleep, lock, connect, begin,
writes ...), bare ``await x()`` statements, awaits of existing tasks.

Fix (unsafe), when every target is a plain name, nothing sits between the
statements and ``asyncio`` is imported as a module:
``a, b = await asyncio.gather(f(), g())``.
"""

from __future__ import annotations

import re

import libcst as cst

from ...findings import Edit, Fix, FixSafety
from ...python.context import walk
from ...python.rule import PyRule
from . import META

ORDERING_STEP = re.compile(
    r"^_*(sleep|delay|wait|wait_for|timeout|pause|lock|unlock|acquire|release|connect|begin|start|open|init"
    r"|initialize|setup|set_up|login|log_in|sign_in|authenticate|auth|migrate|listen|ready|mkdir|makedirs"
    r"|transaction|start_transaction|begin_transaction|commit|rollback|close|aclose|end|stop|destroy"
    r"|disconnect|flush|drain|sync|save|create|insert|update|upsert|delete|remove|write|send|publish|emit"
    r"|set|put|post|patch|exec|execute|executemany|run|spawn|kill|reset|clear|truncate|drop|register"
    r"|subscribe|prompt|ask|question|confirm|select|choose|input)(_|$)"
)
STATEFUL_ARGUMENT = re.compile(
    r"^(client|conn|connection|tx|trx|transaction|session|cursor|cur|socket|sock|channel|page|browser|ctx"
    r"|context|lock|txn|db|database|stream|reader|writer|tokenizer|input|output|parser|fd|handle|file|port)$"
)
LOOPS = (cst.For, cst.While)


def _names(node) -> set:
    return {n.value for n in walk(node) if isinstance(n, cst.Name)}


class Check(PyRule):
    meta = META
    TRIGGER = re.compile(r"\bawait\b")

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        run = []
        for stmt in node.body:
            info = self._candidate(stmt)
            if info is None:
                self._report_groups(run)
                run = []
            else:
                run.append(info)
        self._report_groups(run)

    # ----------------------------------------------------------- candidates
    def _candidate(self, stmt):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            return None
        small = stmt.body[0]
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target, value = small.targets[0].target, small.value
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            target, value = small.target, small.value
        else:
            return None
        if not isinstance(value, cst.Await) or not isinstance(value.expression, cst.Call):
            return None
        if not isinstance(target, (cst.Name, cst.Tuple, cst.List)):
            return None
        if self.ctx.async_def_of(stmt) is None or self._in_loop(stmt):
            return None
        call = value.expression
        name, receiver = self._callee_parts(call.func)
        stateful = any(isinstance(a.value, cst.Name) and STATEFUL_ARGUMENT.match(a.value.value) for a in call.args)
        return {
            "stmt": stmt, "call": call, "target": target, "bound": _names(target), "reads": _names(call),
            "name": name, "receiver": receiver, "stateful": stateful,
            "annotated": isinstance(small, cst.AnnAssign),
            "nested_await": any(isinstance(n, cst.Await) for n in walk(call)),
        }

    def _in_loop(self, stmt) -> bool:
        for anc in self.ctx.ancestors(stmt):
            if isinstance(anc, cst.FunctionDef):
                return False
            if isinstance(anc, LOOPS):
                return True
        return False

    def _callee_parts(self, func):
        """(last name, receiver root or None)."""
        if isinstance(func, cst.Name):
            return func.value, None
        if isinstance(func, cst.Attribute):
            root = func.value
            while isinstance(root, (cst.Attribute, cst.Call, cst.Subscript)):
                root = root.func if isinstance(root, cst.Call) else root.value
            if not isinstance(root, cst.Name):
                return func.attr.value, "?"
            if self._is_module(root):
                return func.attr.value, None
            return func.attr.value, root.value
        return "", "?"

    def _is_module(self, name: cst.Name) -> bool:
        """Is ``name`` an imported module (``import aiofiles``)? A module
        namespace holds no per-call state."""
        if not any(imp.name is None for imp in self.ctx.imported_as(name.value)):
            return False  # no `import <name>` anywhere in the file: no scope lookup needed
        assignments = self.ctx.assignments(name) or []
        for a in assignments:
            node = getattr(a, "node", None)
            if isinstance(node, cst.Import):
                return True
            if isinstance(node, cst.ImportFrom):
                return False  # `from x import client`: could be anything
        return False

    # ------------------------------------------------------------- grouping
    def _report_groups(self, run):
        group = []
        for info in run:
            if ORDERING_STEP.match(info["name"] or "") or info["stateful"]:
                self._maybe_report(group)
                group = []
                continue
            if group and self._depends(info, group):
                self._maybe_report(group)
                group = []
            group.append(info)
        self._maybe_report(group)

    @staticmethod
    def _depends(info, earlier) -> bool:
        for prev in earlier:
            if info["reads"] & prev["bound"] or info["bound"] & prev["bound"]:
                return True
            if "?" in (info["receiver"], prev["receiver"]):
                return True
            if info["receiver"] is not None and info["receiver"] == prev["receiver"]:
                return True
            if prev["receiver"] is not None and prev["receiver"] in info["reads"]:
                return True
            # the later call is made on an object the earlier call was given
            if info["receiver"] is not None and info["receiver"] in prev["reads"]:
                return True
        return False

    def _maybe_report(self, group):
        if len(group) < 2:
            return
        ctx = self.ctx
        labels = [f"`{ctx.label(i['call']) or ctx.label(i['call'].func) + '(...)'}`"
                  if ctx.label(i["call"]) or ctx.label(i["call"].func) else "a call" for i in group]
        listed = ", ".join(labels[:-1]) + " and " + labels[-1]
        targets = ", ".join(ctx.code(i["target"]) for i in group)
        self.report(
            group[0]["stmt"],
            f"{listed} are awaited one after another, but none uses another's result: each coroutine starts "
            f"only when the previous one has finished, so their latencies add up. Run them together: "
            f"`{targets} = await asyncio.gather(...)`.",
            fix=self._fix(group),
        )

    def _fix(self, group):
        ctx = self.ctx
        if any(i["annotated"] or i["nested_await"] or not isinstance(i["target"], cst.Name) for i in group):
            return None
        if not self._asyncio_imported():
            return None
        for info in group:
            stmt = info["stmt"]
            if stmt.trailing_whitespace.comment is not None:
                return None
        for info in group[1:]:
            if any(line.comment is not None for line in info["stmt"].leading_lines) or info["stmt"].leading_lines:
                return None
        first, last = group[0]["stmt"], group[-1]["stmt"]
        line, col = ctx.position(first.body[0])[:2]
        end_line, end_col = ctx.position(last.body[0])[2:]
        indent = " " * (col - 1)
        targets = ", ".join(ctx.code(i["target"]) for i in group)
        calls = "".join(f"{indent}    {ctx.code(i['call'])},\n" for i in group)
        text = f"{targets} = await asyncio.gather(\n{calls}{indent})"
        return Fix("Run the calls together with `asyncio.gather`", (Edit(line, col, end_line, end_col, text),),
                   FixSafety.UNSAFE)

    def _asyncio_imported(self) -> bool:
        for stmt in self.ctx.module.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Import) and any(
                        isinstance(a.name, cst.Name) and a.name.value == "asyncio" and a.asname is None
                        for a in small.names
                    ):
                        return True
        return False
