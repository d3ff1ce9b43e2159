"""busy-wait for JavaScript/TypeScript.

A ``while`` / ``do``/``for`` loop whose condition compares a clock reading
(``Date.now()``, ``new Date()``, ``performance.now()``, ``process.hrtime()``,
or a variable the loop body refreshes from one) and whose body neither
awaits nor yields: the thread spins until the time is up, and nothing else
(timers, I/O callbacks, other requests) runs meanwhile.

Not reported: a loop that awaits (``await sleep(10)``) or yields; a loop
that does real work and only uses the clock as a budget ("process the queue
for at most 5 ms") — its body calls something other than a clock, or the
condition also tests something the body changes.
"""

from __future__ import annotations

import re

from ..base import JsRule
from . import META

FUNCTION_TYPES = frozenset({
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "function", "class_declaration", "class",
})
COMPARISONS = frozenset({"<", "<=", ">", ">="})
CLOCK_CALLS = frozenset({"Date.now", "performance.now", "process.hrtime", "process.hrtime.bigint",
                         "perf_hooks.performance.now"})
DATE_METHODS = frozenset({"getTime", "valueOf"})
ARITH = frozenset({"+", "-", "*", "/"})


def _own_nodes(node):
    """``node`` and its descendants, not entering nested functions."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in n.children if c.type not in FUNCTION_TYPES)


class Check(JsRule):
    meta = META
    query = """
(while_statement condition: (_) @bw_cond body: (_) @bw_body) @bw_loop
(do_statement body: (_) @bw_body condition: (_) @bw_cond) @bw_loop
(for_statement condition: (_) @bw_cond body: (_) @bw_body) @bw_loop
"""

    def __init__(self, ctx):
        super().__init__(ctx)
        self._clock_words = None

    def _may_read_clock(self, loop) -> bool:
        """Can the loop's text name a clock at all? Every clock this rule
        knows is written with ``Date``, ``now`` or ``hrtime``, or through a
        name bound to ``perf_hooks`` / ``process``: a loop with none of
        these in its text is passed over without walking its nodes."""
        if self._clock_words is None:
            aliases = [name for name, ref in self.ctx.bindings.items()
                       if ref.module in ("perf_hooks", "process") and not ref.project]
            words = [b"Date", b"now", b"hrtime"] + [re.escape(a.encode()) for a in aliases]
            self._clock_words = re.compile(b"|".join(words))
        return self._clock_words.search(self.ctx.source, loop.start_byte, loop.end_byte) is not None

    def on_match(self, caps):
        loop, cond, body = caps["bw_loop"][0], caps["bw_cond"][0], caps["bw_body"][0]
        if not self._may_read_clock(loop):
            return
        body_nodes = list(_own_nodes(body))
        if any(n.type in ("await_expression", "yield_expression") for n in body_nodes):
            return
        if loop.type == "for_statement":
            body_nodes += list(_own_nodes(loop.child_by_field_name("increment"))) \
                if loop.child_by_field_name("increment") is not None else []
        refreshed = self._clock_assigned(body_nodes)
        clock = self._clock_comparison(cond, refreshed)
        if clock is None:
            return
        if self._does_work(body_nodes, cond, refreshed):
            return
        self.report(
            loop,
            f"Busy wait: this loop spins until `{clock}` passes a limit and never awaits, so the only JavaScript "
            "thread burns CPU doing nothing while every timer, I/O callback and request waits. To pause, "
            "`await setTimeout(ms)` from `timers/promises`; to wait for something, await the event or promise "
            "that signals it.",
        )

    # ----------------------------------------------------------- the clock
    def _is_clock(self, node, refreshed: set) -> bool:
        ctx = self.ctx
        while node is not None and node.type in ("parenthesized_expression", "subscript_expression", "as_expression",
                                                 "non_null_expression", "unary_expression"):
            node = node.named_children[0] if node.named_children else None
        if node is None:
            return False
        t = node.type
        if t == "identifier":
            return ctx.text(node) in refreshed
        if t == "new_expression":
            ctor = node.child_by_field_name("constructor")
            return ctor is not None and ctx.text(ctor) == "Date"
        if t == "call_expression":
            fn = node.child_by_field_name("function")
            if fn is None:
                return False
            name = ctx.text(fn)
            if name in CLOCK_CALLS or (ctx.qualname(fn) or "") in CLOCK_CALLS:
                return True
            if name in ("Number", "BigInt"):  # Number(new Date())
                args = node.child_by_field_name("arguments")
                return bool(args and args.named_children and self._is_clock(args.named_children[0], refreshed))
            if fn.type == "member_expression":
                prop = fn.child_by_field_name("property")
                if prop is not None and ctx.text(prop) in DATE_METHODS:
                    return self._is_clock(fn.child_by_field_name("object"), refreshed)
            return False
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and ctx.text(op) in ARITH:
                return self._is_clock(node.child_by_field_name("left"), refreshed) or \
                    self._is_clock(node.child_by_field_name("right"), refreshed)
        return False

    def _clock_comparison(self, cond, refreshed: set):
        for n in _own_nodes(cond):
            if n.type != "binary_expression":
                continue
            op = n.child_by_field_name("operator")
            if op is None or self.ctx.text(op) not in COMPARISONS:
                continue
            for side in (n.child_by_field_name("left"), n.child_by_field_name("right")):
                if side is not None and self._is_clock(side, refreshed):
                    text = self.ctx.text(side)
                    return text if len(text) <= 40 else "the clock"
        return None

    def _clock_assigned(self, body_nodes) -> set:
        """Variables the loop body sets from a clock: ``now = Date.now()``."""
        out = set()
        for n in body_nodes:
            if n.type == "assignment_expression":
                left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            elif n.type == "variable_declarator":
                left, right = n.child_by_field_name("name"), n.child_by_field_name("value")
            else:
                continue
            if left is not None and left.type == "identifier" and right is not None and self._is_clock(right, set()):
                out.add(self.ctx.text(left))
        return out

    # ------------------------------------------------------------ the body
    def _does_work(self, body_nodes, cond, refreshed: set) -> bool:
        """Does the loop do something other than read the clock? A call to
        anything but a clock, or a condition that also tests a value the
        body changes (a queue it drains, a flag it sets)."""
        ctx = self.ctx
        for n in body_nodes:
            if n.type in ("call_expression", "new_expression") and not self._is_clock(n, set()):
                return True
        tested = {ctx.text(n) for n in _own_nodes(cond) if n.type == "identifier"} - refreshed
        for n in body_nodes:
            if n.type in ("assignment_expression", "augmented_assignment_expression"):
                target = n.child_by_field_name("left")
            elif n.type == "update_expression":
                target = n.child_by_field_name("argument")
            else:
                continue
            while target is not None and target.type in ("member_expression", "subscript_expression"):
                target = target.child_by_field_name("object")
            if target is not None and target.type == "identifier" and ctx.text(target) in tested:
                return True
        return False
