"""unbounded-cache for JavaScript/TypeScript.

A module-level ``{}``, ``Object.create(null)``, ``new Map()``, ``new Set()`` or
``[]`` lives as long as the process. When code that serves requests (a route
handler, middleware, a socket message handler, or a same-file helper they
call) adds to it under a key taken from the request (``cache[req.query.id] =
...``, ``seen.set(ctx.params.user, ...)``, ``log.push(req.body)``), every
distinct key a client sends stays in memory for good, unless something evicts.
Reported when nothing in the file deletes from the container, clears it,
splices/shifts/pops it, reads its size (``.size``, ``.length``,
``Object.keys(x).length``), or reassigns it; and it is neither exported nor
passed to another function (which might evict).

A key is "request-derived" when it mentions a parameter of the handler (or
helper) or a local variable computed from one.
"""

from __future__ import annotations

import re

from ..base import JsRule
from . import META

CONTAINER_CTORS = frozenset({"Map", "Set"})
ADD_METHODS = frozenset({"set", "add", "push", "unshift"})
FUNCTION_TYPES = frozenset({"function_declaration", "function_expression", "arrow_function", "method_definition",
                            "generator_function_declaration", "generator_function", "function"})
REQUEST_GLOBALS = frozenset({"req", "request", "ctx"})
ADD_SITE = re.compile(rb"(?<![\w$.])([A-Za-z_$][\w$]*)\s*(?:\[|\??\.\s*(?:set|add|push|unshift)\s*\()")
# Request/response properties with a small, server-defined set of values: a key
# built from them (`hits[req.method]`, `byStatus.set(res.statusCode, n)`,
# `byRoute[req.route.path]`) is a metric, not a leak.
BOUNDED_PROPS = frozenset({"method", "statusCode", "status", "protocol", "httpVersion", "secure", "xhr",
                           "route", "routeOptions", "routerPath", "routeConfig", "_matchedRoute",
                           "_matchedRouteName", "baseUrl"})


class Check(JsRule):
    meta = META
    # No patterns: only module-level declarations whose value is a container
    # literal/constructor matter, read from the program's children in finish
    # (a pattern rooted at the program keeps a query state for the whole
    # file). The adds (`name[k] = v`, `name.set(k, v)` ...) are found by
    # searching the text for the few container names, not by matching every
    # assignment and call in the file.

    def __init__(self, ctx):
        super().__init__(ctx)
        self._containers: dict[str, str] = {}  # name -> kind ("object", "Map", "Set", "array")
        self._adds: list = []  # (name, site node, key nodes, verb)

    def _collect_containers(self):
        """Module-level ``const x = {}`` / ``[]`` / ``new Map()`` / ``new Set()`` /
        ``Object.create(...)``."""
        ctx = self.ctx
        for stmt in ctx.top_level:
            if "declaration" not in stmt.type and stmt.type != "ERROR":
                continue  # only declarations (and error recovery) hold declarators
            for decl in stmt.named_children:
                if decl.type != "variable_declarator":
                    continue
                name, value = decl.child_by_field_name("name"), decl.child_by_field_name("value")
                if name is None or value is None or name.type != "identifier" or not self._literal_container(value):
                    continue
                kind = self._container_kind(value)
                if kind:
                    self._containers.setdefault(ctx.text(name), kind)

    def _literal_container(self, value) -> bool:
        t = value.type
        if t in ("object", "array"):
            return True
        if t == "new_expression":
            ctor = value.child_by_field_name("constructor")
            return ctor is not None and ctor.type == "identifier" and self.ctx.text(ctor) in CONTAINER_CTORS
        if t == "call_expression":
            fn = value.child_by_field_name("function")
            if fn is None or fn.type != "member_expression":
                return False
            obj, prop = fn.child_by_field_name("object"), fn.child_by_field_name("property")
            return obj is not None and obj.type == "identifier" and self.ctx.text(obj) == "Object" \
                and prop is not None and prop.type == "property_identifier" and self.ctx.text(prop) == "create"
        return False

    def _find_adds(self):
        """``name[k] = v`` / ``name[k] += v`` and ``name.set/add/push/unshift(...)``
        for the module-level containers, found by searching the text."""
        ctx = self.ctx
        src = ctx.source
        names = {n.encode(): n for n in self._containers}
        # One pass over the text for all names (a bundle declares thousands of module-level containers).
        for m in ADD_SITE.finditer(src):
            name = names.get(m.group(1))
            if name is None:
                continue
            node = ctx.root.named_descendant_for_byte_range(m.start(), m.start() + len(m.group(1)))
            if node is None or node.type != "identifier" or node.start_byte != m.start():
                continue
            parent = node.parent
            if parent is None or parent.child_by_field_name("object") != node:
                continue
            if parent.type == "subscript_expression":
                outer = parent.parent
                if outer is not None and outer.type in ("assignment_expression", "augmented_assignment_expression") \
                        and outer.child_by_field_name("left") == parent:
                    index = parent.child_by_field_name("index")
                    if index is not None:
                        self._adds.append((name, outer, [index], "stores"))
            elif parent.type == "member_expression":
                call = parent.parent
                if call is None or call.type != "call_expression" or call.child_by_field_name("function") != parent:
                    continue
                method = ctx.text(parent.child_by_field_name("property"))
                args_node = call.child_by_field_name("arguments")
                args = [a for a in (args_node.named_children if args_node is not None else ()) if a.type != "comment"]
                if not args:
                    continue
                keys = args if method in ("push", "unshift") else args[:1]
                self._adds.append((name, call, keys, method))

    def finish(self):
        ctx = self.ctx
        self._collect_containers()
        if not self._containers:
            return
        # Only code that serves requests is reported, and serving code starts at a
        # handler: a file without any (most library files, bundles) has nothing to find.
        if not ctx.has_handler:
            return
        self._find_adds()
        serving: dict = {}
        reported: set[str] = set()
        for name, site, keys, verb in self._adds:
            kind = self._containers.get(name)
            if kind is None or name in reported:
                continue
            if (kind == "array" and verb not in ("push", "unshift", "stores")) or \
                    (kind == "Set" and verb != "add") or (kind == "Map" and verb not in ("set", "stores")) or \
                    (kind == "object" and verb != "stores"):
                continue
            if kind == "array" and verb == "stores":
                continue  # arr[i] = x replaces as often as it grows
            # Serving context depends only on the enclosing function: look it up once per function.
            fn = ctx.enclosing_function(site)
            if fn is None:
                continue  # module level: runs once, at load
            if fn.id not in serving:
                serving[fn.id] = ctx.serving_context(site)
            why = serving[fn.id]
            if why is None or self._shadowed(name, site):
                continue
            source = self._request_derived(site, keys)
            if source is None:
                continue
            if self._bounded(name):
                continue
            reported.add(name)
            what = {"object": "object", "Map": "Map", "Set": "Set", "array": "array"}[kind]
            self.report(
                site,
                f"`{name}` is a module-level {what} that {why} adds to with a request-derived "
                f"{'value' if kind == 'array' else 'key'} (`{source}`), and nothing in this file ever removes "
                "entries, clears it or checks its size: it grows with every distinct value clients send, for "
                "as long as the process lives (a leak anyone can drive). Bound it: an LRU cache with a maximum "
                "size and a TTL (lru-cache), or evict entries yourself.",
            )

    # ------------------------------------------------------------ containers
    def _container_kind(self, value):
        ctx = self.ctx
        while value.type in ("as_expression", "satisfies_expression", "parenthesized_expression") and \
                value.named_children:
            value = value.named_children[0]
        if value.type == "object" and not any(c.type == "method_definition" for c in value.named_children):
            return "object"
        if value.type == "array":
            return "array"
        if value.type == "new_expression":
            ctor = value.child_by_field_name("constructor")
            if ctor is not None and ctx.text(ctor) in CONTAINER_CTORS:
                return ctx.text(ctor)
        if value.type == "call_expression" and ctx.text(value.child_by_field_name("function")) == "Object.create":
            return "object"
        return None

    def _shadowed(self, name, site) -> bool:
        """A parameter or local of the same name hides the module-level one."""
        ctx = self.ctx
        fn = ctx.enclosing_function(site)
        while fn is not None:
            if name in ctx.param_names(fn):
                return True
            body = fn.child_by_field_name("body")
            if body is not None and re.search(r"\b(?:const|let|var)\s+" + re.escape(name) + r"\b", ctx.text(body)):
                return True
            fn = ctx.enclosing_function(fn)
        return False

    def _bounded(self, name) -> bool:
        """Anything in the file that removes, clears, measures, resets or hands on the container."""
        ctx = self.ctx
        n = re.escape(name.encode())
        src = ctx.source
        patterns = (
            rb"\bexport\s+(?:const|let|var)\s+" + n + rb"\b",
            rb"\bdelete\s+" + n + rb"\s*[\[.]",
            rb"(?<![\w$.])" + n + rb"\s*(?:\?\.|\.)\s*(?:delete|clear|splice|shift|pop|size|length)\b",
            rb"Object\.(?:keys|values|entries)\(\s*" + n + rb"\s*\)",
            rb"\bexports\.[\w$]+\s*=\s*" + n + rb"\b",
            rb"\bmodule\.exports\s*=\s*\{[^}]*\b" + n + rb"\b",
            rb"\bexport\s*\{[^}]*\b" + n + rb"\b",
        )
        if any(re.search(p, src) for p in patterns):
            return True
        # Reassigned (reset): `cache = {}` somewhere.
        for m in re.finditer(rb"(?<![\w$.])" + n + rb"\s*=(?![=>])", src):
            node = ctx.root.named_descendant_for_byte_range(m.start(), m.start() + len(name.encode()))
            parent = node.parent if node is not None else None
            if parent is not None and parent.type == "assignment_expression" and \
                    parent.child_by_field_name("left") == node:
                return True
        # Handed to another function (an LRU wrapper, an evictor): trust it.
        pattern = re.compile(rb"[(,]\s*" + n + rb"\s*[,)]")
        return pattern.search(src) is not None

    # ------------------------------------------------------------- taint
    def _request_derived(self, site, keys):
        """The text of the request-derived part of ``keys``, or None."""
        ctx = self.ctx
        tainted = self._tainted_names(site)
        for key in keys:
            for node in self._identifiers(key):
                parent = node.parent
                if parent is not None and parent.type == "member_expression" and \
                        parent.child_by_field_name("object") == node and \
                        ctx.text(parent.child_by_field_name("property")) in BOUNDED_PROPS:
                    continue
                if ctx.text(node) in tainted:
                    text = " ".join(ctx.text(key).split())
                    return text if len(text) <= 50 else text[:47] + "..."
        return None

    def _identifiers(self, node):
        stack = [node]
        while stack:
            cur = stack.pop()
            if cur.type in ("identifier", "shorthand_property_identifier"):
                yield cur
            elif cur.type == "member_expression":
                obj = cur.child_by_field_name("object")
                if obj is not None:
                    stack.append(obj)
                continue
            stack.extend(cur.named_children)

    def _tainted_names(self, site, depth: int = 0) -> set:
        """Names whose value comes from the request at ``site``: the request
        parameters of the handler around it (and of functions nested in it),
        locals computed from them, and, in a same-file helper a handler calls,
        the parameters that some call passes request-derived values to."""
        ctx = self.ctx
        names = set(REQUEST_GLOBALS)
        handler = ctx.handler_for(site)
        stop = handler[0] if handler is not None else None
        reached = ctx.helpers_reached_from_handlers
        fn = ctx.enclosing_function(site)
        outer = None
        while fn is not None:
            if fn.id in reached and (stop is None or fn != stop) and handler is None:
                names.update(self._helper_params(fn, depth))
                outer = fn
                break
            names.update(n for n in ctx.param_names(fn) if n)
            outer = fn
            if stop is not None and fn == stop:
                break
            fn = ctx.enclosing_function(fn)
        if outer is None:
            return names
        declarators = [n for n in self._walk(outer) if n.type == "variable_declarator"]
        for _ in range(4):
            grew = False
            for d in declarators:
                value = d.child_by_field_name("value")
                target = d.child_by_field_name("name")
                if value is None or target is None:
                    continue
                if any(ctx.text(i) in names for i in self._identifiers(value)):
                    for ident in self._pattern_names(target):
                        if ident not in names:
                            names.add(ident)
                            grew = True
            if not grew:
                break
        return names

    def _helper_params(self, fn, depth: int) -> set:
        """Parameters of helper ``fn`` that a call in serving code passes a
        request-derived argument to."""
        ctx = self.ctx
        name = ctx.function_name(fn)
        params = ctx.param_names(fn)
        if not name or depth > 2:
            return set()
        out = set()
        for call, callee in ctx._local_calls:
            if callee != name or ctx.serving_context(call) is None:
                continue
            caller_names = self._tainted_names(call, depth + 1)
            args = call.child_by_field_name("arguments")
            values = [a for a in (args.named_children if args is not None else ()) if a.type != "comment"]
            for i, arg in enumerate(values[: len(params)]):
                if params[i] and any(ctx.text(ident) in caller_names for ident in self._identifiers(arg)):
                    out.add(params[i])
        return out

    def _pattern_names(self, target):
        ctx = self.ctx
        stack = [target]
        while stack:
            cur = stack.pop()
            if cur.type in ("identifier", "shorthand_property_identifier_pattern"):
                yield ctx.text(cur)
            elif cur.type == "pair_pattern":
                value = cur.child_by_field_name("value")
                if value is not None:
                    stack.append(value)
            else:
                stack.extend(cur.named_children)

    @staticmethod
    def _walk(node, limit=20000):
        stack = [node]
        count = 0
        while stack and count < limit:
            cur = stack.pop()
            count += 1
            yield cur
            stack.extend(cur.named_children)
