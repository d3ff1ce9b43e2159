"""Never lose a line, never run the code: --fix over every fixture, Ctrl-C
in the middle of a fixing scan, unreadable files, hostile caches, and
scanned code that would leave a trace if it were executed or imported."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

from click.testing import CliRunner

from asynclint.cli import main
from asynclint.config import Config
from asynclint.engine import lint_paths

from conftest import FIXTURES

FIXABLE = (
    "const fs = require('fs');\n"
    "async function save(u) { return u; }\n"
    "app.get('/u', async (req, res) => {\n"
    "  save(req.body);\n"
    "  const t = fs.readFileSync('t.html', 'utf8');\n"
    "  res.send(t);\n"
    "});\n"
)


def run(*args):
    return CliRunner().invoke(main, list(args))


def syntax_errors(folder) -> set:
    """The files that do not parse cleanly, as the engine sees them."""
    result = lint_paths([str(folder)], Config(select={"syntax-error"}))
    assert result.results
    return {r.path for r in result.results if r.syntax_errors} | {f.path for f in result.findings}


def snapshot(folder) -> dict:
    out = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            p = os.path.join(dirpath, name)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = (fh.read(), stat.S_IMODE(os.stat(p).st_mode))
    return out


def test_fix_on_a_copy_of_every_fixture(tmp_path):
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy)
    for i, p in enumerate(sorted(copy.rglob("*.*"))):
        os.chmod(p, (0o600, 0o640, 0o755)[i % 3])
    broken_before = syntax_errors(copy)
    before = snapshot(copy)

    res = run("scan", "--no-cache", "--fix", "--unsafe-fixes", "-q", str(copy))
    assert res.exit_code in (0, 1), res.output
    after = snapshot(copy)
    changed = [k for k in before if before[k][0] != after[k][0]]
    assert changed, "no fixture was fixed: the test would prove nothing"
    # modes kept, nothing added or removed (no temp files left behind)
    assert sorted(after) == sorted(before)
    assert all(after[k][1] == before[k][1] for k in before)
    # nothing that parsed before is broken now
    assert syntax_errors(copy) <= broken_before

    again = run("scan", "--no-cache", "--fix", "--unsafe-fixes", "-q", str(copy))
    assert again.exit_code in (0, 1), again.output
    assert snapshot(copy) == after, "a second --fix run changed files again"


def test_ctrl_c_in_a_fixing_scan_leaves_every_file_whole(tmp_path):
    n = 1500
    src = tmp_path / "src"
    src.mkdir()
    for i in range(n):
        (src / f"m{i:04}.js").write_text(FIXABLE, encoding="utf-8")
    probe = tmp_path / "probe.js"
    probe.write_text(FIXABLE, encoding="utf-8")
    assert run("scan", "--no-cache", "--fix", "--unsafe-fixes", str(probe)).exit_code in (0, 1)
    fixed = probe.read_text(encoding="utf-8")
    assert fixed != FIXABLE

    proc = subprocess.Popen(
        [sys.executable, "-m", "asynclint", "scan", "--no-cache", "--fix", "--unsafe-fixes", "-q", str(src)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    # interrupt as soon as the first fixed file is on disk: in the middle of the writes
    watched = [src / f"m{i:04}.js" for i in range(0, n, 25)]
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if any(p.read_text(encoding="utf-8") != FIXABLE for p in watched):
            break
        time.sleep(0.01)
    finished_first = proc.poll() is not None
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the failure we test for
        proc.kill()
        raise AssertionError("the scan did not stop on Ctrl-C")
    assert b"Traceback" not in err, err.decode()
    if not finished_first:
        assert proc.returncode == 130, "an interrupted scan exits 130, as shells expect"
        assert b"asynclint: interrupted" in err
    names = sorted(os.listdir(src))
    assert names == [f"m{i:04}.js" for i in range(n)], "temporary files were left behind"
    states = [(src / name).read_text(encoding="utf-8") for name in names]
    assert all(text in (FIXABLE, fixed) for text in states), "a file was half written"
    if not finished_first:
        assert FIXABLE in states, "the scan was not interrupted: the test proves nothing"


def test_a_file_made_unreadable_during_the_scan(in_tmp, monkeypatch):
    for i in range(4):
        (in_tmp / f"f{i}.js").write_text("try { a(); } catch (e) {}\n")
    import asynclint.engine as engine

    real_open = open

    def guarded(path, *args, **kwargs):
        if str(path).endswith("f1.js"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(engine, "open", guarded, raising=False)
    res = CliRunner().invoke(main, ["scan", "--no-cache", "--jobs", "1", "--format", "json", "."])
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert sorted(f["path"] for f in data["findings"]) == ["f0.js", "f2.js", "f3.js"]
    notes = [line for line in res.stderr.splitlines() if "f1.js" in line]
    assert len(notes) == 1 and "Permission denied" in notes[0]


def test_scanned_code_is_never_executed_or_imported(in_tmp):
    marker = in_tmp / "EXECUTED"
    payload = f"open({str(marker)!r}, 'w').write('x')\n"
    (in_tmp / "setup.py").write_text(payload + "import asyncio\nasync def f():\n    asyncio.sleep(1)\n")
    (in_tmp / "conftest.py").write_text(payload)
    (in_tmp / "asynclint_probe_module.py").write_text(payload)
    (in_tmp / "__init__.py").write_text(payload)
    (in_tmp / "pkg").mkdir()
    (in_tmp / "pkg" / "__init__.py").write_text(payload + "from .. import asynclint_probe_module\n")
    (in_tmp / "package.json").write_text(json.dumps({
        "name": "x", "scripts": {"preinstall": f"touch {marker}", "lint": f"touch {marker}"}}))
    (in_tmp / "index.js").write_text(
        f"require('child_process').execSync('touch {marker}');\nrequire('./pkg');\n")
    res = CliRunner().invoke(main, ["scan", "--no-cache", "--jobs", "1", "."])
    assert res.exit_code == 1, res.output  # the missing await in setup.py is found
    assert "missing-await" in res.output
    assert not marker.exists()
    assert "asynclint_probe_module" not in sys.modules


def test_hostile_cache_entries_are_discarded_and_writes_stay_in_the_cache_folder(in_tmp):
    (in_tmp / "a.js").write_text("try { a(); } catch (e) {}\n")
    outside = in_tmp.parent / f"{in_tmp.name}-outside"
    outside.mkdir()
    first = CliRunner().invoke(main, ["scan", "--format", "json", "."])
    assert first.exit_code == 1
    cache = in_tmp / ".asynclint_cache"
    tables = [p for p in cache.iterdir() if p.suffix == ".json"]
    assert tables
    for table in tables:
        data = json.loads(table.read_text())
        for entry in data["files"].values():
            # a poisoned entry: no findings, for the file's current metadata
            if isinstance(entry, dict) and "findings" in entry:
                entry["findings"] = [{"rule": "../../x", "line": -5, "column": "a"}]
        data["files"]["../../" + outside.name + "/evil.js"] = {"size": 1, "mtime_ns": 1, "findings": []}
        table.write_text(json.dumps(data))
    second = CliRunner().invoke(main, ["scan", "--format", "json", "."])
    assert second.exit_code == 1
    assert [f["rule"] for f in json.loads(second.stdout)["findings"]] == ["empty-catch"]
    assert list(outside.iterdir()) == []
    everything = {p.relative_to(in_tmp).parts[0] for p in in_tmp.rglob("*")}
    assert everything == {"a.js", ".asynclint_cache"}
