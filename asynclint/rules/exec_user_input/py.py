"""exec-user-input for Python.

A shell runs a command string that is not a constant:
``subprocess.run/call/Popen/check_output/check_call(cmd, shell=True)``,
``subprocess.getoutput/getstatusoutput``, ``os.system``, ``os.popen`` and
``asyncio.create_subprocess_shell`` (names resolved through imports, so
``import subprocess as sp`` and ``from os import system`` are caught).

A command is accepted when it is built only from constants: string and
number literals, f-strings / ``+`` / ``%`` / ``.format()`` / ``str.join`` of
constants, local names whose every assignment is such a value (a ``for``
over a tuple of literals included), and values wrapped in ``shlex.quote()``
or ``shlex.join()``. A list of arguments without ``shell=True`` never goes
through a shell and is not looked at. ``shell=`` set to anything but the
literal ``True`` is not flagged (its value is unknown).

The message names what the command was built from when it is evident: a
parameter of the enclosing function, ``request.*``, ``sys.argv``,
``os.environ`` / ``os.getenv``, ``input()``.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ...python.context import dotted, keyword_arg, last_name, positional_args, walk
from ...python.rule import PyRule
from . import META

ALWAYS_SHELL = frozenset(
    {"os.system", "os.popen", "asyncio.create_subprocess_shell", "subprocess.getoutput",
     "subprocess.getstatusoutput"}
)
SHELL_WHEN_ASKED = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.Popen", "subprocess.check_output", "subprocess.check_call"}
)
SHELL_LAST_NAMES = frozenset(q.rsplit(".", 1)[1] for q in ALWAYS_SHELL | SHELL_WHEN_ASKED)
SHELL_FUNCTIONS = ALWAYS_SHELL | SHELL_WHEN_ASKED
QUOTERS = frozenset({"shlex.quote", "shlex.join", "pipes.quote"})
NUMBER_MAKERS = frozenset({"builtins.int", "builtins.float", "builtins.len"})
TAINT_NAMES = {
    "sys.argv": "`sys.argv` (command-line input)",
    "os.environ": "`os.environ` (the environment)",
    "os.getenv": "`os.getenv()` (the environment)",
    "os.environ.get": "`os.environ` (the environment)",
    "builtins.input": "`input()`",
}
REQUEST_NAMES = frozenset({"request", "req"})
MAX_DEPTH = 6


class Check(PyRule):
    meta = META
    # the shell function's name (or its module's) is written somewhere
    TRIGGER = re.compile(r"(?:subprocess|system|popen|getoutput|getstatusoutput)")

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        if last_name(func) not in SHELL_LAST_NAMES and not (
                isinstance(func, cst.Name) and any(i.aliased for i in self.ctx.imported_as(func.value))):
            return  # cannot be one of ours: no scope analysis needed
        if not any(q in SHELL_FUNCTIONS for q, level in self.ctx.textual_import_targets(func) if not level):
            return  # not imported from subprocess/os/asyncio: same
        names = self.ctx.qualnames(func)
        if not names:
            return
        always = names & ALWAYS_SHELL
        asked = names & SHELL_WHEN_ASKED
        if not always and not asked:
            return
        qn = next(iter(always or asked))
        args = positional_args(node)
        command = args[0] if args else keyword_arg(node, "args" if asked else "cmd")
        if command is None and asked:
            return
        if command is None:
            command = keyword_arg(node, "command")
        if command is None:
            return
        if asked:
            shell = keyword_arg(node, "shell")
            if not (isinstance(shell, cst.Name) and shell.value == "True"):
                return
            if isinstance(command, (cst.List, cst.Tuple)):
                if not command.elements:
                    return
                command = command.elements[0].value  # with shell=True the first item is the script
        if self.is_constant(command, 0):
            return
        call_label = f"{qn}(..., shell=True)" if asked else f"{qn}()"
        source = self.taint(command)
        if source:
            head = f"`{call_label}` runs a shell command built from {source}"
        else:
            head = (f"`{call_label}` runs a shell command that is not a constant "
                    f"(`{self._short(command)}`)")
        self.report(
            node,
            f"{head}: a quote, `;` or `$(...)` in it runs whatever follows (shell injection). Pass a list of "
            "arguments without a shell (`subprocess.run([...])`, `asyncio.create_subprocess_exec(...)`), "
            "or quote every outside value with `shlex.quote()`.",
        )

    # ------------------------------------------------------------ constants
    def is_constant(self, expr, depth: int) -> bool:
        if depth > MAX_DEPTH:
            return False
        ctx = self.ctx
        if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float)):
            return True
        if isinstance(expr, cst.ConcatenatedString):
            return self.is_constant(expr.left, depth + 1) and self.is_constant(expr.right, depth + 1)
        if isinstance(expr, cst.FormattedString):
            return all(self.is_constant(part.expression, depth + 1)
                       for part in expr.parts if isinstance(part, cst.FormattedStringExpression))
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Add, cst.Modulo)):
            return self.is_constant(expr.left, depth + 1) and self.is_constant(expr.right, depth + 1)
        if isinstance(expr, (cst.Tuple, cst.List)):
            return all(not isinstance(el, cst.StarredElement) and self.is_constant(el.value, depth + 1)
                       for el in expr.elements)
        if isinstance(expr, (cst.GeneratorExp, cst.ListComp)):
            return self.is_constant(expr.elt, depth + 1)
        if isinstance(expr, cst.Call):
            names = ctx.qualnames(expr.func) if isinstance(expr.func, (cst.Name, cst.Attribute)) else frozenset()
            if names & QUOTERS or names & NUMBER_MAKERS:
                return True
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in ("format", "join") and \
                    self.is_constant(func.value, depth + 1):
                return all(self.is_constant(arg.value, depth + 1) for arg in expr.args)
            return False
        if isinstance(expr, cst.Name):
            return self._name_constant(expr, depth)
        return False

    def _name_constant(self, name: cst.Name, depth: int) -> bool:
        ctx = self.ctx
        assigns = ctx.assignments(name)
        if not assigns:
            return False
        for a in assigns:
            if not isinstance(a.node, cst.Name):
                return False
            parent = ctx.parent(a.node)
            if isinstance(parent, cst.AssignTarget):
                stmt = ctx.parent(parent)
                value = stmt.value if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1 else None
            elif isinstance(parent, (cst.AnnAssign, cst.AugAssign)) and parent.target is a.node:
                value = parent.value
            elif isinstance(parent, (cst.For, cst.CompFor)) and parent.target is a.node:
                value = parent.iter
            else:
                value = None
            if value is None or not self.is_constant(value, depth + 1):
                return False
        return True

    # ------------------------------------------------------------ messages
    def taint(self, expr, depth: int = 0) -> Optional[str]:
        """Where the command's outside part evidently comes from, if anywhere:
        the request, sys.argv, the environment, input(), a parameter, or a
        local variable assigned from one of those."""
        found = _names(expr)
        ctx = self.ctx
        for node in found:
            for qn in ctx.qualnames(node):
                for key, label in TAINT_NAMES.items():
                    if qn == key or qn.startswith(key + "."):
                        return label
        for node in found:
            chain = dotted(node) or ""
            if chain.split(".")[0] in REQUEST_NAMES and "." in chain:
                return f"the request (`{chain}`)"
        names = [n for n in found if isinstance(n, cst.Name) and n.value not in ("self", "cls")]
        for node in names:
            assigns = ctx.assignments(node) or []
            if any(isinstance(a.node, cst.Param) for a in assigns):
                fn = ctx.enclosing_function(assigns[0].node)
                owner = f" of `{fn.name.value}()`" if isinstance(fn, cst.FunctionDef) else ""
                return f"`{node.value}`, a parameter{owner}"
        if depth >= 3:
            return None
        for node in names:
            for a in ctx.assignments(node) or []:
                value = self._assigned_value(a)
                if value is not None:
                    origin = self.taint(value, depth + 1)
                    if origin:
                        return f"`{node.value}`, which comes from {origin}"
        return None

    def _assigned_value(self, a):
        ctx = self.ctx
        if not isinstance(a.node, cst.Name):
            return None
        parent = ctx.parent(a.node)
        if isinstance(parent, cst.AssignTarget):
            stmt = ctx.parent(parent)
            return stmt.value if isinstance(stmt, cst.Assign) else None
        if isinstance(parent, (cst.AnnAssign, cst.AugAssign)) and parent.target is a.node:
            return parent.value
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is a.node:
            return parent.iter
        return None

    def _short(self, expr) -> str:
        text = " ".join(self.ctx.code(expr).split())
        return text if len(text) <= 50 else text[:47] + "..."


def _names(expr) -> list:
    """Names and attribute chains in an expression, outermost first
    (lambdas are not looked into)."""
    return [n for n in walk(expr, (cst.Lambda,)) if isinstance(n, (cst.Name, cst.Attribute))]
