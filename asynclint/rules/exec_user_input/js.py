"""exec-user-input for JavaScript/TypeScript.

Flags a call that runs a shell with a command that is not a constant:

- ``child_process.exec`` / ``execSync`` (first argument), also through
  destructured or renamed imports, ``node:`` specifiers, namespace imports,
  ``require('child_process').exec(...)`` and ``util.promisify(exec)`` results;
- ``spawn`` / ``spawnSync`` / ``execFile`` / ``execFileSync`` when an options
  object literal sets ``shell`` to anything but a falsy literal. Node then
  joins the program and the argument array into one shell string, so both the
  command and the array elements count.

"Constant" is decided by a small scope-aware evaluator: literals,
substitution-free templates, and templates / concatenations / ternaries of
constants; identifiers whose nearest binding is a ``const`` with a constant
initializer, or a ``let``/``var`` whose initializer and every assignment
(anywhere in the file) are constant; properties of ``const`` object/array
literals of constants that are never written to; pure string methods and
``path.*`` helpers applied to constants. Anything else (parameter, imported
value, function result, other property, destructured value) is not constant.

The message names a taint source when the command (or the initializer of a
variable it uses, up to two levels) reads ``req.*`` / ``request.*``,
``ctx.request`` / ``ctx.query`` / ``ctx.params``, ``process.argv``,
``process.env``, or a parameter of the enclosing request handler.

Scopes: ``JsFile.bindings`` / ``const_values`` are flat name maps, so this
module resolves identifiers itself (``_Binder``): the innermost declaration
visible at the use site, with the writes made to it. That keeps a parameter
or local called ``exec`` from being taken for ``child_process.exec`` and a
shadowing parameter from being taken for a module constant.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from tree_sitter import Node, Query

from ...javascript import parse as ts_parse
from ...javascript.context import FUNCTION_TYPES, Ref, strip_node_prefix
from ..base import JsRule
from ...javascript.parse import cursor as ts_cursor
from . import META

SHELL_ALWAYS = frozenset({"child_process.exec", "child_process.execSync"})
SHELL_OPTION = frozenset(
    {
        "child_process.spawn",
        "child_process.spawnSync",
        "child_process.execFile",
        "child_process.execFileSync",
    }
)
CALLEE_NAMES = frozenset(n.split(".", 1)[1] for n in SHELL_ALWAYS | SHELL_OPTION)


def _any_of(names) -> str:
    return " ".join('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '"' for n in sorted(names))

# Expression wrappers that do not change the value.
WRAPPERS = frozenset(
    {"parenthesized_expression", "as_expression", "non_null_expression", "satisfies_expression"}
)
LITERALS = frozenset({"string", "number", "true", "false", "null", "undefined", "regex"})
FALSY_LITERALS = frozenset({"false", "null", "undefined"})
# Globals whose value no caller controls.
CONSTANT_GLOBALS = frozenset({"undefined", "NaN", "Infinity", "__dirname", "__filename"})
# Methods that compute a string/array from their receiver and arguments only.
PURE_METHODS = frozenset(
    {
        "trim", "trimStart", "trimEnd", "toLowerCase", "toUpperCase", "replace",
        "replaceAll", "concat", "slice", "substring", "substr", "padStart", "padEnd",
        "repeat", "join", "split", "toString", "normalize", "at", "charAt", "map",
        "filter",
    }
)
PATH_FUNCTIONS = frozenset(
    {"join", "resolve", "normalize", "basename", "dirname", "extname", "relative", "format"}
)
ARRAY_MUTATORS = frozenset(
    {"push", "unshift", "splice", "fill", "copyWithin", "reverse", "sort", "pop", "shift"}
)
SCOPE_TYPES = frozenset(
    {"statement_block", "program", "for_statement", "for_in_statement", "switch_body", "class_body"}
)
REQUEST_ROOTS = frozenset({"req", "request"})
KOA_REQUEST_PROPS = frozenset({"request", "req", "query", "params"})
MAX_DEPTH = 12
TAINT_VAR_DEPTH = 2
MAX_SOURCE_CHARS = 60


# --------------------------------------------------------------------------
# Scope-aware bindings (a candidate for javascript/context.py)

_BINDER_QUERY = f"""
(variable_declarator name: (_) @vd_name) @vd
(formal_parameters) @params
(arrow_function parameter: (identifier) @arrow_param)
(function_declaration name: (identifier) @fn_name)
(generator_function_declaration name: (identifier) @fn_name)
(class_declaration name: (_) @class_name)
(catch_clause parameter: (_) @catch_param)
(for_in_statement left: (_) @for_left) @for_in
(import_statement) @import
(assignment_expression left: (_) @assign_left right: (_) @assign_right) @assign
(augmented_assignment_expression left: (_) @aug_left right: (_) @aug_right) @aug
(update_expression argument: (_) @upd_arg) @upd
(call_expression
  function: (member_expression property: (property_identifier) @mut_prop) @mut_callee
  (#any-of? @mut_prop {" ".join(f'"{m}"' for m in sorted(ARRAY_MUTATORS))}))
"""


@functools.lru_cache(maxsize=None)
def _binder_query(dialect: str) -> Query:
    return Query(ts_parse.language(dialect), _BINDER_QUERY)


@functools.lru_cache(maxsize=64)
def _alias_query(dialect: str, names: tuple) -> Query:
    """Calls of local names bound to child_process functions under another
    name (`{ exec: run }`, `const sh = promisify(exec)`)."""
    return Query(
        ts_parse.language(dialect),
        "(call_expression function: (identifier) @callee arguments: (arguments) @args"
        f" (#any-of? @callee {_any_of(names)})) @call",
    )


@dataclass(eq=False)
class _Binding:
    name: str
    kind: str  # const let var param import function class catch for ambiguous
    ident: Optional[Node]
    scope: Optional[Node]
    value: Optional[Node] = None  # initializer of the declarator (also for patterns)
    key: Optional[str] = None  # property read by a one-level object pattern
    pattern: bool = False  # bound by destructuring
    fn: Optional[Node] = None  # parameters: the function
    # Filled on demand by _Binder.writes() / mutated(): None until asked.
    _writes: Optional[list] = None  # (kind, node, rhs or None)
    _mutated: Optional[bool] = None  # a property of it is assigned or a mutator is called


def _contains(outer: Node, inner: Node) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte


def _nearest(node: Node, types) -> Optional[Node]:
    cur = node.parent
    while cur is not None:
        if cur.type in types:
            return cur
        cur = cur.parent
    return None


def _function_scope(node: Node) -> Optional[Node]:
    return _nearest(node, FUNCTION_TYPES | {"program"})


def _block_scope(node: Node) -> Optional[Node]:
    return _nearest(node, SCOPE_TYPES | FUNCTION_TYPES)


def _declaration_kind(declarator: Node) -> str:
    decl = declarator.parent
    if decl is None:
        return "var"
    if decl.type == "variable_declaration":
        return "var"
    first = decl.child(0)
    if first is not None and first.type in ("const", "let"):
        return first.type
    return "let"  # `using` and friends: block scoped, treated as mutable


def _pattern_idents(node: Node, top: bool = True):
    """Identifiers bound by a pattern: yields (identifier node, key) where key
    is the property name for a one-level object pattern entry, else None."""
    t = node.type
    if t in ("identifier", "shorthand_property_identifier_pattern"):
        yield node, None
    elif t == "object_pattern":
        for child in node.named_children:
            if child.type == "shorthand_property_identifier_pattern":
                yield child, child.text.decode("utf-8", "replace") if top else None
            elif child.type == "object_assignment_pattern":
                left = child.child_by_field_name("left")
                if left is not None:
                    yield left, left.text.decode("utf-8", "replace") if top else None
            elif child.type == "pair_pattern":
                key = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if value is None:
                    continue
                key_text = key.text.decode("utf-8", "replace").strip("'\"") if key is not None else None
                if key is not None and key.type == "computed_property_name":
                    key_text = None
                for ident, _ in _pattern_idents(value, top=False):
                    yield ident, (key_text if top and value.type in ("identifier", "assignment_pattern") else None)
            elif child.type == "rest_pattern":
                for sub in child.named_children:
                    yield from _pattern_idents(sub, top=False)
    elif t == "array_pattern":
        for child in node.named_children:
            yield from _pattern_idents(child, top=False)
    elif t == "assignment_pattern":
        left = node.child_by_field_name("left")
        if left is not None:
            yield from _pattern_idents(left, top=top)
    elif t == "rest_pattern":
        for sub in node.named_children:
            yield from _pattern_idents(sub, top=False)
    elif t in ("required_parameter", "optional_parameter"):
        pat = node.child_by_field_name("pattern")
        if pat is not None:
            yield from _pattern_idents(pat, top=top)


class _Binder:
    """Declarations and writes of one file, grouped by name, collected with
    one query the first time a rule needs them. Which declaration a write
    goes to is worked out only for the bindings a rule asks about."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.by_name: dict[str, list[_Binding]] = {}
        self._writes_by_name: dict[str, list] = {}  # name -> (identifier, kind, node, rhs)
        self._mutations_by_name: dict[str, list] = {}  # root name -> member nodes
        self._build()

    def _add(self, b: _Binding) -> None:
        if b.scope is not None:
            self.by_name.setdefault(b.name, []).append(b)

    def _text(self, node: Node) -> str:
        return self.ctx.text(node)

    def _build(self) -> None:
        ctx = self.ctx
        writes = []  # (target node, kind, write node, rhs)
        mutations = []  # member expressions that write through an object
        for _, caps in ts_cursor(_binder_query(ctx.dialect)).matches(ctx.root):
            if "vd" in caps:
                declarator, name = caps["vd"][0], caps["vd_name"][0]
                kind = _declaration_kind(declarator)
                scope = _function_scope(declarator) if kind == "var" else _block_scope(declarator)
                value = declarator.child_by_field_name("value")
                if name.type == "identifier":
                    self._add(_Binding(self._text(name), kind, name, scope, value))
                else:
                    for ident, key in _pattern_idents(name):
                        self._add(_Binding(self._text(ident), kind, ident, scope, value, key, True))
            elif "params" in caps:
                params = caps["params"][0]
                fn = params.parent
                if fn is None:
                    continue
                for p in params.named_children:
                    for ident, _ in _pattern_idents(p, top=False):
                        self._add(_Binding(self._text(ident), "param", ident, fn, fn=fn))
            elif "arrow_param" in caps:
                ident = caps["arrow_param"][0]
                fn = ident.parent
                self._add(_Binding(self._text(ident), "param", ident, fn, fn=fn))
            elif "fn_name" in caps:
                ident = caps["fn_name"][0]
                self._add(_Binding(self._text(ident), "function", ident, _block_scope(ident.parent)))
            elif "class_name" in caps:
                ident = caps["class_name"][0]
                self._add(_Binding(self._text(ident), "class", ident, _block_scope(ident.parent)))
            elif "catch_param" in caps:
                pat = caps["catch_param"][0]
                for ident, _ in _pattern_idents(pat, top=False):
                    self._add(_Binding(self._text(ident), "catch", ident, pat.parent))
            elif "for_in" in caps:
                stmt, left = caps["for_in"][0], caps["for_left"][0]
                kind_node = stmt.child_by_field_name("kind")
                kind = kind_node.type if kind_node is not None else None
                if kind is None:
                    writes.append((left, "for", stmt, None))
                    continue
                scope = _function_scope(stmt) if kind == "var" else stmt
                for ident, _ in _pattern_idents(left, top=False):
                    self._add(_Binding(self._text(ident), "for", ident, scope))
            elif "import" in caps:
                self._add_import(caps["import"][0])
            elif "assign" in caps:
                writes.append((caps["assign_left"][0], "assign", caps["assign"][0], caps["assign_right"][0]))
            elif "aug" in caps:
                writes.append((caps["aug_left"][0], "augment", caps["aug"][0], caps["aug_right"][0]))
            elif "upd" in caps:
                writes.append((caps["upd_arg"][0], "update", caps["upd"][0], None))
            elif "mut_callee" in caps:
                mutations.append(caps["mut_callee"][0])
        for target, kind, node, rhs in writes:
            if target.type == "identifier":
                self._writes_by_name.setdefault(self._text(target), []).append((target, kind, node, rhs))
            elif target.type in ("member_expression", "subscript_expression"):
                mutations.append(target)
            elif target.type in ("object_pattern", "array_pattern"):
                for ident, _ in _pattern_idents(target, top=False):
                    self._writes_by_name.setdefault(self._text(ident), []).append(
                        (ident, "destructure" if kind != "for" else "for", node, None)
                    )
        for member in mutations:
            root = member
            while root.type in ("member_expression", "subscript_expression"):
                root = root.child_by_field_name("object")
                if root is None:
                    break
            if root is not None and root.type == "identifier":
                self._mutations_by_name.setdefault(self._text(root), []).append(member)

    def writes(self, b: _Binding) -> list:
        """Assignments, updates and loop writes that reach binding ``b``."""
        if b._writes is None:
            b._writes = [
                (kind, node, rhs)
                for _ident, kind, node, rhs in self._writes_by_name.get(b.name, ())
                if self.lookup(b.name, node) is b
            ]
        return b._writes

    def mutated(self, b: _Binding) -> bool:
        """Is a property of ``b`` assigned, or an array mutator called on it?"""
        if b._mutated is None:
            b._mutated = any(
                self.lookup(b.name, member) is b for member in self._mutations_by_name.get(b.name, ())
            )
        return b._mutated

    def _add_import(self, stmt: Node) -> None:
        program = stmt.parent if stmt.parent is not None else stmt
        for clause in stmt.named_children:
            if clause.type == "import_require_clause":
                ident = clause.named_children[0] if clause.named_children else None
                if ident is not None and ident.type == "identifier":
                    self._add(_Binding(self._text(ident), "import", ident, program))
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                idents = []
                if part.type == "identifier":
                    idents.append(part)
                elif part.type == "namespace_import":
                    idents.extend(c for c in part.named_children if c.type == "identifier")
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type == "import_specifier":
                            local = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
                            if local is not None:
                                idents.append(local)
                for ident in idents:
                    self._add(_Binding(self._text(ident), "import", ident, program))

    def lookup(self, name: str, at: Node) -> Optional[_Binding]:
        """The innermost declaration of ``name`` visible at ``at``; None for a
        global; a binding of kind ``ambiguous`` when one scope declares the
        name twice."""
        best, best_size, tie = None, None, False
        for b in self.by_name.get(name, ()):
            if not _contains(b.scope, at):
                continue
            size = b.scope.end_byte - b.scope.start_byte
            if best is None or size < best_size:
                best, best_size, tie = b, size, False
            elif size == best_size and b.scope.id == best.scope.id and b is not best:
                tie = True
        if tie:
            return _Binding(name, "ambiguous", None, best.scope)
        return best


# --------------------------------------------------------------------------


@dataclass
class _Target:
    method: str  # canonical child_process function name: exec, spawn, ...
    display: str  # how the message names the call


class Check(JsRule):
    meta = META
    # exec(...) and x.exec(...) come from the runner's shared call pattern,
    # and so do cp['exec'](...) and promisify(cp.exec)(...) (other_calls).
    plain_calls = member_calls = CALLEE_NAMES
    other_calls = True

    def __init__(self, ctx):
        super().__init__(ctx)
        self._binder: Optional[_Binder] = None

    @property
    def binder(self) -> _Binder:
        if self._binder is None:
            self._binder = _Binder(self.ctx)
        return self._binder

    # ------------------------------------------------------------ matching
    def on_call(self, call, name, member):
        args = call.child_by_field_name("arguments")
        if args is not None and args.type == "arguments":
            self.on_match({"call": [call], "callee": [call.child_by_field_name("function") if member else name],
                           "args": [args]})

    def on_other_call(self, call, callee):
        if callee.type == "call_expression":  # promisify(x)(...)
            inner = callee.child_by_field_name("function")
            if inner is None or not self.ctx.text(inner).endswith("promisify"):
                return
        elif callee.type != "subscript_expression":
            return
        args = call.child_by_field_name("arguments")
        if args is not None and args.type == "arguments":
            self.on_match({"call": [call], "callee": [callee], "args": [args]})

    def on_match(self, caps):
        call, callee = caps["call"][0], caps["callee"][0]
        if not self._may_be_child_process(callee):
            return
        target = self._target(callee)
        if target is None:
            return
        args = [a for a in caps["args"][0].named_children if a.type != "comment"]
        if not args or args[0].type == "spread_element":
            return
        self._check(call, target, args)

    def finish(self):
        ctx = self.ctx
        aliases = {
            name
            for name, ref in ctx.bindings.items()
            if name not in CALLEE_NAMES and self._is_target_ref(ref)
        }
        aliases.update(
            name
            for name, ref in ctx.promisified.items()
            if name not in CALLEE_NAMES and (ref is None or self._is_target_ref(ref))
        )
        if not aliases:
            return
        for _, caps in ts_cursor(_alias_query(ctx.dialect, tuple(sorted(aliases)))).matches(ctx.root):
            self.on_match(caps)

    def _may_be_child_process(self, callee: Node) -> bool:
        """Cheap pre-check with JsFile's flat, file-wide bindings, so that
        scopes are only computed for files that call child_process at all.
        ``_target`` then decides with scopes."""
        ctx = self.ctx
        if callee.type == "call_expression":  # promisify(x)(cmd)
            return self._source_has(b"promisify")
        root = callee
        while root.type in ("member_expression", "subscript_expression"):
            root = root.child_by_field_name("object")
            if root is None:
                return False
        if root.type == "call_expression":  # require('child_process').exec(...)
            return self._is_target_ref(ctx.resolve(callee))
        if root.type != "identifier":
            return False
        name = ctx.text(root)
        if callee is root and name in ctx.promisified:
            ref = ctx.promisified[name]
            if ref is None or self._is_target_ref(ref):
                return True
        if name in ctx.bindings:
            return self._is_target_ref(ctx.resolve(callee))
        # TS `import cp = require('child_process')`, which JsFile does not bind.
        return ctx.dialect != "javascript" and self._ts_import_require(name)

    @staticmethod
    def _is_target_ref(ref: Optional[Ref]) -> bool:
        return ref is not None and not ref.project and (ref.qualname in SHELL_ALWAYS or ref.qualname in SHELL_OPTION)

    def _source_has(self, needle: bytes) -> bool:
        cache = self.__dict__.setdefault("_source_has_cache", {})
        if needle not in cache:
            cache[needle] = needle in self.ctx.source
        return cache[needle]

    def _ts_import_require(self, name: str) -> bool:
        cache = self.__dict__.setdefault("_ts_import_cache", {})
        if name not in cache:
            pattern = rb"\bimport\s+" + re.escape(name.encode()) + rb"\s*=\s*require\b"
            cache[name] = re.search(pattern, self.ctx.source) is not None
        return cache[name]

    def _target(self, callee: Node) -> Optional[_Target]:
        ref, promisified = self._callee_ref(callee)
        if ref is None or ref.project:
            return None
        qn = ref.qualname
        if qn not in SHELL_ALWAYS and qn not in SHELL_OPTION:
            return None
        method = qn.split(".", 1)[1]
        text = self.ctx.text(callee)
        if promisified:
            display = (
                f"`{text}()` (promisified `{method}`)"
                if callee.type == "identifier"
                else f"promisified `{method}()`"
            )
        elif text.split(".")[-1].strip() == method or len(text) > 40:
            display = f"`{method}()`"
        else:
            display = f"`{text}()` (`{qn}`)"
        return _Target(method, display)

    def _callee_ref(self, callee: Node) -> tuple[Optional[Ref], bool]:
        """What the callee is, and whether it is a promisify() result."""
        if callee.type == "call_expression":  # util.promisify(cp.exec)(cmd)
            target = self._promisify_target(callee)
            return (target, True) if target is not None else (None, False)
        if callee.type == "identifier":
            b = self.binder.lookup(self.ctx.text(callee), callee)
            if b is not None and b.kind in ("const", "let", "var") and not b.pattern and b.value is not None:
                target = self._promisify_target(b.value)
                if target is not None:
                    return target, True
        return self._resolve(callee), False

    def _promisify_target(self, value: Node, depth: int = 0) -> Optional[Ref]:
        if value.type != "call_expression":
            return None
        fn = value.child_by_field_name("function")
        if fn is None:
            return None
        ref = self._resolve(fn, depth + 1)
        if ref is None or ref.project or ref.qualname != "util.promisify":
            return None
        args = value.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        return self._resolve(first, depth + 1) if first is not None else None

    def _resolve(self, node: Optional[Node], depth: int = 0) -> Optional[Ref]:
        """``JsFile.resolve`` with scope-aware identifiers: a parameter or a
        local that shadows an import resolves to nothing."""
        attrs: list[str] = []
        while node is not None and depth < 32:
            depth += 1
            t = node.type
            if t in WRAPPERS or t == "type_assertion":
                unwrapped = self._unwrap(node)
                if unwrapped is node:
                    return None
                node = unwrapped
                continue
            if t == "member_expression":
                prop = node.child_by_field_name("property")
                if prop is None or prop.type != "property_identifier":
                    return None
                attrs.append(self.ctx.text(prop))
                node = node.child_by_field_name("object")
                continue
            if t == "subscript_expression":
                key = self._string_value(node.child_by_field_name("index"))
                if key is None:
                    return None
                attrs.append(key)
                node = node.child_by_field_name("object")
                continue
            if t == "identifier":
                ref = self._resolve_ident(node, depth)
            elif t == "call_expression":
                ref = self.ctx.resolve(node)  # require('x')
            else:
                return None
            if ref is None:
                return None
            for a in reversed(attrs):
                ref = ref.child(a)
            return ref
        return None

    def _resolve_ident(self, ident: Node, depth: int) -> Optional[Ref]:
        name = self.ctx.text(ident)
        b = self.binder.lookup(name, ident)
        if b is None:
            return None
        if b.kind == "import":
            ref = self.ctx.bindings.get(name)
            clause = b.ident.parent if b.ident is not None else None
            if ref is None and clause is not None and clause.type == "import_require_clause":
                # TS `import cp = require('child_process')`: JsFile does not bind it.
                spec = self._string_value(clause.child_by_field_name("source"))
                if spec is not None and not spec.startswith("."):
                    ref = Ref(strip_node_prefix(spec))
            return ref
        if b.kind not in ("const", "let", "var") or b.value is None or depth > 24:
            return None
        if b.kind != "const" and self.binder.writes(b):
            return None
        if b.pattern:
            if b.key is None:
                return None
            base = self._resolve(b.value, depth + 1)
            return base.child(b.key) if base is not None else None
        return self._resolve(b.value, depth + 1)

    def _string_value(self, node: Optional[Node]) -> Optional[str]:
        if node is None:
            return None
        if node.type == "string":
            return self.ctx.text(node)[1:-1]
        if node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.children
        ):
            return self.ctx.text(node)[1:-1]
        return None

    # ----------------------------------------------------------- the check
    def _check(self, call: Node, target: _Target, args: list[Node]) -> None:
        command = args[0]
        shell_text = None
        array_arg = None
        if target.method not in ("exec", "execSync"):
            found = self._shell_option(args)
            if found is None:
                return
            shell_text, options_index = found
            if options_index > 1 and args[1].type not in FUNCTION_TYPES:
                array_arg = args[1]

        what, why, culprit = None, None, None
        why = self._nonconst(command)
        if why is not None:
            what, culprit = "command", command
        elif array_arg is not None:
            why = self._nonconst(array_arg)
            if why is not None:
                what, culprit = "argument list", array_arg
        if why is None:
            return

        handler = self.ctx.handler_for(call)
        taint = self._taint(culprit, handler)
        if target.method in ("exec", "execSync"):
            runs = f"{target.display} runs a shell"
            advice = "Use `execFile()`/`spawn()` with an argument array and no shell."
            plain_advice = (
                "Pass arguments as an array to `execFile()`/`spawn()` without a shell, or escape them."
            )
        else:
            runs = f"{target.display} with `{shell_text}` runs a shell"
            advice = "Drop the `shell` option and pass the arguments as an array."
            plain_advice = "Drop the `shell` option and pass the arguments as an array, or escape them."
        if taint is not None:
            source, label = taint
            built = "a command" if what == "command" else "arguments"
            message = (
                f"{runs} with {built} built from `{source}` ({label}): anyone who controls it "
                f"can run their own commands. {advice}"
            )
        else:
            message = (
                f"{runs} with a non-constant {what} ({why}): if any part comes from outside, "
                f"that is shell injection. {plain_advice}"
            )
        self.report(call, message)

    def _shell_option(self, args: list[Node]) -> Optional[tuple[str, int]]:
        """(how the shell option reads, index of the options argument) when
        an options object literal turns the shell on."""
        for i, arg in enumerate(args[1:], 1):
            obj = self._object_literal(arg)
            if obj is None:
                continue
            shell = None
            for prop in obj.named_children:
                if prop.type == "pair":
                    key = prop.child_by_field_name("key")
                    if key is not None and self.ctx.text(key).strip("'\"") == "shell":
                        shell = prop.child_by_field_name("value")
                elif prop.type == "shorthand_property_identifier" and self.ctx.text(prop) == "shell":
                    shell = prop
                elif prop.type == "spread_element" and shell is not None:
                    shell = None  # a later spread may turn it off again: unknown
            if shell is None or self._is_falsy_constant(shell):
                return None
            text = self.ctx.text(shell)
            if shell.type != "shorthand_property_identifier":
                text = f"shell: {text}" if len(text) <= 30 else "shell"
            return text, i
        return None

    def _object_literal(self, node: Node) -> Optional[Node]:
        node = self._unwrap(node)
        if node.type == "object":
            return node
        if node.type == "identifier":
            b = self.binder.lookup(self.ctx.text(node), node)
            if b is not None and b.kind == "const" and not b.pattern and b.value is not None and not self.binder.mutated(b):
                value = self._unwrap(b.value)
                if value.type == "object":
                    return value
        return None

    def _is_falsy_constant(self, node: Node) -> bool:
        node = self._unwrap(node)
        t = node.type
        if t in FALSY_LITERALS:
            return True
        if t == "number":
            return self.ctx.text(node) in ("0", "0.0")
        if t in ("string", "template_string"):
            return self._string_value(node) == ""
        if t in ("identifier", "shorthand_property_identifier"):
            name = self.ctx.text(node)
            if name == "undefined":
                return True
            b = self.binder.lookup(name, node)
            if b is not None and not b.pattern and b.value is not None and b.kind in ("const", "let", "var"):
                if b.kind != "const" and self.binder.writes(b):
                    return False
                return self._is_falsy_constant(b.value)
        return False

    def _unwrap(self, node: Node) -> Node:
        while node.named_children:
            if node.type in WRAPPERS:
                node = node.named_children[0]
            elif node.type == "type_assertion":  # TS `<string>x`
                node = node.named_children[-1]
            else:
                break
        return node

    # ----------------------------------------------------- constant or not
    def _nonconst(self, node: Node, depth: int = 0, seen: Optional[set] = None) -> Optional[str]:
        """None when ``node`` is built only from constants, else what kind of
        non-constant it is, for the message."""
        if seen is None:
            seen = set()
        if depth > MAX_DEPTH:
            return "a computed value"
        node = self._unwrap(node)
        t = node.type
        if t in LITERALS:
            return None
        if t == "template_string":
            for sub in node.named_children:
                if sub.type == "template_substitution":
                    inner = sub.named_children[0] if sub.named_children else None
                    if inner is not None and self._nonconst(inner, depth + 1, seen) is not None:
                        return "a template literal with substitutions"
            return None
        if t == "binary_expression":
            parts = (node.child_by_field_name("left"), node.child_by_field_name("right"))
            if all(p is not None and self._nonconst(p, depth + 1, seen) is None for p in parts):
                return None
            op = node.child_by_field_name("operator")
            if op is not None and op.type == "+":
                return "a string concatenation"
            return "a computed value"
        if t == "ternary_expression":
            parts = (node.child_by_field_name("consequence"), node.child_by_field_name("alternative"))
            for p in parts:
                if p is None:
                    return "a computed value"
                why = self._nonconst(p, depth + 1, seen)
                if why is not None:
                    return why
            return None
        if t == "unary_expression":
            arg = node.child_by_field_name("argument")
            if arg is not None and self._nonconst(arg, depth + 1, seen) is None:
                return None
            return "a computed value"
        if t == "array":
            for el in node.named_children:
                if el.type == "comment":
                    continue
                inner = el.named_children[0] if el.type == "spread_element" and el.named_children else el
                why = self._nonconst(inner, depth + 1, seen)
                if why is not None:
                    return why
            return None
        if t in ("identifier", "shorthand_property_identifier"):
            return self._ident_nonconst(node, depth, seen)
        if t in ("member_expression", "subscript_expression"):
            if self._member_constant(node, depth, seen):
                return None
            return f"property `{self._short(node)}`"
        if t == "call_expression":
            if self._pure_call_constant(node, depth, seen):
                return None
            fn = node.child_by_field_name("function")
            return f"the result of `{self._short(fn)}()`" if fn is not None else "a function call"
        if t == "await_expression":
            return "an awaited value"
        return "a computed value"

    def _ident_nonconst(self, ident: Node, depth: int, seen: set) -> Optional[str]:
        name = self.ctx.text(ident)
        b = self.binder.lookup(name, ident)
        if b is None:
            return None if name in CONSTANT_GLOBALS else f"variable `{name}`"
        if b.kind == "param":
            return f"parameter `{name}`"
        if b.kind == "import":
            return f"imported value `{name}`"
        if b.kind not in ("const", "let", "var") or b.pattern:
            return f"variable `{name}`"
        if id(b) in seen:
            return f"variable `{name}`"
        seen.add(id(b))
        try:
            if b.value is not None and self._nonconst(b.value, depth + 1, seen) is not None:
                return f"variable `{name}`"
            if b.kind == "const":
                return None
            writes = self.binder.writes(b)
            if b.value is None and not writes:
                return None  # declared, never set: undefined
            for kind, _node, rhs in writes:
                if kind not in ("assign", "augment") or rhs is None:
                    return f"variable `{name}`"
                if self._nonconst(rhs, depth + 1, seen) is not None:
                    return f"variable `{name}`"
            return None
        finally:
            seen.discard(id(b))

    def _literal_of(self, node: Node, depth: int) -> Optional[Node]:
        """The object/array literal a never-written ``const`` (or a constant
        path into one) holds."""
        node = self._unwrap(node)
        if depth > MAX_DEPTH:
            return None
        if node.type == "identifier":
            b = self.binder.lookup(self.ctx.text(node), node)
            if b is None or b.kind != "const" or b.pattern or b.value is None or self.binder.mutated(b):
                return None
            value = self._unwrap(b.value)
            value = self._unfreeze(value)
            return value if value.type in ("object", "array") else None
        if node.type in ("member_expression", "subscript_expression"):
            obj = node.child_by_field_name("object")
            lit = self._literal_of(obj, depth + 1) if obj is not None else None
            if lit is None:
                return None
            key = self._member_key(node)
            if key is None:
                return None
            value = self._literal_entry(lit, key)
            if value is None:
                return None
            value = self._unfreeze(self._unwrap(value))
            return value if value.type in ("object", "array") else None
        return None

    def _unfreeze(self, node: Node) -> Node:
        if node.type == "call_expression":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if fn is not None and self.ctx.text(fn) == "Object.freeze" and args is not None and args.named_child_count == 1:
                return self._unwrap(args.named_children[0])
        return node

    def _member_key(self, node: Node) -> Optional[str]:
        if node.type == "member_expression":
            prop = node.child_by_field_name("property")
            return self.ctx.text(prop) if prop is not None and prop.type == "property_identifier" else None
        index = node.child_by_field_name("index")
        if index is None:
            return None
        if index.type == "number":
            return self.ctx.text(index)
        return self._string_value(index)

    def _literal_entry(self, lit: Node, key: str) -> Optional[Node]:
        if lit.type == "array":
            if not key.isdigit():
                return None
            elems = [e for e in lit.named_children if e.type != "comment"]
            if any(e.type == "spread_element" for e in elems):
                return None
            i = int(key)
            return elems[i] if i < len(elems) else None
        found = None
        for prop in lit.named_children:
            if prop.type == "pair":
                k = prop.child_by_field_name("key")
                if k is not None and self.ctx.text(k).strip("'\"") == key:
                    found = prop.child_by_field_name("value")
            elif prop.type == "shorthand_property_identifier" and self.ctx.text(prop) == key:
                found = prop
            elif prop.type == "spread_element":
                found = None  # may be overridden; keep only later explicit keys
        return found

    def _member_constant(self, node: Node, depth: int, seen: set) -> bool:
        """``CMDS.build`` / ``CMDS[mode]`` where ``CMDS`` is a never-written
        const literal of constants (an allow-list lookup)."""
        obj = node.child_by_field_name("object")
        if obj is None:
            return False
        lit = self._literal_of(obj, depth + 1)
        if lit is None:
            return False
        key = self._member_key(node)
        if key is not None:
            value = self._literal_entry(lit, key)
            return value is not None and self._nonconst(value, depth + 1, seen) is None
        if node.type != "subscript_expression":
            return False
        # A computed key picks one of the values: constant when all of them are.
        for prop in lit.named_children:
            if prop.type == "comment":
                continue
            if prop.type == "pair":
                value = prop.child_by_field_name("value")
            elif prop.type in ("string", "number", "template_string", "shorthand_property_identifier"):
                value = prop
            else:
                return False
            if value is None or self._nonconst(value, depth + 1, seen) is not None:
                return False
        return True

    def _pure_call_constant(self, call: Node, depth: int, seen: set) -> bool:
        fn = call.child_by_field_name("function")
        args = call.child_by_field_name("arguments")
        if fn is None or args is None:
            return False
        arg_nodes = [a for a in args.named_children if a.type != "comment"]
        if fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            obj = fn.child_by_field_name("object")
            method = self.ctx.text(prop) if prop is not None else ""
            ref = self._resolve(fn)
            if ref is not None and not ref.project and ref.module == "path" and ref.attrs and ref.attrs[-1] in PATH_FUNCTIONS:
                pass
            elif method in PURE_METHODS and obj is not None:
                if method in ("map", "filter"):
                    return False  # the callback could compute anything
                if self._nonconst(obj, depth + 1, seen) is not None:
                    return False
            else:
                return False
        elif fn.type == "identifier" and self.ctx.text(fn) in ("String", "Number"):
            if self.binder.lookup(self.ctx.text(fn), fn) is not None:
                return False
        else:
            return False
        return all(
            a.type != "spread_element" and self._nonconst(a, depth + 1, seen) is None for a in arg_nodes
        )

    def _short(self, node: Node) -> str:
        text = " ".join(self.ctx.text(node).split())
        return text if len(text) <= MAX_SOURCE_CHARS else text[: MAX_SOURCE_CHARS - 3] + "..."

    # --------------------------------------------------------------- taint
    def _taint(self, expr: Node, handler, depth: int = 0, seen: Optional[set] = None) -> Optional[tuple[str, str]]:
        """(source text, what it is) for the first outside value that
        ``expr`` reads, following variables ``TAINT_VAR_DEPTH`` levels."""
        if seen is None:
            seen = set()
        follow = []
        for node in self._value_nodes(expr):
            if node.type not in ("identifier", "shorthand_property_identifier"):
                continue
            name = self.ctx.text(node)
            top, props = self._chain(node)
            b = self.binder.lookup(name, node)
            if name in REQUEST_ROOTS and props and self._is_unbound_or_local(b):
                return self._short(top), "request data"
            if name == "ctx" and props and props[0] in KOA_REQUEST_PROPS:
                return self._short(top), "request data"
            if name == "process" and b is None and props and props[0] in ("argv", "env"):
                label = "command-line arguments" if props[0] == "argv" else "an environment variable"
                return self._short(top), label
            if handler is not None and b is not None and b.kind == "param" and b.fn is not None and b.fn.id == handler[0].id:
                return self._short(top), f"a parameter of the {handler[1]}"
            if (
                b is not None
                and b.kind in ("const", "let", "var")
                and id(b) not in seen
                and self._ident_nonconst(node, 0, set()) is not None
            ):
                follow.append((b, props))
        if depth >= TAINT_VAR_DEPTH:
            return None
        for b, _props in follow:
            seen.add(id(b))
            sources = []
            if b.value is not None:
                sources.append(b.value)
            sources.extend(rhs for _k, _n, rhs in self.binder.writes(b) if rhs is not None)
            for value in sources:
                found = self._taint(value, handler, depth + 1, seen)
                if found is not None:
                    source, label = found
                    # `const { file } = req.query` reads `req.query.file`.
                    if b.pattern and b.key and value is b.value and source == self._short(self._unwrap(value)):
                        source = self._short_text(f"{source}.{b.key}")
                    return source, label
        return None

    @staticmethod
    def _value_nodes(expr: Node, max_nodes: int = 5000):
        """The nodes of ``expr`` in source order, leaving out what cannot
        reach its value: the condition of a ternary."""
        stack, count = [expr], 0
        while stack and count < max_nodes:
            node = stack.pop()
            count += 1
            yield node
            if node.type == "ternary_expression":
                kids = [node.child_by_field_name("consequence"), node.child_by_field_name("alternative")]
            else:
                kids = node.named_children
            stack.extend(k for k in reversed(kids) if k is not None)

    def _short_text(self, text: str) -> str:
        return text if len(text) <= MAX_SOURCE_CHARS else text[: MAX_SOURCE_CHARS - 3] + "..."

    def _is_unbound_or_local(self, b: Optional[_Binding]) -> bool:
        """``req`` / ``request`` that is not an imported HTTP client."""
        if b is None or b.kind in ("param", "catch", "for"):
            return True
        if b.kind == "import":
            return False
        if b.kind in ("const", "let", "var") and b.value is not None:
            return self._resolve(b.value) is None
        return True

    def _chain(self, ident: Node) -> tuple[Node, list[str]]:
        """The member chain rooted at ``ident`` (``req.query.file``), without
        a trailing method name that is called (``req.query.file.trim()``)."""
        top, props = ident, []
        while True:
            parent = top.parent
            if parent is None:
                break
            if parent.type in ("member_expression", "subscript_expression") and parent.child_by_field_name("object") == top:
                if parent.type == "member_expression":
                    prop = parent.child_by_field_name("property")
                    key = self.ctx.text(prop) if prop is not None else "?"
                else:
                    key = self._member_key(parent) or "[]"
                gp = parent.parent
                if (
                    parent.type == "member_expression"
                    and gp is not None
                    and gp.type == "call_expression"
                    and gp.child_by_field_name("function") == parent
                    and props
                ):
                    break
                top = parent
                props.append(key)
                continue
            if parent.type in WRAPPERS and parent.type != "parenthesized_expression":
                top = parent
                continue
            break
        return top, props
