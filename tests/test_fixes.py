"""--fix / --unsafe-fixes / --diff: applied edits, fixed points, safety."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from asynclint.cli import main
from asynclint.findings import Edit, Finding, Fix, FixSafety, Severity
from asynclint.fixes import fix_file, write_atomic

SRC = (
    "const fs = require('fs');\n"
    "async function save(u) { return u; }\n"
    "app.get('/u', async (req, res) => {\n"
    "  save(req.body);\n"
    "  const t = fs.readFileSync('t.html', 'utf8');\n"
    "  res.send(t);\n"
    "});\n"
)
FIXED = (
    "const fs = require('fs');\n"
    "async function save(u) { return u; }\n"
    "app.get('/u', async (req, res) => {\n"
    "  await save(req.body);\n"
    "  const t = await fs.promises.readFile('t.html', 'utf8');\n"
    "  res.send(t);\n"
    "});\n"
)


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def app(in_tmp):
    path = in_tmp / "app.js"
    path.write_text(SRC, encoding="utf-8")
    os.chmod(path, 0o640)
    return path


def test_fix_without_unsafe_leaves_unsafe_fixes_alone(app):
    res = run("scan", "--fix", "app.js")
    assert app.read_text() == SRC
    assert res.exit_code == 1


def test_unsafe_fixes_applied_mode_kept_and_fixed_point(app):
    res = run("scan", "--fix", "--unsafe-fixes", "app.js")
    assert app.read_text() == FIXED
    assert res.exit_code == 0, res.output
    assert "Fixed 2 problems in 1 file" in res.stderr
    assert stat.S_IMODE(os.stat(app).st_mode) == 0o640
    res = run("scan", "--fix", "--unsafe-fixes", "app.js")
    assert app.read_text() == FIXED
    assert "Fixed" not in res.stderr


def test_diff_prints_and_writes_nothing(app):
    res = run("scan", "--diff", "--unsafe-fixes", "app.js")
    assert app.read_text() == SRC
    assert "--- a/app.js" in res.stdout and "+  await save(req.body);" in res.stdout


def test_unsafe_fixes_alone_is_a_usage_error(app):
    assert run("scan", "--unsafe-fixes", "app.js").exit_code == 2


def _finding(edit):
    return Finding("missing-await", Severity.ERROR, "x.js", 1, 1, 1, 2, "m",
                   fix=Fix("break it", (edit,), FixSafety.SAFE))


def test_fix_that_breaks_the_parse_is_dropped(tmp_path):
    path = str(tmp_path / "x.js")
    text = "foo();\n"
    calls = []

    def relint(t):
        calls.append(t)
        return [_finding(Edit(1, 1, 1, 1, "(("))] if t == text else []

    outcome, _ = fix_file(path, "x.js", text, relint, unsafe=False)
    assert outcome.fixed == text
    assert outcome.dropped and "no longer parse" in outcome.dropped[0]


def test_interrupted_write_leaves_original_intact(tmp_path, monkeypatch):
    path = tmp_path / "x.js"
    path.write_text("original\n")

    def boom(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(str(path), "new text\n")
    assert path.read_text() == "original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.js"]  # no temp file left


def test_invalid_utf8_file_is_not_fixed(in_tmp):
    path = in_tmp / "l1.js"
    data = "const s = 'caf\xe9';\nasync function s2() {}\nasync function r() { s2(); }\n".encode("latin-1")
    path.write_bytes(data)
    res = run("scan", "--fix", "--unsafe-fixes", "l1.js")
    assert path.read_bytes() == data
    assert "not fixed" in res.stderr


def test_next_tick_recursion_fix_moves_the_loop_to_set_immediate(in_tmp):
    path = in_tmp / "pump.js"
    path.write_text(
        "function pump(q) {\n  drain(q);\n  process.nextTick(() => pump(q));\n}\n"
        "function spin() {\n  queueMicrotask(spin);\n}\n"
        "process.nextTick(() => console.log('once'));\n",
        encoding="utf-8",
    )
    res = run("scan", "--fix", "--unsafe-fixes", str(path))
    assert res.exit_code == 0, res.output
    assert path.read_text(encoding="utf-8") == (
        "function pump(q) {\n  drain(q);\n  setImmediate(() => pump(q));\n}\n"
        "function spin() {\n  setImmediate(spin);\n}\n"
        # not recursive: left alone
        "process.nextTick(() => console.log('once'));\n"
    )
