"""Python support: lazy libcst, syntax errors, mixed trees, cross-module
missing-await, import aliases, encodings, options and fixes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from click.testing import CliRunner

from asynclint.cli import main
from asynclint.config import Config
from asynclint.engine import lint_paths, lint_source
from asynclint.findings import Severity
from asynclint.fixes import fix_file
from asynclint.rules import all_rules

from conftest import ROOT


def write(path, text, encoding="utf-8"):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = textwrap.dedent(text)
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def scan(*paths, config=None):
    result = lint_paths([str(p) for p in paths], config or Config(select=set(all_rules())))
    return result


def found(result, rule=None):
    return sorted((os.path.basename(f.path), f.line, f.rule) for f in result.findings
                  if rule is None or f.rule == rule)


def scan_json(*args):
    res = CliRunner().invoke(main, ["scan", "--no-cache", "--format", "json", *args], catch_exceptions=False)
    return res, json.loads(res.output)


# ---------------------------------------------------------------- laziness
def test_js_only_scan_does_not_import_libcst(tmp_path):
    write(tmp_path / "app.js", """
        async function save(u) { return u; }
        async function main() { save(1); }
    """)
    code = textwrap.dedent(f"""
        import sys
        from asynclint.config import Config
        from asynclint.engine import lint_paths
        res = lint_paths([{str(tmp_path)!r}], Config())
        assert res.findings, "the JS file should have been linted"
        print(sorted(m for m in sys.modules if m == "libcst" or m.startswith(("libcst.", "asynclint.python"))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_python_scan_imports_libcst_in_a_fresh_process(tmp_path):
    write(tmp_path / "a.py", "import time\nasync def f():\n    time.sleep(1)\n")
    code = textwrap.dedent(f"""
        import sys
        from asynclint.config import Config
        from asynclint.engine import lint_paths
        res = lint_paths([{str(tmp_path)!r}], Config())
        print(len(res.findings), "libcst" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(ROOT), check=True)
    assert out.stdout.split() == ["1", "True"], out.stdout + out.stderr


# ------------------------------------------------------------- syntax errors
def test_syntax_error_is_one_finding_and_the_scan_goes_on(tmp_path):
    write(tmp_path / "broken.py", """
        import time

        async def handler(request):
            time.sleep(1)
            if request.user
                return None
    """)
    write(tmp_path / "good.py", """
        import time

        async def handler(request):
            time.sleep(1)
    """)
    result = scan(tmp_path)
    assert found(result) == [("broken.py", 6, "syntax-error"), ("good.py", 5, "sync-io-in-handler")]
    err = next(f for f in result.findings if f.rule == "syntax-error")
    assert err.severity == Severity.ERROR
    assert err.column == 20 and "expected ':'" in err.message


def test_syntax_error_column_counts_code_points(tmp_path):
    write(tmp_path / "uni.py", "s = '日本'; x = (1 +\n")
    result = scan(tmp_path)
    [err] = result.findings
    assert (err.line, err.column) == (1, 15)  # the '(' that is never closed


def test_syntax_error_can_be_ignored(tmp_path):
    write(tmp_path / "broken.py", "def f(:\n    pass\n")
    result = scan(tmp_path, config=Config(ignore={"syntax-error"}))
    assert result.findings == []


def test_undecodable_file_is_a_syntax_error_not_a_crash(tmp_path):
    (tmp_path / "bad.py").write_bytes(b"x = '\xff\xfe'\n")
    result = scan(tmp_path)
    assert found(result) == [("bad.py", 1, "syntax-error")]
    assert "utf-8" in result.findings[0].message
    assert not result.notices


# ------------------------------------------------------------------ mixed
def test_mixed_js_and_python_tree_reports_both(in_tmp):
    write(in_tmp / "web" / "server.js", """
        async function saveUser(u) { return u; }
        async function handle(req) {
          saveUser(req.body);
        }
    """)
    write(in_tmp / "worker" / "jobs.py", """
        async def save_user(u):
            return u

        async def handle(req):
            save_user(req)
    """)
    res, data = scan_json(".")
    got = sorted((f["path"].replace(os.sep, "/"), f["line"], f["rule"]) for f in data["findings"])
    assert got == [("web/server.js", 4, "missing-await"), ("worker/jobs.py", 6, "missing-await")]
    assert res.exit_code == 1


# ----------------------------------------------------------- cross-module
def make_package(root):
    write(root / "shop" / "__init__.py", "")
    write(root / "shop" / "store.py", """
        async def save(order):
            return order

        def key(order):
            return order["id"]

        async def rows():
            yield 1
    """)
    write(root / "shop" / "api.py", "from .store import save as persist, key\n")
    write(root / "shop" / "handlers.py", """
        from shop.store import save, key, rows
        from shop import store
        from . import api
        from .store import save as save_rel
        import shop.store

        async def create(order):
            save(order)
            key(order)
            rows()
            store.save(order)
            api.persist(order)
            api.key(order)
            save_rel(order)
            shop.store.save(order)
            await save(order)
    """)


def test_cross_module_absolute_relative_and_reexports(tmp_path):
    make_package(tmp_path)
    result = scan(tmp_path)
    assert found(result, "missing-await") == [("handlers.py", n, "missing-await") for n in (9, 12, 13, 15, 16)]
    conditioned = [f for f in result.findings if f.condition is not None]
    assert all(f.condition.path.endswith(("store.py", "api.py")) for f in conditioned)


def test_cross_module_target_outside_the_scan_is_read_on_demand(tmp_path):
    make_package(tmp_path)
    result = scan(tmp_path / "shop" / "handlers.py")
    assert [f.line for f in result.findings] == [9, 12, 13, 15, 16]


def test_cross_module_sync_function_of_the_same_name_is_not_flagged(tmp_path):
    write(tmp_path / "lib.py", "def save(x):\n    return x\n")
    write(tmp_path / "app.py", "from lib import save\n\nasync def main():\n    save(1)\n")
    assert scan(tmp_path).findings == []


# ---------------------------------------------------------------- aliases
def test_import_aliases_are_resolved(tmp_path):
    write(tmp_path / "aliases.py", """
        import subprocess as sp
        from time import sleep as nap
        from os import system as run

        def deploy(ref):
            sp.run("git checkout " + ref, shell=True)
            run(f"make {ref}")

        async def wait():
            nap(1)
    """)
    assert found(scan(tmp_path)) == [
        ("aliases.py", 7, "exec-user-input"),
        ("aliases.py", 8, "exec-user-input"),
        ("aliases.py", 11, "sync-io-in-handler"),
    ]


def test_a_local_function_named_like_a_blocking_one_is_not_flagged(tmp_path):
    write(tmp_path / "own.py", """
        def sleep(n):
            return n

        async def wait():
            sleep(1)
    """)
    assert scan(tmp_path).findings == []


# -------------------------------------------------------------- encodings
def test_encoding_cookie_and_code_point_columns(tmp_path):
    src = "# -*- coding: latin-1 -*-\nimport time\nasync def f():\n    s = 'é'; time.sleep(1)\n"
    (tmp_path / "latin.py").write_bytes(src.encode("latin-1"))
    (tmp_path / "utf8.py").write_bytes(src.replace("latin-1", "utf-8").encode("utf-8"))
    # 'é' is one code point: one byte in latin-1, two in UTF-8; the column is 14 in both
    got = [(os.path.basename(f.path), f.rule, f.line, f.column) for f in scan(tmp_path).findings]
    assert got == [("latin.py", "sync-io-in-handler", 4, 14), ("utf8.py", "sync-io-in-handler", 4, 14)]


def test_bom_file_is_read(tmp_path):
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbfimport time\nasync def f():\n    time.sleep(1)\n")
    assert found(scan(tmp_path)) == [("bom.py", 3, "sync-io-in-handler")]


# ---------------------------------------------------------------- options
def test_empty_catch_options(tmp_path):
    path = write(tmp_path / "c.py", """
        try:
            pass
        except KeyError:  # the key may be missing
            pass
        try:
            pass
        except ValueError:
            pass
    """)
    default = lint_source(str(path), path.read_bytes(), Config(select={"empty-catch"}))
    assert [(f.line, f.severity) for f in default.findings] == [(8, Severity.WARNING)]
    strict = Config(select={"empty-catch"}, rule_options={"empty-catch": {"allow-comment": False,
                                                                          "allow-narrow": True}})
    res = lint_source(str(path), path.read_bytes(), strict)
    assert [(f.line, f.severity) for f in res.findings] == [(4, Severity.INFO), (8, Severity.INFO)]


# ------------------------------------------------------------------ fixes
def _relint(path):
    def relint(text):
        return lint_source(str(path), text.encode("utf-8"), Config(select=set(all_rules()))).findings
    return relint


def test_missing_await_fix_and_fixed_point(tmp_path):
    path = tmp_path / "m.py"
    text = textwrap.dedent("""
        async def load(i):
            return {"id": i}

        async def main():
            load(1)
            load(2)["id"]
            if load(3):
                pass
    """)
    outcome, left = fix_file(str(path), "m.py", text, _relint(path), unsafe=True)
    assert outcome.fixed == textwrap.dedent("""
        async def load(i):
            return {"id": i}

        async def main():
            await load(1)
            (await load(2))["id"]
            if await load(3):
                pass
    """)
    assert [f for f in left if f.rule == "missing-await"] == []


def test_dangling_task_fix_keeps_a_reference(tmp_path):
    path = tmp_path / "d.py"
    text = textwrap.dedent('''\
        """Doc."""
        import asyncio


        async def work():
            pass


        async def main(task_count):
            asyncio.create_task(work())  # fire and forget
            asyncio.ensure_future(
                work()
            )
    ''')
    outcome, left = fix_file(str(path), "d.py", text, _relint(path), unsafe=True)
    assert outcome.fixed == textwrap.dedent('''\
        """Doc."""
        import asyncio

        _background_tasks = set()  # running tasks, referenced until they finish


        async def work():
            pass


        async def main(task_count):
            task = asyncio.create_task(work())  # fire and forget
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
            bg_task = asyncio.ensure_future(
                work()
            )
            _background_tasks.add(bg_task)
            bg_task.add_done_callback(_background_tasks.discard)
    ''')
    assert left == []
    again, _ = fix_file(str(path), "d.py", outcome.fixed, _relint(path), unsafe=True)
    assert again.fixed == outcome.fixed


def test_sleep_fix_only_when_asyncio_is_imported(tmp_path):
    path = tmp_path / "s.py"
    with_import = "import asyncio\nimport time\n\nasync def f():\n    time.sleep(0.5)\n"
    outcome, left = fix_file(str(path), "s.py", with_import, _relint(path), unsafe=True)
    assert outcome.fixed.endswith("    await asyncio.sleep(0.5)\n") and left == []
    without = "import time\n\nasync def f():\n    time.sleep(0.5)\n"
    outcome, left = fix_file(str(path), "s.py", without, _relint(path), unsafe=True)
    assert outcome.fixed == without and [f.rule for f in left] == ["sync-io-in-handler"]


# ---------------------------------------------------------------- exports
def test_module_exports_shape(tmp_path):
    from asynclint.python.runner import module_exports

    make_package(tmp_path)
    store = tmp_path / "shop" / "store.py"
    api = tmp_path / "shop" / "api.py"
    info = module_exports(str(store), store.read_bytes())
    assert info == {"async": ["save"], "sync": ["key", "rows"], "reexports": []}
    info = module_exports(str(api), api.read_bytes())
    assert info["reexports"] == [(str(store), "save", "persist"), (str(store), "key", "key")]
    assert module_exports(str(api), b"def f(:\n") is None


# ------------------------------------------------------ speed machinery
def test_names_resolve_through_scopes(tmp_path):
    """The light scope analysis: a local rebinding hides an import or a
    builtin, `global` reaches the module, a class body does not leak into
    its methods, comprehension variables stay in the comprehension."""
    write(tmp_path / "scopes.py", """
        import time
        import subprocess

        def open(path):
            return path

        class Box:
            sleep = None

            async def m(self):
                time.sleep(1)

        async def shadowed():
            time = object()
            time.sleep(1)

        async def builtin_is_rebound():
            open("x")

        def use_global(cmd):
            global subprocess
            subprocess.run(cmd, shell=True)

        def comprehension(cmds):
            return [subprocess.run(c, shell=True) for c in cmds]

        async def lambda_param():
            return (lambda time: time.sleep(1))
    """)
    assert found(scan(tmp_path)) == [
        ("scopes.py", 12, "sync-io-in-handler"),
        ("scopes.py", 23, "exec-user-input"),
        ("scopes.py", 26, "exec-user-input"),
    ]


NESTED_LAYOUT = (
    "import os\n"
    "class Outer:\n"
    "    '''doc'''\n"
    "    x = 1; y = 2\n"
    "\n"
    "    # a comment before a decorated method\n"
    "    @property\n"
    "    @other(1,\n"
    "           2)\n"
    "    def a(self):\n"
    "      try:\n"
    "          pass\n"
    "      except OSError:\n"
    "          pass\n"
    "    class Inner:\n"
    "            def b(self):  # a block indented by 8\n"
    "             async def c():\n"
    "                 await d()\n"
    "             return c\n"
    "    if os.name:\n"
    "        def e(self): pass\n"
    "    class One: pass\n"
    "    async def f(self):\n"
    "        return [i async for i in g()]\n"
    "        # trailing comment of the block\n"
    "def top(): return 1\n"
)


def test_positions_match_libcst_position_provider(tmp_path):
    """Offsets come from our own code generation of the smallest statement
    that can be placed (a method inside its class, else one top-level
    statement), anchored at ast's line numbers; they must equal
    PositionProvider's, whichever node is asked for first."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from asynclint.python.context import PyFile, walk

    sources = [p for p in (ROOT / "fixtures").rglob("*.py")] + [ROOT / "asynclint" / "python" / "context.py"]
    sources.append(write(tmp_path / "odd.py", "x = 1\r\n@dec\r\n# c\r\n\r\ndef f():  # t\r\n    return (\r\n  1)\r\n"))
    sources.append(write(tmp_path / "cr.py", "a = 1\rif a:\r    b = 2; c = 3\r"))
    nested = tmp_path / "nested.py"
    nested.write_text(NESTED_LAYOUT, encoding="utf-8")
    nested_crlf = tmp_path / "nested_crlf.py"
    nested_crlf.write_bytes(NESTED_LAYOUT.replace("\n", "\r\n").encode())
    sources += [nested, nested_crlf]
    for path in sources:
        src = path.read_bytes()
        try:
            module = cst.parse_module(src)
        except cst.ParserSyntaxError:
            assert path not in (nested, nested_crlf)
            continue
        pos = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        nodes = [node for stmt in module.body for node in walk(stmt)]
        for order in (nodes, nodes[::-1]):  # outer statements first, then innermost nodes first
            ctx = PyFile(str(path), str(path), module, None, {}, src)
            for node in order:
                r = pos[node]
                assert ctx.position(node) == (r.start.line, r.start.column + 1, r.end.line, r.end.column + 1), \
                    (path, type(node).__name__)
            if path in (nested, nested_crlf):
                assert not ctx._whole, "a statement could not be placed: the whole module was generated"


def test_a_finding_in_a_method_generates_only_its_statement(tmp_path):
    import libcst as cst

    from asynclint.python.context import PyFile

    src = NESTED_LAYOUT.encode()
    module = cst.parse_module(src)
    ctx = PyFile("n.py", "n.py", module, None, {}, src)
    outer = module.body[1]
    method = outer.body.body[2]
    handler = method.body.body[0].handlers[0]
    assert ctx.position(handler) == (13, 7, 14, 15)
    assert ctx._generated == {method.body.body[0]}, "more than the `try` around the handler was generated"


def test_exports_from_ast_equal_exports_from_libcst(tmp_path):
    import ast

    import libcst as cst

    from asynclint.python.exports import exports_of, exports_of_ast

    make_package(tmp_path)
    extra = write(tmp_path / "shop" / "misc.py", """
        from .store import *
        from . import api as facade
        import os.path, json as j
        try:
            from ujson import loads
        except ImportError:
            loads = None
        if os.path:
            async def maybe():
                return 1
        else:
            def maybe():
                return 2
        async def agen():
            yield 1
        @staticmethod
        async def kept():
            return 1
        @other
        async def wrapped():
            return 1
        for i, (k, *rest) in []:
            pass
        with open("x") as (fh):
            pass
        x: int
        y: int = 2
    """)
    for path in (tmp_path / "shop").rglob("*.py"):
        src = path.read_bytes()
        assert exports_of_ast(ast.parse(src), str(path)) == exports_of(cst.parse_module(src), str(path)), path
    assert extra.exists()


def test_checks_whose_trigger_is_absent_are_skipped(tmp_path, monkeypatch):
    """A file without `except` never runs empty-catch's hooks."""
    from asynclint.rules.empty_catch import py as empty_catch_py

    calls = []
    monkeypatch.setattr(empty_catch_py.Check, "visit_ExceptHandler",
                        lambda self, node: calls.append(node), raising=True)
    write(tmp_path / "plain.py", "def f():\n    return 1\n")
    write(tmp_path / "handler.py", "def f():\n    try:\n        return 1\n    except ValueError:\n        pass\n")
    scan(tmp_path / "plain.py")
    assert calls == []
    scan(tmp_path / "handler.py")
    assert len(calls) == 1
