"""JUnit XML: one test case per linted file, failed when it has findings."""

from __future__ import annotations

from itertools import groupby
from xml.sax.saxutils import escape, quoteattr


def write(result, stream, **_) -> None:
    by_path = {p: list(g) for p, g in groupby(result.findings, key=lambda f: f.path)}
    paths = sorted({r.display for r in result.results} | set(by_path))
    failures = sum(1 for p in paths if by_path.get(p))
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(f'<testsuites name="asynclint" tests="{len(paths)}" failures="{failures}">\n')
    stream.write(f'  <testsuite name="asynclint" tests="{len(paths)}" failures="{failures}" errors="0">\n')
    for path in paths:
        findings = by_path.get(path, [])
        stream.write(f'    <testcase classname="asynclint" name={quoteattr(path)} file={quoteattr(path)}')
        if not findings:
            stream.write("/>\n")
            continue
        stream.write(">\n")
        n = len(findings)
        body = "\n".join(f"{f.path}:{f.line}:{f.column}: {f.severity.value} {f.rule}: {f.message} ({f.url})"
                         for f in findings)
        stream.write(f'      <failure message={quoteattr(f"{n} problem" + ("s" if n != 1 else ""))} '
                     f'type="asynclint">{escape(body)}</failure>\n')
        stream.write("    </testcase>\n")
    stream.write("  </testsuite>\n</testsuites>\n")
