"""The command line as a user meets it: exit codes, output shapes, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from click.testing import CliRunner

from asynclint import __version__
from asynclint.cli import main

BAD = "async function save(u) { return u; }\nasync function run() {\n  save(1);\n}\n"
GOOD = "async function save(u) { return u; }\nasync function run() {\n  await save(1);\n}\n"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_clean_tree_exits_0(in_tmp):
    write(in_tmp / "src" / "ok.js", GOOD)
    res = run("scan", "src")
    assert res.exit_code == 0, res.output
    assert "No problems" in res.output


def test_findings_exit_1_and_text_names_rule_location_and_url(in_tmp):
    write(in_tmp / "src" / "bad.js", BAD)
    res = run("scan", "src")
    assert res.exit_code == 1
    assert "src/bad.js" in res.output
    assert "3:3" in res.output
    assert "missing-await" in res.output
    assert "rules/missing-await.md" in res.output


def test_json_shape(in_tmp):
    write(in_tmp / "src" / "bad.js", BAD)
    write(in_tmp / "src" / "ok.js", GOOD)
    res = run("scan", "--format", "json", "src")
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert set(data) == {"version", "findings", "summary"}
    assert data["version"] == __version__
    assert data["summary"] == {"files": 2, "findings": 1, "by_rule": {"missing-await": 1}}
    (f,) = data["findings"]
    assert set(f) == {"rule", "severity", "path", "line", "column", "end_line", "end_column", "message", "url"}
    assert (f["rule"], f["severity"], f["path"]) == ("missing-await", "error", "src/bad.js")
    assert (f["line"], f["column"], f["end_line"], f["end_column"]) == (3, 3, 3, 10)
    assert f["url"].endswith("/rules/missing-await.md")
    assert "save()" in f["message"] and "await" in f["message"]


def test_columns_count_characters_not_bytes(in_tmp):
    write(in_tmp / "a.js", 'async function s() {}\nasync function r() {\n  const é = "ü"; s();\n}\n')
    data = json.loads(run("scan", "--format", "json", "a.js").output)
    (f,) = data["findings"]
    assert f["column"] == 18  # `s();` after `  const é = "ü"; ` — 17 characters, more bytes


def test_unknown_rule_id_is_exit_2_with_suggestion(in_tmp):
    write(in_tmp / "a.js", GOOD)
    res = CliRunner().invoke(main, ["scan", "--select", "missing-awiat", "a.js"])
    assert res.exit_code == 2
    assert "unknown rule id 'missing-awiat'" in res.output
    assert "missing-await" in res.output


def test_explain_unknown_rule_suggests_closest():
    res = CliRunner().invoke(main, ["explain", "empty-cach"])
    assert res.exit_code == 2
    assert "empty-catch" in res.output


def test_explain_prints_page():
    res = run("explain", "missing-await")
    assert res.exit_code == 0
    assert res.output.startswith("# missing-await")
    assert "rules/missing-await.md" in res.output


def test_missing_path_is_exit_2(in_tmp):
    res = CliRunner().invoke(main, ["scan", "nope/"])
    assert res.exit_code == 2
    assert "nope/" in res.output


def test_bad_flag_is_exit_2(in_tmp):
    res = CliRunner().invoke(main, ["scan", "--frobnicate"])
    assert res.exit_code == 2
    assert "--frobnicate" in res.output


def test_excluded_folders_skipped_but_explicit_file_linted(in_tmp):
    write(in_tmp / "node_modules" / "dep" / "bad.js", BAD)
    write(in_tmp / "dist" / "bad.js", BAD)
    write(in_tmp / "vendor" / "bad.js", BAD)
    write(in_tmp / "app.min.js", BAD)
    write(in_tmp / "src" / "ok.js", GOOD)
    res = run("scan", "--format", "json", "--exclude", "vendor/", ".")
    data = json.loads(res.output)
    assert data["summary"]["files"] == 1
    assert data["findings"] == []
    # Named explicitly, an ignored file is linted anyway.
    res = run("scan", "--format", "json", "node_modules/dep/bad.js")
    assert json.loads(res.output)["summary"]["findings"] == 1


def test_gitignore_is_honoured(in_tmp):
    (in_tmp / ".git").mkdir()
    write(in_tmp / ".gitignore", "generated/\n")
    write(in_tmp / "generated" / "bad.js", BAD)
    write(in_tmp / "src" / "bad.ts", BAD)
    data = json.loads(run("scan", "--format", "json", ".").output)
    assert [f["path"] for f in data["findings"]] == ["src/bad.ts"]


def test_rules_lists_every_core_rule():
    res = run("rules")
    assert res.exit_code == 0
    for rid in ("missing-await", "exec-user-input", "sync-io-in-handler", "empty-catch",
                "next-tick-recursion", "unremoved-listener"):
        assert rid in res.output


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "asynclint", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert __version__ in out.stdout


def test_no_ignore_lints_default_excluded_folders(in_tmp):
    write(in_tmp / "dist" / "bad.js", BAD)
    assert json.loads(run("scan", "--format", "json", ".").output)["summary"]["files"] == 0
    data = json.loads(run("scan", "--format", "json", "--no-ignore", ".").output)
    assert [f["path"] for f in data["findings"]] == ["dist/bad.js"]
