"""uncaught-exception-continue for JavaScript/TypeScript.

``process.on('uncaughtException', h)`` replaces Node's default (print the
stack and exit with code 1). If ``h`` only logs, the process keeps serving
with whatever the exception left half done. Reported when the handler (an
inline function, or a function declared in the same file and named there)
neither calls ``process.exit``/``abort``/``kill``, nor throws, nor calls a
function whose name says it shuts down (shutdown, exit, close, terminate,
kill, abort, crash, stop, quit, halt, restart, disconnect, ...); same-file
functions the handler calls are followed. Handlers we cannot see (imported,
``this.onCrash``) are not reported. ``setUncaughtExceptionCaptureCallback``
is treated the same way.
"""

from __future__ import annotations

import re

from ...findings import Edit, Fix, FixSafety
from ...javascript.context import first_argument
from ..base import JsRule
from . import META

LISTEN_METHODS = ("on", "once", "addListener", "prependListener", "prependOnceListener")
FUNCTION_TYPES = frozenset({"arrow_function", "function_expression", "function", "function_declaration"})
EXIT_CALLS = frozenset({"process.exit", "process.abort", "process.kill", "process.reallyExit"})
SHUTDOWN_NAME = re.compile(
    r"shut_?down|exit|close|terminat|kill|abort|crash|^die$|^die[A-Z_]|stop|halt|quit|restart|teardown|"
    r"graceful|disconnect|bail|panic",
    re.IGNORECASE,
)
MAX_DEPTH = 4
TEST_PATH = re.compile(r"(?:^|/)(?:tests?|__tests__|spec|specs)/|[._-](?:test|spec)\.[cm]?[jt]sx?$")
TEST_CALLS = frozenset({"test", "it", "describe", "before", "after", "beforeEach", "afterEach", "beforeAll",
                        "afterAll", "suite", "setup", "teardown"})


class Check(JsRule):
    meta = META
    member_calls = frozenset({"on", "once", "addListener", "prependListener", "prependOnceListener",
                              "setUncaughtExceptionCaptureCallback"})

    def on_call(self, call, name, member):
        ctx = self.ctx
        obj = call.child_by_field_name("function").child_by_field_name("object")
        args = call.child_by_field_name("arguments")
        if obj is None or obj.type != "identifier" or ctx.text(obj) != "process" \
                or args is None or args.type != "arguments":
            return
        if ctx.text(name) != "setUncaughtExceptionCaptureCallback":
            first = first_argument(call)
            if first is None or first.type != "string" or not any(
                    c.type == "string_fragment" and ctx.text(c) == "uncaughtException"
                    for c in first.named_children):
                return
        self.on_match({"uec_call": [call], "uec_method": [name], "uec_args": [args]})

    def on_match(self, caps):
        ctx = self.ctx
        if "process" in ctx.bindings:
            return  # a local `process` is not Node's
        if self._in_test(caps["uec_call"][0]):
            return  # a test harness catching what the code under test throws
        method = ctx.text(caps["uec_method"][0])
        args = [a for a in caps["uec_args"][0].named_children if a.type != "comment"]
        if method == "setUncaughtExceptionCaptureCallback":
            if len(args) != 1:
                return
            handler = args[0]
            what = "`process.setUncaughtExceptionCaptureCallback()` callback"
        else:
            if len(args) != 2 or ctx._string_value(args[0]) != "uncaughtException":
                return
            handler = args[1]
            what = "'uncaughtException' handler"
        functions = self._handler_functions(handler)
        if not functions:
            return
        if any(self._terminates(fn, set(), 0) for fn in functions):
            return
        fix = self._fix(functions[0]) if len(functions) == 1 else None
        self.report(
            caps["uec_call"][0],
            f"This {what} lets the process keep running after an uncaught exception: it never calls "
            "`process.exit()`, rethrows, or shuts down. Whatever the exception interrupted (a request, a "
            "transaction, a lock, a half-written file) stays broken and the process keeps serving in that state. "
            "Log, clean up what you can, then `process.exit(1)` and let the supervisor restart it.",
            fix=fix,
        )

    def _in_test(self, node) -> bool:
        ctx = self.ctx
        parts = re.split(r"[\\/]", ctx.display_path or ctx.path)
        if TEST_PATH.search("/" + "/".join(parts[-4:])):
            return True
        fn = ctx.enclosing_function(node)
        while fn is not None:
            parent = fn.parent
            call = parent.parent if parent is not None and parent.type == "arguments" else None
            if call is not None and call.type == "call_expression":
                callee = call.child_by_field_name("function")
                base = callee
                while base is not None and base.type == "member_expression":  # test.only, describe.each(...)
                    base = base.child_by_field_name("object")
                if base is not None and base.type == "identifier" and ctx.text(base) in TEST_CALLS:
                    return True
            fn = ctx.enclosing_function(fn)
        return False

    def _handler_functions(self, handler):
        ctx = self.ctx
        while handler.type in ("assignment_expression", "parenthesized_expression"):
            inner = handler.child_by_field_name("right") if handler.type == "assignment_expression" else (
                handler.named_children[0] if handler.named_children else None)
            if inner is None:
                return []
            handler = inner
        if handler.type in FUNCTION_TYPES:
            return [handler]
        if handler.type == "identifier":
            return list(ctx.functions.get(ctx.text(handler), ()))
        return []

    def _terminates(self, fn, seen: set, depth: int) -> bool:
        """Does ``fn`` exit, rethrow, or call something shutdown-like (here
        or in same-file functions it calls)?"""
        ctx = self.ctx
        if fn.id in seen or depth > MAX_DEPTH:
            return False
        seen.add(fn.id)
        stack = [fn]
        local_calls = []
        while stack:
            node = stack.pop()
            t = node.type
            if t == "throw_statement":
                return True
            if t == "assignment_expression":
                left = node.child_by_field_name("left")
                if left is not None and ctx.text(left) == "process.exitCode":
                    return True  # a CLI that finishes its work and then exits with a failure code
            if t == "call_expression":
                callee = node.child_by_field_name("function")
                if callee is not None:
                    text = ctx.text(callee)
                    if text in EXIT_CALLS:
                        return True
                    name = ctx.callee_name(node)
                    if name and SHUTDOWN_NAME.search(name):
                        return True
                    if callee.type == "identifier" and text in ctx.functions:
                        local_calls.append(text)
                    # `fn.call(...)` / passing a local shutdown function along: `server.close(exitNow)`
                args = node.child_by_field_name("arguments")
                for arg in (args.named_children if args is not None else ()):
                    if arg.type == "identifier":
                        arg_name = ctx.text(arg)
                        if SHUTDOWN_NAME.search(arg_name):
                            return True
                        if arg_name in ctx.functions:
                            local_calls.append(arg_name)
            stack.extend(node.named_children)
        for name in local_calls:
            for inner in ctx.functions.get(name, ()):
                if self._terminates(inner, seen, depth + 1):
                    return True
        return False

    def _fix(self, fn):
        """Append ``process.exit(1);`` to the handler's body."""
        ctx = self.ctx
        body = fn.child_by_field_name("body")
        if body is None:
            return None
        if body.type != "statement_block":
            return Fix(
                "Exit after handling the exception",
                (ctx.edit_replace(body, f"{{ {ctx.text(body)}; process.exit(1); }}"),),
                FixSafety.UNSAFE,
            )
        statements = [c for c in body.named_children if c.type != "comment"]
        if not statements:
            return Fix("Exit after handling the exception", (ctx.edit_replace(body, "{ process.exit(1); }"),),
                       FixSafety.UNSAFE)
        last = statements[-1]
        line_start = ctx.source.rfind(b"\n", 0, last.start_byte) + 1
        prefix = ctx.source[line_start:last.start_byte].decode("utf-8", "replace")
        text = f"\n{prefix}process.exit(1);" if not prefix.strip() else " process.exit(1);"
        _, _, end_line, end_col = ctx.position(last)
        return Fix("Exit after handling the exception", (Edit(end_line, end_col, end_line, end_col, text),),
                   FixSafety.UNSAFE)
