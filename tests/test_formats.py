"""Output formats: SARIF validates against the official schema, GitHub
workflow commands, JUnit XML, --output, --statistics, --quiet, NO_COLOR."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from click.testing import CliRunner

from asynclint.cli import main
from asynclint.rules import all_rules

from conftest import ROOT

SCHEMA = json.loads((ROOT / "tests" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
SRC = "async function s() {}\nasync function r() {\n  const é = 1; s();\n}\ntry { a(); } catch (e) {}\n"


def run(*args, env=None):
    return CliRunner(env=env).invoke(main, list(args))


@pytest.fixture
def project(in_tmp):
    (in_tmp / "src").mkdir()
    (in_tmp / "src" / "a.js").write_text(SRC, encoding="utf-8")
    (in_tmp / "src" / "clean.ts").write_text("export const x = 1;\n", encoding="utf-8")
    return in_tmp


def test_sarif_validates_and_carries_rules_help_and_fingerprints(project):
    res = run("scan", "--format", "sarif", "src")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, SCHEMA)
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"] and r["help"]["markdown"] and r["helpUri"].endswith(f"/{r['id']}.md")
    assert [(x["ruleId"], x["level"]) for x in run_["results"]] == [("missing-await", "error"), ("empty-catch", "warning")]
    region = run_["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (3, 16)
    assert run_["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/a.js"
    fps = [x["partialFingerprints"]["asynclintFingerprint/v1"] for x in run_["results"]]
    assert len(set(fps)) == 2
    assert rules[run_["results"][0]["ruleIndex"]]["id"] == "missing-await"


def test_sarif_with_no_findings_validates(project):
    res = run("scan", "--format", "sarif", "src/clean.ts")
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["runs"][0]["results"] == []


def test_github_annotations(project):
    res = run("scan", "--format", "github", "src")
    lines = res.stdout.splitlines()
    assert lines[0].startswith("::error file=src/a.js,line=3,col=16,endLine=3,endColumn=19,title=asynclint (missing-await)::")
    assert lines[1].startswith("::warning file=src/a.js,line=5,col=14,")
    assert len(lines) == 2


def test_junit_one_testcase_per_file(project):
    res = run("scan", "--format", "junit", "src")
    root = ET.fromstring(res.stdout)
    cases = root.findall(".//testcase")
    assert sorted(c.get("name") for c in cases) == ["src/a.js", "src/clean.ts"]
    failed = {c.get("name"): c.find("failure") for c in cases}
    assert failed["src/clean.ts"] is None
    assert failed["src/a.js"].get("message") == "2 problems"
    assert root.get("failures") == "1"


def test_output_file(project):
    res = run("scan", "--format", "json", "--output", "report.json", "src")
    assert res.exit_code == 1
    assert res.stdout == ""
    assert json.loads((project / "report.json").read_text())["summary"]["findings"] == 2


def test_statistics_and_quiet(project):
    res = run("scan", "--statistics", "src")
    assert res.stdout.split() == ["1", "empty-catch", "warning", "1", "missing-await", "error", "(1", "fixable)"]
    res = run("scan", "--quiet", "src")
    assert "problems" not in res.stdout and "missing-await" in res.stdout


def test_colour_only_on_request_and_no_color_honoured(project):
    from asynclint.report.text import write
    import io

    from asynclint.config import Config
    from asynclint.engine import lint_paths

    result = lint_paths(["src"], Config())

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    write(result, out)
    assert "\x1b[" in out.getvalue()
    out = io.StringIO()
    write(result, out)
    assert "\x1b[" not in out.getvalue()
    import os

    os.environ["NO_COLOR"] = "1"
    try:
        out = Tty()
        write(result, out)
        assert "\x1b[" not in out.getvalue()
    finally:
        del os.environ["NO_COLOR"]
