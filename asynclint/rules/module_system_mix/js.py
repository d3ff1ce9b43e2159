"""module-system-mix for JavaScript/TypeScript.

Node decides a file's module system before running it: ``.mjs``/``.mts`` are
ES modules, ``.cjs``/``.cts`` CommonJS, and ``.js`` follows the ``"type"``
of the nearest package.json (``"module"`` or, by default, CommonJS). Code
written for the other system fails at load time:

- ``require()`` of a project file that is an ES module (``.mjs``, or
  ``.js`` in a ``"type": "module"`` scope) throws ``ERR_REQUIRE_ESM`` before
  Node 20.19 / 22.12. From those versions on it works, unless the module uses
  top-level await (``ERR_REQUIRE_ASYNC_MODULE``). So when package.json
  ``engines.node`` admits only such versions, only a require of a module with
  top-level await is reported; otherwise the message names the versions.
- ``import``/``export`` statements in CommonJS: a ``SyntaxError`` in a
  ``.cjs`` file or under ``"type": "commonjs"``. A ``.js`` file in a package
  with no ``"type"`` is "ambiguous": Node 22.7+ (and 20.19+) detect ES module
  syntax and run it as an ES module, older versions throw; that case is
  reported only for the package's entry points ("main", "bin", "exports"),
  when ``engines.node`` admits an older version and nothing in the package
  suggests a build step (Babel, TypeScript, a bundler, a
  ``"module"``/``"browser"`` entry) that compiles the syntax away.
- ``module.exports`` / ``exports.x`` in an ES module: ``ReferenceError:
  module is not defined``. UMD wrappers (``typeof module``) are left alone.
- top-level ``await`` in CommonJS: a ``SyntaxError`` (same scope rules).

TypeScript files (``.ts``/``.tsx``/``.cts``) are compiled, so their
``import``/``export`` syntax says nothing about the output; only their
``require()`` calls are checked, and ``module.exports`` in ``.mts``.
"""

from __future__ import annotations

import functools
import os
import re

from ...files import language_of
from ...javascript import package_json as pj
from ...javascript.parse import dialect_for, parse
from ...javascript.resolve import resolve_module
from ...javascript.context import real_children
from ..base import JsRule
from . import META

FUNCTION_TYPES = frozenset({
    "function_declaration", "function_expression", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "function", "class_declaration", "class",
    "class_body", "class_static_block",
})
V = pj.INFINITY
# Node versions whose require() loads ES modules (without top-level await).
REQUIRE_ESM = [((20, 19, 0), (21, 0, 0)), ((22, 12, 0), V)]
REQUIRE_ESM_TEXT = "Node before 20.19 (and 21.x, 22.0–22.11)"
# Node versions that run a typeless .js file with ES module syntax as ESM.
DETECT_MODULE = [((20, 19, 0), (21, 0, 0)), ((22, 7, 0), V)]
DETECT_MODULE_TEXT = "Node before 20.19 (and 21.x, 22.0–22.6)"
BUILD_DEPENDENCIES = (
    "babel", "@babel/", "webpack", "rollup", "esbuild", "vite", "parcel", "typescript", "ts-node", "tsx", "@swc/",
    "sucrase", "next", "react-scripts", "jest", "vitest", "nuxt", "gatsby", "@angular/", "svelte", "vue",
    "esm", "metro", "expo", "react-native", "@remix-run/", "snowpack", "microbundle", "tsup", "unbuild",
    "@rollup/", "browserify", "ava", "mocha",
)
BUILD_FILES = (
    ".babelrc", ".babelrc.js", ".babelrc.json", ".babelrc.cjs", "babel.config.js", "babel.config.json",
    "babel.config.cjs", "babel.config.mjs", "webpack.config.js", "webpack.config.ts", "webpack.config.cjs",
    "rollup.config.js", "rollup.config.mjs", "rollup.config.ts", "vite.config.js", "vite.config.ts",
    "vite.config.mjs", "tsconfig.json", "jsconfig.json", ".swcrc", "esbuild.config.js", "jest.config.js",
)


# Build outputs for bundlers and browsers (`x.esm.js`, `x.min.js`, `x.browser.js`): Node never loads them.
BUNDLE_NAME = re.compile(r"\.(min|esm|es|browser|umd|bundle)\.[cm]?js$")
LOCAL_DECLARATION = re.compile(rb"\b(?:const|let|var|function|class)\s+(?:module|exports)\b")


def _own_nodes(node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(c for c in n.children if c.type not in FUNCTION_TYPES)


def _first_top_level_await(root):
    for n in _own_nodes(root):
        if n.type == "await_expression" or (
            n.type == "for_in_statement" and any(c.type == "await" for c in n.children)
        ):
            return n
    return None


@functools.lru_cache(maxsize=4096)
def _has_top_level_await(path: str) -> bool:
    dialect = dialect_for(os.path.splitext(path)[1])
    if dialect is None:
        return False
    try:
        with open(path, "rb") as fh:
            source = fh.read(2_000_001)
    except OSError:
        return False
    if len(source) > 2_000_000 or b"await" not in source:
        return False
    return _first_top_level_await(parse(source, dialect).root_node) is not None


@functools.lru_cache(maxsize=4096)
def _has_build_step(pkg_path: str) -> bool:
    found = pj.find_package_json(os.path.dirname(pkg_path))
    data = found.data if found is not None else {}
    if any(key in data for key in ("module", "browser", "jest", "babel", "esm")):
        return True
    for key in pj.DEP_FIELDS:
        deps = data.get(key)
        if isinstance(deps, dict):
            for name in deps:
                if any(name == b or (b.endswith("/") and name.startswith(b)) or name.startswith(b + "-")
                       or name.startswith("@" + b) for b in BUILD_DEPENDENCIES):
                    return True
    folder = os.path.dirname(pkg_path)
    return any(os.path.exists(os.path.join(folder, f)) for f in BUILD_FILES)


@functools.lru_cache(maxsize=4096)
def _entry_points(pkg_path: str) -> frozenset:
    """Absolute paths of the files a package.json points Node at: "main",
    "bin" and every path in "exports"."""
    found = pj.find_package_json(os.path.dirname(pkg_path))
    data = found.data if found is not None else {}
    folder = os.path.dirname(pkg_path)
    targets = []
    stack = [data.get("main"), data.get("bin"), data.get("exports")]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            targets.append(value)
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    out = set()
    for t in targets:
        if "*" in t:
            continue
        target = os.path.normpath(os.path.join(folder, t))
        for candidate in (target, target + ".js", os.path.join(target, "index.js")):
            out.add(candidate)
    if not data.get("main") and not data.get("exports"):
        out.add(os.path.join(folder, "index.js"))
    return frozenset(out)


def file_format(path: str) -> tuple[str | None, str, object]:
    """(format, why, package) of a file as Node sees it: format is "esm",
    "cjs", "ambiguous" (a .js file in a package with no "type") or None
    (unknown: no package.json, or a compiled language)."""
    return _folder_format(os.path.dirname(path), os.path.splitext(path)[1].lower())


@functools.lru_cache(maxsize=4096)
def _folder_format(folder: str, ext: str) -> tuple[str | None, str, object]:
    """file_format for the files with extension ``ext`` in ``folder``."""
    if ext in (".mjs", ".mts"):
        return "esm", f"a `{ext}` file", None
    if ext in (".cjs", ".cts"):
        return "cjs", f"a `{ext}` file", None
    if ext != ".js":
        return None, "", None
    found = pj.find_package_json(folder)
    if found is None or not found.valid:
        return None, "", found
    kind = pj.module_type(found.data)
    rel = os.path.relpath(found.path, folder)
    if kind == "module":
        return "esm", f'a `.js` file under "type": "module" in {rel}', found
    if kind == "commonjs":
        return "cjs", f'a `.js` file under "type": "commonjs" in {rel}', found
    if "type" in found.data:
        return None, "", found
    return "ambiguous", f'a `.js` file whose {rel} has no "type"', found


class Check(JsRule):
    meta = META
    plain_calls = frozenset({"require"})
    # No patterns of its own: top-level import/export statements are read
    # from the program's children in finish (a pattern rooted at the program
    # keeps a state for the whole file), CommonJS exports from the file's
    # facts (JsFile records every module.exports / exports.x assignment).

    def __init__(self, ctx):
        super().__init__(ctx)
        self._format = None

    @property
    def format(self):
        if self._format is None:
            self._format = file_format(os.path.abspath(self.ctx.path))
        return self._format

    def on_call(self, call, name, member):
        args = call.child_by_field_name("arguments")
        if args is not None and args.type == "arguments":
            only = real_children(args)
            if len(only) == 1 and only[0].type == "string":
                self._require(call)

    def finish(self):
        ctx = self.ctx
        ext = os.path.splitext(ctx.path)[1].lower()
        compiled = ext in (".ts", ".tsx", ".cts", ".jsx")
        fmt, why, found = self.format
        if fmt is None or BUNDLE_NAME.search(os.path.basename(ctx.path)):
            return
        if fmt == "esm" and ext != ".tsx" and self._cjs_exports():
            self._esm_with_cjs_exports(why)
        if compiled or fmt == "esm":
            return
        if ext == ".js" and _has_build_step(found.path):
            return  # a build step (Babel, a bundler, TypeScript) compiles this syntax away
        versions = " Node loads it as CommonJS, where this is a SyntaxError."
        if fmt == "ambiguous":
            if os.path.abspath(ctx.path) not in _entry_points(found.path):
                return  # only files Node is pointed at: a typeless package also holds browser code, templates...
            engines = pj.engines_node(found.data)
            if engines is not None and pj.admits_only(engines, DETECT_MODULE):
                return
            versions = (f" {DETECT_MODULE_TEXT} loads it as CommonJS and throws a SyntaxError; Node 20.19+ and "
                        "22.7+ re-parse it as an ES module after that fails (slower, with a warning). "
                        + ("package.json `engines.node` (\"" + engines + "\") admits the older versions."
                           if engines else "package.json has no `engines.node` to rule the older versions out."))
        esm_syntax = [n for n in ctx.top_level if n.type in ("import_statement", "export_statement")
                      and not self._type_only(n)]
        tla = _first_top_level_await(ctx.root) if b"await" in ctx.source else None
        if esm_syntax:
            first = min(esm_syntax, key=lambda n: n.start_byte)
            what = "an `import` statement" if first.type == "import_statement" else "an `export` statement"
            more = f" ({len(esm_syntax)} such statements in this file)" if len(esm_syntax) > 1 else ""
            self.report(
                first,
                f"ES module syntax in CommonJS: {what} in {why}{more}." + versions + " Rename the file to `.mjs` (or set "
                "\"type\": \"module\"), or use `require()` / `module.exports` (and `await import()` for ES modules).",
            )
        if tla is not None:
            self.report(
                tla,
                f"Top-level `await` in CommonJS ({why}): CommonJS modules load synchronously, so `await` outside "
                "a function cannot work." + versions + " Wrap it in an async function, or make the file an ES "
                "module (`.mjs` or \"type\": \"module\").",
            )

    # ----------------------------------------------------------- checks
    def _type_only(self, stmt) -> bool:
        """TypeScript `import type` / `export type` vanish at compile time."""
        return any(c.type == "type" for c in stmt.children)

    def _uses_require(self) -> bool:
        return b"require(" in self.ctx.source

    def _cjs_exports(self) -> list:
        """The left sides of `exports.x = `, `module.exports = ` and
        `module.exports.x = `."""
        ctx = self.ctx

        def is_module_exports(node) -> bool:
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            return obj is not None and obj.type == "identifier" and ctx.text(obj) == "module" \
                and prop is not None and prop.type == "property_identifier" and ctx.text(prop) == "exports"

        out = []
        for left, _ in ctx._exports_nodes:
            obj = left.child_by_field_name("object")
            if obj is None:
                continue
            if (obj.type == "identifier" and ctx.text(obj) == "exports") or is_module_exports(left) \
                    or (obj.type == "member_expression" and is_module_exports(obj)):
                out.append(left)
        return out

    def _esm_with_cjs_exports(self, why):
        ctx = self.ctx
        if b"typeof module" in ctx.source or b"typeof exports" in ctx.source:
            return  # UMD: picks the module system at run time
        if LOCAL_DECLARATION.search(ctx.source):
            return  # `const exports = {}`: a local object, not CommonJS
        candidates = [n for n in self._cjs_exports() if not self._shadowed(n)]
        if not candidates:
            return
        first = min(candidates, key=lambda n: n.start_byte)
        obj = ctx.text(first).split(".")[0]
        self.report(
            first,
            f"CommonJS export in an ES module: `{ctx.text(first)[:40]}` in {why}. ES modules have no `{obj}` "
            f"object, so loading this file throws `ReferenceError: {obj} is not defined`. Use `export` "
            "(`export default ...` / `export const ...`), or make the file CommonJS (`.cjs`).",
        )

    def _shadowed(self, node) -> bool:
        """`module`/`exports` is a parameter of an enclosing function (a
        wrapper that receives them), or declared locally."""
        ctx = self.ctx
        obj = node
        while obj.type == "member_expression":
            obj = obj.child_by_field_name("object")
        name = ctx.text(obj)
        fn = ctx.enclosing_function(node)
        while fn is not None:
            if name in ctx.param_names(fn):
                return True
            fn = ctx.enclosing_function(fn)
        return False

    def _require(self, call):
        ctx = self.ctx
        spec = ctx.require_spec(call)
        if spec is None or not spec.startswith("."):
            return
        if "require" in ctx.functions or "require" in ctx.bindings:
            return
        target = resolve_module(os.path.dirname(os.path.abspath(ctx.path)), spec)
        if target is None or language_of(target) not in ("js", "ts"):
            return
        target_fmt, target_why, _ = file_format(target)
        if target_fmt != "esm" or os.path.splitext(target)[1].lower() in (".ts", ".tsx"):
            return
        if self._in_try(call):
            return  # a require that expects to fail and falls back
        rel = os.path.relpath(target, os.path.dirname(os.path.abspath(ctx.path)))
        tla = _has_top_level_await(target)
        if tla:
            self.report(
                call,
                f"`require('{spec}')` loads an ES module ({rel} is {target_why}) that uses top-level await: "
                "require() cannot wait for it, so it throws ERR_REQUIRE_ASYNC_MODULE on every Node version "
                "(older than 20.19/22.12: ERR_REQUIRE_ESM). Use `await import('" + spec + "')`.",
            )
            return
        found = pj.find_package_json(os.path.dirname(os.path.abspath(ctx.path)))
        engines = pj.engines_node(found.data) if found is not None else None
        if engines is not None and pj.admits_only(engines, REQUIRE_ESM):
            return
        admits = (f"package.json `engines.node` (\"{engines}\") admits older versions"
                  if engines else "package.json has no `engines.node` that rules older versions out")
        self.report(
            call,
            f"`require('{spec}')` loads an ES module ({rel} is {target_why}). {REQUIRE_ESM_TEXT} throws "
            f"ERR_REQUIRE_ESM here; only Node 20.19+ and 22.12+ can require() an ES module, and {admits}. Use `await import('{spec}')`, make the target CommonJS, or "
            "require Node ^20.19.0 || >=22.12.0 in `engines`.",
        )

    def _in_try(self, node) -> bool:
        cur, child = node.parent, node
        while cur is not None and cur.type not in FUNCTION_TYPES:
            if cur.type == "try_statement" and cur.child_by_field_name("handler") is not None \
                    and child == cur.child_by_field_name("body"):
                return True
            child, cur = cur, cur.parent
        return False
