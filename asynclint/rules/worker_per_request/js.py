"""worker-per-request for JavaScript/TypeScript.

``new Worker(file)`` from ``worker_threads`` starts an OS thread with its own
V8 isolate, event loop and heap: tens of milliseconds and several megabytes
before it runs a line. Reported when that happens in code that serves
requests (a route handler, middleware, a server or socket callback, or a
same-file helper such code calls), so every request pays for a thread and a
burst of requests starts as many threads as there are requests. The Worker
must resolve to ``worker_threads`` (import, require, destructuring or
namespace): a browser ``Worker`` is not reported. A worker that is kept for
reuse (pushed into a collection or stored on ``this``/a module-level
variable) is the start of a pool and is not reported.
"""

from __future__ import annotations

from ..base import JsRule
from . import META

POOL_METHODS = frozenset({"push", "unshift", "set", "add"})


class Check(JsRule):
    meta = META
    new_suffix = "Worker"

    def on_new(self, new, constructor):
        if constructor.type in ("identifier", "member_expression"):
            self.on_match({"wpr_new": [new], "wpr_ctor": [constructor]})

    def on_match(self, caps):
        ctx = self.ctx
        ctor = caps["wpr_ctor"][0]
        if not ctx.text(ctor).endswith("Worker"):
            return
        ref = ctx.resolve(ctor)
        if ref is None or ref.project or ref.qualname != "worker_threads.Worker":
            return
        node = caps["wpr_new"][0]
        why = ctx.serving_context(node)
        if why is None or self._kept_for_reuse(node):
            return
        self.report(
            node,
            f"`new Worker()` inside {why} starts a new thread (its own V8 isolate, heap and event loop: "
            "tens of milliseconds and megabytes) for every request, and as many threads as there are requests "
            "at once. Start a fixed pool at boot and hand it tasks (piscina, workerpool, or your own queue).",
        )

    def _kept_for_reuse(self, node) -> bool:
        """``pool.push(new Worker(f))``, ``this.worker = new Worker(f)``,
        ``workers.set(id, w)``: a worker kept beyond this request."""
        ctx = self.ctx
        parent = node.parent
        while parent is not None and parent.type in ("parenthesized_expression", "as_expression"):
            node, parent = parent, parent.parent
        if parent is None:
            return False
        if parent.type == "arguments":
            call = parent.parent
            return call is not None and ctx.callee_name(call) in POOL_METHODS
        if parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            if left is None:
                return False
            if left.type in ("member_expression", "subscript_expression"):
                return True
            if left.type == "identifier":
                return ctx.enclosing_function(parent) is not None and self._declared_outside(left, parent)
            return False
        if parent.type == "variable_declarator":
            name = parent.child_by_field_name("name")
            if name is None or name.type != "identifier":
                return False
            fn = ctx.enclosing_function(parent)
            if fn is None:
                return True
            local = ctx.text(name)
            for ref in ctx.references(local, fn, after_byte=parent.end_byte):
                p = ref.parent
                if p is not None and p.type == "arguments":
                    call = p.parent
                    if call is not None and ctx.callee_name(call) in POOL_METHODS:
                        return True
                if p is not None and p.type == "assignment_expression" and p.child_by_field_name("right") == ref:
                    left = p.child_by_field_name("left")
                    if left is not None and left.type in ("member_expression", "subscript_expression"):
                        return True
        return False

    def _declared_outside(self, ident, site) -> bool:
        """``worker = new Worker()`` assigning a variable of an outer scope
        (a lazily created singleton)."""
        ctx = self.ctx
        fn = ctx.enclosing_function(site)
        name = ctx.text(ident)
        import re

        body = fn.child_by_field_name("body") if fn is not None else None
        if body is None:
            return False
        declared_inside = re.search(r"\b(?:const|let|var)\s+" + re.escape(name) + r"\b", ctx.text(body))
        return declared_inside is None and name not in ctx.param_names(fn)
