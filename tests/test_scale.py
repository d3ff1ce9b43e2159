"""The speed mechanisms keep results identical: pool, cache, shards,
--changed-since; a dying worker costs one file; lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from asynclint.cli import main

BAD = "try { go(); } catch (e) {}\n"
ASYNC = "async function s() {}\nasync function r() {\n  s();\n}\n"


def scan_json(*args, env=None):
    res = CliRunner(env=env).invoke(main, ["scan", "--format", "json", *args])
    assert res.exit_code in (0, 1), res.output
    return res, json.loads(res.stdout)


def make_tree(root, n=60):
    for i in range(n):
        sub = root / f"pkg{i % 6}"
        sub.mkdir(exist_ok=True)
        text = BAD if i % 3 == 0 else ASYNC if i % 3 == 1 else "export const x = 1;\n"
        (sub / f"m{i}.js").write_text(text, encoding="utf-8")


def key(data):
    return sorted((f["path"], f["line"], f["rule"]) for f in data["findings"])


def test_pool_gives_the_same_findings_as_one_process(in_tmp):
    make_tree(in_tmp)
    _, one = scan_json("--jobs", "1", "--no-cache", ".")
    _, two = scan_json("--jobs", "2", "--no-cache", ".")
    assert key(one) == key(two) and len(key(one)) == 40
    assert one["summary"] == two["summary"]


def test_cache_is_used_invalidated_and_survives_corruption(in_tmp):
    make_tree(in_tmp, 12)
    _, first = scan_json("--jobs", "1", ".")
    cache = in_tmp / ".asynclint_cache"
    assert (cache / ".gitignore").read_text().strip().endswith("*")
    files = [p for p in cache.iterdir() if p.suffix == ".json"]
    assert len(files) == 1
    # A cached run gives the same answer.
    _, again = scan_json("--jobs", "1", ".")
    assert key(again) == key(first)
    # An edited file is linted again.
    (in_tmp / "pkg0" / "m0.js").write_text("export const fixed = true;\n", encoding="utf-8")
    _, edited = scan_json("--jobs", "1", ".")
    assert ("pkg0/m0.js", 1, "empty-catch") not in key(edited)
    assert len(key(edited)) == len(key(first)) - 1
    # A truncated or hostile cache file is discarded, never trusted.
    for damage in (files[0].read_text()[:50], '{"asynclint": "0.1.0", "files": {"x": 1}}', "[]"):
        files[0].write_text(damage)
        _, after = scan_json("--jobs", "1", ".")
        assert key(after) == key(edited)
    # A cache entry whose findings were tampered with is ignored too.
    data = json.loads(files[0].read_text())
    for entry in data["files"].values():
        entry["findings"] = [{"rule": 5}]
    files[0].write_text(json.dumps(data))
    _, after = scan_json("--jobs", "1", ".")
    assert key(after) == key(edited)


def test_shards_partition_the_files(in_tmp):
    make_tree(in_tmp)
    _, full = scan_json("--no-cache", ".")
    parts = [scan_json("--no-cache", "--shard", f"{k}/3", ".")[1] for k in (1, 2, 3)]
    merged = sorted(x for p in parts for x in key(p))
    assert merged == key(full)
    assert sum(p["summary"]["files"] for p in parts) == full["summary"]["files"]
    assert all(p["summary"]["files"] > 0 for p in parts)


def test_bad_shard_is_a_usage_error(in_tmp):
    for bad in ("3/2", "0/2", "x", "1/0"):
        res = CliRunner().invoke(main, ["scan", "--shard", bad, "."])
        assert res.exit_code == 2, bad


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_changed_since(in_tmp):
    git(in_tmp, "init", "-q")
    git(in_tmp, "config", "user.email", "t@example.invalid")
    git(in_tmp, "config", "user.name", "t")
    (in_tmp / "old.js").write_text(BAD, encoding="utf-8")
    (in_tmp / "edited.js").write_text("export const a = 1;\n", encoding="utf-8")
    git(in_tmp, "add", ".")
    git(in_tmp, "commit", "-qm", "base")
    (in_tmp / "edited.js").write_text(BAD, encoding="utf-8")
    (in_tmp / "new.js").write_text(BAD, encoding="utf-8")
    _, data = scan_json("--no-cache", "--changed-since", "HEAD", ".")
    assert sorted(f["path"] for f in data["findings"]) == ["edited.js", "new.js"]
    res = CliRunner().invoke(main, ["scan", "--changed-since", "no-such-ref", "."])
    assert res.exit_code == 2 and "no-such-ref" in res.output


def test_changed_since_also_lints_the_importers_of_changed_files(in_tmp):
    """`save` becomes async in db.js: routes.js (imports it), api.js
    (imports it through index.js, which re-exports it) and the Python
    service (imports the changed store) get findings; a file that imports
    nothing changed is not linted, and neither is one that only imports a
    module that imports the changed file without re-exporting it."""
    git(in_tmp, "init", "-q")
    git(in_tmp, "config", "user.email", "t@example.invalid")
    git(in_tmp, "config", "user.name", "t")
    files = {
        "db.js": "export function save(x) { return x; }\n",
        "index.js": "export * from './db.js';\n",
        "routes.js": "import { save } from './db.js';\nexport async function h(x) {\n  save(x);\n}\n",
        "api.js": "import { save } from './index.js';\nexport async function h(x) {\n  save(x);\n}\n",
        "user.js": "const { h } = require('./routes');\nasync function u() { await h(1); }\n",
        "boot.js": "const db = require('./db.js');\nconsole.log(typeof db);\n",
        "main.js": "require('./boot');\ntry { a(); } catch (e) {}\n",
        "other.js": "try { a(); } catch (e) {}\n",
        "shop/__init__.py": "",
        "shop/store.py": "def save(x):\n    return x\n",
        "shop/service.py": "from .store import save\n\nasync def handle(x):\n    save(x)\n",
        "shop/unrelated.py": "try:\n    pass\nexcept:\n    pass\n",
    }
    for name, text in files.items():
        (in_tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (in_tmp / name).write_text(text, encoding="utf-8")
    git(in_tmp, "add", ".")
    git(in_tmp, "commit", "-qm", "base")
    (in_tmp / "db.js").write_text("export async function save(x) { return x; }\n", encoding="utf-8")
    (in_tmp / "shop" / "store.py").write_text("async def save(x):\n    return x\n", encoding="utf-8")
    _, data = scan_json("--no-cache", "--changed-since", "HEAD", ".")
    found = sorted((f["path"].replace(os.sep, "/"), f["rule"]) for f in data["findings"])
    assert found == [
        ("api.js", "missing-await"),
        ("routes.js", "missing-await"),
        ("shop/service.py", "missing-await"),
    ]
    # db.js, index.js, routes.js (it exports, so user.js is linted too), api.js,
    # user.js, boot.js, store.py, service.py; not main.js (boot.js exports
    # nothing), other.js nor unrelated.py, whose empty catches stay unreported
    assert data["summary"]["files"] == 8


def test_a_dying_worker_costs_one_file(in_tmp):
    make_tree(in_tmp)
    env = {"ASYNCLINT_FAULT_INJECT": "kill:m3.js"}
    code = (
        "import json, sys\n"
        "from asynclint.config import Config\n"
        "from asynclint.engine import lint_paths, ScanOptions\n"
        "r = lint_paths(['.'], Config(), options=ScanOptions(jobs=2))\n"
        "print(json.dumps({'files': r.files, 'notices': r.notices, 'paths': sorted({f.path for f in r.findings})}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=in_tmp, capture_output=True, text=True,
                         env=dict(os.environ, **env), timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["files"] == 59
    assert any("m3.js" in n and "died" in n for n in data["notices"])
    assert "pkg0/m0.js" in data["paths"]


def test_js_scan_imports_neither_libcst_nor_pygls(in_tmp):
    (in_tmp / "one.js").write_text(BAD, encoding="utf-8")
    code = (
        "import sys\n"
        "from asynclint.cli import main\n"
        "try:\n"
        "    main(['scan', '--no-cache', 'one.js'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('libcst', 'pygls', 'lsprotocol', 'rich'))\n"
        "print('IMPORTED', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=in_tmp, capture_output=True, text=True, timeout=120)
    assert "IMPORTED []" in out.stdout, out.stdout + out.stderr
