"""Per-file facts for Python rules, computed once and shared.

``PyFile`` holds the parsed module and answers the questions every rule
asks: where is this node (1-based code-point columns), what is this name's
qualified name, which function encloses this node and is it ``async def``,
which functions are coroutine functions, what was a variable built from
(``receiver_type``), which project file does an import name.

No libcst metadata provider is used: they walk the tree with libcst's
visitors, which rebuild every node and cost several parses per file. The
runner's single walk records parents, imports and defs; positions come from
one offset-only code generation, on the first finding; names are resolved by
a small scope analysis of the scopes actually asked about.

"Inside an async def" is decided by the *nearest* enclosing function, so a
nested sync ``def`` or ``lambda`` switches it off only inside itself; a
function's decorators, defaults and annotations belong to the enclosing scope
(they run when the ``def`` statement runs).
"""

from __future__ import annotations

import ast
import bisect
import builtins
import contextlib
import dataclasses
import os
import re
import warnings
from typing import Iterable, Iterator, Optional

import libcst as cst
from libcst._nodes.internal import CodegenState

from ..findings import Condition, Edit, Finding, Fix
from .resolve import resolve_module

# Decorators known to return the function they decorate (or a thin async
# wrapper of it), so an ``async def`` under them is still a coroutine function.
PRESERVING_DECORATORS = frozenset(
    {
        "builtins.staticmethod", "builtins.classmethod",
        "functools.wraps", "abc.abstractmethod",
        "typing.overload", "typing.override", "typing.final",
        "typing_extensions.overload", "typing_extensions.override", "typing_extensions.final",
    }
)
# The same, by their last dotted component, for module_exports (no metadata there).
PRESERVING_DECORATOR_NAMES = frozenset(
    {"staticmethod", "classmethod", "wraps", "abstractmethod", "overload", "override", "final"}
)

FUNCTION_NODES = (cst.FunctionDef, cst.Lambda)

# pathlib: operations that give a path of the same kind.
PATH_TYPES = frozenset(
    {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "pathlib.WindowsPath",
     "pathlib.PurePosixPath", "pathlib.PureWindowsPath"}
)
PATH_METHODS = frozenset(
    {"joinpath", "with_suffix", "with_name", "with_stem", "resolve", "absolute", "expanduser", "relative_to"}
)


BUILTIN_NAMES = frozenset(dir(builtins))


@dataclasses.dataclass(frozen=True)
class ImportedName:
    """``module`` (dotted, without the leading dots of ``level``), the
    ``name`` taken from it (None for ``import module``), and whether the
    local name is an ``as`` alias."""

    module: str
    name: Optional[str]
    level: int
    aliased: bool


def module_name(node) -> str:
    return dotted(node) or ""


def root_name(node) -> Optional[str]:
    """``a`` for ``a``, ``a.b.c``; None when the chain starts elsewhere."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def dotted(node: cst.CSTNode) -> Optional[str]:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return None


def last_name(node: cst.CSTNode) -> Optional[str]:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


_FIELDS: dict = {}
# Fields that hold only punctuation, whitespace and comments: never walked.
TOKEN_FIELDS = frozenset(
    {"lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header", "footer",
     "equal", "colon", "dot", "newline", "lbracket", "rbracket", "lbrace", "rbrace", "star_tok",
     "empty_lines", "asynchronous"}
)
SCOPE_NODES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# Parents whose Name child names something rather than reading a variable.
NOT_REFERENCES = (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.NameItem, cst.AsName,
                  cst.MatchAs, cst.MatchStar, cst.MatchMapping, cst.MatchKeywordElement)


class Binding:
    """What binds a name in a scope: ``node`` is the target ``Name``, the
    ``Param``, the ``FunctionDef`` / ``ClassDef``, or the ``Import`` /
    ``ImportFrom`` statement (then ``imported`` says what it imports)."""

    __slots__ = ("node", "imported")

    def __init__(self, node, imported=None):
        self.node = node
        self.imported = imported

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Binding({type(self.node).__name__}, {self.imported})"


def _node_classes() -> frozenset:
    out, todo = set(), [cst.CSTNode]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in out:
                out.add(sub)
                todo.append(sub)
    return frozenset(out)


# Every concrete libcst node class: a set lookup is much cheaper than
# isinstance() against the CSTNode ABC on the hot path.
NODE_CLASSES = _node_classes()


def _fields(kind) -> tuple:
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(
            f.name for f in dataclasses.fields(kind)
            if "whitespace" not in f.name and f.name not in TOKEN_FIELDS
        )
    return names


def _children(node) -> list:
    out = []
    for name in _FIELDS.get(node.__class__) or _fields(node.__class__):
        value = getattr(node, name)
        kind = value.__class__
        if kind in NODE_CLASSES:
            out.append(value)
        elif kind is tuple or kind is list:
            for item in value:
                if item.__class__ in NODE_CLASSES:
                    out.append(item)
    return out


def child_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """A node's children, read straight off its dataclass fields, leaving out
    punctuation, whitespace and comments (libcst's ``node.children`` and its
    visitors rebuild nodes and cost far more)."""
    return iter(_children(node))


def walk(root: cst.CSTNode, prune: tuple = ()) -> Iterator[cst.CSTNode]:
    """Every node under ``root`` (root included), parents before children;
    nodes of the ``prune`` types are yielded but not entered."""
    stack = [root]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        yield node
        if prune and node is not root and isinstance(node, prune):
            continue
        children = _children(node)
        children.reverse()
        extend(children)


def has_own_yield(fn: cst.FunctionDef) -> bool:
    """``yield`` in a function's body, not in the functions it nests."""
    return any(isinstance(n, cst.Yield) for n in walk(fn.body, SCOPE_NODES))


def self_attribute_assignments(cls: cst.ClassDef) -> dict:
    """``self.<attr> = value`` in the methods of a class (not of nested
    classes): attr -> list of (value or None, annotation or None)."""
    out: dict[str, list] = {}
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for method in body:
        if not isinstance(method, cst.FunctionDef) or _is_static(method):
            continue
        params = method.params.params
        if not params:
            continue
        me = params[0].name.value

        def record(target, value, annotation=None):
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) \
                    and target.value.value == me:
                out.setdefault(target.attr.value, []).append((value, annotation))
            elif isinstance(target, (cst.Tuple, cst.List)):
                for el in target.elements:
                    record(el.value, None)
            elif isinstance(target, cst.StarredElement):
                record(target.value, None)

        for node in walk(method.body, (cst.ClassDef,)):
            if isinstance(node, cst.Assign):
                for t in node.targets:
                    record(t.target, node.value if len(node.targets) == 1 else None)
            elif isinstance(node, cst.AnnAssign):
                record(node.target, node.value, node.annotation.annotation)
            elif isinstance(node, cst.AugAssign):
                record(node.target, None)
            elif isinstance(node, cst.AsName):
                record(node.name, None)
            elif isinstance(node, (cst.For, cst.CompFor)):
                record(node.target, None)
            elif isinstance(node, cst.NamedExpr):
                record(node.target, None)
    return out


def _is_static(fn: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in fn.decorators)


NEWLINE = re.compile(r"\r\n?|\n")


class _OffsetState(CodegenState):
    """libcst's code generator, keeping only the character offset where each
    node starts and ends (what PositionProvider records, as line/column, for
    a far higher price): same start/end rules, syntactic positions included."""

    def __init__(self, default_indent: str, default_newline: str):
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.offset = 0
        self.tokens = [""]  # never empty: Module adds no extra newline
        self.stack: list = []
        self.spans: dict = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.offset += len(value)

    def pop_trailing_newline(self) -> None:
        pass

    def before_codegen(self, node) -> None:
        self.stack.append(self.offset)

    def after_codegen(self, node) -> None:
        start = self.stack.pop()
        if node not in self.spans:
            self.spans[node] = (start, self.offset)

    @contextlib.contextmanager
    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.spans[start_node][0]
            if end_node is not None:
                end = self.spans[end_node][1]
            self.spans[node] = (start, end)


class PyFile:
    def __init__(self, path: str, display: str, module: cst.Module, wrapper=None, options: dict | None = None,
                 source: bytes | None = None):
        self.path = path
        self.display_path = display
        self.module = module
        self.wrapper = wrapper  # unused: kept for callers that pass one
        self.options = options or {}
        # The decoded text equals module.code (libcst round-trips exactly, BOM
        # dropped); decoding is much cheaper than regenerating it.
        text = None
        if source is not None:
            try:
                text = source.decode(module.encoding)
            except (UnicodeDecodeError, LookupError):
                text = None
        self.text = text if text is not None else module.code
        # libcst's line model: \r\n, \r and \n all end a line.
        self.line_starts = [0] + [m.end() for m in NEWLINE.finditer(self.text)]
        self._spans: dict = {}
        self._whole = False  # every node's span is known
        self._generated: set = set()
        self._tops: Optional[dict] = None
        self.findings: list[Finding] = []
        self._parents: Optional[dict] = None
        self._qualnames: dict = {}
        self._coroutine_defs: dict = {}
        self._class_attrs: dict = {}
        self._receiver_cache: dict = {}
        self._mentions: dict = {}
        self._bindings: dict = {}
        self._declared: dict = {}

    # ------------------------------------------------------------ facts
    def _walk_facts(self, collect: frozenset = frozenset()) -> list:
        """One pass over the tree: parents, what the file imports and defines
        by name, and (in document order) the nodes whose types are in
        ``collect`` (what the rules' ``visit_*`` hooks want). Imports and defs
        let rules skip calls that cannot matter before asking for scopes
        (libcst's scope analysis is the costly part)."""
        parents: dict = {}
        imports: dict = {}
        defs: set = set()
        async_defs: set = set()
        hits: list = []
        yields: list = []
        fields = _FIELDS
        node_classes = NODE_CLASSES
        FunctionDef, Import, ImportFrom, ImportStar = cst.FunctionDef, cst.Import, cst.ImportFrom, cst.ImportStar
        Yield = cst.Yield
        stack = [self.module]
        pop, push = stack.pop, stack.append
        while stack:
            node = pop()
            kind = type(node)
            if kind in collect:
                hits.append(node)
            if kind is Yield:
                yields.append(node)
            elif kind is FunctionDef:
                defs.add(node.name.value)
                if node.asynchronous is not None:
                    async_defs.add(node.name.value)
            elif kind is Import:
                for alias in node.names:
                    full = module_name(alias.name)
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        imports.setdefault(alias.asname.name.value, []).append(ImportedName(full, None, 0, True))
                    else:
                        imports.setdefault(full.split(".")[0], []).append(ImportedName(full, None, 0, False))
            elif kind is ImportFrom and not isinstance(node.names, ImportStar):
                mod = module_name(node.module) if node.module is not None else ""
                for alias in node.names:
                    name = module_name(alias.name)
                    aliased = alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                    local = alias.asname.name.value if aliased else name
                    imports.setdefault(local, []).append(ImportedName(mod, name, len(node.relative), aliased))
            children = []
            for name in fields.get(kind) or _fields(kind):
                value = getattr(node, name)
                vkind = value.__class__
                if vkind in node_classes:
                    children.append(value)
                elif vkind is tuple or vkind is list:
                    for item in value:
                        if item.__class__ in node_classes:
                            children.append(item)
            for child in reversed(children):
                parents[child] = node
                push(child)
        self._parents = parents
        self._yields = yields
        self._yielding = None
        self.imports = imports
        self.def_names = frozenset(defs)
        self.async_def_names = frozenset(async_defs)
        return hits

    def yielding(self) -> set:
        """The functions with a ``yield`` of their own (generators), from the
        walk's list of yields rather than a walk of every function."""
        self.facts()
        if self._yielding is None:
            self._yielding = {self.enclosing_function(y) for y in self._yields}
        return self._yielding

    def parent(self, node) -> Optional[cst.CSTNode]:
        if self._parents is None:
            self._walk_facts()
        return self._parents.get(node)

    def facts(self) -> "PyFile":
        if self._parents is None:
            self._walk_facts()
        return self

    def imported_as(self, name: str) -> list:
        """How a local name is bound by imports anywhere in the file (textual:
        shadowing is left to the scope analysis)."""
        return self.facts().imports.get(name, [])

    # ------------------------------------------------------------ scopes
    # A light scope analysis, asked only for the names rules look up: which
    # scope a name resolves in (function, lambda, comprehension, class body
    # for its own statements, module, builtins) and what binds it there.
    # It replaces libcst's ScopeProvider (a full pass costing several parses)
    # for qualified names and assignments; it does not order bindings, as
    # libcst's scopes do not either.

    def scope_node(self, node):
        """The node whose scope ``node`` is evaluated in: a FunctionDef or
        Lambda (its body), a ClassDef (its body), a comprehension (all but its
        first iterable), or the Module."""
        child, prev = node, None
        for anc in self.ancestors(node):
            kind = type(anc)
            if kind is cst.FunctionDef or kind is cst.ClassDef or kind is cst.Lambda:
                if child is anc.body:
                    return anc
            elif kind in COMPREHENSIONS:
                if not (child is anc.for_in and prev is anc.for_in.iter):
                    return anc
            prev, child = child, anc
        return self.module

    def bindings(self, scope) -> dict:
        """name -> [Binding] for what ``scope`` binds itself, plus
        ``"global"`` / ``"nonlocal"`` sets of declared names."""
        table = self._bindings.get(scope)
        if table is not None:
            return table
        table = {}
        declared = {"global": set(), "nonlocal": set()}

        def bind(target, imported=None, node=None):
            if isinstance(target, cst.Name):
                table.setdefault(target.value, []).append(Binding(node or target, imported))
            elif isinstance(target, (cst.Tuple, cst.List)):
                for el in target.elements:
                    bind(el.value)
            elif isinstance(target, cst.StarredElement):
                bind(target.value)

        # Expressions bind nothing but through `:=` (comprehensions are scopes
        # of their own): without one in the file, they are not entered.
        prune = SCOPE_NODES + COMPREHENSIONS
        if ":=" not in self.text:
            prune = prune + (cst.BaseExpression,)
        roots = []
        if isinstance(scope, (cst.FunctionDef, cst.Lambda)):
            for param in _all_params(scope.params):
                table.setdefault(param.name.value, []).append(Binding(param, None))
            roots.append(scope.body)
        elif isinstance(scope, cst.ClassDef):
            roots.append(scope.body)
        elif isinstance(scope, COMPREHENSIONS):
            comp = scope.for_in
            while comp is not None:
                bind(comp.target)
                comp = comp.inner_for_in
        else:
            roots.append(scope)
        for root in roots:
            for node in walk(root, prune):
                kind = type(node)
                if node is not root and (kind is cst.FunctionDef or kind is cst.ClassDef):
                    table.setdefault(node.name.value, []).append(Binding(node, None))
                elif kind is cst.Assign:
                    for t in node.targets:
                        bind(t.target)
                elif kind is cst.AnnAssign or kind is cst.AugAssign or kind is cst.NamedExpr:
                    bind(node.target)
                elif kind is cst.For:
                    bind(node.target)
                elif kind is cst.WithItem or kind is cst.ExceptHandler or kind is cst.ExceptStarHandler:
                    as_name = node.asname if kind is cst.WithItem else node.name
                    if as_name is not None:
                        bind(as_name.name)
                elif kind is cst.MatchAs or kind is cst.MatchStar:
                    if node.name is not None:
                        bind(node.name)
                elif kind is cst.MatchMapping:
                    if node.rest is not None:
                        bind(node.rest)
                elif kind is cst.Import:
                    for alias in node.names:
                        full = module_name(alias.name)
                        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                            bind(alias.asname.name, ImportedName(full, None, 0, True), node)
                        else:
                            table.setdefault(full.split(".")[0], []).append(
                                Binding(node, ImportedName(full, None, 0, False)))
                elif kind is cst.ImportFrom and not isinstance(node.names, cst.ImportStar):
                    mod = module_name(node.module) if node.module is not None else ""
                    for alias in node.names:
                        name = module_name(alias.name)
                        aliased = alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                        local = alias.asname.name.value if aliased else name
                        table.setdefault(local, []).append(
                            Binding(node, ImportedName(mod, name, len(node.relative), aliased)))
                elif kind is cst.Global or kind is cst.Nonlocal:
                    key = "global" if kind is cst.Global else "nonlocal"
                    declared[key].update(item.name.value for item in node.names)
        self._bindings[scope] = table
        self._declared[scope] = declared
        return table

    def lookup(self, name: str, node) -> Optional[list]:
        """The bindings ``name`` resolves to where ``node`` is, or None when
        nothing in the file binds it (a builtin, or undefined)."""
        scope = self.scope_node(node)
        first = True
        while True:
            is_module = scope is self.module
            if first or not isinstance(scope, cst.ClassDef):
                table = self.bindings(scope)
                declared = self._declared[scope]
                if name in declared["global"] and not is_module:
                    table = self.bindings(self.module)
                    return table.get(name)
                if name not in declared["nonlocal"] and name in table:
                    return table[name]
            if is_module:
                return None
            scope = self.scope_node(scope)
            first = False

    def _qualified(self, node) -> frozenset:
        """(qualified name, "IMPORT" | "BUILTIN") pairs of a Name/Attribute,
        as libcst's ``get_qualified_names_for`` gives them (leading dots for
        relative imports): ``subprocess.run`` for ``sp.run`` after ``import
        subprocess as sp``. A name bound otherwise (a local, a parameter)
        has none."""
        names = self._qualnames.get(node)
        if names is None:
            root = root_name(node)
            if root is None or (root not in self.facts().imports and root not in BUILTIN_NAMES):
                names = frozenset()
            else:
                chain = dotted(node) or root
                rest = chain[len(root):]
                found = self.lookup(root, node)
                if found is None:
                    names = frozenset({(f"builtins.{chain}", "BUILTIN")}) if root in BUILTIN_NAMES else frozenset()
                else:
                    out = set()
                    for b in found:
                        imp = b.imported
                        if imp is None:
                            continue
                        if imp.name is None:
                            base = imp.module if imp.aliased else root
                        else:
                            base = "." * imp.level + (f"{imp.module}.{imp.name}" if imp.module else imp.name)
                        out.add((base + rest, "IMPORT"))
                    names = frozenset(out)
            self._qualnames[node] = names
        return names

    def qualnames(self, node) -> frozenset:
        """Qualified names of a Name/Attribute (``subprocess.run`` for ``sp.run``
        after ``import subprocess as sp``); imports and builtins only."""
        return frozenset(q for q, _source in self._qualified(node))

    def imported_names(self, node) -> frozenset:
        return frozenset(q for q, source in self._qualified(node) if source == "IMPORT")

    def references(self, target: cst.Name) -> Optional[list]:
        """The Name nodes that read the variable ``target`` binds, in the
        function or module that binds it; None when it is not bound there or
        is also read from a nested function, lambda or comprehension."""
        scope = self.scope_node(target)
        name = target.value
        own = self.bindings(scope).get(name, ())
        if not any(b.node is target for b in own):
            return None
        bound = {id(b.node) for b in own}
        refs = []
        for node in walk(scope.body if scope is not self.module else scope):
            if type(node) is not cst.Name or node.value != name or id(node) in bound:
                continue
            parent = self.parent(node)
            if (isinstance(parent, cst.Attribute) and parent.attr is node) or \
                    (isinstance(parent, cst.Arg) and parent.keyword is node) or \
                    isinstance(parent, NOT_REFERENCES):
                continue
            if self.scope_node(node) is not scope:
                return None
            refs.append(node)
        return refs

    def assignments(self, name_node: cst.Name) -> Optional[list]:
        """The :class:`Binding` s of the name where it is used (empty for a
        builtin or undefined name)."""
        return list(self.lookup(name_node.value, name_node) or ())

    # ------------------------------------------------------------ positions
    def span(self, node) -> tuple[int, int]:
        """(start, end) character offsets of the node in ``text``, as libcst's
        PositionProvider delimits it. Code generation is what finds them, so
        only the smallest statement that can be placed is generated: the
        statement holding the node inside the bodies of the classes and
        functions around it (a method, not its whole class), else the
        top-level statement, starting at the line CPython's parser (``ast``, a
        fraction of the cost) gives for it; the whole module when that cannot
        be matched."""
        spans = self._spans
        hit = spans.get(node)
        if hit is not None:
            return hit
        if not self._whole:
            chain = [node]  # node, its ancestors, ..., the module's child
            parent = self.parent(node)
            while parent is not None and parent is not self.module:
                chain.append(parent)
                parent = self.parent(parent)
            if parent is self.module:
                for target, line, indents in self._placements(chain):
                    if target not in self._generated:
                        self._generated.add(target)
                        if self._generate(target, line, indents):
                            hit = spans.get(node)
                            if hit is not None:
                                return hit
            state = _OffsetState(self.module.default_indent, self.module.default_newline)
            self.module._codegen(state)
            spans.update(state.spans)
            self._whole = True
        return spans[node]

    def _placements(self, chain: list) -> list:
        """(statement, first line, indents) to generate for the node at
        ``chain[0]``, innermost first. From the top-level statement down,
        through the indented bodies of classes and functions, each statement
        is matched with ``ast``'s for its line."""
        top = chain[-1]
        starts = self._top_starts()
        info = starts.get(top)  # (first line, ast node)
        if info is None:
            return []
        out = [(top, info[0], ())]
        indents: tuple = ()
        i = len(chain) - 1
        stmt = top
        default = self.module.default_indent
        while isinstance(stmt, (cst.ClassDef, cst.FunctionDef)) and isinstance(stmt.body, cst.IndentedBlock) \
                and i >= 2 and chain[i - 1] is stmt.body:
            if not isinstance(info[1], (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                break
            block, inner = stmt.body, chain[i - 2]
            found = self._body_starts(block.body, info[1].body).get(inner)
            if found is None:
                break
            indents = indents + (default if block.indent is None else block.indent,)
            stmt, info, i = inner, found, i - 2
            out.append((stmt, info[0], indents))
        out.reverse()
        return out

    def _generate(self, target, line: int, indents: tuple = ()) -> bool:
        """Offsets of the nodes of one statement whose first line (leading
        comments and blank lines included) is ``line``, nested in blocks
        indented by ``indents``."""
        if not 1 <= line <= len(self.line_starts):
            return False
        state = _OffsetState(self.module.default_indent, self.module.default_newline)
        state.indent_tokens = list(indents)
        state.offset = self.line_starts[line - 1]
        target._codegen(state)
        end, text = state.offset, self.text
        body_start = state.spans[target][0]
        prefix = "".join(indents)
        line_start = body_start - len(prefix)
        # sanity: the statement starts a line (after its indentation) and
        # ends one, inside the text
        if end > len(text) or (end < len(text) and text[end - 1] not in "\r\n") or line_start < 0 or \
                text[line_start:body_start] != prefix or (line_start > 0 and text[line_start - 1] not in "\r\n"):
            return False
        self._spans.update(state.spans)
        return True

    def _top_starts(self) -> dict:
        """Top-level statement -> (its first line, its ast node), from
        ``ast``'s line numbers (empty when ast and libcst do not see the same
        statements)."""
        if self._tops is None:
            self._tops = {}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = ast.parse(self.text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return self._tops
            self._tops = self._body_starts(self.module.body, tree.body)
        return self._tops

    @staticmethod
    def _body_starts(statements, body: list) -> dict:
        """libcst statement -> (first line, ast node) for one body; empty
        when the two parsers do not see the same statements."""
        out, i = {}, 0
        for stmt in statements:
            if i >= len(body):
                return {}
            first = body[i]
            line = first.lineno
            decorators = getattr(stmt, "decorators", ())
            if decorators:
                if not getattr(first, "decorator_list", None):
                    return {}
                line = first.decorator_list[0].lineno
            out[stmt] = (line - len(stmt.leading_lines), first)
            i += len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
        return out if i == len(body) else {}

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def position(self, node) -> tuple[int, int, int, int]:
        start, end = self.span(node)
        return self._line_col(start) + self._line_col(end)

    def offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column - 1

    def code(self, node) -> str:
        start, end = self.span(node)
        return self.text[start:end]

    def label(self, node, limit: int = 40) -> Optional[str]:
        """The node's source on one line, with its own parentheses, for
        messages; None when longer than ``limit``."""
        text = " ".join(self.code(node).split())
        parens = len(getattr(node, "lpar", ()) or ())
        text = "(" * parens + text + ")" * parens
        return text if len(text) <= limit else None

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return self.text[start:end]

    def edit_replace(self, node, text: str) -> Edit:
        line, col, end_line, end_col = self.position(node)
        return Edit(line, col, end_line, end_col, text)

    def edit_insert_before(self, node, text: str) -> Edit:
        line, col, _, _ = self.position(node)
        return Edit(line, col, line, col, text)

    def report(self, meta, node, message: str, fix: Fix | None = None,
               condition: Condition | None = None, severity=None, **extra) -> None:
        line, col, end_line, end_col = self.position(node)
        self.findings.append(
            Finding(
                rule=meta.id,
                severity=severity or meta.severity,
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

    # ------------------------------------------------------------ structure
    def ancestors(self, node) -> Iterable[cst.CSTNode]:
        cur = self.parent(node)
        while cur is not None:
            yield cur
            cur = self.parent(cur)

    def enclosing_function(self, node):
        """The FunctionDef or Lambda whose body holds ``node``, or None at
        module level. Decorators, parameters (defaults) and annotations of a
        function belong to the scope around it."""
        child = node
        for anc in self.ancestors(node):
            if isinstance(anc, FUNCTION_NODES) and child is anc.body:
                return anc
            child = anc
        return None

    def async_def_of(self, node) -> Optional[cst.FunctionDef]:
        """The ``async def`` that runs ``node`` on the event loop, if any."""
        fn = self.enclosing_function(node)
        if isinstance(fn, cst.FunctionDef) and fn.asynchronous is not None:
            return fn
        return None

    def enclosing_class(self, fn) -> Optional[cst.ClassDef]:
        """The class whose body defines ``fn`` directly (fn is a method)."""
        parent = self.parent(fn)
        if isinstance(parent, cst.IndentedBlock):
            parent = self.parent(parent)
        return parent if isinstance(parent, cst.ClassDef) else None

    def method_context(self, node, receiver: str):
        """(class, method) when ``receiver`` is the first parameter (``self`` /
        ``cls``) of the method that encloses ``node``; nested functions that
        close over ``self`` count too."""
        fn = self.enclosing_function(node)
        while fn is not None:
            if isinstance(fn, cst.FunctionDef):
                cls = self.enclosing_class(fn)
                if cls is not None:
                    params = fn.params.params
                    if params and params[0].name.value == receiver and not _is_static(fn):
                        return cls, fn
                    return None
                # a closure: `self` must not be rebound in it
                if any(p.name.value == receiver for p in _all_params(fn.params)):
                    return None
            elif isinstance(fn, cst.Lambda) and any(p.name.value == receiver for p in _all_params(fn.params)):
                return None
            fn = self.enclosing_function(fn)
        return None

    def class_members(self, cls: cst.ClassDef, name: str) -> list:
        """Statements of the class body that bind ``name`` (defs, assignments)."""
        out = []
        for stmt in cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ():
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
                out.append(stmt)
            elif isinstance(stmt, cst.ClassDef) and stmt.name.value == name:
                out.append(stmt)
            elif isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    targets = []
                    if isinstance(small, cst.Assign):
                        targets = [t.target for t in small.targets]
                    elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                        targets = [small.target]
                    if any(isinstance(t, cst.Name) and t.value == name for t in targets):
                        out.append(small)
            elif not isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
                out.append(stmt)  # if/try/for blocks in a class body: could bind anything
        return out

    def self_attribute_values(self, cls: cst.ClassDef, attr: str) -> list:
        table = self._class_attrs.get(cls)
        if table is None:
            table = self._class_attrs[cls] = self_attribute_assignments(cls)
        return table.get(attr, [])

    # ----------------------------------------------------- coroutine facts
    def is_coroutine_def(self, fn) -> bool:
        """``async def`` without ``yield`` (an async generator is not awaitable)
        and without decorators that could change what calling it returns."""
        cached = self._coroutine_defs.get(fn)
        if cached is None:
            cached = (
                isinstance(fn, cst.FunctionDef)
                and fn.asynchronous is not None
                and all(self._preserving(d) for d in fn.decorators)
                and fn not in self.yielding()
            )
            self._coroutine_defs[fn] = cached
        return cached

    def _preserving(self, decorator: cst.Decorator) -> bool:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        return bool(self.qualnames(expr) & PRESERVING_DECORATORS)

    def local_function_defs(self, name_node: cst.Name) -> Optional[list]:
        """Every binding of the name, if all are ``def`` statements; else None."""
        if name_node.value not in self.facts().def_names:
            return None
        assigns = self.assignments(name_node)
        if not assigns:
            return None
        defs = []
        for a in assigns:
            if not isinstance(a.node, cst.FunctionDef):
                return None
            defs.append(a.node)
        return defs

    def coroutine_callee(self, func) -> Optional[tuple[str, str, Optional[Condition]]]:
        """(label, why, condition) when calling ``func`` returns a coroutine
        because it is an ``async def`` of this module, of this class (``self.m``)
        or of another project module (conditional on the project index)."""
        if isinstance(func, cst.Name):
            defs = self.local_function_defs(func)
            if defs is not None:
                if all(self.is_coroutine_def(d) for d in defs):
                    return f"{func.value}()", "an async def in this module", None
                return None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) \
                and func.value.value in ("self", "cls"):
            ctx = self.method_context(func, func.value.value)
            if ctx is None:
                return None
            members = self.class_members(ctx[0], func.attr.value)
            if members and all(self.is_coroutine_def(m) for m in members):
                return f"{func.value.value}.{func.attr.value}()", "an async method of this class", None
            return None
        return self.imported_coroutine(func)

    def textual_import_targets(self, func) -> list:
        """(qualified name, level) pairs a Name/Attribute callee may denote
        through the file's imports, read from the import statements alone (no
        scope analysis): ``store.save`` after ``from . import store`` gives
        ``("store.save", 1)``. Shadowing is not considered: a pre-filter."""
        chain = dotted(func)
        if chain is None:
            return []
        root, _, rest = chain.partition(".")
        out = []
        for imp in self.imported_as(root):
            if imp.name is None:
                base = imp.module if imp.aliased else root
            else:
                base = f"{imp.module}.{imp.name}" if imp.module else imp.name
            out.append((f"{base}.{rest}" if rest else base, imp.level))
        return out

    def may_be_project_coroutine(self, func) -> bool:
        """Textual pre-check for ``imported_coroutine``: the callee names an
        ``async def`` of a project module, going by the import statements and
        that module's exports."""
        from .exports import may_be_async_export

        for qualified, level in self.textual_import_targets(func):
            module, _, name = qualified.rpartition(".")
            if not module and not level:
                continue
            target = resolve_module(self.path, module, level)
            if target is not None and target != self.path and may_be_async_export(target, name):
                return True
        return False

    def imported_coroutine(self, func):
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return None
        if not self.may_be_project_coroutine(func):
            return None
        names = self.imported_names(func)
        if len(names) != 1:
            return None
        qn = next(iter(names))
        level = len(qn) - len(qn.lstrip("."))
        parts = qn[level:].split(".")
        if len(parts) < 1 or not parts[-1]:
            return None
        module, name = ".".join(parts[:-1]), parts[-1]
        if not module and level == 0:
            return None
        target = resolve_module(self.path, module, level)
        if target is None or target == self.path:
            return None
        from .exports import may_be_async_export

        if not may_be_async_export(target, name):
            return None
        label = f"{dotted(func) or name}()"
        return label, f"an async def from {os.path.basename(target)}", Condition("async-export", target, name)

    # ------------------------------------------------------- receiver types
    def mentions(self, words: frozenset) -> bool:
        """Whether any of the identifiers appears in the file's text at all: a
        cheap gate before receiver_type (a type's name must be written
        somewhere, if only in its import, for asynclint to know it)."""
        hit = self._mentions.get(words)
        if hit is None:
            pattern = r"\b(?:" + "|".join(re.escape(w) for w in sorted(words)) + r")\b"
            hit = self._mentions[words] = re.search(pattern, self.text) is not None
        return hit

    def receiver_type(self, expr, depth: int = 0) -> Optional[str]:
        """The qualified name a value was built by, when evident: the
        constructor or factory of a call (``httpx.AsyncClient()``), of every
        assignment of a local variable (``client = httpx.AsyncClient()``,
        ``async with aiohttp.ClientSession() as s``), of every
        ``self.x = ...`` in the class, or a parameter's annotation."""
        if depth > 4:
            return None
        if isinstance(expr, cst.Await):
            return None
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value in PATH_METHODS:
                inner = self.receiver_type(func.value, depth + 1)
                if inner in PATH_TYPES:
                    return inner
            names = self.qualnames(func)
            if len(names) != 1:
                return None
            name = next(iter(names))
            owner, _, last = name.rpartition(".")
            if owner in PATH_TYPES and last in ("cwd", "home"):
                return owner
            return name
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Divide):
            inner = self.receiver_type(expr.left, depth + 1)
            return inner if inner in PATH_TYPES else None
        if isinstance(expr, cst.Attribute) and expr.attr.value == "parent":
            inner = self.receiver_type(expr.value, depth + 1)
            if inner in PATH_TYPES:
                return inner
        if isinstance(expr, cst.Name):
            key = expr
            if key in self._receiver_cache:
                return self._receiver_cache[key]
            self._receiver_cache[key] = None  # cycles
            result = self._name_type(expr, depth)
            self._receiver_cache[key] = result
            return result
        if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
            ctx = self.method_context(expr, expr.value.value)
            if ctx is None:
                return None
            values = self.self_attribute_values(ctx[0], expr.attr.value)
            for stmt in self.class_members(ctx[0], expr.attr.value):
                if isinstance(stmt, cst.AnnAssign):
                    values = values + [(stmt.value, stmt.annotation.annotation)]
                else:
                    return None
            return self._agree(values, depth)
        return None

    def _agree(self, values, depth) -> Optional[str]:
        found = None
        for value, annotation in values:
            kind = None
            if value is not None and not (isinstance(value, cst.Name) and value.value == "None"):
                kind = self.receiver_type(value, depth + 1)
            elif annotation is not None:
                kind = self.annotation_type(annotation)
            elif value is not None:  # `= None`: a placeholder
                continue
            if kind is None or (found is not None and kind != found):
                return None
            found = kind
        return found

    def _name_type(self, name: cst.Name, depth: int) -> Optional[str]:
        assigns = self.assignments(name)
        if not assigns:
            return None
        values = []
        for a in assigns:
            node = a.node
            if isinstance(node, cst.Param):
                if node.annotation is None:
                    return None
                values.append((None, node.annotation.annotation))
                continue
            if not isinstance(node, cst.Name):
                return None
            parent = self.parent(node)
            if isinstance(parent, cst.AssignTarget):
                stmt = self.parent(parent)
                if not isinstance(stmt, cst.Assign) or len(stmt.targets) != 1:
                    return None
                values.append((stmt.value, None))
            elif isinstance(parent, cst.AnnAssign) and parent.target is node:
                values.append((parent.value, parent.annotation.annotation))
            elif isinstance(parent, cst.AsName):
                item = self.parent(parent)
                if not isinstance(item, cst.WithItem):
                    return None
                values.append((item.item, None))
            else:
                return None
        return self._agree(values, depth)

    def annotation_type(self, ann) -> Optional[str]:
        if isinstance(ann, cst.BinaryOperation) and isinstance(ann.operator, cst.BitOr):
            for side, other in ((ann.left, ann.right), (ann.right, ann.left)):
                if isinstance(other, cst.Name) and other.value == "None":
                    return self.annotation_type(side)
            return None
        if isinstance(ann, cst.Subscript) and len(ann.slice) == 1:
            if self.qualnames(ann.value) & {"typing.Optional", "typing_extensions.Optional"}:
                inner = ann.slice[0].slice
                if isinstance(inner, cst.Index):
                    return self.annotation_type(inner.value)
            return None
        if isinstance(ann, (cst.Name, cst.Attribute)):
            names = self.qualnames(ann)
            return next(iter(names)) if len(names) == 1 else None
        return None


def _all_params(params: cst.Parameters):
    out = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
    if isinstance(params.star_arg, cst.Param):
        out.append(params.star_arg)
    if params.star_kwarg is not None:
        out.append(params.star_kwarg)
    return out


def positional_args(call: cst.Call) -> list:
    out = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            break
        out.append(arg.value)
    return out


def keyword_arg(call: cst.Call, name: str):
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)
