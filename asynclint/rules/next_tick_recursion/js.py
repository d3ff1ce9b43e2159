"""next-tick-recursion for JavaScript/TypeScript.

Flags ``process.nextTick(f)``, ``queueMicrotask(f)`` and
``Promise.resolve().then(f)`` inside a function F when running ``f`` leads
back to F without ever yielding to the event loop:

- ``f`` *is* F (a function declaration, a named function expression, an
  arrow/function expression assigned to a variable, or ``this.m`` /
  ``this.m.bind(this)`` inside method ``m``);
- ``f`` is an inline function or arrow whose body calls F (or schedules it
  again with one of the same three APIs);
- ``f`` is a same-file function that reaches F through synchronous calls or
  its own nextTick/microtask scheduling (mutual recursion).

Both queues are drained completely before the event loop moves to the next
phase, so such a chain never lets I/O callbacks or timers run.

Design choices (precision first):

- A scheduling call (or a call on the way back to F) that is *guarded* is
  not flagged: it sits inside an ``if``, a ``?:`` branch, the right side of
  ``&&`` / ``||`` / ``??``, or a ``switch`` case within its function, or it
  follows an ``if`` in the same function that can ``return``/``throw``
  (an early-exit guard). Such a loop has a condition that can end it
  (``if (--n > 0) process.nextTick(step)``, draining a queue until it is
  empty); telling a counter from a flag that only I/O could flip is beyond a
  syntactic check, so every guard is trusted.
- In an async function, a scheduling call that comes after an ``await`` is
  not flagged: each round waits for something that may well be I/O.
- Only synchronous paths count: a callback of ``fs.readFile(..., cb)``,
  ``setTimeout``, ``setImmediate``, an event listener, ... breaks the chain
  (recursion through ``setImmediate`` / ``setTimeout`` is the fix). Callbacks
  of array methods (``forEach``, ``map``, ...) and the ``new Promise``
  executor run synchronously and are looked through.
- The fix (unsafe: it changes ordering) replaces ``process.nextTick`` /
  ``queueMicrotask`` with ``setImmediate``; ``Promise.resolve().then(f)`` has
  no mechanical fix.
"""

from __future__ import annotations

from ...findings import Fix, FixSafety
from ..base import JsRule
from ...javascript.parse import cursor as ts_cursor
from . import META

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
        "function",
    }
)
INLINE_FUNCTIONS = frozenset({"arrow_function", "function_expression", "function"})
# Callbacks that run synchronously, before the call that takes them returns.
SYNC_CALLBACK_METHODS = frozenset(
    {
        "forEach", "map", "filter", "some", "every", "reduce", "reduceRight",
        "find", "findIndex", "findLast", "findLastIndex", "flatMap", "sort",
    }
)
LOGICAL_OPERATORS = frozenset({"&&", "||", "??"})
GLOBAL_PREFIXES = ("globalThis.", "global.", "window.", "self.")

QUEUE_WORDS = {
    "process.nextTick": "the nextTick queue",
    "queueMicrotask": "the microtask queue",
    "Promise.resolve().then": "the microtask queue",
}


class Check(JsRule):
    meta = META
    plain_calls = frozenset({"nextTick", "queueMicrotask"})
    member_calls = frozenset({"nextTick", "queueMicrotask", "then"})

    def on_call(self, call, name, member):
        args = call.child_by_field_name("arguments")
        if args is not None and args.type == "arguments":
            self.on_match({"nt_call": [call]})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._edges_cache: dict[int, frozenset] = {}
        self._exits_cache: dict[int, tuple] = {}
        self._methods: dict[str, list] | None = None
        self._seen: set[int] = set()

    # ------------------------------------------------------------ matching
    def on_match(self, caps):
        call = caps["nt_call"][0]
        if call.id in self._seen:
            return
        self._seen.add(call.id)
        sched = self._scheduler(call)
        if sched is None:
            return
        kind, callee, callback = sched
        owner = self._owner(call)
        if owner is None:
            return
        names = self._names_of(owner)
        if not names or not self._unguarded(call, owner):
            return
        how = self._leads_back(callback, names)
        if how is None:
            return
        self._report(call, kind, callee, owner, how)

    # ---------------------------------------------------------- scheduling
    def _scheduler(self, call):
        """``(kind, callee node, callback node)`` for a nextTick / microtask
        scheduling call, else None."""
        ctx = self.ctx
        callee = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if callee is None or args is None:
            return None
        real_args = [a for a in args.named_children if a.type != "comment"]
        if not real_args:
            return None
        callback = real_args[0]
        kind = None
        if ctx.qualname(callee) == "process.nextTick":
            kind = "process.nextTick"
        else:
            text = "".join(ctx.text(callee).split())
            for prefix in GLOBAL_PREFIXES:
                if text.startswith(prefix):
                    text = text[len(prefix):]
                    break
            if text == "process.nextTick" and "process" not in ctx.bindings:
                kind = "process.nextTick"
            elif text == "queueMicrotask" and "queueMicrotask" not in ctx.bindings:
                kind = "queueMicrotask"
            elif callee.type == "member_expression" and self._is_promise_resolve_then(callee):
                kind = "Promise.resolve().then"
        if kind is None:
            return None
        return kind, callee, callback

    def _is_promise_resolve_then(self, callee) -> bool:
        prop = callee.child_by_field_name("property")
        obj = callee.child_by_field_name("object")
        if prop is None or obj is None or self.ctx.text(prop) != "then":
            return False
        if obj.type != "call_expression":
            return False
        fn = obj.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return False
        text = "".join(self.ctx.text(fn).split())
        return text in ("Promise.resolve", "globalThis.Promise.resolve") and "Promise" not in self.ctx.bindings

    # ----------------------------------------------------------- functions
    def _nearest_function(self, node):
        return self.ctx.enclosing_function(node)

    def _sync_callback(self, fn) -> bool:
        """Is ``fn`` a callback that runs before the call taking it returns?"""
        parent = fn.parent
        if parent is None or parent.type != "arguments":
            return False
        call = parent.parent
        if call is None:
            return False
        if call.type == "new_expression":
            ctor = call.child_by_field_name("constructor")
            return ctor is not None and self.ctx.text(ctor) == "Promise" and parent.named_children[:1] == [fn]
        if call.type != "call_expression":
            return False
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            return False
        prop = callee.child_by_field_name("property")
        return prop is not None and self.ctx.text(prop) in SYNC_CALLBACK_METHODS

    def _owner(self, node):
        """The function whose run executes ``node`` synchronously: the nearest
        enclosing function, looking through synchronous callbacks."""
        fn = self._nearest_function(node)
        while fn is not None and self._sync_callback(fn):
            fn = self._nearest_function(fn)
        return fn

    def _names_of(self, fn) -> frozenset:
        """Names by which code refers to ``fn``: ``loop`` or ``this.loop``."""
        names = set()
        if fn.type == "method_definition":
            name = fn.child_by_field_name("name")
            if name is not None:
                names.add(f"this.{self.ctx.text(name)}@{self._class_of(fn)}")
            return frozenset(names)
        name = fn.child_by_field_name("name")
        if name is not None:
            names.add(self.ctx.text(name))
        parent = fn.parent
        while parent is not None and parent.type in ("parenthesized_expression", "as_expression", "satisfies_expression"):
            parent = parent.parent
        if parent is not None and parent.type == "variable_declarator":
            n = parent.child_by_field_name("name")
            if n is not None and n.type == "identifier":
                names.add(self.ctx.text(n))
        return frozenset(names)

    def _methods_named(self, name: str) -> list:
        if self._methods is None:
            self._methods = {}
            from tree_sitter import Query

            from ...javascript import parse as ts_parse

            q = Query(ts_parse.language(self.ctx.dialect), "(method_definition name: (property_identifier) @name) @method")
            for _, caps in ts_cursor(q).matches(self.ctx.root):
                self._methods.setdefault(self.ctx.text(caps["name"][0]), []).append(caps["method"][0])
        return self._methods.get(name, [])

    @staticmethod
    def _class_of(node) -> int:
        """Id of the class body ``node`` is in (what ``this.x`` refers to), 0
        outside classes."""
        cur = node.parent
        while cur is not None:
            if cur.type == "class_body":
                return cur.id
            cur = cur.parent
        return 0

    @staticmethod
    def _display(target: str) -> str:
        return target.partition("@")[0]

    def _functions_for(self, target: str) -> list:
        if target.startswith("this."):
            name, _, cls = target[5:].partition("@")
            return [m for m in self._methods_named(name) if str(self._class_of(m)) == cls]
        return list(self.ctx.functions.get(target, ()))

    # ------------------------------------------------------------- guards
    def _exits(self, fn) -> tuple:
        """(end bytes of ``if`` statements that can return/throw, start bytes
        of awaits) directly in ``fn`` (not in nested functions)."""
        cached = self._exits_cache.get(fn.id)
        if cached is not None:
            return cached
        body = fn.child_by_field_name("body")
        ifs, awaits = [], []
        if body is not None:
            stack = [(body, None)]
            while stack:
                node, in_if = stack.pop()
                t = node.type
                if t in FUNCTION_TYPES:
                    continue
                if t in ("return_statement", "throw_statement") and in_if is not None:
                    ifs.append(in_if.end_byte)
                if t == "await_expression" and self._await_may_yield(node):
                    awaits.append(node.start_byte)
                next_if = node if t == "if_statement" and in_if is None else in_if
                for child in node.children:
                    stack.append((child, next_if))
        result = (tuple(ifs), tuple(awaits))
        self._exits_cache[fn.id] = result
        return result

    def _await_may_yield(self, node) -> bool:
        """Can this ``await`` wait for I/O? Not when it awaits a literal,
        ``Promise.resolve(...)``, or a call of a same-file function that
        itself awaits nothing (it settles on the microtask queue)."""
        expr = node.named_children[0] if node.named_children else None
        while expr is not None and expr.type in ("parenthesized_expression", "as_expression", "non_null_expression"):
            expr = expr.named_children[0] if expr.named_children else None
        if expr is None:
            return False
        if expr.type in ("null", "undefined", "number", "string", "true", "false", "identifier"):
            return expr.type == "identifier" and self.ctx.text(expr) != "undefined"
        if expr.type != "call_expression":
            return True
        callee = expr.child_by_field_name("function")
        if callee is None:
            return True
        if "".join(self.ctx.text(callee).split()) == "Promise.resolve":
            return False
        target = self._target_of(callee)
        fns = self._functions_for(target) if target else []
        if not fns:
            return True
        return any(self._has_own_await(fn) for fn in fns)

    def _has_own_await(self, fn) -> bool:
        body = fn.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            if node.type in FUNCTION_TYPES:
                continue
            if node.type in ("await_expression", "for_in_statement") and (
                node.type == "await_expression" or any(c.type == "await" for c in node.children)
            ):
                return True
            stack.extend(node.children)
        return False

    def _unguarded(self, node, fn) -> bool:
        """Does ``node`` run every time ``fn`` runs (no condition in between,
        no early exit or await before it)?"""
        child, cur = node, node.parent
        while cur is not None and cur != fn:
            t = cur.type
            if t in ("if_statement", "switch_case", "switch_default", "switch_statement"):
                return False
            if t == "ternary_expression" and cur.child_by_field_name("condition") != child:
                return False
            if t == "binary_expression":
                op = cur.child_by_field_name("operator")
                if op is not None and op.type in LOGICAL_OPERATORS and cur.child_by_field_name("right") == child:
                    return False
            if t == "optional_chain" or (t == "call_expression" and any(c.type == "optional_chain" for c in cur.children)):
                return False
            if t in FUNCTION_TYPES:
                # a synchronous callback on the way: its own early exits count too
                if not self._no_exit_before(node, cur):
                    return False
            child, cur = cur, cur.parent
        return self._no_exit_before(node, fn)

    def _no_exit_before(self, node, fn) -> bool:
        ifs, awaits = self._exits(fn)
        start = node.start_byte
        if any(end <= start for end in ifs):
            return False
        if self.ctx.is_async(fn) and any(a < start for a in awaits):
            return False
        return True

    # --------------------------------------------------------- call graph
    def _target_of(self, expr):
        """``loop`` / ``this.loop`` (unwrapping ``.bind(...)``) → target name."""
        while expr is not None and expr.type in ("parenthesized_expression", "as_expression", "non_null_expression"):
            expr = expr.named_children[0] if expr.named_children else None
        if expr is None:
            return None
        if expr.type == "call_expression":  # f.bind(this, ...)
            fn = expr.child_by_field_name("function")
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                if prop is not None and self.ctx.text(prop) == "bind":
                    return self._target_of(fn.child_by_field_name("object"))
            return None
        if expr.type == "identifier":
            return self.ctx.text(expr)
        if expr.type == "member_expression":
            obj = expr.child_by_field_name("object")
            prop = expr.child_by_field_name("property")
            if obj is not None and obj.type == "this" and prop is not None:
                return f"this.{self.ctx.text(prop)}@{self._class_of(expr)}"
        return None

    def _edges(self, fn) -> frozenset:
        """Targets ``fn`` reaches without yielding to the event loop: its
        unguarded synchronous calls and nextTick/microtask schedulings."""
        cached = self._edges_cache.get(fn.id)
        if cached is not None:
            return cached
        self._edges_cache[fn.id] = frozenset()  # cycle guard
        out: set = set()
        body = fn.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            if node.type in FUNCTION_TYPES and not self._sync_callback(node):
                continue
            if node.type == "call_expression" and self._unguarded(node, fn):
                callee = node.child_by_field_name("function")
                target = self._target_of(callee) if callee is not None and callee.type != "call_expression" else None
                if target is not None:
                    out.add(target)
                sched = self._scheduler(node)
                if sched is not None:
                    out |= self._callback_targets(sched[2])
            stack.extend(node.children)
        result = frozenset(out)
        self._edges_cache[fn.id] = result
        return result

    def _callback_targets(self, callback) -> frozenset:
        if callback.type in INLINE_FUNCTIONS:
            return self._edges(callback)
        target = self._target_of(callback)
        return frozenset({target}) if target else frozenset()

    def _reaches(self, starts, goal: frozenset):
        """The first start target from which ``goal`` is reachable, or None."""
        for start in sorted(starts):
            seen = {start}
            work = [start]
            while work:
                target = work.pop()
                if target in goal:
                    return start
                for fn in self._functions_for(target):
                    for nxt in self._edges(fn):
                        if nxt not in seen:
                            seen.add(nxt)
                            work.append(nxt)
        return None

    def _leads_back(self, callback, names: frozenset):
        """How the scheduled ``callback`` gets back to a function named in
        ``names``: ("self"|"inline"|"via", detail), or None."""
        if callback.type in INLINE_FUNCTIONS:
            targets = self._edges(callback)
            if targets & names:
                return ("inline", None)
            via = self._reaches(targets, names)
            return ("via", via) if via is not None else None
        target = self._target_of(callback)
        if target is None:
            return None
        if target in names:
            return ("self", None)
        via = self._reaches({target}, names)
        return ("via", target) if via is not None else None

    # ------------------------------------------------------------- report
    def _report(self, call, kind, callee, owner, how):
        names = sorted(self._names_of(owner), key=lambda n: (n.startswith("this."), n))
        fname = self._display(names[0])
        queue = QUEUE_WORDS[kind]
        api = f"{kind}()" if kind != "Promise.resolve().then" else "Promise.resolve().then()"
        what, detail = how
        if what == "self":
            head = f"`{fname}` reschedules itself with {api}"
        elif what == "inline":
            head = f"`{fname}` reschedules itself with {api} (the callback calls `{fname}` again)"
        else:
            head = f"`{fname}` reschedules itself with {api} through `{self._display(detail)}`, which leads back to `{fname}`"
        message = (
            f"{head}: {queue} is drained completely before the event loop moves on, "
            f"so while this keeps re-queuing, I/O callbacks and timers never run (they starve). "
            f"Use setImmediate() instead, which lets the event loop turn between rounds."
        )
        fix = None
        if kind in ("process.nextTick", "queueMicrotask"):
            fix = Fix(
                f"Replace {kind} with setImmediate",
                (self.ctx.edit_replace(callee, "setImmediate"),),
                FixSafety.UNSAFE,
            )
        self.report(call, message, fix=fix)
