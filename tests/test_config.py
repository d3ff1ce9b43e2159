"""Configuration files: discovery, keys, validation, CLI overrides."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from asynclint.cli import main

BAD_CATCH = "try { go(); } catch (e) {}\n"
BAD_AWAIT = "async function s() {}\nasync function r() {\n  s();\n}\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def scan(*args):
    res = CliRunner().invoke(main, ["scan", *args])
    return res


def rules_found(res):
    return sorted({(f["path"], f["rule"]) for f in json.loads(res.stdout)["findings"]})


def test_pyproject_ignore_and_nearest_config_wins(in_tmp):
    write(in_tmp / "pyproject.toml", '[tool.asynclint]\nignore = ["empty-catch"]\n')
    write(in_tmp / "a.js", BAD_CATCH + BAD_AWAIT)
    write(in_tmp / "sub" / "asynclint.toml", 'select = ["empty-catch"]\n')
    write(in_tmp / "sub" / "b.js", BAD_CATCH + BAD_AWAIT)
    res = scan("--format", "json", ".")
    assert rules_found(res) == [("a.js", "missing-await"), ("sub/b.js", "empty-catch")]


def test_package_json_key_and_dot_asynclint_toml(in_tmp):
    write(in_tmp / "web" / "package.json", json.dumps({"name": "web", "asynclint": {"ignore": ["missing-await"]}}))
    write(in_tmp / "web" / "a.js", BAD_CATCH + BAD_AWAIT)
    write(in_tmp / "api" / ".asynclint.toml", 'ignore = ["empty-catch"]\n')
    write(in_tmp / "api" / "a.js", BAD_CATCH + BAD_AWAIT)
    res = scan("--format", "json", ".")
    assert rules_found(res) == [("api/a.js", "missing-await"), ("web/a.js", "empty-catch")]


def test_package_json_without_key_is_skipped_for_a_config_higher_up(in_tmp):
    write(in_tmp / "asynclint.toml", 'ignore = ["empty-catch"]\n')
    write(in_tmp / "pkg" / "package.json", '{"name": "pkg"}')
    write(in_tmp / "pkg" / "a.js", BAD_CATCH)
    assert scan("--format", "json", ".").exit_code == 0


def test_config_flag_overrides_discovery_and_cli_flags_override_file(in_tmp):
    write(in_tmp / "asynclint.toml", 'ignore = ["empty-catch"]\n')
    write(in_tmp / "strict.toml", 'select = ["empty-catch", "missing-await"]\n')
    write(in_tmp / "a.js", BAD_CATCH + BAD_AWAIT)
    assert rules_found(scan("--format", "json", "--config", "strict.toml", "a.js")) == [
        ("a.js", "empty-catch"), ("a.js", "missing-await")]
    assert rules_found(scan("--format", "json", "--config", "strict.toml", "--ignore", "missing-await", "a.js")) == [
        ("a.js", "empty-catch")]
    assert rules_found(scan("--format", "json", "--select", "empty-catch", "a.js")) == [("a.js", "empty-catch")]


def test_severity_override_and_fail_on(in_tmp):
    write(in_tmp / "asynclint.toml", '[severity]\nempty-catch = "info"\n')
    write(in_tmp / "a.js", BAD_CATCH)
    res = scan("--format", "json", "a.js")
    assert json.loads(res.stdout)["findings"][0]["severity"] == "info"
    assert res.exit_code == 0  # fail-on defaults to warning
    assert scan("--format", "json", "--fail-on", "info", "a.js").exit_code == 1
    write(in_tmp / "asynclint.toml", 'fail-on = "error"\n')
    assert scan("a.js").exit_code == 0  # empty-catch is a warning
    write(in_tmp / "b.js", BAD_AWAIT)
    assert scan("b.js").exit_code == 1  # missing-await is an error


def test_exclude_and_per_file_ignores_are_relative_to_the_config(in_tmp):
    write(in_tmp / "asynclint.toml", textwrap.dedent("""
        exclude = ["generated/"]
        [per-file-ignores]
        "tests/**" = ["missing-await"]
    """))
    write(in_tmp / "generated" / "x.js", BAD_CATCH)
    write(in_tmp / "tests" / "t.js", BAD_AWAIT)
    write(in_tmp / "src" / "s.js", BAD_AWAIT)
    assert rules_found(scan("--format", "json", ".")) == [("src/s.js", "missing-await")]


def test_rule_options(in_tmp):
    write(in_tmp / "a.js", "try { go(); } catch (e) {\n  // the cache may be cold\n}\n")
    assert scan("a.js").exit_code == 0
    write(in_tmp / "asynclint.toml", '[options.empty-catch]\nallow-comment = false\n')
    assert scan("a.js").exit_code == 1


@pytest.mark.parametrize("content, expected", [
    ('selct = ["empty-catch"]\n', "unknown key 'selct'; did you mean 'select'?"),
    ('select = ["empty-cach"]\n', "unknown rule id 'empty-cach'; did you mean 'empty-catch'?"),
    ('[severity]\nempty-catch = "warn"\n', "'warn' is not a severity; did you mean 'warning'?"),
    ('fail-on = "fatal"\n', "'fatal' is not a severity"),
    ('[options.empty-catch]\nallow-coment = true\n', "unknown option 'allow-coment'; did you mean 'allow-comment'?"),
    ('[options.empty-catch]\nallow-comment = "yes"\n', "expected bool, got str"),
    ('select = "empty-catch', "not valid TOML"),
    ('select = [1, 2]\n', "expected a list of strings"),
    ('max-file-size = -5\n', "expected a positive number of bytes"),
])
def test_bad_config_is_exit_2_naming_file_key_and_fix(in_tmp, content, expected):
    write(in_tmp / "asynclint.toml", content)
    write(in_tmp / "a.js", BAD_CATCH)
    res = scan("a.js")
    assert res.exit_code == 2, res.output
    assert "asynclint.toml" in res.output
    assert expected in res.output


def test_huge_or_deeply_nested_config_is_a_clear_error(in_tmp):
    write(in_tmp / "asynclint.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    write(in_tmp / "a.js", BAD_CATCH)
    res = scan("a.js")
    assert res.exit_code == 2
    assert "asynclint.toml" in res.output
    (in_tmp / "asynclint.toml").write_text("# " + "x" * 1_100_000 + "\n")
    res = scan("a.js")
    assert res.exit_code == 2 and "is not read" in res.output
