"""Per-file facts for JavaScript/TypeScript rules, computed once and shared.

``JsFile`` holds the parsed tree and answers the questions every rule asks:
what does this identifier import (``resolve``), which function encloses this
node and is it async, is this code serving a request (``handler_for``), which
local functions are async, what does this module export. Facts are computed
lazily and cached, from narrow tree-sitter queries run in C: rules never walk
the whole tree in Python.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from dataclasses import dataclass
from typing import Optional

from tree_sitter import Node, Query

from ..findings import Condition, Edit, Finding, Fix
from . import parse as ts_parse
from .parse import cursor as ts_cursor
from .resolve import resolve_module

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
        "generator_function",
        "function",  # older grammars
    }
)
DECLARATION_TYPES = frozenset({"function_declaration", "generator_function_declaration"})
# Declarator values that can bind a name to a module, a function or a promise
# maker (the pattern takes every declarator: an alternation of these in the
# query cost more than filtering here).
DECLARATOR_VALUES = frozenset({"call_expression", "member_expression", "identifier", "arrow_function",
                               "function_expression", "generator_function", "subscript_expression",
                               "parenthesized_expression"})
LOOP_TYPES = frozenset(
    {"for_statement", "for_in_statement", "while_statement", "do_statement"}
)
STRING_TYPES = frozenset({"string", "template_string"})

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "del", "all", "head", "options", "use"}
)
APP_NAME_HINTS = ("app", "router", "server", "api", "fastify", "routes", "route")
REQUEST_NAMES = frozenset({"req", "request"})
RESPONSE_NAMES = frozenset({"res", "response", "reply", "h"})
SERVER_FACTORIES = frozenset(
    {
        "http.createServer",
        "https.createServer",
        "http2.createServer",
        "http2.createSecureServer",
        "net.createServer",
        "tls.createServer",
    }
)
FACTORY_NAMES = frozenset(q.rsplit(".", 1)[1] for q in SERVER_FACTORIES)
# Function nodes that cannot be call arguments or a pair's value.
NEVER_ARGUMENTS = frozenset({"function_declaration", "generator_function_declaration", "method_definition"})
# Modules whose promise API lives under `.promises` and under `<name>/promises`.
PROMISES_SUBMODULES = frozenset({"fs", "dns", "stream", "timers", "readline"})


def _article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def strip_node_prefix(spec: str) -> str:
    return spec[5:] if spec.startswith("node:") else spec


# A member chain whose text starts with a plain name followed by `.`, `?.`,
# `[` or `!.` has that name at its root (a call such as `require(...)` at the
# root is followed by `(`, and is left to the walk).
_CHAIN_ROOT = re.compile(rb"([A-Za-z_$][\w$]*)[ \t]*(?=[.\[]|\?\.|!)")


# A byte that can be part of an identifier (as ``\w`` and ``$`` in a bytes regex).
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def real_children(node) -> list:
    """The named children that are not comments (extras), as a query's
    ``.`` anchors count them."""
    return [c for c in node.named_children if not c.is_extra]


def first_argument(node) -> Optional[Node]:
    """The first argument of a call or new expression (comments skipped),
    or None."""
    args = node.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return None
    first = real_children(args)[:1]
    return first[0] if first else None


def find_word(source: bytes, word: bytes, start: int = 0, end: int | None = None):
    """Offsets of ``word`` in ``source[start:end]`` where it is not part of a
    longer identifier. A literal search (memchr speed), not a regex with a
    lookbehind, which cannot skip ahead."""
    if end is None:
        end = len(source)
    n = len(word)
    at = source.find(word, start, end)
    while at != -1:
        after = at + n
        if (at == 0 or source[at - 1] not in _WORD_BYTES) and (after >= end or source[after] not in _WORD_BYTES):
            yield at
        at = source.find(word, at + 1, end)


@dataclass(frozen=True)
class Ref:
    """What an expression refers to: a module (builtin name, package name or
    absolute path of a project file) and a chain of attributes."""

    module: str
    attrs: tuple = ()
    project: bool = False  # module is a resolved project file path

    def child(self, name: str) -> "Ref":
        return Ref(self.module, self.attrs + (name,), self.project)

    @property
    def qualname(self) -> str:
        """Dotted name with promise sub-modules folded: ``fs.promises.readFile``
        and ``fs/promises.readFile`` both give ``fs/promises.readFile``."""
        module, attrs = self.module, self.attrs
        if module in PROMISES_SUBMODULES and attrs[:1] == ("promises",):
            module, attrs = module + "/promises", attrs[1:]
        return ".".join((module,) + attrs)


@dataclass
class ExportInfo:
    """What a module exports, for the project index."""

    async_names: set
    sync_names: set
    reexports: list  # (path or None, name or "*", local name exported as)

    def to_json(self):
        return {
            "async": sorted(self.async_names),
            "sync": sorted(self.sync_names),
            "reexports": self.reexports,
        }


FACT_QUERY = """
(import_statement) @import
(variable_declarator name: (_) @name value: (_) @value)
(assignment_expression
  left: (member_expression object: (identifier) @exp_obj (#any-of? @exp_obj "module" "exports")) @exp_left
  right: (_) @exp_right)
(assignment_expression
  left: (member_expression
          object: (member_expression object: (identifier) @m property: (property_identifier) @e)
          (#eq? @m "module") (#eq? @e "exports")) @exp_left
  right: (_) @exp_right)
(export_statement) @export
[(function_declaration) (function_expression) (arrow_function) (method_definition)
 (generator_function_declaration) (generator_function)] @fn
"""


@functools.lru_cache(maxsize=None)
def _fact_query(dialect: str) -> Query:
    return Query(ts_parse.language(dialect), FACT_QUERY)


class JsFile:
    def __init__(self, path: str, source: bytes, dialect: str, tree=None, display_path: str | None = None,
                 fact_matches: list | None = None):
        """``fact_matches``: the matches of FACT_QUERY's patterns when the
        caller ran them as part of its own query pass (the rule runner does,
        so a file is traversed once); otherwise they are computed here."""
        self.path = path  # absolute path (for resolution), may be virtual
        self.display_path = display_path or path
        self.source = source
        self.dialect = dialect
        self.tree = tree if tree is not None else ts_parse.parse(source, dialect)
        self.root = self.tree.root_node
        self.findings: list[Finding] = []
        self.bindings: dict[str, Ref] = {}
        self.promise_names: set[str] = set()  # locals known to return promises
        self.promisified: dict[str, Optional[Ref]] = {}  # local -> what was promisified
        self.functions: dict[str, list[Node]] = {}  # name -> function nodes
        self._exports_nodes: list = []  # (left, right) of module.exports / exports.x
        self._export_stmts: list[Node] = []
        self._handler_cache: dict[int, Optional[str]] = {}
        self._fn_nodes: list[Node] = []
        self.fn_parents: dict[int, Node] = {}  # function id -> parent, where the runner looked it up already
        self._fn_index = None
        self.options: dict = {}
        self.too_deep = False  # set by the runner when nesting passes the query depth limit
        self._mentions_promisify = b"promisify" in source
        if fact_matches is None:
            fact_matches = ts_cursor(_fact_query(self.dialect)).matches(self.root)
        self._collect_facts(fact_matches)

    @functools.cached_property
    def top_level(self) -> list:
        """The program's statements (named children of the root)."""
        return self.root.named_children

    # ------------------------------------------------------------------ text
    def text(self, node: Node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def _char_col(self, byte_offset: int, byte_col: int) -> int:
        start = byte_offset - byte_col
        return len(self.source[start:byte_offset].decode("utf-8", "replace")) + 1

    def position(self, node: Node) -> tuple[int, int, int, int]:
        sp, ep = node.start_point, node.end_point
        return (
            sp[0] + 1,
            self._char_col(node.start_byte, sp[1]),
            ep[0] + 1,
            self._char_col(node.end_byte, ep[1]),
        )

    def edit_replace(self, node: Node, text: str) -> Edit:
        line, col, end_line, end_col = self.position(node)
        return Edit(line, col, end_line, end_col, text)

    def edit_insert_before(self, node: Node, text: str) -> Edit:
        line, col, _, _ = self.position(node)
        return Edit(line, col, line, col, text)

    def report(self, meta, node: Node, message: str, fix: Fix | None = None,
               condition: Condition | None = None, **extra) -> None:
        line, col, end_line, end_col = self.position(node)
        self.findings.append(
            Finding(
                rule=meta.id,
                severity=meta.severity,
                path=self.display_path,
                line=line,
                column=col,
                end_line=end_line,
                end_column=end_col,
                message=message,
                fix=fix,
                condition=condition,
                extra=extra,
            )
        )

    # ------------------------------------------------------------ bindings
    def _collect_facts(self, matches) -> None:
        for _, caps in matches:
            if "fn" in caps:  # the most frequent first
                fn = caps["fn"][0]
                self._fn_nodes.append(fn)
                if fn.type in DECLARATION_TYPES:  # function f() {}: a local name
                    name = fn.child_by_field_name("name")
                    if name is not None and name.type == "identifier":
                        self.functions.setdefault(self.text(name), []).append(fn)
            elif "value" in caps:
                value = caps["value"][0]
                if value.type in DECLARATOR_VALUES:
                    self._add_declarator(caps["name"][0], value)
            elif "import" in caps:
                self._add_import(caps["import"][0])
            elif "exp_left" in caps:
                self._exports_nodes.append((caps["exp_left"][0], caps["exp_right"][0]))
            elif "export" in caps:
                self._export_stmts.append(caps["export"][0])
        # Names declared both async and not are ambiguous: trust neither.
        for name, fns in self.functions.items():
            if fns and all(self.is_async(f) for f in fns):
                self.promise_names.add(name)

    def _module_ref(self, spec: str) -> Ref:
        spec = strip_node_prefix(spec)
        if spec.startswith("."):
            resolved = resolve_module(os.path.dirname(self.path), spec)
            if resolved:
                return Ref(resolved, (), True)
            return Ref("?unresolved:" + spec, (), False)
        if spec.endswith("/promises") and spec[: -len("/promises")] in PROMISES_SUBMODULES:
            return Ref(spec[: -len("/promises")], ("promises",))
        return Ref(spec)

    def _string_value(self, node: Node | None) -> Optional[str]:
        if node is None:
            return None
        if node.type == "string":
            return self.text(node)[1:-1]
        if node.type == "template_string" and not any(
            c.type == "template_substitution" for c in node.children
        ):
            return self.text(node)[1:-1]
        return None

    def require_spec(self, call: Node) -> Optional[str]:
        """``require('x')`` → ``'x'``."""
        if call.type != "call_expression":
            return None
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "identifier" or self.text(fn) != "require":
            return None
        args = call.child_by_field_name("arguments")
        if args is None or args.named_child_count != 1:
            return None
        return self._string_value(args.named_children[0])

    def _add_import(self, stmt: Node) -> None:
        source = stmt.child_by_field_name("source")
        if source is None:  # TS: import cp = require('child_process')
            for clause in stmt.named_children:
                if clause.type == "import_require_clause":
                    source = clause.child_by_field_name("source")
        spec = self._string_value(source)
        if spec is None:
            return
        base = self._module_ref(spec)
        for clause in stmt.named_children:
            if clause.type == "import_require_clause":  # TS: import fs = require('fs')
                ident = clause.named_children[0] if clause.named_children else None
                if ident is not None and ident.type == "identifier":
                    self.bindings[self.text(ident)] = base
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":  # default import
                    self.bindings[self.text(part)] = (
                        base.child("default") if base.project else base
                    )
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        if ident.type == "identifier":
                            self.bindings[self.text(ident)] = base
                elif part.type == "named_imports":
                    for spec_node in part.named_children:
                        if spec_node.type != "import_specifier":
                            continue
                        name = spec_node.child_by_field_name("name")
                        alias = spec_node.child_by_field_name("alias") or name
                        if name is None:
                            continue
                        imported = self.text(name).strip("'\"")
                        self.bindings[self.text(alias)] = base.child(imported)

    def _add_declarator(self, name: Node, value: Node) -> None:
        if name.type == "identifier":
            local = self.text(name)
            if value.type in ("arrow_function", "function_expression", "function", "generator_function"):
                self.functions.setdefault(local, []).append(value)
                return
            promisified = self._promisify_target(value)
            if promisified is not False:
                self.promisified[local] = promisified
                self.promise_names.add(local)
                return
            if value.type == "call_expression" and not self.source.startswith(b"require", value.start_byte):
                return  # a call denotes a module only as require('x')
            ref = self.resolve(value)
            if ref is not None:
                self.bindings[local] = ref
        elif name.type == "object_pattern":
            ref = self.resolve(value)
            if ref is None:
                return
            for prop in name.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    key = self.text(prop)
                    self.bindings[key] = self._member(ref, key)
                elif prop.type == "pair_pattern":
                    key_node = prop.child_by_field_name("key")
                    val_node = prop.child_by_field_name("value")
                    if key_node is None or val_node is None:
                        continue
                    if val_node.type == "assignment_pattern":
                        val_node = val_node.child_by_field_name("left")
                    if val_node is not None and val_node.type == "identifier":
                        key = self.text(key_node).strip("'\"")
                        self.bindings[self.text(val_node)] = self._member(ref, key)
                elif prop.type == "object_assignment_pattern":
                    left = prop.child_by_field_name("left")
                    if left is not None and left.type == "shorthand_property_identifier_pattern":
                        key = self.text(left)
                        self.bindings[key] = self._member(ref, key)

    def _member(self, ref: Ref, name: str) -> Ref:
        return ref.child(name)

    def _promisify_target(self, value: Node):
        """``promisify(x)`` / ``util.promisify(x)`` → Ref of x (or None if
        unknown); False when ``value`` is not a promisify call."""
        # Every spelling of util.promisify that resolve() follows (an import,
        # a property, a require string) has the word in the text.
        if value.type != "call_expression" or not self._mentions_promisify:
            return False
        fn = value.child_by_field_name("function")
        if fn is None:
            return False
        ref = self.resolve(fn)
        is_promisify = (ref is not None and ref.qualname == "util.promisify") or (
            fn.type == "identifier" and self.text(fn) == "promisify"
        )
        if not is_promisify:
            return False
        args = value.child_by_field_name("arguments")
        if args is None or args.named_child_count < 1:
            return None
        return self.resolve(args.named_children[0])

    # ------------------------------------------------------------- resolve
    def resolve(self, node: Node | None) -> Optional[Ref]:
        """What module member an expression denotes, following imports."""
        if node is not None and node.type == "member_expression":
            # Most member chains start at a name that is not an import
            # (`this`, a local, a parameter): read it from the text first.
            m = _CHAIN_ROOT.match(self.source, node.start_byte)
            if m is not None and m.group(1).decode() not in self.bindings:
                return None
        depth = 0
        attrs: list[str] = []
        while node is not None and depth < 64:
            depth += 1
            t = node.type
            if t == "identifier":
                ref = self.bindings.get(self.text(node))
                if ref is None:
                    return None
                for a in reversed(attrs):
                    ref = ref.child(a)
                return ref
            if t == "member_expression":
                prop = node.child_by_field_name("property")
                if prop is None or prop.type not in ("property_identifier", "private_property_identifier"):
                    return None
                attrs.append(self.text(prop))
                node = node.child_by_field_name("object")
                continue
            if t == "subscript_expression":
                index = node.child_by_field_name("index")
                key = self._string_value(index)
                if key is None:
                    return None
                attrs.append(key)
                node = node.child_by_field_name("object")
                continue
            if t in ("parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression"):
                node = node.named_children[0] if node.named_children else None
                continue
            if t == "call_expression":
                spec = self.require_spec(node)
                if spec is None:
                    return None
                ref = self._module_ref(spec)
                for a in reversed(attrs):
                    ref = ref.child(a)
                return ref
            return None
        return None

    def qualname(self, node: Node | None) -> Optional[str]:
        ref = self.resolve(node)
        return ref.qualname if ref is not None and not ref.project else None

    def callee_name(self, call: Node) -> Optional[str]:
        """The last name of a call's callee: ``a.b.c()`` → ``c``."""
        fn = call.child_by_field_name("function")
        if fn is None:
            return None
        if fn.type == "identifier":
            return self.text(fn)
        if fn.type == "member_expression":
            prop = fn.child_by_field_name("property")
            return self.text(prop) if prop is not None else None
        return None

    # ---------------------------------------------------------- references
    def references(self, name: str, scope: Node, after_byte: int = 0) -> list[Node]:
        """Identifier nodes spelled ``name`` inside ``scope`` (starting at
        ``after_byte``), found by searching the text, not walking the tree."""
        out = []
        word = name.encode()
        for at in find_word(self.source, word, max(scope.start_byte, after_byte), scope.end_byte):
            node = self.root.named_descendant_for_byte_range(at, at + len(word))
            if node is not None and node.type in ("identifier", "shorthand_property_identifier") \
                    and node.start_byte == at and node.end_byte == at + len(word):
                out.append(node)
        return out

    @functools.cached_property
    def const_values(self) -> dict:
        """``const`` name → initializer node, for every const in the file
        (computed on first use: few rules need it)."""
        out: dict[str, Node] = {}
        for _, caps in ts_cursor(_const_query(self.dialect)).matches(self.root):
            out.setdefault(self.text(caps["name"][0]), caps["value"][0])
        return out

    # ----------------------------------------------------------- functions
    def _build_fn_index(self):
        """Functions sorted by start, each with the index of the function that
        encloses it: the innermost function around any node is then a binary
        search plus a short walk up *function* nesting, not up the whole
        syntax tree (which is thousands of levels deep in some bundles)."""
        fns = sorted(self._fn_nodes, key=lambda n: (n.start_byte, -n.end_byte))
        starts = [f.start_byte for f in fns]
        ends = [f.end_byte for f in fns]
        parents = [-1] * len(fns)
        stack: list[int] = []
        for i in range(len(fns)):
            while stack and ends[stack[-1]] < ends[i]:
                stack.pop()
            parents[i] = stack[-1] if stack else -1
            stack.append(i)
        self._fn_index = (fns, starts, ends, parents)
        return self._fn_index

    def enclosing_function(self, node: Node) -> Optional[Node]:
        """The innermost function strictly around ``node`` (None at top level)."""
        fns, starts, ends, parents = self._fn_index or self._build_fn_index()
        s, e = node.start_byte, node.end_byte
        i = bisect.bisect_right(starts, s) - 1
        while i >= 0:
            if ends[i] >= e and not (starts[i] == s and ends[i] == e):
                return fns[i]
            i = parents[i]
        return None

    @staticmethod
    def is_async(fn: Node | None) -> bool:
        if fn is None:
            return False
        for child in fn.children:
            if child.type == "async":
                return True
            if child.type in ("formal_parameters", "statement_block", "identifier", "property_identifier"):
                return False
        return False

    def function_name(self, fn: Node) -> Optional[str]:
        name = fn.child_by_field_name("name")
        if name is not None:
            return self.text(name)
        parent = fn.parent
        if parent is not None and parent.type == "variable_declarator":
            n = parent.child_by_field_name("name")
            if n is not None and n.type == "identifier":
                return self.text(n)
        return None

    def param_names(self, fn: Node) -> list[str]:
        params = fn.child_by_field_name("parameters")
        if params is None:
            param = fn.child_by_field_name("parameter")  # x => ...
            return [self.text(param)] if param is not None and param.type == "identifier" else []
        names = []
        for p in params.named_children:
            if p.type in ("required_parameter", "optional_parameter"):
                pat = p.child_by_field_name("pattern")
                names.append(self.text(pat) if pat is not None and pat.type == "identifier" else "")
            elif p.type == "identifier":
                names.append(self.text(p))
            elif p.type == "assignment_pattern":
                left = p.child_by_field_name("left")
                names.append(self.text(left) if left is not None and left.type == "identifier" else "")
            elif p.type == "comment":
                continue
            else:
                names.append("")
        return names

    def in_loop(self, node: Node, stop: Node | None = None) -> bool:
        """Is ``node`` inside a loop body, not crossing a function boundary?"""
        cur = node.parent
        while cur is not None and cur != stop:
            if cur.type in FUNCTION_TYPES:
                return False
            if cur.type in LOOP_TYPES:
                return True
            cur = cur.parent
        return False

    # ------------------------------------------------------------ handlers
    @functools.cached_property
    def has_handler(self) -> bool:
        """Does any function in the file serve requests?"""
        return any(self._handler_reason(fn) for fn in self._fn_nodes)

    def handler_shape(self, fn: Node) -> bool:
        """Parameters shaped like a request handler."""
        names = [n for n in self.param_names(fn)]
        if len(names) >= 2:
            first, second = names[0], names[1]
            if first in REQUEST_NAMES and second in RESPONSE_NAMES:
                return True
            if first == "ctx" and second == "next":
                return True
            if len(names) >= 3 and first in ("err", "error") and second in REQUEST_NAMES and names[2] in RESPONSE_NAMES:
                return True
        return False

    def _looks_like_app(self, obj: Node) -> bool:
        if obj.type == "identifier":
            name = self.text(obj).lower()
            return any(h in name for h in APP_NAME_HINTS)
        if obj.type == "member_expression":  # this.app.get(...), server.router.post(...)
            prop = obj.child_by_field_name("property")
            return prop is not None and any(h in self.text(prop).lower() for h in APP_NAME_HINTS)
        if obj.type == "call_expression":  # app.route('/x').get(...), express.Router()
            name = self.callee_name(obj)
            return name in ("route", "Router", "express", "fastify", "Koa") or (
                name is not None and name.lower() in ("router", "createserver")
            )
        if obj.type == "this":
            return False
        return False

    def _handler_reason(self, fn: Node) -> Optional[str]:
        cache = self._handler_cache
        if fn.id not in cache:
            cache[fn.id] = self._compute_handler_reason(fn)
        return cache[fn.id]

    def _compute_handler_reason(self, fn: Node) -> Optional[str]:
        if self.handler_shape(fn):
            return "request handler"
        if fn.type in NEVER_ARGUMENTS:
            return None  # a declaration or a method is neither an argument nor a pair's value
        parent = self.fn_parents.get(fn.id) or fn.parent
        if parent is None:
            return None
        if parent.type == "pair":  # { handler: fn } in fastify.route({...})
            key = parent.child_by_field_name("key")
            if key is not None and self.text(key) == "handler":
                return "route handler"
            return None
        if parent.type != "arguments":
            return None
        call = parent.parent
        if call is None or call.type != "call_expression":
            return None
        callee = call.child_by_field_name("function")
        if callee is None:
            return None
        if callee.type != "member_expression":
            qn = self.qualname(callee)
            return f"{qn}() callback" if qn in SERVER_FACTORIES else None
        prop = callee.child_by_field_name("property")
        obj = callee.child_by_field_name("object")
        method = self.text(prop) if prop is not None else ""
        if method in FACTORY_NAMES:  # a member's qualname ends with its property
            qn = self.qualname(callee)
            if qn in SERVER_FACTORIES:
                return f"{qn}() callback"
        if method == "createServer":
            return "createServer() callback"
        args = parent.named_children
        if method in ROUTE_METHODS and obj is not None:
            first = args[0] if args else None
            if first == fn:
                return f"{self.text(obj)}.{method}() middleware" if method == "use" and self._looks_like_app(obj) else None
            if first is not None and (first.type in STRING_TYPES or first.type in ("regex", "array")):
                if method == "use" or self._looks_like_app(obj) or obj.type == "call_expression":
                    return f"{self.text(obj)}.{method}() route handler"
                # `x.get('/path', fn)`: a route-shaped call on an unknown object.
                first_text = self._string_value(first)
                if first_text is not None and first_text.startswith("/"):
                    return f"{self.text(obj)}.{method}() route handler"
            return None
        if method in ("on", "addListener", "once") and args:
            event = self._string_value(args[0])
            if event == "request" and fn != args[0]:
                return f"'{event}' event handler"
            if event in ("connection", "message", "stream") and fn != args[0]:
                if event == "message" and obj is not None and self.text(obj) == "process":
                    return None
                if event == "message" and not self._in_connection_handler(call):
                    obj_name = self.text(obj).lower() if obj is not None else ""
                    if not any(h in obj_name for h in ("ws", "socket", "client", "conn")):
                        return None
                return f"'{event}' event handler"
        return None

    def _in_connection_handler(self, node: Node) -> bool:
        fn = self.enclosing_function(node)
        while fn is not None:
            if self._handler_reason(fn):
                return True
            fn = self.enclosing_function(fn)
        return False

    def handler_for(self, node: Node) -> Optional[tuple[Node, str]]:
        """The request handler whose code ``node`` is part of, directly or in a
        nested callback: ``(function node, description)``; None outside."""
        fn = self.enclosing_function(node)
        while fn is not None:
            reason = self._handler_reason(fn)
            if reason:
                return fn, reason
            fn = self.enclosing_function(fn)
        return None

    @functools.cached_property
    def helpers_reached_from_handlers(self) -> dict:
        """Same-file named functions that handler code calls (transitively):
        function node id → (handler description, called name)."""
        # Most files serve no requests: then no call is in a handler, and the
        # local-call query (a second traversal of the tree) is not needed.
        if not self.has_handler:
            return {}
        calls = self._local_calls
        starts = [call.start_byte for call, _ in calls]
        in_order = all(a <= b for a, b in zip(starts, starts[1:]))
        reached: dict[int, tuple[str, str]] = {}
        work: list[tuple[Node, str]] = []
        for call, name in calls:
            h = self.handler_for(call)
            if h is not None:
                work.append((call, f"{h[1]}"))
        seen_calls = set()
        while work:
            call, why = work.pop()
            name = self.text(call.child_by_field_name("function"))
            for fn in self.functions.get(name, ()):
                if fn.id in reached or self._handler_reason(fn):
                    continue
                reached[fn.id] = (why, name)
                # The calls inside fn, in document order (a slice of the
                # sorted list, not a scan of every call in the file).
                if in_order:
                    lo = bisect.bisect_left(starts, fn.start_byte)
                    hi = bisect.bisect_right(starts, fn.end_byte)
                    candidates = calls[lo:hi]
                else:
                    candidates = calls
                for inner, _ in candidates:
                    if inner.id in seen_calls:
                        continue
                    if self._contains(fn, inner):
                        seen_calls.add(inner.id)
                        work.append((inner, why))
        return reached

    @functools.cached_property
    def _local_calls(self) -> list[tuple[Node, str]]:
        q = _local_call_query(self.dialect)
        out = []
        for node in ts_cursor(q).captures(self.root).get("call", []):
            fn = node.child_by_field_name("function")
            name = self.text(fn)
            if name in self.functions:
                out.append((node, name))
        return out

    @staticmethod
    def _contains(outer: Node, inner: Node) -> bool:
        return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte

    def serving_context(self, node: Node) -> Optional[str]:
        """Why ``node`` runs per request, as a phrase ("a request handler",
        "load(), which an app.get() route handler calls"); None when it is not
        known to."""
        h = self.handler_for(node)
        if h is not None:
            return _article(h[1])
        fn = self.enclosing_function(node)
        reached = self.helpers_reached_from_handlers
        while fn is not None:
            if fn.id in reached:
                why, name = reached[fn.id]
                return f"{name}(), which {_article(why)} calls"
            fn = self.enclosing_function(fn)
        return None

    # --------------------------------------------------------- worker file
    @functools.cached_property
    def is_worker_file(self) -> bool:
        for local, ref in self.bindings.items():
            if ref.module == "worker_threads" and ref.attrs[:1] in (("parentPort",), ("workerData",)):
                return True
        return False

    # ------------------------------------------------------------- exports
    def exports(self) -> ExportInfo:
        info = ExportInfo(set(), set(), [])

        def classify(name: str, value: Node | None):
            if value is None:
                return
            if value.type in ("arrow_function", "function_expression", "function", "generator_function"):
                (info.async_names if self.is_async(value) else info.sync_names).add(name)
            elif value.type in ("identifier", "shorthand_property_identifier"):
                local = self.text(value)
                if local in self.functions:
                    (info.async_names if local in self.promise_names else info.sync_names).add(name)
                elif local in self.bindings and self.bindings[local].project:
                    ref = self.bindings[local]
                    info.reexports.append((ref.module, ref.attrs[0] if ref.attrs else "default", name))
            elif value.type == "call_expression":
                spec = self.require_spec(value)
                if spec is not None and name == "default":
                    ref = self._module_ref(spec)
                    if ref.project:
                        info.reexports.append((ref.module, "*", "*"))

        def object_exports(obj: Node):
            for prop in obj.named_children:
                if prop.type == "shorthand_property_identifier":
                    classify(self.text(prop), prop)
                elif prop.type == "pair":
                    key = prop.child_by_field_name("key")
                    if key is not None:
                        classify(self.text(key).strip("'\""), prop.child_by_field_name("value"))
                elif prop.type == "method_definition":
                    name = prop.child_by_field_name("name")
                    if name is not None:
                        (info.async_names if self.is_async(prop) else info.sync_names).add(self.text(name))

        for left, right in self._exports_nodes:
            obj = left.child_by_field_name("object")
            prop = left.child_by_field_name("property")
            if prop is None:
                continue
            pname = self.text(prop)
            if obj is not None and obj.type == "identifier" and self.text(obj) == "module":
                if pname != "exports":
                    continue
                if right.type == "object":
                    object_exports(right)
                else:
                    classify("default", right)
            else:
                classify(pname, right)

        for stmt in self._export_stmts:
            is_default = any(c.type == "default" for c in stmt.children)
            decl = stmt.child_by_field_name("declaration")
            value = stmt.child_by_field_name("value")
            source = self._string_value(stmt.child_by_field_name("source"))
            if decl is not None:
                if decl.type in ("function_declaration", "generator_function_declaration"):
                    name = decl.child_by_field_name("name")
                    key = "default" if is_default else (self.text(name) if name is not None else None)
                    if key:
                        (info.async_names if self.is_async(decl) else info.sync_names).add(key)
                elif decl.type == "lexical_declaration":
                    for d in decl.named_children:
                        if d.type == "variable_declarator":
                            n = d.child_by_field_name("name")
                            if n is not None and n.type == "identifier":
                                classify(self.text(n), d.child_by_field_name("value"))
                elif decl.type in ("function_expression", "arrow_function", "function"):
                    classify("default", decl)
                continue
            if is_default and value is not None:
                classify("default", value)
                continue
            for clause in stmt.named_children:
                if clause.type != "export_clause":
                    continue
                for spec in clause.named_children:
                    if spec.type != "export_specifier":
                        continue
                    n = spec.child_by_field_name("name")
                    a = spec.child_by_field_name("alias") or n
                    if n is None:
                        continue
                    local, exported = self.text(n), self.text(a)
                    if source is not None:
                        ref = self._module_ref(source)
                        if ref.project:
                            info.reexports.append((ref.module, local, exported))
                    else:
                        classify(exported, n)
            if source is not None and not any(c.type == "export_clause" for c in stmt.named_children):
                ref = self._module_ref(source)
                if ref.project:
                    info.reexports.append((ref.module, "*", "*"))
        return info


_LOCAL_CALL_QUERY = "(call_expression function: (identifier)) @call"
_CONST_QUERY = '''(lexical_declaration "const" (variable_declarator name: (identifier) @name value: (_) @value))'''


@functools.lru_cache(maxsize=None)
def _const_query(dialect: str) -> Query:
    return Query(ts_parse.language(dialect), _CONST_QUERY)


@functools.lru_cache(maxsize=None)
def _local_call_query(dialect: str) -> Query:
    return Query(ts_parse.language(dialect), _LOCAL_CALL_QUERY)
