#!/usr/bin/env python3
"""Coverage-guided fuzzing of asynclint's lint engine with atheris.

    pip install atheris
    python tests/fuzz/fuzz_lint.py -max_total_time=600 -rss_limit_mb=4096 tests/fuzz/corpus

Each input is linted as JavaScript, TypeScript, TSX and Python, then through
every reporter. It fails on any exception, on a finding whose range is not
inside the text, and on output that does not parse. Seeds: the fixtures
(copy them into the corpus folder first:
``mkdir -p tests/fuzz/corpus && cp fixtures/*/*.* tests/fuzz/corpus/``).
Not part of the test run.
"""

from __future__ import annotations

import io
import json
import sys

import atheris

with atheris.instrument_imports(include=["asynclint"]):
    from asynclint.config import Config
    from asynclint.engine import FileResult, ScanResult, lint_source
    from asynclint.report import get as reporter
    from asynclint.rules import js_rules, py_rules

    # Rule modules are imported lazily; import them here so they are instrumented.
    js_rules()
    py_rules()
    import asynclint.python.runner  # noqa: F401
    import asynclint.suppress  # noqa: F401

CONFIG = Config(select=None)
NAMES = ("/fuzz/input.js", "/fuzz/input.ts", "/fuzz/input.tsx", "/fuzz/input.py")


def check_ranges(text: str, findings) -> None:
    import re

    lines = re.split(r"\r\n|\n|\r", text) if text else [""]
    for f in findings:
        assert 1 <= f.line <= f.end_line <= len(lines) + 1, (f.line, f.end_line, len(lines))
        assert f.column >= 1 and f.end_column >= 1
        if f.line == f.end_line:
            assert f.column <= f.end_column, (f.column, f.end_column)


def TestOneInput(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for name in NAMES:
        res: FileResult = lint_source(name, data, CONFIG, name)
        norm = text.lstrip("\ufeff") if not name.endswith(".py") else text
        check_ranges(norm, res.findings)
        result = ScanResult(findings=res.findings, files=1, notices=[], results=[res])
        for fmt in ("json", "sarif"):
            out = io.StringIO()
            reporter(fmt)(result, out, read_text=lambda p: text)
            json.loads(out.getvalue())


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
