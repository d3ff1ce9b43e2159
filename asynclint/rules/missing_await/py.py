"""missing-await for Python.

Without types, a call "returns a coroutine" only when we know it: the callee
is an ``async def`` of this module (or a method of this class called through
``self``/``cls``), an ``async def`` of another project module (a conditional
finding the project index confirms), a well-known asyncio coroutine function
(``asyncio.sleep``, ``wait_for``, ``gather`` ...), or a coroutine method of a
receiver whose type is evident (``async with aiohttp.ClientSession() as s``,
``client = httpx.AsyncClient()``, ``queue = asyncio.Queue()``, a parameter
annotated with one of those). ``async def`` functions that ``yield`` (async
generators) or carry a decorator that could change what a call returns are
left alone.

Reported: the call as a bare statement; its value used as if it were the
result (an attribute, an index, a condition, arithmetic, an f-string, a
comparison, ``len()``/``str()``/``json.dumps()`` ...); stored in a local
variable that is then only used as a value or never used. Not reported:
``await``, ``return``, ``yield``, passing it on (``asyncio.create_task(c())``,
``asyncio.gather(a(), b())``, ``asyncio.run(main())``, appending it to a list),
``async with session.get(...)``.

In Python a bare coroutine call is a dead call wherever it is, so it is
reported in synchronous functions too (without a fix: ``await`` is only
legal in ``async def``).
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from ...findings import Fix, FixSafety
from ...python.context import root_name
from ...python.rule import PyRule
from . import META

NOT_RUN = ("its body never runs (Python only builds a coroutine object, then warns "
           "\"coroutine ... was never awaited\" when it is thrown away)")
KNOWN_COROUTINES = {
    "asyncio.sleep": NOT_RUN,
    "asyncio.wait_for": NOT_RUN,
    "asyncio.wait": NOT_RUN,
    "asyncio.open_connection": NOT_RUN,
    "asyncio.open_unix_connection": NOT_RUN,
    "asyncio.start_server": NOT_RUN,
    "asyncio.start_unix_server": NOT_RUN,
    "asyncio.create_subprocess_exec": NOT_RUN,
    "asyncio.create_subprocess_shell": NOT_RUN,
    "asyncio.to_thread": NOT_RUN,
    "asyncio.gather": ("its arguments are scheduled, but nothing waits for them, collects their results "
                       "or sees their exceptions"),
}
_HTTP = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_AIOHTTP = _HTTP | {"ws_connect", "close"}
_HTTPX = _HTTP | {"send", "aclose"}
_QUEUE = frozenset({"get", "put", "join"})
RECEIVER_COROUTINES = {
    "aiohttp.ClientSession": _AIOHTTP,
    "aiohttp.client.ClientSession": _AIOHTTP,
    "httpx.AsyncClient": _HTTPX,
    "asyncio.Queue": _QUEUE,
    "asyncio.LifoQueue": _QUEUE,
    "asyncio.PriorityQueue": _QUEUE,
    "asyncio.Lock": frozenset({"acquire"}),
    "asyncio.Semaphore": frozenset({"acquire"}),
    "asyncio.BoundedSemaphore": frozenset({"acquire"}),
    "asyncio.Event": frozenset({"wait"}),
    "asyncio.Condition": frozenset({"acquire", "wait", "wait_for"}),
}
# Attributes that belong to the coroutine object itself: reading them is fine.
COROUTINE_ATTRS = frozenset({"send", "throw", "close", "cr_await", "cr_frame", "cr_running", "cr_code",
                             "cr_origin", "cr_suspended"})
# Functions that take a value and certainly do not expect an awaitable.
VALUE_CONSUMERS = frozenset(
    {"builtins.len", "builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.list",
     "builtins.tuple", "builtins.dict", "builtins.set", "builtins.sorted", "builtins.repr", "builtins.print",
     "builtins.sum", "builtins.min", "builtins.max", "json.dumps", "json.loads"}
)
TRUTHY = "a coroutine object is always truthy, so this test never depends on its result"


RECEIVER_METHODS = frozenset().union(*RECEIVER_COROUTINES.values())
RECEIVER_LIBRARIES = frozenset(kind.split(".")[0] for kind in RECEIVER_COROUTINES)
RECEIVER_CLASSES = frozenset(kind.split(".")[-1] for kind in RECEIVER_COROUTINES)


class Check(PyRule):
    meta = META
    # a known coroutine comes from an ``async def`` here or from an import
    TRIGGER = re.compile(r"\b(?:async|import)\b")

    def __init__(self, ctx):
        super().__init__(ctx)
        self._receiver_libs = None

    # ------------------------------------------------------------ hooks
    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if not isinstance(call, cst.Call):
            return
        known = self.known_coroutine(call)
        if known is None:
            return
        label, why, effect, condition = known
        fn = self.ctx.enclosing_function(call)
        if self.ctx.async_def_of(call) is not None:
            advice = ("Add `await`; to run it in the background instead, wrap it in `asyncio.create_task(...)` "
                      "and keep a reference to the task.")
        elif fn is None:
            advice = "At the top of a script, run it with `asyncio.run(...)`."
        else:
            advice = ("`await` it from an `async def` (or return it to a caller that does); "
                      "synchronous code can run it with `asyncio.run(...)`.")
        self.report(
            call,
            f"`{label}` returns a coroutine ({why}) that is never awaited: {effect}. {advice}",
            fix=self._await_fix(call, wrap=False),
            condition=condition,
        )

    def visit_Call(self, node: cst.Call) -> None:
        if not self._may_be_coroutine(node.func):
            return
        how = self.value_use(node)
        if how is None:
            return
        known = self.known_coroutine(node)
        if known is None:
            return
        label, why, _effect, condition = known
        self.report(
            node,
            f"`{label}` returns a coroutine ({why}) but is used here as if it were its result: {how}. "
            "Await it first.",
            fix=self._await_fix(node, wrap=self._needs_parens(node)),
            condition=condition,
        )

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.value, cst.Call):
            return
        target = node.targets[0].target
        if not isinstance(target, cst.Name):
            return
        fn = self.ctx.enclosing_function(node)
        if not isinstance(fn, cst.FunctionDef):
            return  # module and class variables may be used anywhere
        call = node.value
        known = self.known_coroutine(call)
        if known is None:
            return
        label, why, _effect, condition = known
        refs = self.ctx.references(target)
        if refs is None:
            return  # used by a nested function or comprehension: too far to follow
        bad = None
        for ref in refs:
            how = self.value_use(ref)
            if how is None:
                return  # awaited, returned, passed on ...
            bad = bad or (ref, how)
        if not refs:
            self.report(
                call,
                f"`{label}` returns a coroutine ({why}); it is stored in `{target.value}` but never awaited, "
                "returned or passed on, so its body never runs. Await the call.",
                fix=self._await_fix(call, wrap=False),
                condition=condition,
            )
        elif bad is not None:
            ref, how = bad
            line = self.ctx.position(ref)[0]
            self.report(
                call,
                f"`{label}` returns a coroutine ({why}); `{target.value}` holds the coroutine object, not its "
                f"result, and line {line} uses it as a value ({how}). Await the call.",
                fix=self._await_fix(call, wrap=False),
                condition=condition,
            )

    # ------------------------------------------------------------ helpers
    def value_use(self, node) -> Optional[str]:
        """How the expression's value is used as a plain value, or None when
        it is awaited, returned, passed on, stored, or dropped."""
        ctx = self.ctx
        parent = ctx.parent(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            attr = parent.attr.value
            if attr in COROUTINE_ATTRS or attr.startswith("__"):
                return None
            return f"`.{attr}` reads an attribute of the coroutine object, not of its result"
        if isinstance(parent, cst.Subscript) and parent.value is node:
            return "indexing a coroutine object raises TypeError"
        if isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert)) and parent.test is node:
            return TRUTHY
        if isinstance(parent, cst.UnaryOperation):
            if isinstance(parent.operator, cst.Not):
                return "`not` of a coroutine object is always False"
            return "arithmetic on a coroutine object raises TypeError"
        if isinstance(parent, cst.BooleanOperation):
            if parent.left is node or self._is_tested(parent):
                return TRUTHY
            return None
        if isinstance(parent, cst.ComparisonTarget):
            comparison = ctx.parent(parent)
            if isinstance(parent.operator, (cst.Is, cst.IsNot)):
                return None
            if isinstance(comparison, cst.Comparison):
                return "the comparison sees the coroutine object, not its result"
            return None
        if isinstance(parent, cst.Comparison) and parent.left is node:
            if any(isinstance(t.operator, (cst.Is, cst.IsNot)) for t in parent.comparisons[:1]):
                return None
            return "the comparison sees the coroutine object, not its result"
        if isinstance(parent, cst.BinaryOperation):
            return "arithmetic on a coroutine object raises TypeError"
        if isinstance(parent, cst.FormattedStringExpression) and parent.expression is node:
            return "it formats as `<coroutine object ...>`"
        if isinstance(parent, cst.For) and parent.iter is node and parent.asynchronous is None:
            return "iterating a coroutine object raises TypeError"
        if isinstance(parent, cst.Arg) and parent.keyword is None and not parent.star:
            consumer = ctx.parent(parent)
            if isinstance(consumer, cst.Call):
                names = ctx.qualnames(consumer.func) & VALUE_CONSUMERS
                if names:
                    short = next(iter(names)).removeprefix("builtins.")
                    return f"`{short}()` receives the coroutine object, not its result"
        return None

    def _is_tested(self, node) -> bool:
        cur = node
        for _ in range(32):
            parent = self.ctx.parent(cur)
            if isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert)) and parent.test is cur:
                return True
            if isinstance(parent, cst.UnaryOperation) and isinstance(parent.operator, cst.Not):
                return True
            if isinstance(parent, cst.BooleanOperation):
                cur = parent
                continue
            return False
        return False

    def _needs_parens(self, call) -> bool:
        parent = self.ctx.parent(call)
        return (isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is call) or \
               (isinstance(parent, cst.Call) and parent.func is call)

    def _await_fix(self, call, wrap: bool) -> Optional[Fix]:
        fn = self.ctx.async_def_of(call)
        if fn is None:
            return None
        for anc in self.ctx.ancestors(call):
            if anc is fn:
                break
            if isinstance(anc, cst.GeneratorExp):
                return None  # `await` would turn it into an async generator expression
        if wrap:
            edit = self.ctx.edit_replace(call, f"(await {self.ctx.code(call)})")
        else:
            edit = self.ctx.edit_insert_before(call, "await ")
        return Fix("Add `await`", (edit,), FixSafety.UNSAFE)

    def _may_be_coroutine(self, func) -> bool:
        """A cheap, textual first look: could this callee be one we know?
        Saves the scope analysis for the (many) calls that cannot."""
        ctx = self.ctx
        facts = ctx.facts()
        if isinstance(func, cst.Name):
            if func.value in facts.async_def_names:
                return True
        elif isinstance(func, cst.Attribute):
            attr = func.attr.value
            if attr in facts.async_def_names:
                return True
            if attr in RECEIVER_METHODS and self._imports_receiver_libraries() and ctx.mentions(RECEIVER_CLASSES):
                return True
        else:
            return False
        root = root_name(func)
        if root is None or root not in facts.imports:
            return False
        if any(q in KNOWN_COROUTINES for q, level in ctx.textual_import_targets(func) if not level):
            return True
        return ctx.may_be_project_coroutine(func)

    def _imports_receiver_libraries(self) -> bool:
        if self._receiver_libs is None:
            facts = self.ctx.facts()
            self._receiver_libs = any(imp.module.split(".")[0] in RECEIVER_LIBRARIES
                                      for imps in facts.imports.values() for imp in imps)
        return self._receiver_libs

    def known_coroutine(self, call: cst.Call):
        """(label, why, effect, condition) when ``call`` is known to return a
        coroutine (or another awaitable that does nothing unless awaited)."""
        ctx = self.ctx
        func = call.func
        if not self._may_be_coroutine(func):
            return None
        for name in ctx.qualnames(func):
            effect = KNOWN_COROUTINES.get(name)
            if effect is not None:
                return f"{name}()", f"{name} is a coroutine function", effect, None
        if isinstance(func, cst.Attribute):
            kind = ctx.receiver_type(func.value)
            methods = RECEIVER_COROUTINES.get(kind or "")
            if methods and func.attr.value in methods:
                short = kind.split(".")[-1]
                receiver = ctx.label(func.value)
                label = f"{receiver}.{func.attr.value}()" if receiver else f"{func.attr.value}()"
                effect = NOT_RUN
                if kind.startswith("aiohttp.") and func.attr.value != "close":
                    effect = "the request is never sent"
                return label, f"a coroutine method of {short}", effect, None
        found = ctx.coroutine_callee(func)
        if found is None:
            return None
        label, why, condition = found
        return label, why, NOT_RUN, condition
