"""unsafe-pipe for JavaScript/TypeScript.

``a.pipe(b).pipe(c)``: ``.pipe()`` moves data and handles backpressure, but it
does not forward errors. Each stream in the chain emits its own 'error', and a
stream with no listener for it throws: the process crashes, or (with a global
handler) the other streams stay open. A chain of two or more pipes is reported
when one of its streams has no 'error' handler, either chained
(``.on('error', h)`` right after it) or attached by name anywhere in the file
(``src.on('error', h)``). An HTTP response as the last stream and
``process.stdout``/``stderr`` are not required to have one.

The fix rewrites the chain as ``await pipeline(a, b, c)`` (stream/promises)
inside async functions, and as ``pipeline(a, b, c, (err) => ...)`` elsewhere,
adding the import when the name ``pipeline`` is free.
"""

from __future__ import annotations

import os
import re

from ...findings import Fix, FixSafety
from ..base import JsRule
from . import META

# Methods that return the stream they are called on (or, for pipe, the next one).
LISTEN_METHODS = frozenset({"on", "once", "addListener", "prependListener", "prependOnceListener"})
CHAIN_METHODS = frozenset({"pipe", "setEncoding", "resume", "pause"}) | LISTEN_METHODS
# Destinations that do not need an 'error' listener of their own.
QUIET_SINKS = frozenset({"process.stdout", "process.stderr"})
RESPONSE_SINKS = frozenset({"res", "response", "ctx.res", "reply.raw", "this.res"})


class Check(JsRule):
    meta = META
    # Only a `.pipe()` called on a call's result: the outer link of every chain
    # of two or more pipes is one (`a.pipe(b).pipe(c)`, `a.pipe(b).on(...).pipe(c)`).
    member_calls = frozenset({"pipe"})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._seen: set[int] = set()
        self._rxjs = None

    def on_call(self, call, name, member):
        obj = call.child_by_field_name("function").child_by_field_name("object")
        if obj is None or obj.type != "call_expression":
            return
        ctx = self.ctx
        top = self._chain_top(call)
        if top.id in self._seen:
            return
        self._seen.add(top.id)
        chain = self._parse_chain(top)
        if chain is None:
            return
        base, links = chain
        pipes = [args for method, args in links if method == "pipe"]
        if len(pipes) < 2 or self._uses_rxjs():
            return
        streams = [base] + [args[0] for args in pipes]
        handled = [False] * len(streams)
        current = 0
        for method, args in links:
            if method == "pipe":
                current += 1
            elif method in LISTEN_METHODS and args and ctx._string_value(args[0]) == "error":
                handled[current] = True
        missing = []
        for i, stream in enumerate(streams):
            stream, inline = self._unwrap(stream)
            if handled[i] or inline or self._has_named_handler(stream):
                continue
            if i == len(streams) - 1 and self._handed_on(stream, top):
                continue
            text = ctx.text(stream)
            if text in QUIET_SINKS or (i == len(streams) - 1 and text in RESPONSE_SINKS):
                continue
            missing.append(stream)
        if not missing:
            return
        names = ", ".join(f"`{self._short(s)}`" for s in missing)
        self.report(
            top,
            f"A `.pipe()` chain of {len(streams)} streams where {names} {'has' if len(missing) == 1 else 'have'} "
            "no 'error' handler: `.pipe()` does "
            "not forward errors, so a failing stream throws an unhandled 'error' (crashing the process) and "
            "leaves the others open. Use `stream.pipeline()` or `await pipeline()` from 'stream/promises', "
            "which destroys every stream and reports the first error once.",
            fix=self._fix(top, streams, links),
        )

    # ----------------------------------------------------------- the chain
    @staticmethod
    def _method(call):
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "member_expression":
            return None
        prop = fn.child_by_field_name("property")
        return prop

    def _chain_top(self, call):
        """The outermost call of the method chain ``call`` is part of."""
        ctx = self.ctx
        node = call
        while True:
            member = node.parent
            if member is None or member.type != "member_expression" or member.child_by_field_name("object") != node:
                return node
            outer = member.parent
            if outer is None or outer.type != "call_expression" or outer.child_by_field_name("function") != member:
                return node
            prop = member.child_by_field_name("property")
            if prop is None or ctx.text(prop) not in CHAIN_METHODS:
                return node
            node = outer

    def _parse_chain(self, top):
        """(base stream, [(method, args)] from the innermost call outwards);
        None when a ``.pipe()`` in it does not look like a Node stream's."""
        ctx = self.ctx
        links = []
        node = top
        while node.type == "call_expression":
            prop = self._method(node)
            if prop is None or ctx.text(prop) not in CHAIN_METHODS:
                break
            method = ctx.text(prop)
            args_node = node.child_by_field_name("arguments")
            args = [a for a in (args_node.named_children if args_node is not None else []) if a.type != "comment"]
            if method == "pipe":
                # Node: pipe(destination[, options]); RxJS and friends take operator functions.
                if not args or len(args) > 2 or args[0].type in (
                    "arrow_function", "function_expression", "function", "object", "spread_element"
                ):
                    return None
                if len(args) == 2 and args[1].type != "object":
                    return None
            links.append((method, args))
            node = node.child_by_field_name("function").child_by_field_name("object")
        links.reverse()
        return node, links

    def _unwrap(self, node):
        """``b.on('error', h)`` passed to pipe: (``b``, True). Otherwise
        (node, None)."""
        ctx = self.ctx
        found = None
        cur = node
        while cur.type == "call_expression":
            prop = self._method(cur)
            if prop is None or ctx.text(prop) not in LISTEN_METHODS:
                break
            args_node = cur.child_by_field_name("arguments")
            args = [a for a in (args_node.named_children if args_node is not None else []) if a.type != "comment"]
            found = bool(found) or bool(args and ctx._string_value(args[0]) == "error")
            cur = cur.child_by_field_name("function").child_by_field_name("object")
        if found is None:
            return node, None
        return cur, found

    def _uses_rxjs(self) -> bool:
        """RxJS (``pipe`` takes operators) or a gulp build file (vinyl streams,
        where an error is meant to fail the build): not Node stream chains."""
        if self._rxjs is None:
            self._rxjs = any(ref.module.startswith(("rxjs", "gulp")) for ref in self.ctx.bindings.values())
        return self._rxjs

    def _has_named_handler(self, stream) -> bool:
        """``name.on('error', ...)`` (or once/addListener/...) anywhere in the file."""
        if stream.type not in ("identifier", "member_expression"):
            return False
        text = self.ctx.text(stream)
        if "\n" in text or len(text) > 200:
            return False
        pattern = re.compile(
            rb"(?<![\w$.])" + re.escape(text.encode()) + rb"\s*(?:\?\.|\.)\s*"
            rb"(?:on|once|addListener|prependListener|prependOnceListener)\s*\(\s*['\"`]error['\"`]"
        )
        return pattern.search(self.ctx.source) is not None

    def _handed_on(self, stream, top) -> bool:
        """The last stream is returned or passed to a callback: its 'error'
        is the receiver's to handle (``return out``, ``callback(null, out)``)."""
        ctx = self.ctx
        if stream.type != "identifier":
            return False
        scope = ctx.enclosing_function(top) or ctx.root
        for ref in ctx.references(ctx.text(stream), scope):
            parent = ref.parent
            if parent is None:
                continue
            if parent.type == "return_statement" or (
                parent.type == "arrow_function" and parent.child_by_field_name("body") == ref
            ):
                return True
            if parent.type == "arguments":
                call = parent.parent
                prop = self._method(call) if call is not None else None
                if prop is None or ctx.text(prop) != "pipe":
                    return True
        return False

    def _short(self, node) -> str:
        text = " ".join(self.ctx.text(node).split())
        return text if len(text) <= 40 else text[:37] + "..."

    # ----------------------------------------------------------------- fix
    def _fix(self, top, streams, links):
        ctx = self.ctx
        if any(method != "pipe" or len(args) != 1 for method, args in links):
            return None
        parent = top.parent
        if parent is None or parent.type != "expression_statement":
            return None
        if b"//" in ctx.source[top.start_byte:top.end_byte] or b"/*" in ctx.source[top.start_byte:top.end_byte]:
            return None  # a comment inside the chain would be lost (or a URL in a string: keep it simple)
        fn = ctx.enclosing_function(top)
        use_promises = fn is not None and ctx.is_async(fn)
        name, import_text = self._pipeline_name(use_promises)
        if name is None and use_promises:
            use_promises = False  # `pipeline` is the callback one here
            name, import_text = self._pipeline_name(False)
        if name is None:
            return None
        args = ", ".join(ctx.text(s) for s in streams)
        if use_promises:
            replacement = f"await {name}({args})"
            what = "Use `await pipeline(...)` from 'stream/promises'"
        else:
            replacement = f"{name}({args}, (err) => {{ if (err) console.error('pipeline failed:', err); }})"
            what = "Use `stream.pipeline(...)` with a callback"
        edits = [ctx.edit_replace(top, replacement)]
        if import_text:
            edit = self._import_edit(import_text)
            if edit is None:
                return None
            edits.append(edit)
        return Fix(what, tuple(edits), FixSafety.UNSAFE)

    def _pipeline_name(self, use_promises: bool):
        """The expression to call, and an import to add (or None)."""
        ctx = self.ctx
        want = "stream/promises" if use_promises else "stream"
        for local, ref in ctx.bindings.items():
            if not ref.project and ref.qualname == f"{want}.pipeline":
                return local, None
        for local, ref in ctx.bindings.items():
            if not ref.project and ref.qualname == want:
                return f"{local}.pipeline", None
        if re.search(rb"(?<![\w$])pipeline(?![\w$])", ctx.source):
            return None, None  # the name is taken by something else
        spec = "node:stream/promises" if use_promises else "node:stream"
        if self._is_esm():
            return "pipeline", f"import {{ pipeline }} from '{spec}';"
        return "pipeline", f"const {{ pipeline }} = require('{spec}');"

    def _is_esm(self) -> bool:
        ctx = self.ctx
        ext = os.path.splitext(ctx.path)[1].lower()
        if ext in (".mjs", ".mts"):
            return True
        if ext in (".cjs", ".cts"):
            return False
        for child in ctx.root.named_children:
            if child.type in ("import_statement", "export_statement"):
                return True
        return ctx.dialect != "javascript" and "require" not in ctx.source.decode("utf-8", "replace")

    def _import_edit(self, text: str):
        """Insert ``text`` after the last leading import/require statement, or
        after a 'use strict' directive, or at the top."""
        ctx = self.ctx
        last = None
        for child in ctx.root.named_children:
            if child.type in ("comment", "hash_bang_line"):
                continue
            if child.type == "import_statement":
                last = child
                continue
            if child.type == "expression_statement" and child.named_children and \
                    child.named_children[0].type == "string" and last is None:
                last = child  # 'use strict'
                continue
            if child.type in ("lexical_declaration", "variable_declaration") and "require(" in ctx.text(child) \
                    and "\n" not in ctx.text(child).strip():
                last = child
                continue
            break
        if last is not None:
            _, _, end_line, end_col = ctx.position(last)
            from ...findings import Edit

            return Edit(end_line, end_col, end_line, end_col, "\n" + text)
        first = next((c for c in ctx.root.named_children if c.type != "hash_bang_line"), None)
        if first is None:
            return None
        return ctx.edit_insert_before(first, text + "\n")
