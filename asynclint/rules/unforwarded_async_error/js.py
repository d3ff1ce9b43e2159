"""unforwarded-async-error for JavaScript/TypeScript.

Express 4 calls a route handler and ignores what it returns. An ``async``
handler returns a promise; when an ``await`` in it rejects, that promise
rejects with nobody listening: the error middleware never runs, the client
waits until it times out, and Node reports an unhandled rejection (which
ends the process since Node 15). Express 5 awaits handlers and passes a
rejection to ``next(err)``.

Reported: an ``async`` function with Express-shaped parameters
(``(req, res)``, ``(req, res, next)``, ``(err, req, res, next)``) passed
directly to ``app/router.get|post|put|patch|delete|all|use(...)`` (or
``app.route(p).get(...)``), when an ``await`` in it is outside any
``try { } catch``, and the nearest package.json that declares ``express``
admits a version below 5.

Not reported: projects on Express >= 5 (the declared range's lowest major
is 5 or more), projects that depend on ``express-async-errors`` (it patches
Express 4 to forward rejections), and projects whose package.json does not declare express (the
version is unknown: precision first); handlers wrapped in a call
(``asyncHandler(fn)``, ``catchAsync(fn)``, ``wrap(fn)`` ...), which is the
usual fix; awaits inside ``try`` with a ``catch``, or of a chain that ends in
``.catch(...)``; koa ``(ctx, next)`` and fastify ``(request, reply)``
handlers, and files that import koa, fastify or hapi and not express.

Fix (unsafe): wrap the handler's body in ``try { ... } catch (err) { next(err); }``
(adding a ``next`` parameter when there is none).
"""

from __future__ import annotations

import os
import re

from ...findings import Edit, Fix, FixSafety
from ...javascript.package_json import declared_dependency, express_major
from ...javascript.context import ROUTE_METHODS
from ..base import JsRule
from . import META

FUNCTION_TYPES = frozenset({
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "function", "class_declaration", "class",
})
REQ = re.compile(r"^_?(req|request)$")
RES = re.compile(r"^_?(res|response)$")
ERR = re.compile(r"^_?(err|error|e)$")
APP_HINT = re.compile(r"app|router|route|api|server", re.IGNORECASE)
OTHER_FRAMEWORKS = ("koa", "fastify", "@hapi/hapi", "hapi", "restify", "@koa/router", "koa-router")
MULTILINE_LITERALS = frozenset({"template_string", "string", "comment"})


class Check(JsRule):
    meta = META
    # Functions passed to app.get(...) and the like (callbacks come from the
    # runner).
    wants_callbacks = True

    def on_callback(self, callback, arguments):
        if not self.ctx.is_async(callback):
            return
        call = arguments.parent
        if call is None or call.type != "call_expression":
            return
        callee = call.child_by_field_name("function")
        method = callee.child_by_field_name("property") if callee is not None and callee.type == "member_expression" \
            else None
        if method is not None and method.type == "property_identifier" and self.ctx.text(method) in ROUTE_METHODS:
            self.on_match({"uae_handler": [callback], "uae_call": [call], "uae_method": [method]})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._express = False  # not computed yet

    def on_match(self, caps):
        ctx = self.ctx
        handler, call = caps["uae_handler"][0], caps["uae_call"][0]
        if not ctx.is_async(handler):
            return
        params = ctx.param_names(handler)
        shape = self._shape(params)
        if shape is None or not self._registered_on_app(call, handler):
            return
        express = self._express_version()
        if express is None:
            return
        uncovered = self._uncovered_await(handler)
        if uncovered is None:
            return
        major, spec, pkg_path = express
        line = uncovered.start_point[0] + 1
        method = ctx.text(caps["uae_method"][0])
        self.report(
            handler,
            f"Async handler passed to `.{method}()` on Express {major} (package.json declares express \"{spec}\"): "
            f"if the `await` on line {line} rejects, Express {major} never sees the rejected promise, so the error "
            "middleware does not run, the request hangs until it times out, and Node reports an unhandled "
            "rejection. Wrap the handler (`asyncHandler(fn)`), catch and call `next(err)`, or move to Express 5.",
            fix=self._fix(handler, params, shape),
        )

    # ------------------------------------------------------------ shape
    @staticmethod
    def _shape(params):
        """Index of `next` in the parameter list (len(params) if absent), or
        None when the parameters are not Express-shaped."""
        if len(params) >= 4 and ERR.match(params[0]) and REQ.match(params[1]) and RES.match(params[2]):
            return 3
        if len(params) in (2, 3) and REQ.match(params[0]) and RES.match(params[1]):
            return 2
        return None

    def _registered_on_app(self, call, handler) -> bool:
        ctx = self.ctx
        if handler.parent is None or handler.parent.parent != call:
            return False  # wrapped: asyncHandler(async (req, res) => ...)
        callee = call.child_by_field_name("function")
        obj = callee.child_by_field_name("object")
        args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
        if obj is None:
            return False
        if obj.type == "call_expression":  # app.route('/x').get(...), express.Router().use(...)
            return True
        name = ctx.text(obj.child_by_field_name("property")) if obj.type == "member_expression" \
            and obj.child_by_field_name("property") is not None else ctx.text(obj)
        if APP_HINT.search(name):
            return True
        first = args[0] if args else None
        if first is not None and first.type in ("string", "template_string"):
            return ctx.text(first)[1:2] == "/"
        return False

    def _express_version(self):
        if self._express is False:
            self._express = None
            ctx = self.ctx
            modules = {ref.module for ref in ctx.bindings.values()}
            if "express" not in modules and any(m in modules for m in OTHER_FRAMEWORKS):
                return None
            folder = os.path.dirname(os.path.abspath(ctx.path))
            found = express_major(folder)
            if found is not None and found[0] < 5 and declared_dependency(folder, "express-async-errors") is None:
                self._express = found
        return self._express

    # ----------------------------------------------------------- awaits
    def _uncovered_await(self, handler):
        body = handler.child_by_field_name("body")
        stack = [body] if body is not None else []
        first = None
        while stack:
            node = stack.pop()
            if node.type == "await_expression" or (
                node.type == "for_in_statement" and any(c.type == "await" for c in node.children)
            ):
                if not self._covered(node, handler) and (first is None or node.start_byte < first.start_byte):
                    first = node
            stack.extend(c for c in node.children if c.type not in FUNCTION_TYPES)
        return first

    def _covered(self, node, handler) -> bool:
        ctx = self.ctx
        if node.type == "await_expression":
            arg = node.named_children[0] if node.named_children else None
            while arg is not None and arg.type == "call_expression":
                fn = arg.child_by_field_name("function")
                if fn is None or fn.type != "member_expression":
                    break
                prop = fn.child_by_field_name("property")
                if prop is not None and ctx.text(prop) == "catch":
                    return True
                arg = fn.child_by_field_name("object")
        cur, child = node.parent, node
        while cur is not None and cur != handler:
            if cur.type == "try_statement" and cur.child_by_field_name("handler") is not None:
                if child == cur.child_by_field_name("body") or child == cur.child_by_field_name("handler"):
                    return True
            if cur.type == "catch_clause":
                return True
            child, cur = cur, cur.parent
        return False

    # -------------------------------------------------------------- fix
    def _fix(self, handler, params, next_index):
        ctx = self.ctx
        body = handler.child_by_field_name("body")
        if body is None:
            return None
        edits = []
        if next_index < len(params):
            next_name = params[next_index]
            if not next_name:
                return None
        else:
            next_name = "next"
            plist = handler.child_by_field_name("parameters")
            if plist is None or plist.type != "formal_parameters":
                return None
            last = [p for p in plist.named_children if p.type != "comment"][-1]
            _, _, line, col = ctx.position(last)
            typed = ctx.dialect in ("typescript", "tsx")
            edits.append(Edit(line, col, line, col, ", next: (err?: unknown) => void" if typed else ", next"))
        err = "err"
        if ctx.references("err", body):
            err = "asyncError"
        line, col = ctx.position(handler)[:2]
        start_line = handler.start_point[0]
        line_text = ctx.source.split(b"\n")[start_line].decode("utf-8", "replace")
        indent = line_text[: len(line_text) - len(line_text.lstrip())]
        if body.type == "statement_block":
            inner = ctx.text(body)[1:-1]
            multiline = any(n.type in MULTILINE_LITERALS and n.start_point[0] != n.end_point[0]
                            for n in _descendants(body))
            if not multiline:
                first, *rest = inner.split("\n")
                inner = "\n".join([first] + [("  " + l) if l.strip() else l for l in rest])
            text = (f"{{\n{indent}  try {{{inner.rstrip()}\n{indent}  }} catch ({err}) {{\n"
                    f"{indent}    {next_name}({err});\n{indent}  }}\n{indent}}}")
        else:
            text = (f"{{\n{indent}  try {{\n{indent}    return {ctx.text(body)};\n{indent}  }} catch ({err}) {{\n"
                    f"{indent}    {next_name}({err});\n{indent}  }}\n{indent}}}")
        edits.append(ctx.edit_replace(body, text))
        return Fix(f"Catch errors and pass them to `{next_name}(err)`", tuple(edits), FixSafety.UNSAFE)


def _descendants(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)
