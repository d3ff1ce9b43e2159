"""callback-nesting for JavaScript/TypeScript.

A function passed as an argument to a call (a callback) inside another
callback inside another ... deeper than ``max-depth`` (default 3). Each
callback that first goes past the limit is reported once; the callbacks
nested inside it are not reported again.

Only callbacks that stand for "later" count: those given to I/O, events,
timers and promise methods. Callbacks to synchronous helpers do not (array
methods such as ``map``/``filter``/``forEach``/``reduce``, ``sort``,
``replace``), nor test-suite blocks (``describe``/``it``/``beforeEach`` ...),
nor a Promise executor (``new Promise((resolve) => ...)`` is the way out of
callbacks, not a level of them). A one-line leaf past the limit
(``() => cb(err)``, ``function () {}``) is not reported: it adds nothing to
read through; nor is an expression-bodied arrow with no function inside,
however many lines it spans (``(c) => c.module === m && !skip(c)``, a
predicate handed to a graph helper): it computes a value, it does not wait. Minified code (the callback starts on a line over 500
characters long) is not reported: nobody reads it.
"""

from __future__ import annotations

from ..base import JsRule
from . import META

CALLBACK_TYPES = frozenset({"arrow_function", "function_expression", "function"})
FUNCTION_TYPES = frozenset({
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "function",
})
SYNC_METHODS = frozenset({
    "map", "filter", "forEach", "reduce", "reduceRight", "some", "every", "find", "findIndex",
    "findLast", "findLastIndex", "flatMap", "sort", "toSorted", "replace", "replaceAll", "from",
    "forOwn", "forIn", "mapValues", "mapKeys", "pickBy", "omitBy", "groupBy",
    "keyBy", "sortBy", "uniqBy", "defineProperty", "call", "apply", "bind",
})
# As methods: tap's `t.test(...)`, compiled `mocha_1.describe(...)`, `t.teardown(...)`.
TEST_METHODS = frozenset({"describe", "it", "test", "context", "suite", "beforeEach", "afterEach", "beforeAll",
                          "afterAll", "teardown", "subtest", "specify"})
TEST_MODIFIERS = frozenset({"only", "skip", "each", "todo", "concurrent", "serial", "failing", "sequential"})
SYNC_FUNCTIONS = frozenset({
    "describe", "it", "test", "context", "suite", "specify", "before", "after", "beforeEach", "afterEach",
    "beforeAll", "afterAll", "setup", "teardown", "suiteSetup", "suiteTeardown", "xit", "xdescribe", "fit",
    "fdescribe", "define", "useEffect", "useCallback", "useMemo", "useLayoutEffect", "computed", "watch",
})


def _minified_line(ctx, node, limit: int = 500) -> bool:
    """Is ``node`` on a line longer than ``limit`` bytes? Minified bundles
    (vendor files not named ``*.min.js``) nest everything on one line."""
    src = ctx.source
    start = src.rfind(b"\n", 0, node.start_byte) + 1
    end = src.find(b"\n", node.start_byte)
    end = len(src) if end < 0 else end
    return end - start > limit


class Check(JsRule):
    meta = META
    wants_callbacks = True

    def __init__(self, ctx):
        super().__init__(ctx)
        self._depth: dict[int, int] = {}

    def on_callback(self, callback, arguments):
        if not self._counts(callback, arguments):
            return
        limit = self._limit()
        depth = self._depth_of(callback)
        if depth == limit + 1 and not self._trivial(callback) and not _minified_line(self.ctx, callback):
            self.report(
                callback,
                f"Callback nested {depth} levels deep (more than {limit}): code that reads top to bottom in "
                "steps is written inside out, and each level needs its own error check. Promisify the "
                "callback APIs (`util.promisify`, `fs/promises`, `events.once`) and write the steps as "
                "`await`s in one async function.",
            )

    def _trivial(self, fn) -> bool:
        """A one-line leaf — ``() => cb(err)``, ``function () {}`` — adds no
        level anyone has to read through."""
        body = fn.child_by_field_name("body")
        if body is None:
            return True
        if body.type != "statement_block" and not self._has_callback(body):
            # `(c) => c.module === m && !skip(c)` over several lines: an
            # expression-bodied arrow computes a value (a predicate, a
            # mapping) and holds no step that waits for another.
            return True
        if body.type == "statement_block":
            stmts = [c for c in body.named_children if c.type != "comment"]
            if len(stmts) > 1:
                return False
            body = stmts[0] if stmts else None
            if body is None:
                return True
        if body.start_point[0] != body.end_point[0]:
            return False
        return not self._has_callback(body)

    @staticmethod
    def _has_callback(node) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type in CALLBACK_TYPES:
                return True
            stack.extend(n.children)
        return False

    def _limit(self) -> int:
        value = self.ctx.options.get("callback-nesting", {}).get("max-depth", 3)
        try:
            return max(1, int(value))
        except (TypeError, ValueError):
            return 3

    def _counts(self, fn, args) -> bool:
        """Is ``fn`` (in the argument list ``args``) a callback of the kind
        that nests: given to a call that will run it later, not to a
        synchronous helper or a test block?"""
        call = args.parent if args is not None else None
        if call is None or call.type != "call_expression":
            return False  # new Promise(executor), new Foo(fn), template tags
        callee = call.child_by_field_name("function")
        if callee is None:
            return False
        if callee.type == "member_expression":
            prop = callee.child_by_field_name("property")
            if prop is None or self.ctx.text(prop) in SYNC_METHODS:
                return False
        return not self._test_block(callee)

    def _test_block(self, callee) -> bool:
        """``describe(...)``, ``it.only(...)``, ``describe.each(table)(...)``."""
        ctx = self.ctx
        while callee.type in ("parenthesized_expression", "sequence_expression") and callee.named_children:
            callee = callee.named_children[-1]  # `(0, mocha_1.it)(...)`: TypeScript's compiled imports
        if callee.type == "call_expression":  # describe.each(table)(name, fn)
            callee = callee.child_by_field_name("function")
            if callee is None or callee.type != "member_expression":
                return False
        if callee.type == "identifier":
            return ctx.text(callee) in SYNC_FUNCTIONS
        if callee.type == "member_expression":
            obj = callee.child_by_field_name("object")
            prop = callee.child_by_field_name("property")
            if prop is None:
                return False
            if ctx.text(prop) in TEST_METHODS:
                return True  # t.test(...), mocha_1.describe(...), t.teardown(...)
            return (obj is not None and obj.type == "identifier" and ctx.text(obj) in SYNC_FUNCTIONS
                    and ctx.text(prop) in TEST_MODIFIERS)
        return False

    def _depth_of(self, fn) -> int:
        """How many counted callbacks enclose ``fn``, itself included."""
        if fn.id in self._depth:
            return self._depth[fn.id]
        chain = []
        cur = fn
        depth = 0
        while cur is not None:  # from function to enclosing function, not node by node
            if cur.type in CALLBACK_TYPES:
                args = cur.parent
                if args is not None and args.type == "arguments":
                    if cur.id in self._depth:
                        depth = self._depth[cur.id]
                        break
                    chain.append((cur, args))
            cur = self.ctx.enclosing_function(cur)
        for node, args in reversed(chain):
            if self._counts(node, args):
                depth += 1
            self._depth[node.id] = depth
        return self._depth[fn.id]
