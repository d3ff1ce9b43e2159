"""unremoved-listener for JavaScript/TypeScript.

Flags ``emitter.on(event, handler)`` / ``.addListener`` / ``.prependListener``
when all of these hold:

1. The call runs many times: it is in code that serves requests
   (``ctx.serving_context``: a handler, or a same-file helper a handler
   calls), or in a function that takes a ``req`` / ``request`` parameter, or
   in a loop body (then only for a constant event name: a loop registering a
   different event per iteration does not pile up).
2. The emitter outlives one run. The "run" is the innermost repeating scope
   of the call (the handler, the per-request function, the loop's function);
   the emitter is long-lived when it is ``process``, a module-level binding
   (variable or import; not when the run reassigns it), a parameter of the
   per-request function itself (not of a request/connection handler, whose
   ``req``/``res``/``ctx``/``socket``/``ws`` die with the request or
   connection) or of a function enclosing the run, a variable of a function
   that encloses the run (a closure over a factory's emitter), a property
   chain on one of those (``process.stdin``), or ``this.<...server>``.
   Objects declared inside the run (``const r = http.request(...)``, a
   stream, a worker, a callback's parameter) are never flagged, and
   ``req``/``request``/``res``/``response``/``reply``/``ctx`` are never
   treated as long-lived wherever they appear.
   For a parameter of a same-file helper, every same-file call site must
   pass something long-lived (``process``, a module-level binding): a helper
   called with ``req`` or a local stream is not flagged. In a function that
   takes ``req``/``request``, parameters whose name says they belong to the
   request (``stream``, ``socket``, ``payload``, ``body``, ``file``, ...,
   see ``PER_REQUEST_HINT``) are not long-lived: ``(request, payload,
   done)`` body parsers and ``handleUpgrade(req, socket, head)`` are fine.
   For the loop case only ``process``, module-level bindings and parameters
   of the function holding the loop count: a loop in a callback that adds a
   per-item listener to an object of an outer function is by design.
3. Nothing removes it: no ``.off`` / ``.removeListener`` /
   ``.removeAllListeners`` on the same emitter text for the same event
   (``removeAllListeners()`` without an event counts for every event)
   anywhere in the outermost function containing the call (nested callbacks
   included, e.g. a ``req.on('close')`` cleanup), nor in a same-file
   function that code calls or passes as a callback.
4. It is not behind a run-once guard: an ``if`` around the call (or an
   earlier ``if`` that returns) whose condition reads a flag the run assigns
   (``if (!hooked) { hooked = true; process.on(...) }``) or counts existing
   listeners (``listenerCount``) makes the registration happen once.

``.once`` / ``prependOnceListener`` and module-level registrations are never
flagged (the query does not match them / there is no enclosing function).
"""

from __future__ import annotations

import functools
import re

from tree_sitter import Query

from ...javascript import parse as ts_parse
from ..base import JsRule
from ...javascript.parse import cursor as ts_cursor
from . import META

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
        "function",
    }
)
INLINE_FUNCTIONS = frozenset({"arrow_function", "function_expression", "function"})
REMOVE_METHODS = frozenset({"off", "removeListener", "removeAllListeners"})
# Per-request objects: they die with the request, whatever function holds them.
PER_REQUEST_NAMES = frozenset({"req", "request", "res", "response", "reply", "ctx"})
REQUEST_PARAM_NAMES = frozenset({"req", "request"})
# Other parameters of a function that takes the request and that, by their
# name, belong to the same request: its body stream, socket, uploaded file...
PER_REQUEST_HINT = re.compile(
    r"stream|socket|payload|body|req|res|conn|ws|file|upload|duplex|head|part|busboy|form|child|proc|pipe",
    re.IGNORECASE,
)
CONNECTION_EVENTS = frozenset(
    {"connection", "secureConnection", "connect", "upgrade", "session", "stream", "request"}
)
WRAPPERS = frozenset({"parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression"})


_DECL_QUERY = """
(variable_declarator name: (_) @name) @decl
(function_declaration name: (identifier) @name) @decl
(generator_function_declaration name: (identifier) @name) @decl
(class_declaration name: (_) @name) @decl
(import_specifier alias: (identifier) @name) @decl
(import_specifier name: (identifier) @name !alias) @decl
(import_clause (identifier) @name) @decl
(namespace_import (identifier) @name) @decl
(for_in_statement left: (_) @pattern) @decl
(catch_clause parameter: (_) @pattern) @decl
"""
_REMOVE_QUERY = """
(call_expression
  function: (member_expression
              object: (_) @obj
              property: (property_identifier) @p
              (#any-of? @p "off" "removeListener" "removeAllListeners"))
  arguments: (arguments) @args) @call
"""


@functools.lru_cache(maxsize=None)
def _query(dialect: str, source: str) -> Query:
    return Query(ts_parse.language(dialect), source)


def _binding_names(node, out: list) -> list:
    """Identifier nodes a declaration pattern binds (``{a, b: [c]}`` → a, c)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        t = n.type
        if t in ("identifier", "shorthand_property_identifier_pattern"):
            out.append(n)
        elif t in ("object_pattern", "array_pattern", "rest_pattern", "formal_parameters"):
            stack.extend(n.named_children)
        elif t == "pair_pattern":
            stack.append(n.child_by_field_name("value"))
        elif t in ("assignment_pattern", "object_assignment_pattern"):
            stack.append(n.child_by_field_name("left"))
        elif t in ("required_parameter", "optional_parameter"):
            stack.append(n.child_by_field_name("pattern"))
    return out


class Check(JsRule):
    meta = META
    member_calls = frozenset({"on", "addListener", "prependListener"})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._scopes: dict[int, tuple] = {}
        self._param_names: dict[int, frozenset] = {}
        self._module_scope = None
        self._removal_calls = None
        self._reach_cache: dict[int, list] = {}
        self._calls_by_name = None
        self._facts_cache: dict[int, tuple] = {}

    # ------------------------------------------------------------ matching
    def on_call(self, call, name, member):
        ctx = self.ctx
        emitter = call.child_by_field_name("function").child_by_field_name("object")
        arguments = call.child_by_field_name("arguments")
        if emitter is None or arguments is None or arguments.type != "arguments":
            return
        method = ctx.text(name)
        args = [a for a in call.child_by_field_name("arguments").named_children if a.type != "comment"]
        if len(args) < 2:
            return
        event, handler = args[0], args[1]
        root, last = self._root(emitter)
        if root is None or (root.type == "identifier" and ctx.text(root) in PER_REQUEST_NAMES):
            return  # a call result, a subscript, or the request's own objects
        if root.type == "this" and not self._server_name(last):
            return
        chain = self._chain(call)
        if not chain:
            return  # module top level: registered once
        run = self._repeat_scope(call, chain, event)
        if run is None:
            return
        scope_fn, why, is_handler, mode = run
        lifetime = self._long_lived(emitter, chain, scope_fn, is_handler, mode)
        if lifetime is None or self._once_guarded(call, scope_fn):
            return
        emitter_text = self._norm(ctx.text(emitter))
        event_key = self._event_key(event)
        if self._removed(chain[-1], emitter_text, event_key):
            return
        self._report(call, emitter_text, method, event, handler, why, lifetime)

    # ---------------------------------------------------------- functions
    def _nearest_function(self, node):
        return self.ctx.enclosing_function(node)

    def _chain(self, node) -> list:
        """Enclosing functions, innermost first."""
        out = []
        fn = self._nearest_function(node)
        while fn is not None:
            out.append(fn)
            fn = self._nearest_function(fn)
        return out

    def _is_handler(self, fn) -> bool:
        """A request / connection handler: its parameters die with the request
        or the connection."""
        body = fn.child_by_field_name("body")
        if body is not None:
            h = self.ctx.handler_for(body)
            if h is not None and h[0] == fn:
                return True
        parent = fn.parent
        if parent is None or parent.type != "arguments":
            return False
        call = parent.parent
        if call is None or call.type != "call_expression":
            return False
        callee = call.child_by_field_name("function")
        if callee is None:
            return False
        name = self.ctx.callee_name(call) or ""
        if name in ("createServer", "createSecureServer"):
            return True
        if callee.type == "member_expression" and name in ("on", "once", "addListener", "prependListener"):
            first = parent.named_children[0] if parent.named_children else None
            return first is not None and self._string(first) in CONNECTION_EVENTS
        return False

    def _repeat_scope(self, call, chain, event):
        """(function that runs many times, why, is it a handler, mode) or
        None; mode is "handler", "helper", "request-fn" or "loop"."""
        ctx = self.ctx
        h = ctx.handler_for(call)
        found = []  # (position in chain, fn, why, handler?, mode)
        if h is not None:
            found.append((self._index(chain, h[0]), h[0], f"on every request (in the {h[1]})", True, "handler"))
        else:
            why = ctx.serving_context(call)
            if why is not None:
                reached = ctx.helpers_reached_from_handlers
                for i, fn in enumerate(chain):
                    if fn.id in reached:
                        found.append((i, fn, f"on every request (in {why})", False, "helper"))
                        break
        for i, fn in enumerate(chain):
            if self._params(fn) & REQUEST_PARAM_NAMES:
                name = ctx.function_name(fn)
                label = f"`{name}()`" if name else "this function"
                found.append((i, fn, f"on every request ({label} takes the request)", self._is_handler(fn), "request-fn"))
                break
        if ctx.in_loop(call) and self._string(event) is not None:
            found.append((0, chain[0], "on every loop iteration", False, "loop"))
        if not found:
            return None
        found.sort(key=lambda f: f[0])
        _, fn, why, is_handler, mode = found[0]
        return fn, why, is_handler, mode

    @staticmethod
    def _index(chain, fn) -> int:
        for i, f in enumerate(chain):
            if f == fn:
                return i
        return len(chain)

    # -------------------------------------------------------------- scopes
    def _scope(self, fn) -> tuple:
        """(parameter names, {local name: declaring node}) of ``fn``."""
        cached = self._scopes.get(fn.id)
        if cached is None:
            body = fn.child_by_field_name("body")
            cached = self._scopes[fn.id] = (self._params(fn), self._declared_in(body) if body is not None else {})
        return cached

    def _params(self, fn) -> frozenset:
        """``fn``'s parameter names (without reading its body: most calls
        need only these)."""
        cached = self._param_names.get(fn.id)
        if cached is None:
            params = []
            plist = fn.child_by_field_name("parameters")
            if plist is not None:
                _binding_names(plist, params)
            single = fn.child_by_field_name("parameter")
            if single is not None:
                _binding_names(single, params)
            cached = self._param_names[fn.id] = frozenset(self.ctx.text(p) for p in params)
        return cached

    def _declared_in(self, root) -> dict:
        """Names declared directly in ``root`` (not in nested functions)."""
        out: dict = {}
        stack = [root]
        while stack:
            node = stack.pop()
            t = node.type
            if t in FUNCTION_TYPES and node != root:
                if t in ("function_declaration", "generator_function_declaration"):
                    name = node.child_by_field_name("name")
                    if name is not None:
                        out[self.ctx.text(name)] = node
                continue
            if t == "variable_declarator":
                names = _binding_names(node.child_by_field_name("name"), [])
                for n in names:
                    out[self.ctx.text(n)] = node
            elif t == "for_in_statement":
                left = node.child_by_field_name("left")
                if left is not None:
                    for n in _binding_names(left, []):
                        out.setdefault(self.ctx.text(n), node)
            elif t == "catch_clause":
                param = node.child_by_field_name("parameter")
                if param is not None:
                    for n in _binding_names(param, []):
                        out[self.ctx.text(n)] = node
            elif t in ("class_declaration", "import_specifier", "namespace_import", "import_clause"):
                if t == "class_declaration":
                    name = node.child_by_field_name("name")
                    if name is not None:
                        out[self.ctx.text(name)] = node
                elif t == "import_specifier":
                    alias = node.child_by_field_name("alias") or node.child_by_field_name("name")
                    if alias is not None:
                        out[self.ctx.text(alias)] = node
                else:
                    for c in node.named_children:
                        if c.type == "identifier":
                            out[self.ctx.text(c)] = node
            elif t == "import_require_clause":
                if node.named_children and node.named_children[0].type == "identifier":
                    out[self.ctx.text(node.named_children[0])] = node
            stack.extend(node.children)
        return out

    def _module_names(self) -> dict:
        """Names bound at module level (variables, functions, classes,
        imports), found with a query rather than a walk of the whole tree."""
        if self._module_scope is None:
            out: dict = {}
            for _, caps in ts_cursor(_query(self.ctx.dialect, _DECL_QUERY)).matches(self.ctx.root):
                decl = caps["decl"][0]
                if self._nearest_function(decl) is not None:
                    continue
                for key in ("name", "pattern"):
                    for n in caps.get(key, ()):
                        for ident in _binding_names(n, []):
                            out[self.ctx.text(ident)] = decl
            self._module_scope = out
        return self._module_scope

    def _declaration(self, name: str, chain):
        """Where ``name`` is bound: ("param", fn) / ("local", fn) /
        ("module", None) / ("global", None)."""
        for fn in chain:
            params, locals_ = self._scope(fn)
            if name in params:
                return "param", fn
            if name in locals_:
                return "local", fn
        if name in self._module_names():
            return "module", None
        return "global", None

    @staticmethod
    def _inside(inner, outer) -> bool:
        return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte

    # -------------------------------------------------------- once guards
    def _once_guarded(self, call, scope_fn) -> bool:
        """Registration behind a run-once guard: an ``if`` (around the call,
        or an earlier ``if`` that returns) whose condition reads a flag the
        function sets (``if (!subscribed) { subscribed = true; ... }``) or
        counts the listeners already there (``listenerCount``)."""
        body = scope_fn.child_by_field_name("body")
        if body is None:
            return False
        conditions = []
        cur = call.parent
        while cur is not None and cur != scope_fn:
            if cur.type in ("if_statement", "ternary_expression"):
                cond = cur.child_by_field_name("condition")
                if cond is not None and not self._inside(call, cond):
                    conditions.append(cond)
            elif cur.type == "binary_expression":
                op = cur.child_by_field_name("operator")
                left = cur.child_by_field_name("left")
                if op is not None and op.type in ("&&", "||") and left is not None and not self._inside(call, left):
                    conditions.append(left)
            cur = cur.parent
        exit_ifs, assigned = self._body_facts(scope_fn)
        conditions.extend(cond for end, cond in exit_ifs if end <= call.start_byte)
        for cond in conditions:
            text = self.ctx.text(cond)
            if "listenerCount" in text or ".listeners(" in text:
                return True
            for node in self._walk(cond):
                if node.type in ("identifier", "member_expression") and self._norm(self.ctx.text(node)) in assigned:
                    return True
        return False

    def _body_facts(self, fn) -> tuple:
        """(``(end byte, condition)`` of ``if`` statements that can return or
        throw, texts of assignment targets) in ``fn``'s own body."""
        cached = self._facts_cache.get(fn.id)
        if cached is not None:
            return cached
        exit_ifs, assigned = [], set()
        body = fn.child_by_field_name("body")
        stack = [body] if body is not None else []
        while stack:
            node = stack.pop()
            t = node.type
            if t in FUNCTION_TYPES:
                continue
            if t == "if_statement" and self._has_exit(node):
                cond = node.child_by_field_name("condition")
                if cond is not None:
                    exit_ifs.append((node.end_byte, cond))
            if t in ("assignment_expression", "augmented_assignment_expression", "update_expression"):
                target = node.child_by_field_name("left") or node.child_by_field_name("argument")
                if target is not None:
                    assigned.add(self._norm(self.ctx.text(target)))
            stack.extend(node.children)
        result = (exit_ifs, frozenset(assigned))
        self._facts_cache[fn.id] = result
        return result

    @staticmethod
    def _walk(node):
        stack = [node]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(n.children)

    @staticmethod
    def _has_exit(if_node) -> bool:
        stack = [if_node]
        while stack:
            n = stack.pop()
            if n.type in FUNCTION_TYPES:
                continue
            if n.type in ("return_statement", "throw_statement"):
                return True
            stack.extend(n.children)
        return False

    # ------------------------------------------------------------ lifetime
    def _root(self, expr):
        """The identifier (or ``this``) a property chain starts from, and the
        last property name."""
        last = None
        while expr is not None:
            t = expr.type
            if t in WRAPPERS:
                expr = expr.named_children[0] if expr.named_children else None
                continue
            if t == "member_expression":
                prop = expr.child_by_field_name("property")
                if last is None and prop is not None:
                    last = self.ctx.text(prop)
                expr = expr.child_by_field_name("object")
                continue
            if t in ("identifier", "this"):
                return expr, last
            return None, None
        return None, None

    @staticmethod
    def _server_name(name) -> bool:
        return name is not None and (name.lower().endswith("server") or name == "wss")

    def _long_lived(self, emitter, chain, scope_fn, is_handler, mode):
        """A short description of why ``emitter`` outlives one run, or None."""
        root, last = self._root(emitter)
        if root is None:
            return None
        if root.type == "this":
            return "a server object" if self._server_name(last) else None
        name = self.ctx.text(root)
        if name in PER_REQUEST_NAMES:
            return None
        kind, fn = self._declaration(name, chain)
        if kind == "global":
            return "the process object" if name == "process" else None
        if kind == "module":
            if self._reassigned_in(name, scope_fn):
                return None
            return "declared at module level"
        if fn == scope_fn:
            if kind == "local" or is_handler:
                return None  # created by this run / the request's own objects
            if mode == "request-fn" and PER_REQUEST_HINT.search(name):
                return None  # `(req, stream)`, `(request, payload, done)`: the request's own objects
            if not self._call_sites_pass_long_lived(fn, name):
                return None
            return "a parameter, so it comes from outside this call"
        if self._inside(fn, scope_fn):
            return None  # declared inside the run (a callback's parameter, a local)
        if mode == "loop":
            return None  # a loop in a callback adding to an outer object: one listener per item, by design
        # declared in a function that encloses the run: outlives each run
        if self._reassigned_in(name, scope_fn):
            return None
        return "a parameter of an enclosing function" if kind == "param" else "declared outside the handler"

    def _reassigned_in(self, name: str, fn) -> bool:
        return name in self._body_facts(fn)[1]

    def _call_sites(self) -> dict:
        if self._calls_by_name is None:
            out: dict = {}
            q = _query(self.ctx.dialect, "(call_expression function: (identifier) @f arguments: (arguments) @a)")
            for _, caps in ts_cursor(q).matches(self.ctx.root):
                out.setdefault(self.ctx.text(caps["f"][0]), []).append(caps["a"][0])
            self._calls_by_name = out
        return self._calls_by_name

    def _call_sites_pass_long_lived(self, fn, param: str) -> bool:
        """Every same-file call of ``fn`` passes a long-lived object for
        ``param`` (true when there are no such calls)."""
        name = self.ctx.function_name(fn)
        if not name:
            return True
        params = self.ctx.param_names(fn)
        if param not in params:
            return False  # destructured: cannot follow
        index = params.index(param)
        for args in self._call_sites().get(name, ()):
            real = [a for a in args.named_children if a.type != "comment"]
            if index >= len(real):
                return False
            arg = real[index]
            if arg.type == "spread_element":
                return False
            root, _ = self._root(arg)
            if root is None or root.type != "identifier":
                return False
            arg_name = self.ctx.text(root)
            if arg_name in PER_REQUEST_NAMES:
                return False
            kind, _ = self._declaration(arg_name, self._chain(args))
            if kind == "module" or (kind == "global" and arg_name == "process"):
                continue
            return False
        return True

    # ------------------------------------------------------------- removal
    @staticmethod
    def _norm(text: str) -> str:
        return "".join(text.split()).replace("?.", ".")

    def _string(self, node):
        if node is None:
            return None
        if node.type == "string":
            return self.ctx.text(node)[1:-1]
        if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.children):
            return self.ctx.text(node)[1:-1]
        return None

    def _event_key(self, node) -> str:
        s = self._string(node)
        return "str:" + s if s is not None else "expr:" + self._norm(self.ctx.text(node))

    def _all_removals(self) -> list:
        """(emitter text, event key or None for every event, call node) of
        every removal call in the file."""
        if self._removal_calls is None:
            out = []
            for _, caps in ts_cursor(_query(self.ctx.dialect, _REMOVE_QUERY)).matches(self.ctx.root):
                args = [a for a in caps["args"][0].named_children if a.type != "comment"]
                key = self._event_key(args[0]) if args else None
                out.append((self._norm(self.ctx.text(caps["obj"][0])), key, caps["call"][0]))
            self._removal_calls = out
        return self._removal_calls

    def _removed(self, outer_fn, emitter_text: str, event_key: str) -> bool:
        """Is there a matching removal inside ``outer_fn``, or inside a
        same-file function that ``outer_fn`` calls or passes along
        (transitively)?"""
        candidates = [
            node for obj, key, node in self._all_removals()
            if obj == emitter_text and (key is None or key == event_key)
        ]
        if not candidates:
            return False
        reachable = self._reachable_functions(outer_fn)
        for node in candidates:
            for fn in reachable:
                if self._inside(node, fn):
                    return True
        return False

    def _reachable_functions(self, fn) -> list:
        cached = self._reach_cache.get(fn.id)
        if cached is not None:
            return cached
        out = [fn]
        visited = {fn.id}
        work = [fn]
        while work:
            cur = work.pop()
            for _, caps in ts_cursor(_query(self.ctx.dialect, "(identifier) @id")).matches(cur):
                for other in self.ctx.functions.get(self.ctx.text(caps["id"][0]), ()):
                    if other.id not in visited:
                        visited.add(other.id)
                        out.append(other)
                        work.append(other)
        self._reach_cache[fn.id] = out
        return out

    # -------------------------------------------------------------- report
    def _report(self, call, emitter_text, method, event, handler, why, lifetime):
        ctx = self.ctx
        event_text = ctx.text(event)
        if len(event_text) > 40:
            event_text = event_text[:37] + "..."
        inline = handler.type in INLINE_FUNCTIONS
        message = (
            f"`{emitter_text}.{method}({event_text}, ...)` adds a listener to `{emitter_text}` "
            f"({lifetime}) {why}, and nothing removes it: listeners pile up on the emitter "
            f"(a memory leak; Node prints MaxListenersExceededWarning after 10). "
        )
        if inline:
            message += "The handler is an inline closure with no reference kept, so it can never be removed. "
        message += (
            "Use `.once()` if one event is enough, or keep the handler in a variable and remove it "
            f"with `{emitter_text}.off({event_text}, handler)` in a cleanup path"
        )
        message += " (e.g. when the loop is done)." if why == "on every loop iteration" else " (e.g. on the request's 'close' event)."
        self.report(call, message)
