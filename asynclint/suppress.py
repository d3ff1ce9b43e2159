"""Inline suppression directives, and the edits that write them.

JavaScript / TypeScript::

    // asynclint-disable-next-line missing-await, empty-catch -- reason
    foo();  // asynclint-disable-line missing-await
    /* asynclint-disable empty-catch */ ... /* asynclint-enable empty-catch */
    // asynclint-disable-file exec-user-input

Python::

    foo()  # asynclint: ignore[missing-await] -- reason
    # asynclint: ignore-file[dangling-task]

ESLint's ``eslint-disable-next-line`` / ``-line`` comments and
``/* eslint-disable */`` ... ``/* eslint-enable */`` blocks count too, for the
asynclint rules that flag what the ESLint rules they name flag
(``ESLINT_EQUIVALENTS``), or for every rule when they name none.

A directive without ids covers every rule. The reason after ``--`` (in
JavaScript also after a second ``//``: ``// asynclint-disable-line
empty-catch // why``) is free text; ``require-suppression-reason`` makes it
mandatory. Directives are found
by scanning comment text, so the CLI and the language server agree exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from .findings import Edit, Finding

JS_LINE = re.compile(
    r"//\s*asynclint-(disable-next-line|disable-line|disable-file|disable|enable)(?![\w-])([^\n]*)"
)
# The head of a block-comment directive; its body runs to the comment's `*/`
# (found by _matches, not by the regex: a lazy `.*?\*/` rescans to the end of
# the text for every head when the comment is never closed).
JS_BLOCK = re.compile(r"/\*\s*asynclint-(disable-next-line|disable-line|disable-file|disable|enable)(?![\w-])")
# ESLint's own directives, honoured for the asynclint rules that flag the
# same thing as the ESLint rule they name (or for every rule, when they name
# none): code that already says "this empty catch is on purpose" to ESLint
# should not hear it again from asynclint.
ESLINT_LINE = re.compile(r"//\s*eslint-(disable-next-line|disable-line)(?![\w-])([^\n]*)")
ESLINT_BLOCK = re.compile(r"/\*\s*eslint-(disable-next-line|disable-line|disable|enable)(?![\w-])")
ESLINT_EQUIVALENTS = {
    "no-empty": ("empty-catch",),
    "no-async-promise-executor": ("async-promise-executor",),
    "max-nested-callbacks": ("callback-nesting",),
    "promise/no-nesting": ("callback-nesting",),
    "promise/catch-or-return": ("unhandled-rejection",),
    "@typescript-eslint/no-floating-promises": ("missing-await", "unhandled-rejection"),
    "n/handle-callback-err": ("unchecked-callback-error",),
    "node/handle-callback-err": ("unchecked-callback-error",),
    "n/no-sync": ("sync-io-in-handler",),
    "node/no-sync": ("sync-io-in-handler",),
    "security/detect-child-process": ("exec-user-input",),
}
PY_DIRECTIVE = re.compile(r"#\s*asynclint:\s*(ignore-file|ignore)(?![\w-])(?:\[([^\]\n]*)\])?([^\n]*)")

# A JS directive's keyword (asynclint's or ESLint's) -> Directive.kind.
_KINDS = {"disable-next-line": "next-line", "disable-line": "line", "disable-file": "file",
          "disable": "disable", "enable": "enable"}

UNUSED_ID = "unused-suppression"
NO_REASON_ID = "suppression-without-reason"


@dataclass
class Directive:
    kind: str  # next-line | line | file | disable | enable
    line: int  # 1-based line of the comment
    column: int  # 1-based column of the comment
    end_column: int
    ids: Optional[frozenset]  # None: every rule
    reason: str
    text: str
    used: set = field(default_factory=set)  # rule ids it suppressed
    eslint: bool = False  # an ESLint directive: ESLint reports its unused ones, not asynclint

    def covers(self, rule: str) -> bool:
        return self.ids is None or rule in self.ids


def _split_ids_reason(rest: str) -> tuple[Optional[frozenset], str]:
    """The ids and the reason of a JS directive's text after its keyword.
    The reason follows ``--``, or a second ``//`` (``// asynclint-disable-line
    empty-catch // probing``): either way it is not read as rule ids."""
    rest = rest.strip()
    reason = ""
    cut = min((i for i in (rest.find("--"), rest.find("//")) if i >= 0), default=-1)
    if cut >= 0:
        rest, reason = rest[:cut], rest[cut + 2:].strip()
    ids = [p for p in re.split(r"[\s,]+", rest.strip()) if p]
    return (frozenset(ids) if ids else None), reason


class _Lines:
    """(line, column) of offsets in ``text``, 1-based, counted in C from the
    previous offset asked for: directives are met in order (three ordered
    runs: line comments, block comments, ESLint's), and splitting a big file
    into a list of line starts in Python cost more than the directives."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, offset: int) -> tuple[int, int]:
        if offset < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1


def parse_directives(text: str, language: str, in_comment=None) -> list[Directive]:
    """The directives in ``text``. ``in_comment(offset)``, when given, tells
    whether a character offset lies in a comment of the parsed file: a
    directive spelt inside a string (a code generator's `"/* eslint-disable */"`
    template) is then not one."""
    if "asynclint" not in text and (language == "py" or "eslint-" not in text):
        return []
    lines = _Lines(text)
    out: list[Directive] = []
    if language == "py":
        for m in PY_DIRECTIVE.finditer(text):
            if in_comment is not None and not in_comment(m.start()):
                continue
            kind = "file" if m.group(1) == "ignore-file" else "line"
            ids = frozenset(p for p in re.split(r"[\s,]+", m.group(2) or "") if p) or None
            rest = m.group(3) or ""
            reason = rest.split("--", 1)[1].strip() if "--" in rest else ""
            line, col = lines.at(m.start())
            out.append(Directive(kind, line, col, col + len(m.group(0)), ids, reason, m.group(0)))
        return out
    for start, keyword, rest, whole in _matches(JS_LINE, JS_BLOCK, text) if "asynclint" in text else ():
        if in_comment is not None and not in_comment(start):
            continue
        ids, reason = _split_ids_reason(rest)
        line, col = lines.at(start)
        out.append(Directive(_KINDS[keyword], line, col, col + len(whole.split("\n")[0]), ids, reason, whole))
    out.extend(_eslint_directives(text, lines, in_comment))
    out.sort(key=lambda d: (d.line, d.column))
    return out


def js_comment_test(root, source: bytes, text: str):
    """in_comment(character offset) for a parsed JS/TS file (``root`` of its
    tree, ``source`` its valid UTF-8 bytes, ``text`` their decoding): is the
    offset inside a comment node? Equal lengths mean one byte per character."""
    one_byte = len(source) == len(text)
    last = [0, 0]  # (character offset, byte offset) of the previous question

    def byte_offset(offset: int) -> int:
        # Counted on from the previous offset (directives come in ordered
        # runs, see _Lines): encoding from the start each time was quadratic
        # in a big non-ASCII file full of directives.
        char, byte = last if offset >= last[0] else (0, 0)
        byte += len(text[char:offset].encode("utf-8"))
        last[:] = offset, byte
        return byte

    def in_comment(offset: int) -> bool:
        at = offset if one_byte else byte_offset(offset)
        node = root.descendant_for_byte_range(at, at + 1)
        return node is not None and node.type in ("comment", "html_comment")

    return in_comment


def python_comment_test(text: str):
    """in_comment(character offset) for Python source, from its COMMENT
    tokens; None when the text does not tokenize (then every match counts)."""
    import io
    import tokenize

    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    spans = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                (row, col), (end_row, end_col) = tok.start, tok.end
                spans.append((starts[row - 1] + col, starts[end_row - 1] + end_col))
    except (tokenize.TokenError, SyntaxError, IndexError):
        return None

    import bisect

    def in_comment(offset: int) -> bool:
        i = bisect.bisect_right(spans, (offset, float("inf"))) - 1
        return i >= 0 and spans[i][0] <= offset < spans[i][1]

    return in_comment


def _eslint_directives(text: str, lines: _Lines, in_comment=None) -> list[Directive]:
    """``// eslint-disable-next-line no-empty -- why`` and the other ESLint
    forms, as directives over the asynclint rules the named ESLint rules
    stand for (every rule when none is named). A directive naming only
    rules asynclint has no counterpart for (``no-console``) covers nothing
    and is left out."""
    if "eslint-" not in text:
        return []
    out = []
    for start, keyword, rest, whole in _matches(ESLINT_LINE, ESLINT_BLOCK, text):
        if in_comment is not None and not in_comment(start):
            continue
        names = [n.strip() for n in rest.split("--", 1)[0].split(",") if n.strip()]
        ids = None
        if names:
            ids = frozenset(i for n in names for i in ESLINT_EQUIVALENTS.get(n.removeprefix("eslint/"), ()))
            if not ids:
                continue
        line, col = lines.at(start)
        out.append(Directive(_KINDS[keyword], line, col, col + len(whole.split("\n")[0]), ids, "", whole,
                             eslint=True))
    return out


def _matches(line_pattern, block_head, text: str):
    """(offset, keyword, text after the keyword, whole comment) of each line
    directive and each block directive. A block runs to the first `*/` after
    its head, found in one forward scan: an unclosed comment ends the search
    (nothing after it can close either), so thousands of heads in an unclosed
    comment cost one pass, not one pass each."""
    for m in line_pattern.finditer(text):
        yield m.start(), m.group(1), m.group(2), m.group(0)
    pos = 0
    while True:
        m = block_head.search(text, pos)
        if m is None:
            return
        end = text.find("*/", m.end())
        if end == -1:
            return
        yield m.start(), m.group(1), text[m.end():end], text[m.start():end + 2]
        pos = end + 2


def _block_ranges(directives: list[Directive]):
    """(start line, end line or None, directive) for disable/enable pairs."""
    ranges = []
    open_: list[Directive] = []
    for d in directives:
        if d.kind == "disable":
            open_.append(d)
        elif d.kind == "enable":
            for o in list(open_):
                if o.eslint == d.eslint and (d.ids is None or o.ids is None or (o.ids & d.ids)):
                    ranges.append((o.line, d.line, o))
                    open_.remove(o)
    for o in open_:
        ranges.append((o.line, None, o))
    return ranges


def apply_directives(findings: list[Finding], directives: list[Directive]) -> list[Finding]:
    """The findings no directive suppresses; each directive records what it used."""
    if not directives:
        return findings
    by_line: dict[int, list[Directive]] = {}
    file_level: list[Directive] = []
    for d in directives:
        if d.kind == "line":
            by_line.setdefault(d.line, []).append(d)
        elif d.kind == "next-line":
            by_line.setdefault(d.line + 1, []).append(d)
        elif d.kind == "file":
            file_level.append(d)
    ranges = _block_ranges(directives)
    kept = []
    for f in findings:
        hit = None
        for d in by_line.get(f.line, ()):
            if d.covers(f.rule):
                hit = d
                break
        if hit is None:
            for d in file_level:
                if d.covers(f.rule):
                    hit = d
                    break
        if hit is None:
            for start, end, d in ranges:
                if start <= f.line and (end is None or f.line <= end) and d.covers(f.rule):
                    hit = d
                    break
        if hit is None:
            kept.append(f)
        else:
            hit.used.add(f.rule)
    return kept


def directive_findings(directives: list[Directive], path: str, enabled: frozenset,
                       report_unused: bool, require_reason: bool) -> list[Finding]:
    """Findings about the directives themselves: unused ones, unknown ids,
    and (when required) missing reasons."""
    if all(d.eslint or d.kind == "enable" for d in directives):
        return []  # nothing of asynclint's own to judge (and no rule registry to load)
    from .rules import all_rules, closest

    known = all_rules()
    out = []
    for d in directives:
        if d.kind == "enable" or d.eslint:
            continue
        if require_reason and not d.reason and NO_REASON_ID in enabled:
            out.append(_meta_finding(NO_REASON_ID, d, path,
                                     "This suppression gives no reason: add one after `--` "
                                     "(the configuration requires it)."))
        if not report_unused or UNUSED_ID not in enabled:
            continue
        unknown = sorted(i for i in (d.ids or ()) if i not in known)
        if unknown:
            hints = [h for u in unknown for h in closest(u, 1)]
            hint = f" (did you mean {', '.join(hints)}?)" if hints else ""
            out.append(_meta_finding(UNUSED_ID, d, path,
                                     f"This suppression names unknown rule id(s) {', '.join(unknown)}{hint}."))
            continue
        if d.ids is None:
            if not d.used:
                out.append(_meta_finding(UNUSED_ID, d, path, "This suppression suppresses nothing: remove it."))
            continue
        idle = sorted(i for i in d.ids if i not in d.used and i in enabled)
        if idle:
            out.append(_meta_finding(UNUSED_ID, d, path,
                                     f"This suppression of {', '.join(idle)} suppresses nothing: remove "
                                     f"{'it' if len(idle) == len(d.ids) else 'those ids'}."))
    return out


def _meta_finding(rule: str, d: Directive, path: str, message: str) -> Finding:
    from .rules import all_rules

    meta = all_rules()[rule]
    return Finding(rule=rule, severity=meta.severity, path=path, line=d.line, column=d.column,
                   end_line=d.line, end_column=d.end_column, message=message)


# ------------------------------------------------------------------ edits
def _lines(text: str) -> list[str]:
    return text.split("\n")


def disable_line_edit(text: str, language: str, line: int, rule: str) -> Edit:
    """The edit that silences ``rule`` on ``line`` (1-based)."""
    lines = _lines(text)
    current = lines[line - 1] if 0 < line <= len(lines) else ""
    if language == "py":
        stripped = current.rstrip("\r")
        m = PY_DIRECTIVE.search(stripped)
        if m and m.group(1) == "ignore" and m.group(2) is not None:
            ids = [p for p in re.split(r"[\s,]+", m.group(2)) if p]
            if rule not in ids:
                ids.append(rule)
            start = m.start(2) + 1
            return Edit(line, start, line, start + len(m.group(2)), ", ".join(ids))
        col = len(stripped) + 1
        return Edit(line, col, line, col, f"  # asynclint: ignore[{rule}]")
    indent = re.match(r"[ \t]*", current).group(0)
    newline = "\r\n" if current.endswith("\r") else "\n"
    return Edit(line, 1, line, 1, f"{indent}// asynclint-disable-next-line {rule}{newline}")


def disable_file_edit(text: str, language: str, rule: str) -> Edit:
    lines = _lines(text)
    newline = "\r\n" if lines and lines[0].endswith("\r") else "\n"
    first = 1
    if lines and lines[0].startswith("#!"):
        first = 2
    if language == "py":
        # After a shebang and an encoding cookie, which must stay on top.
        while first <= len(lines) and re.match(r"^#.*coding[:=]", lines[first - 1] or ""):
            first += 1
        return Edit(first, 1, first, 1, f"# asynclint: ignore-file[{rule}]{newline}")
    return Edit(first, 1, first, 1, f"// asynclint-disable-file {rule}{newline}")


