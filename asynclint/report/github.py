"""GitHub Actions workflow commands: one annotation per finding.

``::error file=src/a.js,line=3,col=5,endLine=3,endColumn=12,title=asynclint (missing-await)::message``
"""

from __future__ import annotations

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def write(result, stream, **_) -> None:
    for f in result.findings:
        props = ",".join([
            f"file={_prop(f.path)}",
            f"line={f.line}",
            f"col={f.column}",
            f"endLine={f.end_line}",
            f"endColumn={f.end_column}",
            f"title={_prop(f'asynclint ({f.rule})')}",
        ])
        stream.write(f"::{LEVEL[f.severity.value]} {props}::{_data(f.message + ' ' + f.url)}\n")
