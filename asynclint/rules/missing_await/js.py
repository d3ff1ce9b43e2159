"""missing-await for JavaScript/TypeScript.

Without type information, a call "returns a promise" only when we know it:
the callee is declared ``async`` in this file (functions, arrow functions,
class methods called through ``this``), is an async export of another project
file (a conditional finding the project index confirms), was made by
``util.promisify``, or is a well-known promise API (fs/promises, fetch,
timers/promises, Promise.all ...). Such a call is reported when its promise is
dropped (a bare statement inside an async function or at module level) or used
as a value (a property read, a condition, arithmetic, a template, JSON.parse),
and when it is stored in a variable that is then only used as a value or not
used at all. Returning, awaiting, chaining ``.then/.catch/.finally``, ``void``,
and passing the promise on are all fine.
"""

from __future__ import annotations

import os
import re

from ...findings import Condition, Fix, FixSafety
from ...javascript.context import PROMISES_SUBMODULES
from ..base import JsRule
from . import META

PROMISE_MODULE_PREFIXES = (
    "fs/promises.",
    "dns/promises.",
    "stream/promises.",
    "timers/promises.",
    "readline/promises.",
)
NOT_CALLS = frozenset({"fs/promises.constants"})
PROMISE_STATICS = frozenset({"all", "allSettled", "race", "any"})
CHAIN_METHODS = frozenset({"then", "catch", "finally"})
# Functions that take a value and certainly do not expect a promise.
VALUE_CONSUMERS = frozenset(
    {"JSON.parse", "JSON.stringify", "String", "Number", "Boolean", "parseInt", "parseFloat",
     "Object.keys", "Object.values", "Object.entries", "Array.from", "Buffer.from"}
)
CONDITION_PARENTS = frozenset({"if_statement", "while_statement", "do_statement", "ternary_expression"})
CLASS_TYPES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
_UNKNOWN = object()
_PER_CALL = object()
# The name a callee's text starts with, when that name is the root of the
# callee: all of it (`f`), or followed by a member access (`f.x`, `f?.x`,
# `f[x]`, `f!.x`). Not a call result (`f().x`), which resolve looks into.
_CALLEE_ROOT = re.compile(rb"([A-Za-z_$][\w$]*)(?:[ \t]*(?:[.\[!]|\?\.)|\Z)")


def _may_promise(module: str) -> bool:
    """Can some member of this (non-project) module be known to return a
    promise? Mirrors _known_ref: a promise sub-module or events.once."""
    return module in PROMISES_SUBMODULES or module == "events" or module.endswith("/promises")


class Check(JsRule):
    meta = META
    new_names = frozenset({"Promise"})
    # Every call of a name or a member comes from the runner's shared call
    # pattern. Most callees are not known to return a promise (answered from
    # a per-file cache by the callee's text, or by its root name), so where
    # the call sits is looked at only for the few that are. (Finding the
    # candidate calls by searching the text for the root names instead was
    # measured slower: `this` is everywhere in class-heavy code.)
    all_calls = True

    def __init__(self, ctx):
        super().__init__(ctx)
        self._class_async: dict[int, dict] = {}
        self._known_cache: dict[bytes, object] = {}
        self._root_names = None
        self._async_methods = None

    # ------------------------------------------------------------ matching
    def on_new(self, new, constructor):
        parent = new.parent
        if parent is not None and parent.type == "expression_statement":
            self.on_match({"stmt_new": [new]})

    def takes_callee(self, call, callee):
        # Asked once per callee text of the file (`f`, `a.b.f`): only the
        # callees known to return a promise are worth a look at each call.
        return self._known_for(call, callee) is not None

    def _known_for(self, call, key: bytes):
        """None, or what makes the callee ``key`` (the text of ``call``'s
        callee) known to return a promise; cached per callee text."""
        known = self._known_cache.get(key, _UNKNOWN)
        if known is _UNKNOWN:
            if key.startswith(b"this."):
                # this.x(): looked up where it matters, and only if some
                # method named x in this file is async.
                known = _PER_CALL if key[5:] in self._async_method_names() else None
            else:
                root = _CALLEE_ROOT.match(key)
                if root is not None and root.group(1) not in self._roots():
                    known = None  # a name that is neither imported nor async here, nor a known global
                else:
                    known = self._known_async(call, call.child_by_field_name("function"))
            self._known_cache[key] = known
        return known

    def on_call(self, call, name, member):
        # The callee's text: it starts where the call does and ends with the
        # name (`f`, `a.b.f`).
        if self._known_for(call, self.ctx.source[call.start_byte:name.end_byte]) is None:
            return
        caps = self._where(call)
        if caps is not None:
            self.on_match(caps)

    def _async_method_names(self) -> frozenset:
        if self._async_methods is None:
            ctx = self.ctx
            names = set()
            if b"async" in ctx.source:
                for fn in ctx._fn_nodes:
                    if fn.type == "method_definition" and ctx.is_async(fn):
                        name = fn.child_by_field_name("name")
                        if name is not None:
                            names.add(ctx.source[name.start_byte:name.end_byte])
            self._async_methods = frozenset(names)
        return self._async_methods

    def _roots(self) -> frozenset:
        """The names a callee known to return a promise can start with: the
        file's async (or promisified) names, the imports that can lead to a
        promise (_known_ref: a project file, a promise sub-module such as
        fs.promises, events.once), and fetch, Promise and this. An import of
        any other module (`path`, `lodash`) never does, whatever follows it."""
        if self._root_names is None:
            ctx = self.ctx
            self._root_names = frozenset(
                [n.encode() for n, ref in ctx.bindings.items() if ref.project or _may_promise(ref.module)]
                + [n.encode() for n in ctx.promise_names] + [b"fetch", b"Promise", b"this"])
        return self._root_names

    @staticmethod
    def _where(call):
        """Where the call's value goes, as the captures on_match reads; None
        when the place cannot misuse a promise (awaited, returned, passed on)."""
        parent = call.parent
        if parent is None:
            return None
        t = parent.type
        if t == "expression_statement":
            return {"stmt_call": [call]}
        if t in ("parenthesized_expression", "ternary_expression"):
            if t == "ternary_expression" and parent.child_by_field_name("condition") != call:
                return None
            return {"cond_call": [call]}
        if t == "spread_element":
            return {"spread_call": [call]}
        if t == "template_substitution":
            return {"template_call": [call]}
        if t == "binary_expression":
            return {"binary_call": [call]}
        if t == "variable_declarator":
            var = parent.child_by_field_name("name")
            if var is not None and var.type == "identifier" and parent.child_by_field_name("value") == call:
                return {"var": [var], "var_call": [call]}
        elif t == "member_expression":
            prop = parent.child_by_field_name("property")
            if prop is not None and prop.type == "property_identifier" and parent.child_by_field_name("object") == call:
                return {"member_call": [call], "prop": [prop]}
        elif t == "subscript_expression":
            if parent.child_by_field_name("object") == call:
                return {"index_call": [call]}
        elif t == "unary_expression":
            op = parent.child_by_field_name("operator")
            if op is not None and op.type == "!" and parent.child_by_field_name("argument") == call:
                return {"not_call": [call]}
        elif t == "arguments":
            outer = parent.parent
            if outer is not None and outer.type == "call_expression" \
                    and outer.child_by_field_name("arguments") == parent:
                consumer = outer.child_by_field_name("function")
                if consumer is not None and consumer.is_named:
                    return {"consumer": [consumer], "arg_call": [call]}
        return None

    def on_match(self, caps):
        ctx = self.ctx
        if "stmt_call" in caps:
            call = caps["stmt_call"][0]
            self._dropped(call)
        elif "stmt_new" in caps:
            node = caps["stmt_new"][0]
            if self._in_async_or_module(node) and "Promise" not in ctx.bindings:
                self.report(node, "A `new Promise(...)` is created and dropped: nothing waits for it and its "
                            "rejection is unhandled. Await it, return it, or drop the wrapper.")
        elif "var_call" in caps:
            self._stored(caps["var"][0], caps["var_call"][0])
        elif "member_call" in caps:
            prop = ctx.text(caps["prop"][0])
            if prop not in CHAIN_METHODS:
                self._value_use(caps["member_call"][0], f"`.{prop}` reads a property of the promise, not of its result")
        elif "index_call" in caps:
            self._value_use(caps["index_call"][0], "indexing reads the promise, not its result")
        elif "spread_call" in caps:
            self._value_use(caps["spread_call"][0], "spreading a promise gives nothing of its result")
        elif "cond_call" in caps:
            call = caps["cond_call"][0]
            parent = call.parent
            if parent is not None and parent.type == "parenthesized_expression":
                parent = parent.parent
            if parent is not None and parent.type in CONDITION_PARENTS:
                self._value_use(call, "a promise is always truthy, so this condition never depends on its result")
        elif "not_call" in caps:
            self._value_use(caps["not_call"][0], "a promise is always truthy, so `!` of it is always false")
        elif "template_call" in caps:
            self._value_use(caps["template_call"][0], "it prints as `[object Promise]`")
        elif "binary_call" in caps:
            call = caps["binary_call"][0]
            op = call.parent.child_by_field_name("operator")
            op_text = ctx.text(op) if op is not None else ""
            if op_text in ("&&", "||", "??"):
                self._value_use(call, "a promise is always truthy, so this test never depends on its result")
            elif op_text not in ("instanceof", "in"):
                self._value_use(call, f"`{op_text}` operates on the promise, not its result")
        elif "arg_call" in caps:
            consumer = caps["consumer"][0]
            name = ctx.qualname(consumer) or ctx.text(consumer)
            if name in VALUE_CONSUMERS or name.startswith("console."):
                self._value_use(caps["arg_call"][0], f"`{name}()` receives the promise, not its result")

    # ------------------------------------------------------ the three cases
    def _dropped(self, call):
        known = self.known_async(call)
        if known is None or not self._in_async_or_module(call):
            return
        label, why, condition = known
        fn = self.ctx.enclosing_function(call)
        if fn is not None:
            fix = Fix("Add `await`", (self.ctx.edit_insert_before(call, "await "),), FixSafety.UNSAFE)
            advice = "Add `await`, return it, or write `void` before it if dropping it is intended."
        else:
            fix = None
            advice = ("At the top level of a script, end it with `.catch(...)` (or await it in an ES module); "
                      "write `void` before it if dropping it is intended.")
        self.report(
            call,
            f"`{label}` returns a promise ({why}) that is never awaited: the code after it runs before it "
            f"finishes and a rejection goes unhandled. {advice}",
            fix=fix,
            condition=condition,
        )

    def _value_use(self, call, how: str):
        known = self.known_async(call)
        if known is None or not self._in_async_or_module(call):
            return
        label, why, condition = known
        self.report(
            call,
            f"`{label}` returns a promise ({why}) but is used as a value here: {how}. Await it first.",
            fix=self._await_fix(call),
            condition=condition,
        )

    def _stored(self, var, call):
        known = self.known_async(call)
        if known is None or not self._in_async_or_module(call):
            return
        label, why, condition = known
        name = self.ctx.text(var)
        scope = self.ctx.enclosing_function(call) or self.ctx.root
        uses, bad = 0, None
        for node in self.ctx.references(name, scope, after_byte=call.end_byte):
            uses += 1
            verdict = self._use_kind(node)
            if verdict is None:
                return  # awaited, returned, chained or passed on: fine
            bad = bad or (node, verdict)
        if uses == 0:
            self.report(
                call,
                f"`{label}` returns a promise ({why}); it is stored in `{name}` but never awaited or used, "
                "so a rejection goes unhandled. Await it.",
                fix=self._await_fix(call),
                condition=condition,
            )
        elif bad is not None:
            node, how = bad
            line = node.start_point[0] + 1
            self.report(
                call,
                f"`{label}` returns a promise ({why}); `{name}` holds the promise, not its result, and line {line} "
                f"uses it as a value ({how}). Await the call.",
                fix=self._await_fix(call),
                condition=condition,
            )

    def _use_kind(self, ident):
        """None when a use of the variable handles the promise; otherwise how
        the use treats it as a plain value."""
        parent = ident.parent
        if parent is None:
            return None
        t = parent.type
        if t == "member_expression" and parent.child_by_field_name("object") == ident:
            prop = parent.child_by_field_name("property")
            prop_text = self.ctx.text(prop) if prop is not None else ""
            if prop_text in CHAIN_METHODS:
                return None
            return f"reads `.{prop_text}`"
        if t == "subscript_expression" and parent.child_by_field_name("object") == ident:
            return "indexes it"
        if t == "spread_element":
            return "spreads it"
        if t == "template_substitution":
            return "interpolates it into a string"
        if t == "unary_expression" and self.ctx.text(parent).startswith("!"):
            return "negates it"
        if t == "binary_expression":
            op = parent.child_by_field_name("operator")
            return f"uses it with `{self.ctx.text(op) if op is not None else '?'}`"
        if t == "parenthesized_expression" and parent.parent is not None and parent.parent.type in CONDITION_PARENTS:
            return "tests it in a condition (always truthy)"
        if t == "ternary_expression" and parent.child_by_field_name("condition") == ident:
            return "tests it in a condition (always truthy)"
        return None

    # ------------------------------------------------------------ helpers
    def _await_fix(self, call):
        fn = self.ctx.enclosing_function(call)
        if fn is None or not self.ctx.is_async(fn):
            return None
        return Fix("Add `await`", (self.ctx.edit_replace(call, f"(await {self.ctx.text(call)})"),), FixSafety.UNSAFE)

    def _in_async_or_module(self, node) -> bool:
        fn = self.ctx.enclosing_function(node)
        return fn is None or self.ctx.is_async(fn)

    def known_async(self, call):
        """(label, why, condition) when ``call`` is known to return a promise.
        Answers are cached per callee text (``path.join`` resolves the same
        way everywhere in a file), except for ``this.x()``."""
        callee = call.child_by_field_name("function")
        if callee is None:
            return None
        known = self._known_for(call, self.ctx.source[callee.start_byte:callee.end_byte])
        return self._known_async(call, callee) if known is _PER_CALL else known

    def _known_async(self, call, callee):
        ctx = self.ctx
        if callee.type == "identifier":
            name = ctx.text(callee)
            label = f"{name}()"
            if name in ctx.promise_names:
                if name in ctx.promisified:
                    return label, "made by util.promisify", None
                return label, "declared async in this file", None
            ref = ctx.bindings.get(name)
            if ref is None:
                if name == "fetch" and name not in ctx.functions:
                    return label, "fetch always returns a promise", None
                return None
            return self._known_ref(ref, label)
        if callee.type == "member_expression":
            obj = callee.child_by_field_name("object")
            prop = callee.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            method = ctx.text(prop)
            if obj.type == "identifier" and method in PROMISE_STATICS and ctx.text(obj) == "Promise" \
                    and "Promise" not in ctx.bindings:
                return self._member_label(callee, method), f"Promise.{method} returns a promise", None
            if obj.type == "this":
                if self._class_method_async(call, method):
                    return self._member_label(callee, method), "an async method of this class", None
                return None
            ref = ctx.resolve(callee)
            if ref is not None:
                known = self._known_ref(ref, "")
                if known is not None:  # the label only when the answer is yes
                    return (self._member_label(callee, method),) + known[1:]
        return None

    def _member_label(self, callee, method: str) -> str:
        text = self.ctx.text(callee)
        return f"{text}()" if len(text) <= 60 else f"{method}()"

    def _known_ref(self, ref, label):
        if ref.project:
            if not ref.attrs:
                name = "default"
            elif len(ref.attrs) == 1:
                name = ref.attrs[0]
            elif ref.attrs[0] == "default" and len(ref.attrs) == 2:
                name = ref.attrs[1]
            else:
                return None
            rel = os.path.basename(ref.module)
            return label, f"an async function exported by {rel}", Condition("async-export", ref.module, name)
        qn = ref.qualname
        if qn in NOT_CALLS:
            return None
        if qn.startswith(PROMISE_MODULE_PREFIXES):
            return label, f"{qn.split('.')[0]} API", None
        if qn == "events.once":
            return label, "events.once returns a promise", None
        return None

    def _class_method_async(self, node, method: str) -> bool:
        cur = node.parent
        while cur is not None and cur.type not in CLASS_TYPES:
            cur = cur.parent
        if cur is None:
            return False
        if cur.id not in self._class_async:
            table: dict[str, bool] = {}
            body = cur.child_by_field_name("body")
            for member in body.named_children if body is not None else ():
                if member.type == "method_definition":
                    n = member.child_by_field_name("name")
                    if n is None:
                        continue
                    key = self.ctx.text(n)
                    is_async = self.ctx.is_async(member)
                    table[key] = table.get(key, True) and is_async
            self._class_async[cur.id] = table
        return self._class_async[cur.id].get(method, False)
