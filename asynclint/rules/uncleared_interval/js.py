"""uncleared-interval for JavaScript/TypeScript.

An interval runs until ``clearInterval(id)``. Its callback, and everything the
callback's closure holds, stay reachable for as long, and a referenced timer
keeps the process alive. Reported:

- ``setInterval(...)`` whose id is dropped (a bare statement, or only
  ``.unref()``/``.ref()`` called on it inside a function): nothing can ever
  stop it;
- an id stored in a variable, property, object key or map that no
  ``clearInterval``/``clearTimeout`` call in the file receives (matched by
  name: ``this.timer = setInterval(...)`` is cleared by
  ``clearInterval(self.timer)``), and that is not handed on (returned, passed
  to a function, put in an object) where someone else could clear it.

Not reported: an interval at module top level whose ``.unref()`` is called
(process-lifetime housekeeping that does not hold the process open), ids
returned or passed to another function, ``timers/promises`` ``setInterval``
(an async iterator), and a local function or binding named ``setInterval``.
"""

from __future__ import annotations

import re

from ...findings import Fix, FixSafety
from ..base import JsRule
from . import META

GLOBAL_OBJECTS = frozenset({"global", "globalThis", "window", "self"})
CLEAR_NAMES = frozenset({"clearInterval", "clearTimeout"})
TIMER_METHODS = frozenset({"unref", "ref", "hasRef", "refresh"})
WRAPPERS = frozenset({"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression"})
ESCAPE_PARENTS = frozenset({"return_statement", "array", "pair", "spread_element", "yield_expression",
                            "shorthand_property_identifier"})


class Check(JsRule):
    meta = META
    # The calls come from the runner's shared call patterns;
    # `ids.forEach(clearInterval)` is found by a text search.
    plain_calls = member_calls = frozenset({"setInterval", "clearInterval", "clearTimeout"})

    def __init__(self, ctx):
        super().__init__(ctx)
        self._intervals = []
        self._cleared_keys: set[str] = set()
        self._clear_as_value = False

    def on_call(self, call, name, member):
        if self.ctx.text(name) == "setInterval":
            if self._is_node_set_interval(call):
                self._intervals.append(call)
            return
        args = call.child_by_field_name("arguments")
        first = next((a for a in (args.named_children if args is not None else ()) if a.type != "comment"), None)
        key = self._key(first)
        if key:
            self._cleared_keys.add(key)

    def finish(self):
        if not self._intervals:
            return
        # ids.forEach(clearInterval), clear.bind(null, clearTimeout): the clearing is indirect
        self._clear_as_value = re.search(
            rb"[(,]\s*(?:clearInterval|clearTimeout)\s*[,)]", self.ctx.source) is not None
        for call in self._intervals:
            self._check(call)

    # --------------------------------------------------------------- checks
    def _is_node_set_interval(self, call) -> bool:
        ctx = self.ctx
        callee = call.child_by_field_name("function")
        if callee.type == "identifier":
            if "setInterval" in ctx.functions:
                return False
            ref = ctx.bindings.get("setInterval")
            return ref is None or (not ref.project and ref.qualname == "timers.setInterval")
        obj = callee.child_by_field_name("object")
        if obj is not None and obj.type == "identifier" and ctx.text(obj) in GLOBAL_OBJECTS:
            return True
        ref = ctx.resolve(callee)
        return ref is not None and not ref.project and ref.qualname == "timers.setInterval"

    def _check(self, call):
        ctx = self.ctx
        top_level = self._at_top_level(call)
        # Follow the timer through wrappers and `.unref()`-style calls, which return it.
        value, unrefed = call, False
        while True:
            parent = value.parent
            if parent is None:
                return
            if parent.type in WRAPPERS:
                value = parent
                continue
            if parent.type == "member_expression" and parent.child_by_field_name("object") == value:
                prop = parent.child_by_field_name("property")
                outer = parent.parent
                if prop is not None and ctx.text(prop) in TIMER_METHODS and outer is not None \
                        and outer.type == "call_expression":
                    unrefed = unrefed or ctx.text(prop) == "unref"
                    value = outer
                    continue
                return  # some other use of the timer object
            break
        if top_level and (unrefed or not self._top_level_matters()):
            return
        kind = parent.type
        if kind == "expression_statement":
            if not top_level and self._ends_process_itself() and self.ctx.serving_context(call) is None:
                return
            self._report_dropped(call, value, top_level)
            return
        target = None
        if kind == "variable_declarator" and parent.child_by_field_name("value") == value:
            target = parent.child_by_field_name("name")
        elif kind == "assignment_expression" and parent.child_by_field_name("right") == value:
            target = parent.child_by_field_name("left")
        elif kind == "pair" and parent.child_by_field_name("value") == value:
            target = parent.child_by_field_name("key")
        elif kind in ("field_definition", "public_field_definition"):
            target = parent.child_by_field_name("property") or parent.child_by_field_name("name")
        elif kind == "arguments":
            owner = parent.parent
            callee = owner.child_by_field_name("function") if owner is not None else None
            # map.set(id, setInterval(...)): stored under the map's name
            if callee is not None and callee.type == "member_expression" and \
                    ctx.text(callee.child_by_field_name("property")) == "set":
                target = callee.child_by_field_name("object")
            else:
                return  # handed to another function
        if target is None:
            return  # returned, awaited, in a condition ...: someone else has it
        key = self._key(target)
        if key is None or target.type in ("object_pattern", "array_pattern"):
            return
        if self._clear_as_value or key in self._cleared_keys:
            return
        if top_level and self._unref_by_name(key):
            return
        if self._escapes(key, target):
            return
        what = ctx.text(target) if len(ctx.text(target)) <= 40 else key
        self.report(
            call,
            f"This interval's id is kept in `{what}`, but no `clearInterval({what})` appears anywhere in this "
            "file: the timer runs until the process exits, keeping its callback and everything the callback "
            "refers to in memory (and the process alive). Clear it where its owner is closed or stopped.",
        )

    def _report_dropped(self, call, statement_value, top_level):
        if top_level:
            self.report(
                call,
                "This `setInterval()` at module level drops its id: nothing can stop it, and it keeps the "
                "process from ever exiting on its own. If it is process-lifetime housekeeping, call `.unref()` "
                "on it; otherwise keep the id and `clearInterval()` it on shutdown.",
                fix=self._unref_fix(statement_value),
            )
            return
        self.report(
            call,
            "The id returned by `setInterval()` is dropped, so nothing can ever stop this timer: each call of "
            "the enclosing function starts another one that runs forever, holding its callback's closure in "
            "memory. Keep the id and `clearInterval()` it when the work is done or its owner is closed.",
        )

    def _unref_fix(self, value):
        ctx = self.ctx
        if value.type != "call_expression" or value.parent is None or value.parent.type != "expression_statement":
            return None
        _, _, end_line, end_col = ctx.position(value)
        from ...findings import Edit

        return Fix("Call `.unref()` so the timer does not keep the process alive",
                   (Edit(end_line, end_col, end_line, end_col, ".unref()"),), FixSafety.UNSAFE)

    # -------------------------------------------------------------- helpers
    def _top_level_matters(self) -> bool:
        """A module-level interval in a library (a file that exports) starts
        at import and holds every importer's process open. In an entry script
        (no exports: a server, a CLI, a demo) it normally runs for the life of
        the process on purpose; reported there only with the option
        ``entry-scripts``."""
        ctx = self.ctx
        if ctx.options.get(META.id, {}).get("entry-scripts", False):
            return True
        if ctx._exports_nodes or ctx._export_stmts:
            return True
        return re.search(rb"(?<![\w$.])(?:module\.exports|exports\.[\w$]+)\s*=", ctx.source) is not None

    def _ends_process_itself(self) -> bool:
        """The file calls ``process.exit()``: a CLI or dashboard that owns the
        process lifetime, where a dropped interval lives until that exit."""
        return re.search(rb"(?<![\w$.])process\.exit\s*\(", self.ctx.source) is not None


    @staticmethod
    def _at_top_level(node) -> bool:
        cur = node.parent
        while cur is not None:
            if cur.type in ("function_declaration", "function_expression", "arrow_function", "method_definition",
                            "generator_function_declaration", "generator_function", "function", "class_body"):
                return False
            cur = cur.parent
        return True

    def _key(self, node):
        """The name a timer id is known by: ``t`` for ``t``, ``timer`` for
        ``this.timer``, ``timers`` for ``timers[id]`` and ``timers.get(id)``."""
        ctx = self.ctx
        depth = 0
        while node is not None and depth < 16:
            depth += 1
            t = node.type
            if t in WRAPPERS:
                node = node.named_children[0] if node.named_children else None
            elif t in ("identifier", "property_identifier", "shorthand_property_identifier",
                       "private_property_identifier"):
                return ctx.text(node).lstrip("#")
            elif t == "string":
                return ctx._string_value(node)
            elif t == "member_expression":
                node = node.child_by_field_name("property")
            elif t == "subscript_expression":
                node = node.child_by_field_name("object")
            elif t == "call_expression":
                callee = node.child_by_field_name("function")
                node = callee.child_by_field_name("object") if callee is not None and \
                    callee.type == "member_expression" else None
            else:
                return None
        return None

    def _unref_by_name(self, key) -> bool:
        pattern = re.compile(rb"(?<![\w$])" + re.escape(key.encode()) + rb"\s*(?:\?\.|\.)\s*unref\s*\(")
        return pattern.search(self.ctx.source) is not None

    def _escapes(self, key, target) -> bool:
        """Is the stored id read somewhere it could be cleared from: returned,
        passed to a function, copied into another variable or object?"""
        ctx = self.ctx
        pattern = re.compile(rb"(?<![\w$])" + re.escape(key.encode()) + rb"(?![\w$])")
        if target.type == "identifier":
            # A variable: its own name, within the function that declares it.
            declared_here = target.parent is not None and target.parent.type == "variable_declarator"
            scope = (ctx.enclosing_function(target) if declared_here else None) or ctx.root
            kinds = ("identifier", "shorthand_property_identifier")
        else:
            # A property or map: `.key` anywhere in the file.
            scope = ctx.root
            kinds = ("property_identifier", "private_property_identifier", "identifier",
                     "shorthand_property_identifier")
        for m in pattern.finditer(ctx.source, scope.start_byte, scope.end_byte):
            node = ctx.root.named_descendant_for_byte_range(m.start(), m.end())
            if node is None or node.start_byte != m.start() or node == target:
                continue
            if node.type not in kinds:
                continue
            value = node
            if node.type in ("property_identifier", "private_property_identifier"):
                value = node.parent
                if value is None or value.type != "member_expression" or value.child_by_field_name("property") != node:
                    continue
            while value.parent is not None and value.parent.type in WRAPPERS:
                value = value.parent
            parent = value.parent
            if parent is None:
                continue
            pt = parent.type
            if node.type == "shorthand_property_identifier" or pt in ESCAPE_PARENTS:
                return True
            if pt == "arguments":
                return True
            if pt == "variable_declarator" and parent.child_by_field_name("value") == value:
                return True
            if pt == "assignment_expression" and parent.child_by_field_name("right") == value:
                return True
            if pt == "arrow_function" and parent.child_by_field_name("body") == value:
                return True
        return False
