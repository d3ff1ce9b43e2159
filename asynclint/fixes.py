"""Apply fixes: text edits with a safety level, written atomically.

A fix is applied only if the file still parses afterwards (a fix that breaks
it is dropped and reported). Fixing repeats until nothing more applies, so a
fixed file is a fixed point: running --fix again changes nothing. Files are
written through a temporary file in the same folder and renamed over the
original, keeping its mode, so an interrupted write never leaves half a file.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import signal
import stat
import tempfile
import threading
from dataclasses import dataclass, field

from .findings import Edit, Finding, FixSafety

MAX_ROUNDS = 8


def _offsets(text: str) -> list[int]:
    """Line start offsets; LF, CRLF and a lone CR each end a line (as for the
    linter, which reads a lone CR as a line end)."""
    import re

    return [0] + [m.end() for m in re.finditer(r"\r\n|\n|\r", text)]


def split_bom(text: str) -> tuple[str, str]:
    """(BOM or "", text without it): positions never count the BOM."""
    return ("\ufeff", text[1:]) if text.startswith("\ufeff") else ("", text)


def _offset(starts: list[int], text: str, line: int, column: int) -> int:
    """Offset of a 1-based (line, character column), clamped to the line."""
    line = max(1, min(line, len(starts)))
    if line < len(starts):
        line_end = starts[line] - 1
        if line_end > starts[line - 1] and text[line_end - 1] == "\r" and text[line_end] == "\n":
            line_end -= 1  # before the CR of a CRLF
    else:
        line_end = len(text)
    return min(starts[line - 1] + max(column, 1) - 1, line_end)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits (callers drop overlaps first)."""
    starts = _offsets(text)
    spans = sorted(
        ((_offset(starts, text, e.line, e.column), _offset(starts, text, e.end_line, e.end_column), e.text)
         for e in edits),
        reverse=True,
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def choose_fixes(text: str, findings: list[Finding], unsafe: bool) -> list[Finding]:
    """The fixable findings whose edits do not overlap, in file order."""
    starts = _offsets(text)
    chosen, taken = [], []
    for f in sorted(findings, key=lambda f: (f.line, f.column)):
        if f.fix is None or f.fix.safety == FixSafety.NONE:
            continue
        if f.fix.safety == FixSafety.UNSAFE and not unsafe:
            continue
        spans = [(_offset(starts, text, e.line, e.column), _offset(starts, text, e.end_line, e.end_column))
                 for e in f.fix.edits]
        if any(s < te and ts < e or (s == e == ts == te) for s, e in spans for ts, te in taken):
            continue
        taken.extend(spans)
        chosen.append(f)
    return chosen


def parses(path: str, text: str) -> bool:
    from .files import language_of

    lang = language_of(path)
    data = text.encode("utf-8")
    if lang in ("js", "ts"):
        from .javascript.parse import dialect_for, parse

        return not parse(data, dialect_for(os.path.splitext(path)[1])).root_node.has_error
    if lang == "py":
        import libcst

        try:
            libcst.parse_module(data)
        except Exception:
            return False
        return True
    return True


@dataclass
class FileFix:
    path: str
    display: str
    original: str
    fixed: str
    applied: int = 0
    dropped: list = field(default_factory=list)  # messages about fixes that broke the parse

    @property
    def changed(self) -> bool:
        return self.fixed != self.original

    def diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.original.splitlines(keepends=True), self.fixed.splitlines(keepends=True),
            fromfile=f"a/{self.display}", tofile=f"b/{self.display}",
        ))


def fix_file(path: str, display: str, text: str, relint, unsafe: bool) -> tuple[FileFix, list[Finding]]:
    """Fix one file's text. ``relint(text) -> findings`` lints a version of it.
    Returns the result and the findings left in the fixed text."""
    result = FileFix(path, display, text, text)
    was_parsing = parses(path, text)
    findings = relint(text)
    for _ in range(MAX_ROUNDS):
        chosen = choose_fixes(result.fixed, findings, unsafe)
        if not chosen:
            break
        candidate = apply_edits(result.fixed, [e for f in chosen for e in f.fix.edits])
        if was_parsing and not parses(path, candidate):
            # Find the culprits one by one: keep the fixes that keep it parsing.
            candidate = result.fixed
            kept = 0
            for f in chosen:
                attempt = apply_edits(candidate, list(f.fix.edits))
                if parses(path, attempt):
                    candidate, kept = attempt, kept + 1
                    break  # offsets of the rest are stale: re-lint first
                result.dropped.append(f"{display}:{f.line}:{f.column}: {f.rule} fix dropped: "
                                      "the file would no longer parse")
            if not kept:
                break
            result.applied += kept
        else:
            result.applied += len(chosen)
        if candidate == result.fixed:
            break
        result.fixed = candidate
        findings = relint(result.fixed)
    return result, findings


@contextlib.contextmanager
def _signals_held():
    """Hold Ctrl-C (and SIGTERM / SIGHUP) while a file is being replaced: a
    signal that arrives mid-write is delivered right after the rename, so
    neither a half-written file nor a stray temporary file is left behind."""
    held = {signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)}
    can_hold = hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    if not can_hold:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _replace(path: str, text: str, mode: int, fsync: bool) -> None:
    folder = os.path.dirname(os.path.abspath(path)) or "."
    with _signals_held():
        fd, tmp = tempfile.mkstemp(prefix=".asynclint-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
                if fsync:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename; keep the mode."""
    _replace(path, text, stat.S_IMODE(os.stat(path).st_mode), fsync=True)


def write_new(path: str, text: str) -> None:
    """Write a file asynclint owns (baseline, report): atomically, mode 0644
    unless it already exists."""
    if os.path.exists(path):
        write_atomic(path, text)
    else:
        _replace(path, text, 0o644, fsync=False)
