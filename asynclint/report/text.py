"""Human-readable output: findings grouped by file, then a summary per rule.

Colour is used only when the stream is a terminal and NO_COLOR is unset.
"""

from __future__ import annotations

import os
from collections import Counter
from itertools import groupby

from ..findings import rule_url

SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "cyan"}


def _styler(stream, color: bool | None):
    if color is None:
        color = bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")
    if not color:
        return lambda text, **_: text
    import click

    return click.style


def write(result, stream, color: bool | None = None, quiet: bool = False, **_) -> None:
    style = _styler(stream, color)
    for path, group in groupby(result.findings, key=lambda f: f.path):
        stream.write(style(path, underline=True) + "\n")
        for f in group:
            sev = style(f"{f.severity.value:<7}", fg=SEVERITY_COLOUR[f.severity.value])
            loc = f"{f.line}:{f.column}"
            stream.write(f"  {loc:<8} {sev}  {style(f.rule, bold=True)}  {f.message}\n")
            stream.write(f"  {'':<8} {style('↳ ' + f.url, dim=True)}\n")
        stream.write("\n")
    if quiet:
        return
    n = len(result.findings)
    sev_counts = Counter(f.severity.value for f in result.findings)
    if n == 0:
        stream.write(style(f"✔ No problems found in {result.files} file{'s' if result.files != 1 else ''}.", fg="green") + "\n")
    else:
        parts = [f"{sev_counts[s]} {s}{'s' if sev_counts[s] != 1 and s != 'info' else ''}"
                 for s in ("error", "warning", "info") if sev_counts[s]]
        files_hit = len({f.path for f in result.findings})
        stream.write(style(
            f"✖ {n} problem{'s' if n != 1 else ''} ({', '.join(parts)}) in {files_hit} of {result.files} file{'s' if result.files != 1 else ''}",
            fg="red" if sev_counts["error"] else "yellow", bold=True) + "\n")
        by_rule = Counter(f.rule for f in result.findings)
        width = max(len(r) for r in by_rule)
        for rule, count in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            stream.write(f"  {rule:<{width}}  {count:>5}  {style(rule_url(rule), dim=True)}\n")
    if result.partial_parses:
        stream.write(
            f"note: {result.partial_parses} file{'s' if result.partial_parses != 1 else ''} had syntax errors; "
            "the code around them was still checked.\n"
        )


def write_statistics(result, stream, **_) -> None:
    """``--statistics``: one line per rule, most frequent first."""
    counts = Counter(f.rule for f in result.findings)
    severity = {f.rule: f.severity.value for f in result.findings}
    fixable = Counter(f.rule for f in result.findings if f.fix is not None)
    for rule, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        mark = f"  ({fixable[rule]} fixable)" if fixable[rule] else ""
        stream.write(f"{count:>6}  {rule:<28} {severity[rule]}{mark}\n")
