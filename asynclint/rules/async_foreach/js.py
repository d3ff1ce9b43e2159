"""async-foreach for JavaScript/TypeScript.

``items.forEach(async (x) => { await save(x); })``: ``forEach`` calls the
callback and throws its promise away, so the caller moves on before any of
the work is done and a rejection in any callback is unhandled. Reported
when the callback is an inline async function, or the name of an async
function of this file.

Not reported: a callback whose every ``await`` is inside ``try { } catch``
(a deliberate fire-and-forget: each callback handles its own failure, and
nothing rejects unhandled); a ``forEach`` whose result is awaited, returned or chained
(that is not ``Array.prototype.forEach``, which returns ``undefined``, but a
promise-returning ``forEach`` such as a Node stream's, which does wait for
async callbacks); ``async.forEach(...)`` and other library functions that
take the array as an argument (they are built for async callbacks).

Fix (unsafe), for a bare statement inside an async function, when the
receiver is evidently an array (a literal, ``Object.keys(...)``, a ``const x
= [...]``, a parameter typed ``T[]``; a Map or Set has no ``map``):
``await Promise.all(items.map(async (x) => ...))`` — the callbacks still run
concurrently, as they did, but now the caller waits for them and sees the
first rejection.
"""

from __future__ import annotations

import re

from ...findings import Edit, Fix, FixSafety
from ...javascript.context import first_argument
from ..base import JsRule
from . import META

FUNCTION_TYPES = frozenset({
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "function", "class_declaration", "class",
})
CONSUMED_PARENTS = frozenset({"await_expression", "return_statement"})
ARRAY_FACTORIES = frozenset({"Object.keys", "Object.values", "Object.entries", "Array.from", "Array.of"})
ARRAY_METHODS = frozenset({"map", "filter", "slice", "concat", "flat", "flatMap", "split", "sort", "toSorted",
                           "reverse", "toReversed", "match"})


def _has_own_await(fn) -> bool:
    body = fn.child_by_field_name("body")
    stack = [body] if body is not None else []
    while stack:
        node = stack.pop()
        if node.type == "await_expression" or (
            node.type == "for_in_statement" and any(c.type == "await" for c in node.children)
        ):
            return True
        stack.extend(c for c in node.children if c.type not in FUNCTION_TYPES)
    return False


class Check(JsRule):
    meta = META
    member_calls = frozenset({"forEach"})

    def on_call(self, call, name, member):
        first = first_argument(call)
        if first is not None and first.type in ("arrow_function", "function_expression", "identifier"):
            self.on_match({"afe_call": [call], "afe_callback": [first], "afe_method": [name]})

    def on_match(self, caps):
        ctx = self.ctx
        call = caps["afe_call"][0]
        callback = caps["afe_callback"][0]
        if callback.type == "identifier":
            name = ctx.text(callback)
            if name not in ctx.promise_names or name in ctx.promisified:
                return
            described = f"`{name}` is an async function"
            awaits = True
        else:
            if not ctx.is_async(callback):
                return
            described = "The callback is async"
            awaits = _has_own_await(callback)
            if awaits and self._all_awaits_caught(callback):
                return  # deliberate fire-and-forget: each callback handles its own failure
        if self._result_used(call):
            return
        consequence = (
            "`forEach` ignores the promise each call returns, so the code after it runs before the callbacks' "
            "awaits finish and a rejection in any of them is unhandled"
            if awaits
            else "`forEach` ignores the promise each call returns, so a throw in the callback becomes an unhandled "
            "rejection instead of an error the caller sees"
        )
        self.report(
            call,
            f"{described}, but `forEach` does not wait for it: {consequence}. Use `for (const x of items) await ...` "
            "to run them one by one, or `await Promise.all(items.map(async ...))` to run them together.",
            fix=self._fix(call),
        )

    def _all_awaits_caught(self, fn) -> bool:
        """Every own ``await`` of ``fn`` sits in a ``try`` block that has a
        ``catch``: nothing can reject out of the callback."""
        body = fn.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            if node.type == "await_expression" or (
                node.type == "for_in_statement" and any(c.type == "await" for c in node.children)
            ):
                if not self._in_try_with_catch(node, fn):
                    return False
            stack.extend(c for c in node.children if c.type not in FUNCTION_TYPES)
        return True

    @staticmethod
    def _in_try_with_catch(node, fn) -> bool:
        cur, child = node.parent, node
        while cur is not None and cur != fn:
            if cur.type == "try_statement" and cur.child_by_field_name("handler") is not None \
                    and child == cur.child_by_field_name("body"):
                return True
            child, cur = cur, cur.parent
        return False

    def _known_array(self, node) -> bool:
        """Is ``node`` evidently an array (so ``.map`` exists and passes the
        same arguments as ``.forEach``)?"""
        ctx = self.ctx
        if node is None:
            return False
        if node.type == "array":
            return True
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            text = ctx.text(fn) if fn is not None else ""
            if text in ARRAY_FACTORIES:
                return True
            if fn is not None and fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                return prop is not None and ctx.text(prop) in ARRAY_METHODS
            return False
        if node.type == "identifier":
            name = re.escape(ctx.text(node))
            src = ctx.source.decode("utf-8", "replace")
            return bool(re.search(rf"\b(?:const|let|var)\s+{name}\s*(?::[^=;]*)?=\s*\[", src)
                        or re.search(rf"\b{name}\??\s*:\s*(?:readonly\s+)?[\w.<>]+\[\]", src)
                        or re.search(rf"\b{name}\??\s*:\s*(?:Readonly)?Array<", src))
        return False

    def _result_used(self, call) -> bool:
        """A forEach whose value is awaited, returned or chained returns a
        promise: it is not Array.prototype.forEach."""
        parent = call.parent
        while parent is not None and parent.type in ("parenthesized_expression",):
            parent = parent.parent
        if parent is None:
            return False
        if parent.type in CONSUMED_PARENTS:
            return True
        if parent.type == "member_expression":
            prop = parent.child_by_field_name("property")
            return prop is not None and self.ctx.text(prop) in ("then", "catch", "finally")
        if parent.type == "arrow_function" and parent.child_by_field_name("body") == call:
            return False  # `x => x.forEach(...)`: the arrow returns undefined either way
        return False

    def _fix(self, call):
        ctx = self.ctx
        stmt = call.parent
        if stmt is None or stmt.type != "expression_statement":
            return None
        fn = ctx.enclosing_function(call)
        if fn is None or not ctx.is_async(fn):
            return None
        member = call.child_by_field_name("function")
        prop = member.child_by_field_name("property")
        if not self._known_array(member.child_by_field_name("object")):
            return None  # a Map or Set has forEach but no map: the rewrite would throw
        _, _, end_line, end_col = ctx.position(call)
        return Fix(
            "Await all the callbacks with `await Promise.all(items.map(...))`",
            (
                ctx.edit_insert_before(call, "await Promise.all("),
                ctx.edit_replace(prop, "map"),
                Edit(end_line, end_col, end_line, end_col, ")"),
            ),
            FixSafety.UNSAFE,
        )
