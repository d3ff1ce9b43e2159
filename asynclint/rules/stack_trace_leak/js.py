"""stack-trace-leak for JavaScript/TypeScript.

``err.stack`` names files, folders, line numbers, function names and library
versions: a map of the server for whoever triggers an error. Reported when the
``.stack`` of an error-like value (``err``, ``error``, ``e``, ``ex``, ``*Error``,
``new Error()``) reaches a response: an argument of ``res.json/send/end/write/
jsonp``, ``res.status(...).json(...)``, ``reply.send``, ``h.response``, or the
value assigned to ``ctx.body`` / ``ctx.response.body``, directly or through a
local variable built from it. Not reported under a guard that mentions the
environment (``NODE_ENV``, ``production``, ``development``, ``isProd``,
``debug``, ``app.get('env')``, ``expose``, ``showStack``...): an ``if``, a
ternary or ``&&`` around it, or an earlier ``if`` in the same function.
"""

from __future__ import annotations

import re

from ...findings import Fix, FixSafety
from ...javascript.context import find_word
from ..base import JsRule
from . import META

SEND_METHODS = frozenset({"json", "send", "end", "write", "jsonp"})
STATUS_CHAIN = frozenset({"status", "type", "set", "header", "code", "contentType", "setHeader", "append"})
RESPONSE_NAMES = frozenset({"res", "response", "resp", "reply", "rep"})
ERRORISH = re.compile(r"^(e|er|err|error|ex|exc|exception|cause|reason)$|err(or)?$|Error$|Exception$", re.IGNORECASE)
GUARD = re.compile(
    r"NODE_ENV|APP_ENV|production|development|\bprod\b|isProd|isDev|\bdev\b|debug|expose|verbose|"
    r"(?:show|include|expose|print|send|with)_?Stacks?|\.get\(\s*['\"]env['\"]\s*\)|\benv\s*[!=]=|"
    r"[!=]=\s*env\b|\.env\b(?!\.)",
    re.IGNORECASE,
)
DEV_FUNCTION = re.compile(r"(?:^|[a-z_])(?:dev|Dev|DEV)(?:elop(?:ment)?)?(?![a-z])|[dD]ebug")
FUNCTION_TYPES = frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                            "generator_function_declaration", "generator_function", "function"})
# A number or boolean computed from the stack carries none of it.
NON_LEAKING = frozenset({"length", "includes", "indexOf", "lastIndexOf", "startsWith", "endsWith", "search",
                         "test"})
CONDITIONAL_PARENTS = frozenset({"if_statement", "ternary_expression", "binary_expression"})



class Check(JsRule):
    meta = META
    # No pattern: `x.stack` is found by searching the text for the word and
    # looking up the node there (a pattern would start a query state at every
    # member expression of every file; few files say "stack" at all).

    def finish(self):
        ctx = self.ctx
        for at in find_word(ctx.source, b"stack"):
            node = ctx.root.named_descendant_for_byte_range(at, at + 5)
            if node is None or node.type != "property_identifier" or node.start_byte != at \
                    or node.end_byte != at + 5:
                continue
            parent = node.parent
            if parent is not None and parent.type == "member_expression" \
                    and parent.child_by_field_name("property") == node:
                self.on_match({"stl_stack": [parent]})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._seen_sinks: set = set()

    def on_match(self, caps):
        ctx = self.ctx
        stack = caps["stl_stack"][0]
        obj = stack.child_by_field_name("object")
        if not self._errorish(obj) or self._is_test(stack) or self._measured(stack):
            return
        sink = self._sink(stack)
        if sink is None:
            via = self._through_local(stack)
            if via is None:
                return
            sink, var = via
        else:
            var = None
        sink_node, sink_text = sink
        if self._guarded(stack) or (var is not None and self._guarded(sink_node)):
            return
        if sink_node.id in self._seen_sinks:
            return  # one finding per response
        self._seen_sinks.add(sink_node.id)
        how = f" (through `{var}`)" if var else ""
        self.report(
            stack,
            f"`{ctx.text(stack)}` is sent to the client by `{sink_text}`{how}: a stack trace shows file paths, "
            "function names, line numbers and library versions to anyone who can trigger an error. Log the stack "
            "on the server, send a generic message (and an error id), or include the stack only when "
            "`process.env.NODE_ENV !== 'production'`.",
            fix=self._fix(stack),
        )

    # ------------------------------------------------------------- pieces
    def _errorish(self, obj) -> bool:
        ctx = self.ctx
        if obj is None:
            return False
        if obj.type == "new_expression":
            ctor = obj.child_by_field_name("constructor")
            return ctor is not None and ctx.text(ctor).endswith("Error")
        if obj.type == "identifier":
            return bool(ERRORISH.search(ctx.text(obj)))
        if obj.type == "member_expression":
            prop = obj.child_by_field_name("property")
            return prop is not None and bool(ERRORISH.search(ctx.text(prop)))
        return False

    def _measured(self, stack) -> bool:
        """``err.stack.split('\\n').length``, ``err.stack.includes(x)``: only a
        number or a boolean derived from the stack goes on."""
        ctx = self.ctx
        cur = stack
        while cur.parent is not None:
            parent = cur.parent
            if parent.type == "member_expression" and parent.child_by_field_name("object") == cur:
                prop = parent.child_by_field_name("property")
                if prop is not None and ctx.text(prop) in NON_LEAKING:
                    return True
            elif not (parent.type == "call_expression" and parent.child_by_field_name("function") == cur):
                return False
            cur = parent
        return False

    def _is_test(self, stack) -> bool:
        """``err.stack ? ... : ...`` / ``if (err.stack)`` / ``!err.stack``: a
        test of the stack, not the stack being sent."""
        parent = stack.parent
        while parent is not None and parent.type == "parenthesized_expression":
            stack, parent = parent, parent.parent
        if parent is None:
            return False
        if parent.type in ("ternary_expression", "if_statement"):
            return parent.child_by_field_name("condition") == stack
        if parent.type == "unary_expression":
            return True
        return False

    def _sink(self, node):
        """The response call or ``ctx.body =`` that ``node`` is part of (not
        crossing a function boundary): (node, description)."""
        ctx = self.ctx
        cur = node
        while cur.parent is not None:
            parent = cur.parent
            if parent.type in FUNCTION_TYPES or parent.type in ("statement_block", "expression_statement",
                                                                "program", "class_body"):
                return None
            if parent.type == "arguments":
                call = parent.parent
                described = self._response_call(call)
                if described:
                    return call, described
            if parent.type == "assignment_expression" and parent.child_by_field_name("right") == cur:
                left = parent.child_by_field_name("left")
                text = ctx.text(left) if left is not None else ""
                if text in ("ctx.body", "ctx.response.body", "context.body", "this.body", "ctx.res.body"):
                    return parent, f"{text} ="
            cur = parent
        return None

    def _response_call(self, call):
        ctx = self.ctx
        if call is None or call.type != "call_expression":
            return None
        callee = call.child_by_field_name("function")
        if callee is None or callee.type != "member_expression":
            return None
        method = ctx.text(callee.child_by_field_name("property"))
        obj = callee.child_by_field_name("object")
        if method == "response" and obj is not None and ctx.text(obj) == "h":
            return "h.response()"
        if method not in SEND_METHODS:
            return None
        base = obj
        while base is not None and base.type == "call_expression":
            inner = base.child_by_field_name("function")
            if inner is None or inner.type != "member_expression" or \
                    ctx.text(inner.child_by_field_name("property")) not in STATUS_CHAIN:
                return None
            base = inner.child_by_field_name("object")
        if base is None:
            return None
        text = ctx.text(base)
        last = text.rsplit(".", 1)[-1]
        if last in RESPONSE_NAMES or text in ("ctx.res", "this.res", "reply.raw"):
            return f"{text}.{method}()"
        return None

    def _through_local(self, stack):
        """``const body = { stack: err.stack }; res.json(body)``: the local
        the stack is stored in, and the response it is sent by."""
        ctx = self.ctx
        cur = stack
        declarator = None
        while cur.parent is not None:
            parent = cur.parent
            if parent.type in FUNCTION_TYPES or parent.type in ("statement_block", "program"):
                return None
            if parent.type == "variable_declarator" and parent.child_by_field_name("value") == cur:
                declarator = parent
                break
            cur = parent
        if declarator is None:
            return None
        name_node = declarator.child_by_field_name("name")
        if name_node is None or name_node.type != "identifier":
            return None
        name = ctx.text(name_node)
        scope = ctx.enclosing_function(declarator) or ctx.root
        for ref in ctx.references(name, scope, after_byte=declarator.end_byte):
            sink = self._sink(ref)
            if sink is not None:
                return sink, name
        return None

    def _guarded(self, node) -> bool:
        """An environment/debug test around ``node``, or an earlier ``if`` in
        its function whose condition tests one (an early-return guard)."""
        ctx = self.ctx
        cur = node
        fn = None
        while cur.parent is not None:
            parent = cur.parent
            if parent.type in FUNCTION_TYPES and fn is None:
                fn = parent  # keep climbing: a handler registered only in development is guarded too
            if parent.type == "if_statement" or parent.type == "ternary_expression":
                cond = parent.child_by_field_name("condition")
                if cond is not None and cond != cur and GUARD.search(ctx.text(cond)):
                    return True
            elif parent.type == "binary_expression":
                op = parent.child_by_field_name("operator")
                left = parent.child_by_field_name("left")
                if op is not None and ctx.text(op) in ("&&", "||", "??") and left is not None and left != cur \
                        and GUARD.search(ctx.text(left)):
                    return True
            cur = parent
        # sendErrorDev(err, res), developmentErrorHandler: a function only used in development
        outer = fn
        while outer is not None:
            name = ctx.function_name(outer)
            if name and DEV_FUNCTION.search(name):
                return True
            outer = ctx.enclosing_function(outer)
        scope = fn if fn is not None else ctx.root
        body = scope.child_by_field_name("body") if fn is not None else scope
        if body is None:
            return False
        stack = [body]
        while stack:
            n = stack.pop()
            if n.start_byte >= node.start_byte:
                continue
            if n.type in FUNCTION_TYPES:
                continue
            if n.type == "if_statement":
                cond = n.child_by_field_name("condition")
                if cond is not None and GUARD.search(ctx.text(cond)):
                    return True
            if n.type == "call_expression" and ctx.callee_name(n) == "ssrFixStacktrace":
                return True  # Vite's SSR dev server: development only
            stack.extend(n.named_children)
        return False

    def _fix(self, stack):
        ctx = self.ctx
        text = ctx.text(stack)
        # In an object, `undefined` drops the key from the JSON; sent on its own or in text, say something.
        parent = stack.parent
        in_object = parent is not None and parent.type == "pair"
        instead = "undefined" if in_object else "'Internal Server Error'"
        return Fix(
            "Send the stack only outside production",
            (ctx.edit_replace(stack, f"(process.env.NODE_ENV === 'production' ? {instead} : {text})"),),
            FixSafety.UNSAFE,
        )
