"""Run every enabled Python rule over one file in a single libcst traversal.

The file's bytes go to libcst as they are, so an encoding cookie or a BOM is
honoured. A file libcst cannot parse yields one ``syntax-error`` finding and
nothing else; the scan goes on with the next file. Otherwise the enabled
checks (``py.py`` of each rule package) whose ``TRIGGER`` pattern occurs in
the source are instantiated for the file, and one walk over the tree (our
own: libcst's visitors rebuild every node and cost several parses) records
parents, imports and defs and hands each node to the checks' ``visit_<Type>``
hooks. Positions, scopes and qualified names are computed only when a check
asks for them (see ``PyFile``).

``module_exports`` (see ``exports.py``) tells the project index which
module-level names are coroutine functions (``async def``), which are
something else, and which are re-exported from another project module.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Optional

import libcst as cst

from ..findings import Finding, Severity
from ..rules import py_rules
from .context import PyFile
from .exports import PARSE_ERRORS, exports_of, module_exports, remember

__all__ = ["lint_py", "module_exports", "syntax_error_finding"]

SYNTAX_ERROR_ID = "syntax-error"
LIBCST_AT = re.compile(r"error at (\d+):(\d+)")


def lint_py(path: str, source: bytes, config, display: str | None = None):
    """(findings, exports) of one Python file. ``path`` is absolute; it
    anchors relative imports and need not exist."""
    display = display or path
    enabled = config.enabled_for(path)
    try:
        module = cst.parse_module(source)
    except PARSE_ERRORS as exc:
        findings = []
        if SYNTAX_ERROR_ID in enabled:
            findings.append(syntax_error_finding(display, source, exc))
        return findings, None
    checks = [cls for cls in py_rules() if cls.meta.id in enabled]
    findings: list[Finding] = []
    yielding = None
    if checks:
        ctx = PyFile(path, display, module, None, config.rule_options, source)
        checks = [cls for cls in checks if cls.TRIGGER is None or cls.TRIGGER.search(ctx.text)]
        if checks:
            run_checks(ctx, [cls(ctx) for cls in checks])
            findings = ctx.findings
            yielding = ctx.yielding()
    exports = exports_of(module, path, yielding)
    remember(path, source, exports)
    return findings, exports


_HOOKS: dict = {}


def _hooks(cls) -> list:
    """(node type, method name) of a check class's ``visit_<Type>`` hooks."""
    hooks = _HOOKS.get(cls)
    if hooks is None:
        hooks = []
        for name in dir(cls):
            if name.startswith("visit_"):
                node_type = getattr(cst, name[len("visit_"):], None)
                if isinstance(node_type, type) and issubclass(node_type, cst.CSTNode):
                    hooks.append((node_type, name))
        _HOOKS[cls] = hooks
    return hooks


def run_checks(ctx: PyFile, checks: list) -> None:
    """Walk the tree once and call every check's hooks, in document order
    (parents before children, as libcst's visitors would)."""
    table: dict = {}
    for check in checks:
        for node_type, name in _hooks(type(check)):
            table.setdefault(node_type, []).append(getattr(check, name))
    hits = ctx._walk_facts(frozenset(table))
    for node in hits:
        for hook in table[type(node)]:
            hook(node)




# ------------------------------------------------------------ syntax errors
def _decode(source: bytes) -> tuple[Optional[str], str, int]:
    """(text, problem, line of the problem)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as exc:
        if "encoding" in str(exc) and b"coding" not in source[:400]:
            encoding = "utf-8"  # undecodable bytes in the first lines: say where, below
        else:
            return None, str(exc), 1
    try:
        return source.decode(encoding), "", 1
    except LookupError:
        return None, f"unknown encoding {encoding!r} in the encoding declaration", 1
    except UnicodeDecodeError as exc:
        line = source[:exc.start].count(b"\n") + 1
        return None, (f"the file is not valid {encoding} (byte 0x{source[exc.start]:02x} on line {line}); "
                      "declare its encoding or re-save it as UTF-8"), line


def syntax_error_finding(display: str, source: bytes, exc: Exception) -> Finding:
    """One finding at the error. libcst's own positions are often a line
    late, so the position (and the clearer message) come from CPython's parser
    (``ast.parse``: compiles to a tree, runs nothing) when it rejects the file
    too; if only libcst rejects it, libcst's message and position are used."""
    text, problem, bad_line = _decode(source)
    line, col, end_line, end_col = 1, 1, 1, 1
    if text is None:
        message = f"Cannot read this file as Python source: {problem}. No other check ran on it."
        return _finding(display, bad_line, col, bad_line, col, message)
    lines = text.splitlines() or [""]

    def clamp(ln: int, c: int) -> tuple[int, int]:
        ln = max(1, min(ln, len(lines)))
        return ln, max(1, min(c, len(lines[ln - 1]) + 1))

    py_error = None
    try:
        ast.parse(text)
    except SyntaxError as err:
        py_error = err
    except (ValueError, RecursionError, MemoryError):
        py_error = None
    if py_error is not None and py_error.lineno:
        line, col = clamp(py_error.lineno, py_error.offset or 1)
        end_line, end_col = line, col
        if py_error.end_lineno and py_error.end_offset and py_error.end_offset > 0:
            e_line, e_col = clamp(py_error.end_lineno, py_error.end_offset)
            if (e_line, e_col) > (line, col):
                end_line, end_col = e_line, e_col
        msg = py_error.msg.rstrip()
        msg = msg if msg.endswith((".", "?", "!")) else msg + "."
        message = f"Syntax error: {msg} asynclint could not check anything else in this file; fix the syntax first."
        return _finding(display, line, col, end_line, end_col, message)
    raw = getattr(exc, "message", None) or str(exc)
    m = LIBCST_AT.search(raw)
    if m:
        line, col = clamp(int(m.group(1)), int(m.group(2)) + 1)
    elif getattr(exc, "raw_line", None):
        line, col = clamp(exc.raw_line, (exc.raw_column or 0) + 1)
    detail = raw.split("\n")[0].removeprefix("parser error: ")
    detail = LIBCST_AT.sub("", detail).strip(" :")
    message = (f"libcst, the parser asynclint uses for Python, cannot parse this file ({detail}), although "
               "this Python accepts it: it may use syntax newer than libcst supports. "
               "No other check ran on it.")
    return _finding(display, line, col, line, col, message)


def _finding(display, line, col, end_line, end_col, message) -> Finding:
    from ..rules import all_rules

    meta = all_rules().get(SYNTAX_ERROR_ID)
    severity = meta.severity if meta is not None else Severity.ERROR
    return Finding(SYNTAX_ERROR_ID, severity, display, line, col, end_line, end_col, message)
