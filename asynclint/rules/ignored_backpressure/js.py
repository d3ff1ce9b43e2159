"""ignored-backpressure for JavaScript/TypeScript.

``writable.write(chunk)`` returns ``false`` once the stream's buffer holds
``highWaterMark`` bytes: the caller should stop and wait for 'drain'. In a loop
that ignores the result, every chunk is queued in memory however slow the
destination is. Reported: a ``.write()`` call whose result is discarded, inside
a ``for``/``while``/``do`` loop or a ``.forEach()`` callback, in a function that
never mentions 'drain' (nor ``writableNeedDrain``/``writableLength``).

Not reported: ``process.stdout``/``stderr`` (synchronous for files and
terminals), ``Buffer#write(string, offset)`` (a number as second argument),
``this.write()`` (a stream's own implementation), awaited writes (WHATWG
writers and promise wrappers), and writes whose result is tested.
"""

from __future__ import annotations

import re

from ...findings import Fix, FixSafety
from ..base import JsRule
from . import META

QUIET_STREAMS = frozenset({"process.stdout", "process.stderr", "console"})
DRAIN_HINTS = re.compile(rb"drain|writableNeedDrain|writableLength|bufferedAmount|needDrain")
# Second arguments of stream.write(chunk, encoding, cb): anything else (a number, `offset`) is Buffer#write.
SECOND_ARG_NAME = re.compile(r"enc|cb|callback|done|next|resolve|cont|fn$|handler", re.IGNORECASE)
# Receivers known to be writable streams by name (the last segment: `res`, `this.socket`,
# `child.stdin`, `outStream`, `gzip`), or by how the file creates them (STREAM_FACTORY).
STREAM_NAME = re.compile(
    r"^(res|resp|response|socket|sock|conn|connection|stdin|sink|dest|destination|writable|ws|out|output|"
    r"gz|gzip|upload|req|request)$|stream$|file$",
    re.IGNORECASE,
)
STREAM_FACTORY = (
    rb"\s*=\s*(?:new\s+(?:[\w$]+\.)*(?:Writable|PassThrough|Transform|Duplex|Socket|WriteStream)\b|"
    rb"(?:[\w$]+\.)*(?:create\w*Stream|createGzip|createDeflate|createBrotliCompress|createConnection|"
    rb"connect|request|createWriteStream)\s*\()"
)
FUNCTION_TYPES = ("arrow_function", "function_expression", "function")
# Test files write bounded data on purpose (fixtures fed through a PassThrough,
# stress tests of a stream library's own buffering): not reported there.
TEST_PATH = re.compile(r"(?:^|[\\/])(?:tests?|__tests__|spec|specs|benchmarks?)[\\/]|[._-](?:test|spec)\.[cm]?[jt]sx?$")
# A terminal: cursor moves and status lines, a few bytes to a TTY.
TERMINAL_NAME = re.compile(r"repl|tty|terminal|console|stdout|stderr", re.IGNORECASE)
TERMINAL_PROPS = rb"\s*(?:\?\.|\.)\s*(?:isTTY|columns|rows|cursorTo|moveCursor|clearLine|clearScreenDown|getWindowSize)\b"


class Check(JsRule):
    meta = META
    member_calls = frozenset({"write"})

    def on_call(self, call, name, member):
        parent = call.parent
        if parent is None:
            return
        if parent.type == "expression_statement":
            self.on_match({"bp_call": [call]})
        elif parent.type == "arrow_function" and parent.child_by_field_name("body") == call:
            self.on_match({"bp_arrow_call": [call]})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._drain_seen: dict = {}
        self._by_name: dict = {}

    def _memo(self, key, compute):
        """Whole-file text searches, once per receiver name (bundles write to `stream` hundreds of times)."""
        if key not in self._by_name:
            self._by_name[key] = compute()
        return self._by_name[key]

    def on_match(self, caps):
        ctx = self.ctx
        if self._test_file():
            return
        if "bp_call" in caps:
            call = caps["bp_call"][0]
            where = self._loop_kind(call)
        else:
            call = caps["bp_arrow_call"][0]
            where = "a `.forEach()` callback" if self._is_foreach_callback(call.parent) else None
        if where is None:
            return
        receiver = call.child_by_field_name("function").child_by_field_name("object")
        if not self._stream_like(receiver, call):
            return
        scope = self._drain_scope(call)
        if scope.id not in self._drain_seen:  # one text search per function, not per write
            self._drain_seen[scope.id] = DRAIN_HINTS.search(ctx.source, scope.start_byte, scope.end_byte) is not None
        if self._drain_seen[scope.id]:
            return
        if self._terminal(receiver) or self._paced_by_callback(receiver, scope):
            return
        name = ctx.text(receiver)
        self.report(
            call,
            f"`{name}.write()` inside {where} ignores its return value: once the stream's buffer is full, "
            "`write()` returns false and every further chunk is queued in memory, however slow the "
            f"destination. Stop when it returns false and wait for 'drain' "
            f"(`if (!{name}.write(chunk)) await once({name}, 'drain')`), or use `stream.pipeline()` with a "
            "Readable.",
            fix=self._fix(call, receiver, where),
        )

    # -------------------------------------------------------------- where
    def _loop_kind(self, call):
        """'a loop' / 'a `.forEach()` callback' when the call repeats, else None."""
        ctx = self.ctx
        if ctx.in_loop(call):
            return "a loop"
        fn = ctx.enclosing_function(call)
        if fn is not None and self._is_foreach_callback(fn):
            return "a `.forEach()` callback"
        return None

    def _is_foreach_callback(self, fn) -> bool:
        if fn is None or fn.type not in FUNCTION_TYPES:
            return False
        args = fn.parent
        if args is None or args.type != "arguments":
            return False
        call = args.parent
        callee = call.child_by_field_name("function") if call is not None else None
        if callee is None or callee.type != "member_expression":
            return False
        prop = callee.child_by_field_name("property")
        return prop is not None and self.ctx.text(prop) == "forEach"

    def _drain_scope(self, call):
        """The outermost function around the write that is still inside the
        same enclosing named/top-level function: 'drain' handling anywhere in
        it counts. At module level, the whole file."""
        ctx = self.ctx
        fn = ctx.enclosing_function(call)
        # Climb out of the forEach callback / inline callbacks to the function that owns the loop.
        while fn is not None and self._is_foreach_callback(fn):
            outer = ctx.enclosing_function(fn)
            if outer is None:
                return ctx.root
            fn = outer
        return fn if fn is not None else ctx.root

    def _test_file(self) -> bool:
        # The last few components only: a checkout under /home/me/tests/ is not a test.
        parts = re.split(r"[\\/]", self.ctx.display_path or self.ctx.path)
        return TEST_PATH.search("/" + "/".join(parts[-4:])) is not None

    def _terminal(self, receiver) -> bool:
        """``replServer.output``, ``this.tty``, or a stream the file asks for
        its ``columns``/``isTTY``: a terminal, which takes a few lines at a time."""
        ctx = self.ctx
        text = ctx.text(receiver)
        if TERMINAL_NAME.search(text):
            return True
        return self._memo(("tty", text), lambda: re.search(
            rb"(?<![\w$])" + re.escape(text.encode()) + TERMINAL_PROPS, ctx.source) is not None)

    def _paced_by_callback(self, receiver, scope) -> bool:
        """The loop writes a bounded batch and its function passes itself as a
        write callback (``stream.write(last, writeNextBatch)``): the next batch
        waits for the previous one to flush."""
        ctx = self.ctx
        if scope is ctx.root:
            return False
        name = ctx.function_name(scope)
        if not name:
            return False
        body = ctx.source[scope.start_byte:scope.end_byte]
        pattern = re.escape(ctx.text(receiver).encode()) + rb"\s*\.\s*write\s*\([^;]*,\s*" + \
            re.escape(name.encode()) + rb"\s*\)"
        return re.search(pattern, body) is not None

    # ------------------------------------------------------------ receiver
    def _stream_like(self, receiver, call) -> bool:
        ctx = self.ctx
        if receiver is None or receiver.type not in ("identifier", "member_expression"):
            return False
        text = ctx.text(receiver)
        if text in QUIET_STREAMS:
            return False
        if not self._named_or_made_stream(receiver):
            return False
        if self._is_loop_element(receiver, call):
            return False  # one write to each of many streams: nothing piles up
        args_node = call.child_by_field_name("arguments")
        args = [a for a in (args_node.named_children if args_node is not None else []) if a.type != "comment"]
        if not args or len(args) > 3:
            return False
        if len(args) >= 2:
            second = args[1]
            if second.type in ("string", "template_string") + FUNCTION_TYPES:
                return True
            if second.type == "identifier" and SECOND_ARG_NAME.search(ctx.text(second)):
                return True
            return False  # Buffer#write(string, offset, ...) or an unknown API
        return True

    def _named_or_made_stream(self, receiver) -> bool:
        ctx = self.ctx
        last = receiver
        if receiver.type == "member_expression":
            last = receiver.child_by_field_name("property")
        name = ctx.text(last)
        if STREAM_NAME.search(name):
            return True
        return self._memo(("made", name), lambda: re.search(
            rb"(?<![\w$])" + re.escape(name.encode()) + STREAM_FACTORY, ctx.source) is not None)

    def _is_loop_element(self, receiver, call) -> bool:
        """``for (const s of sockets) s.write(m)`` / ``clients.forEach((c) => c.write(m))``."""
        ctx = self.ctx
        base = receiver
        while base.type == "member_expression":
            base = base.child_by_field_name("object")
        if base is None or base.type != "identifier":
            return False
        name = ctx.text(base)
        declared = re.compile(r"(?<![\w$.])" + re.escape(name) + r"(?![\w$])")
        cur = call.parent
        while cur is not None:
            if cur.type in ("for_statement", "for_in_statement", "while_statement", "do_statement"):
                body = cur.child_by_field_name("body")
                if body is not None and self._declares(body, name, declared):
                    return True  # `const stream = streams[i].stream` inside the loop: one per iteration
            if cur.type == "for_in_statement":
                left = cur.child_by_field_name("left")
                if left is not None and re.search(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])", ctx.text(left)):
                    return True
            elif cur.type in FUNCTION_TYPES:
                if self._is_foreach_callback(cur) and name in ctx.param_names(cur):
                    return True
                if not self._is_foreach_callback(cur):
                    return False
            cur = cur.parent
        return False

    def _declares(self, body, name, pattern) -> bool:
        """``name`` is declared or assigned inside the loop body."""
        text = self.ctx.text(body)
        return re.search(r"(?<![\w$.])" + re.escape(name) + r"\s*=(?![=>])", text) is not None or any(
            pattern.search(self.ctx.text(d.child_by_field_name("name")))
            for decl in body.named_children if decl.type in ("lexical_declaration", "variable_declaration")
            for d in decl.named_children
            if d.type == "variable_declarator" and d.child_by_field_name("name") is not None
        )

    # ----------------------------------------------------------------- fix
    def _fix(self, call, receiver, where):
        """``s.write(x);`` → ``if (!s.write(x)) await once(s, 'drain');``,
        only in a plain loop of an async function, with ``once`` from events."""
        ctx = self.ctx
        if where != "a loop" or call.parent is None or call.parent.type != "expression_statement":
            return None
        fn = ctx.enclosing_function(call)
        if fn is None or not ctx.is_async(fn):
            return None
        once = None
        for local, ref in ctx.bindings.items():
            if not ref.project and ref.qualname == "events.once":
                once = local
                break
        if once is None:
            for local, ref in ctx.bindings.items():
                if not ref.project and ref.module == "events" and ref.attrs in ((), ("default",)):
                    once = f"{local}.once"
                    break
        name = ctx.text(receiver)
        if once is None:
            wait = f"new Promise((resolve) => {name}.once('drain', resolve))"
        else:
            wait = f"{once}({name}, 'drain')"
        text = f"if (!{ctx.text(call)}) await {wait};"
        return Fix("Wait for 'drain' when write() returns false", (ctx.edit_replace(call.parent, text),),
                   FixSafety.UNSAFE)
