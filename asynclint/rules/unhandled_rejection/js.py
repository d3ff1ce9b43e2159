"""unhandled-rejection for JavaScript/TypeScript.

A statement that ends a promise chain with ``.then(onFulfilled)`` or
``.finally(...)`` and drops the result, when no link of the chain is a
``.catch(...)`` or a two-argument ``.then(ok, fail)``: if anything in the
chain rejects, nobody handles it. Also ``new Promise(...)`` dropped in a
plain (non-async) function when its executor uses ``reject``: inside async
functions and at module level missing-await reports that statement already.

Not reported: chains that are awaited, returned, assigned, passed on or
written after ``void`` (an explicit "I know"); chains with a ``.catch``
anywhere; chains that start from a timer (``sleep(ms)``, ``delay(ms)``,
``setTimeout(ms)`` from timers/promises), ``Promise.resolve(x)`` or
``Promise.allSettled(...)``, which cannot reject before the first callback;
chains on a stored promise (``this.ready.then(f)``, ``p.then(f)``): only a
chain that starts with a call (the operation that can fail) is reported,
since a stored promise may be one that never rejects (a cancel token, a
"ready" latch) or be handled where it is made; Cypress command chains
(``cy.…then(...)``), which are not promises and have no ``.catch``; minified
code (lines over 500 characters); a dropped ``new Promise`` with an async
executor (async-promise-executor reports it); TypeScript type tests
(``*.test-d.ts``, ``*.tst.ts``, ``.ts`` files under ``test/types/``), which
tsd, tstyche or ``tsc --noEmit`` type-check but never run.

Fix (unsafe), inside an async function only and not inside a loop (where
``await`` would serialise iterations that ran together): ``await`` the
chain, so a rejection reaches the caller (and any surrounding ``try``).
"""

from __future__ import annotations

import re

from ...findings import Fix, FixSafety
from ...javascript.context import first_argument
from ..base import JsRule
from . import META

HANDLERS = frozenset({"catch"})
PROMISE_METHODS = frozenset({"then", "catch", "finally"})
NOT_PROMISE_ROOTS = frozenset({"cy", "Cypress", "$", "jQuery"})
# Promises that only wait: a timer cannot fail, so a chain on one has nothing to reject.
# TypeScript files that are only type-checked (tsd, tstyche, vitest's typecheck, `tsc --noEmit`
# over test/types): `app.ready().then(ctx => expectType(ctx))` there is an assertion about a
# type, never a promise that runs.
TYPE_TEST_FILE = re.compile(
    r"(\.(test-d|spec-d|tst)\.[cm]?tsx?$)|((^|/)(tests?|__tests__)/types?/(.+/)?[^/]+\.[cm]?tsx?$)"
)
TIMER_CALLS = re.compile(r"^(sleep|delay|wait|timeout|setTimeout|setImmediate|nextTick|tick|defer|immediate)$")


def _minified_line(ctx, node, limit: int = 500) -> bool:
    """Is ``node`` on a line longer than ``limit`` bytes (minified code)?"""
    src = ctx.source
    start = src.rfind(b"\n", 0, node.start_byte) + 1
    end = src.find(b"\n", node.start_byte)
    end = len(src) if end < 0 else end
    return end - start > limit


class Check(JsRule):
    meta = META
    member_calls = frozenset({"then", "finally"})
    new_names = frozenset({"Promise"})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._type_test = bool(TYPE_TEST_FILE.search(ctx.path.replace("\\", "/")))

    def on_call(self, call, name, member):
        parent = call.parent
        if parent is not None and parent.type == "expression_statement":
            self.on_match({"ur_call": [call]})

    def on_new(self, new, constructor):
        parent = new.parent
        if parent is None or parent.type != "expression_statement":
            return
        first = first_argument(new)
        if first is not None and first.type in ("arrow_function", "function_expression"):
            self.on_match({"ur_new": [new], "ur_executor": [first], "ur_ctor": [constructor]})

    def on_match(self, caps):
        if self._type_test:
            return
        if "ur_call" in caps:
            self._chain(caps["ur_call"][0])
        else:
            self._new_promise(caps["ur_new"][0], caps["ur_executor"][0])

    def _chain(self, call):
        ctx = self.ctx
        if _minified_line(ctx, call):
            return
        node, links = call, []
        while node is not None and node.type == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is None or fn.type != "member_expression":
                break
            prop = fn.child_by_field_name("property")
            name = ctx.text(prop) if prop is not None else ""
            if name not in PROMISE_METHODS:
                break
            args = node.child_by_field_name("arguments")
            nargs = len([a for a in args.named_children if a.type != "comment"]) if args is not None else 0
            links.append((name, nargs))
            node = fn.child_by_field_name("object")
        while node is not None and node.type == "parenthesized_expression" and node.named_children:
            node = node.named_children[0]
        # `node` is now what the chain starts from: `fetch(url)` in `fetch(url).then(f)`.
        if node is None or node.type not in ("call_expression", "new_expression", "await_expression"):
            return  # `p.then(f)` on a stored promise: whether it can reject is decided elsewhere
        if self._timer(node):
            return
        root = node
        while root is not None and root.type in ("call_expression", "member_expression", "await_expression"):
            if root.type == "await_expression":
                root = root.named_children[0] if root.named_children else None
            else:
                root = root.child_by_field_name("function" if root.type == "call_expression" else "object")
        if root is not None and root.type == "identifier" and ctx.text(root) in NOT_PROMISE_ROOTS:
            return
        outer, outer_args = links[0]
        if outer == "then" and outer_args == 0:
            return
        for name, nargs in links:
            if name in HANDLERS or (name == "then" and nargs >= 2):
                return
        fn = ctx.enclosing_function(call)
        fix = None
        if fn is not None and ctx.is_async(fn):
            if not ctx.in_loop(call):
                # In a loop, `await` would run the iterations one after another
                # (fastify's "resolve in order" test starts them all first).
                fix = Fix("Await the chain", (ctx.edit_insert_before(call, "await "),), FixSafety.UNSAFE)
            advice = "Await it (so the caller sees the failure), or end the chain with `.catch(...)`."
        else:
            advice = ("End the chain with `.catch(...)` that handles or logs the error, return it to a caller "
                      "that does, or write `void` before it if a crash on failure is what you want.")
        self.report(
            call,
            f"This promise chain ends in `.{outer}()` and is dropped with no `.catch()`: if any step rejects, "
            "the rejection is unhandled, and since Node 15 an unhandled rejection ends the process. " + advice,
            fix=fix,
        )

    def _timer(self, node) -> bool:
        """``sleep(10)``, ``setTimeout(10)`` from timers/promises, ``Promise.resolve(x)``."""
        ctx = self.ctx
        if node is None or node.type != "call_expression":
            return False
        fn = node.child_by_field_name("function")
        if fn is None:
            return False
        text = ctx.text(fn)
        if text in ("Promise.resolve", "Promise.allSettled"):
            return True
        name = ctx.callee_name(node) or ""
        return bool(TIMER_CALLS.match(name))

    def _new_promise(self, new, executor):
        ctx = self.ctx
        fn = ctx.enclosing_function(new)
        # missing-await owns a dropped `new Promise` in async functions and at module level.
        if (fn is None or ctx.is_async(fn)) and "Promise" not in ctx.bindings:
            return
        if ctx.is_async(executor):
            return  # async-promise-executor reports it, with the reason that matters more
        names = ctx.param_names(executor)
        if len(names) < 2 or not names[1]:
            return
        body = executor.child_by_field_name("body")
        if body is None or not ctx.references(names[1], body):
            return
        self.report(
            new,
            f"A `new Promise` that can reject (its executor calls `{names[1]}`) is created and dropped: nobody "
            "can handle that rejection, and since Node 15 an unhandled rejection ends the process. Return the "
            "promise to the caller, or handle the error in the executor instead of rejecting.",
        )
