"""async-promise-executor for JavaScript/TypeScript.

``new Promise(async (resolve, reject) => { ... })``: the Promise constructor
ignores what its executor returns, so when an async executor throws (or an
``await`` in it rejects) the rejection lands on the executor's own promise,
which nobody holds; the outer promise never settles. An executor given by
name is reported too when the name is an async function of this file.

Not reported: an executor whose whole body is ``try { ... } catch (e) {
reject(e) }``, which already turns every error into a rejection.

Fix (unsafe): when the executor has no ``await`` of its own, dropping
``async`` keeps the success path identical and makes a throw reject the
outer promise, as intended. With awaits there is no mechanical fix (the
work belongs outside the constructor), so none is offered; nor for a
TypeScript executor with a return type (``async (r): Promise<void> =>``),
whose annotation would no longer hold.
"""

from __future__ import annotations

from ...findings import Edit, Fix, FixSafety
from ...javascript.context import first_argument
from ..base import JsRule
from . import META

FUNCTION_TYPES = frozenset({
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "function", "class_declaration", "class",
})
EXECUTOR_TYPES = ("arrow_function", "function_expression", "function")


def _own_awaits(fn):
    """``await`` nodes (and ``for await`` loops) in ``fn``'s body, not in nested functions."""
    body = fn.child_by_field_name("body")
    if body is None:
        return
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "await_expression":
            yield node
        elif node.type == "for_in_statement" and any(c.type == "await" for c in node.children):
            yield node
        for child in node.children:
            if child.type not in FUNCTION_TYPES:
                stack.append(child)


class Check(JsRule):
    meta = META
    new_names = frozenset({"Promise"})

    def on_new(self, new, constructor):
        first = first_argument(new)
        if first is not None and first.type in ("arrow_function", "function_expression", "identifier"):
            self.on_match({"apx_new": [new], "apx_executor": [first], "apx_ctor": [constructor]})

    def on_match(self, caps):
        ctx = self.ctx
        executor = caps["apx_executor"][0]
        new = caps["apx_new"][0]
        if executor.type == "identifier":
            name = ctx.text(executor)
            if name not in ctx.promise_names or name in ctx.promisified:
                return
            self.report(
                new,
                f"`{name}` is an async function used as a Promise executor: if it throws or an `await` in it "
                "rejects, the rejection goes to a promise nobody holds and this `new Promise` never settles. "
                "Make the executor a plain function, or drop `new Promise` and call the async function.",
            )
            return
        if not ctx.is_async(executor) or self._guarded(executor):
            return
        awaits = next(_own_awaits(executor), None)
        if awaits is None:
            advice = "It awaits nothing: drop `async`."
            fix = self._drop_async_fix(executor)
        else:
            advice = ("Do the awaited work in an async function and return its promise, without `new Promise`; "
                      "keep `new Promise` only to wrap a callback API, with a plain executor.")
            fix = None
        self.report(
            executor,
            "Async Promise executor: the Promise constructor ignores the executor's promise, so a throw or a "
            "rejected `await` inside it is never turned into a rejection of this promise — it becomes an "
            f"unhandled rejection and this promise never settles. {advice}",
            fix=fix,
        )

    def _guarded(self, executor) -> bool:
        """The whole body is one ``try { ... } catch (e) { reject(e) }``:
        every error already reaches ``reject``, the pitfall is defused."""
        ctx = self.ctx
        names = ctx.param_names(executor)
        body = executor.child_by_field_name("body")
        if len(names) < 2 or not names[1] or body is None or body.type != "statement_block":
            return False
        stmts = [c for c in body.named_children if c.type != "comment"]
        if len(stmts) != 1 or stmts[0].type != "try_statement":
            return False
        handler = stmts[0].child_by_field_name("handler")
        return handler is not None and bool(ctx.references(names[1], handler))

    def _drop_async_fix(self, executor):
        ctx = self.ctx
        if executor.child_by_field_name("return_type") is not None:
            # `async (...): Promise<void> =>`: without `async` the annotation
            # no longer type-checks, and rewriting types is not mechanical.
            return None
        kw = next((c for c in executor.children if c.type == "async"), None)
        after = kw.next_sibling if kw is not None else None
        if kw is None or after is None:
            return None
        # Remove `async` and the whitespace up to the next token.
        line, col = ctx.position(kw)[:2]
        end_line, end_col = ctx.position(after)[:2]
        return Fix("Drop `async` from the executor", (Edit(line, col, end_line, end_col, ""),), FixSafety.UNSAFE)
