"""Property-based tests: for random text and random mutations of every
fixture, linting never raises, every finding lies inside the text, and the
JSON and SARIF reports stay valid."""

from __future__ import annotations

import io
import json
import re

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asynclint.config import Config
from asynclint.engine import ScanResult, lint_source
from asynclint.report import get as reporter

from conftest import FIXTURES, ROOT

CONFIG = Config(select=None)
SCHEMA = json.loads((ROOT / "tests" / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".js", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".py"))
SUFFIXES = [".js", ".ts", ".tsx", ".py"]
# Fragments that steer random text towards the constructs the rules look at.
TOKENS = ["async ", "await ", "function ", "() => ", "{", "}", "(", ")", "[", "]", ";", "\n", "\r\n", "\r", "\t",
          "try { x() } catch (e) {}", "process.nextTick(f)", "require('fs')", "fs.readFileSync(p)",
          "app.get('/', (req, res) => {", "exec(`ls ${x}`)", ".on('data', h)", "new Promise(", "def ", "except:",
          "pass", "asyncio.create_task(", "import ", "export ", "const ", "= ", "'", '"', "`", "${", "//", "/*",
          "*/", "#", "é", "😀", "e\u0301", "\ufeff", "\x00"]


def check(text: str, suffix: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    name = f"/prop/input{suffix}"
    res = lint_source(name, data, CONFIG, "input" + suffix)
    shown = data.decode("utf-8", "replace")
    if suffix != ".py":
        shown = shown.lstrip("\ufeff")
    lines = re.split(r"\r\n|\n|\r", shown)
    for f in res.findings:
        assert 1 <= f.line <= f.end_line <= len(lines), (f, len(lines))
        assert 1 <= f.column <= len(lines[f.line - 1]) + 1, (f, lines[f.line - 1])
        assert 1 <= f.end_column <= len(lines[f.end_line - 1]) + 1, (f, lines[f.end_line - 1])
        if f.line == f.end_line:
            assert f.column <= f.end_column
    result = ScanResult(findings=res.findings, files=1, notices=[], results=[res])
    out = io.StringIO()
    reporter("json")(result, out)
    assert json.loads(out.getvalue())["summary"]["findings"] == len(res.findings)
    out = io.StringIO()
    reporter("sarif")(result, out, read_text=lambda p: shown)
    jsonschema.validate(json.loads(out.getvalue()), SCHEMA)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=60),
       st.sampled_from(SUFFIXES))
def test_random_text(parts, suffix):
    check("".join(parts), suffix)


@st.composite
def mutated_fixture(draw):
    path = draw(st.sampled_from(FIXTURE_FILES))
    text = path.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 200)))
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[i:j] + text[:i] + text[j:]
    return text, path.suffix


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fixture())
def test_mutated_fixtures(case):
    text, suffix = case
    check(text, suffix)
