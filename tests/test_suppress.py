"""Inline suppressions: every directive form, unused ones, required reasons."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from asynclint.cli import main
from asynclint.fixes import apply_edits
from asynclint.suppress import disable_file_edit, disable_line_edit


def scan_json(*args):
    res = CliRunner().invoke(main, ["scan", "--format", "json", *args])
    return res, json.loads(res.stdout) if res.stdout.strip().startswith("{") else None


def lines_of(data, rule=None):
    return [f["line"] for f in data["findings"] if rule is None or f["rule"] == rule]


JS = textwrap.dedent("""\
    try { a(); } catch (e) {}
    // asynclint-disable-next-line empty-catch -- the probe may fail, that is fine
    try { a(); } catch (e) {}
    try { a(); } catch (e) {} // asynclint-disable-line empty-catch
    try { a(); } catch (e) {} // asynclint-disable-line missing-await
    /* asynclint-disable empty-catch */
    try { a(); } catch (e) {}
    try { a(); } catch (e) {}
    /* asynclint-enable empty-catch */
    try { a(); } catch (e) {}
    // asynclint-disable-next-line
    try { a(); } catch (e) {}
""")


def test_js_directives(in_tmp):
    (in_tmp / "a.js").write_text(JS, encoding="utf-8")
    res, data = scan_json("a.js")
    assert lines_of(data) == [1, 5, 10]


def test_js_file_directive(in_tmp):
    (in_tmp / "a.ts").write_text("// asynclint-disable-file empty-catch\n" + JS, encoding="utf-8")
    res, data = scan_json("a.ts")
    assert data["findings"] == []
    assert res.exit_code == 0


def test_unused_suppressions_reported_on_request(in_tmp):
    (in_tmp / "a.js").write_text(JS, encoding="utf-8")
    _, data = scan_json("a.js")
    assert "unused-suppression" not in {f["rule"] for f in data["findings"]}
    _, data = scan_json("--report-unused-suppressions", "a.js")
    assert lines_of(data, "unused-suppression") == [5]
    (in_tmp / "b.js").write_text("const x = 1; // asynclint-disable-line empty-cach\n", encoding="utf-8")
    _, data = scan_json("--report-unused-suppressions", "b.js")
    (f,) = data["findings"]
    assert f["rule"] == "unused-suppression" and "empty-catch" in f["message"]


def test_reason_can_be_required(in_tmp):
    (in_tmp / "asynclint.toml").write_text("require-suppression-reason = true\n")
    (in_tmp / "a.js").write_text(JS, encoding="utf-8")
    _, data = scan_json("a.js")
    # Line 2 gives a reason; lines 4, 5, 6 and 11 do not.
    assert lines_of(data, "suppression-without-reason") == [4, 5, 6, 11]


def test_python_directives_are_parsed(in_tmp):
    from asynclint.suppress import parse_directives

    text = "x()  # asynclint: ignore[missing-await, dangling-task] -- legacy\n# asynclint: ignore-file[empty-catch]\ny()  # asynclint: ignore\n"
    ds = parse_directives(text, "py")
    assert [(d.kind, d.line, sorted(d.ids or []), d.reason) for d in ds] == [
        ("line", 1, ["dangling-task", "missing-await"], "legacy"),
        ("file", 2, ["empty-catch"], ""),
        ("line", 3, [], ""),
    ]


def test_disable_edits_silence_the_finding(in_tmp):
    src = "function f() {\n  try { a(); } catch (e) {}\n}\n"
    (in_tmp / "a.js").write_text(apply_edits(src, [disable_line_edit(src, "js", 2, "empty-catch")]), encoding="utf-8")
    assert scan_json("a.js")[1]["findings"] == []
    assert "  // asynclint-disable-next-line empty-catch\n  try" in (in_tmp / "a.js").read_text()
    (in_tmp / "b.js").write_text(apply_edits(src, [disable_file_edit(src, "js", "empty-catch")]), encoding="utf-8")
    assert scan_json("b.js")[1]["findings"] == []
    py = "x = 1  # asynclint: ignore[missing-await]\n"
    assert apply_edits(py, [disable_line_edit(py, "py", 1, "dangling-task")]) == \
        "x = 1  # asynclint: ignore[missing-await, dangling-task]\n"
    py2 = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nx = 1\n"
    assert apply_edits(py2, [disable_file_edit(py2, "py", "empty-catch")]).splitlines()[2] == \
        "# asynclint: ignore-file[empty-catch]"


def test_a_second_comment_marker_starts_the_reason(in_tmp):
    """`// asynclint-disable-line empty-catch // why`: the words after the
    second `//` are the reason, not rule ids (so not unknown ids either)."""
    from asynclint.suppress import parse_directives

    (in_tmp / "asynclint.toml").write_text("require-suppression-reason = true\n")
    (in_tmp / "a.js").write_text(textwrap.dedent("""\
        try { a(); } catch (e) {} // asynclint-disable-line empty-catch // probing is allowed to fail
        // asynclint-disable-next-line empty-catch, missing-await // legacy -- see http://x
        try { a(); } catch (e) {}
        try { a(); } catch (e) {} // asynclint-disable-line empty-catch
    """), encoding="utf-8")
    _, data = scan_json("--report-unused-suppressions", "a.js")
    rules = sorted((f["line"], f["rule"]) for f in data["findings"])
    # Line 2 names missing-await, which suppresses nothing there; line 4 gives no reason.
    assert rules == [(2, "unused-suppression"), (4, "suppression-without-reason")]
    (unused,) = [f for f in data["findings"] if f["rule"] == "unused-suppression"]
    assert "missing-await" in unused["message"] and "//" not in unused["message"]
    ds = parse_directives("f() // asynclint-disable-line a-rule // why -- more\ng() // asynclint-disable-line b -- x // y\n", "js")
    assert [(sorted(d.ids), d.reason) for d in ds] == [(["a-rule"], "why -- more"), (["b"], "x // y")]


ESLINT_JS = textwrap.dedent("""\
    // eslint-disable-next-line no-empty -- probing, failure is fine
    try { a(); } catch (e) {}
    // eslint-disable-next-line no-console
    try { a(); } catch (e) {}
    try { a(); } catch (e) {} // eslint-disable-line
    try { a(); } catch (e) {} // eslint-disable-line n/no-sync, eslint/no-empty
    /* eslint-disable no-empty */
    try { a(); } catch (e) {}
    /* eslint-enable no-empty */
    try { a(); } catch (e) {}
    /* asynclint-disable empty-catch */
    /* eslint-enable */
    try { a(); } catch (e) {}
""")


def test_eslint_directives_cover_the_rules_they_stand_for(in_tmp):
    """An ESLint directive suppresses the asynclint rules that flag what the
    ESLint rules it names flag (no-empty -> empty-catch), or every rule when
    it names none; one that names only other rules (no-console) covers
    nothing, and an ESLint enable does not end an asynclint block."""
    (in_tmp / "asynclint.toml").write_text("require-suppression-reason = true\n")
    (in_tmp / "a.js").write_text(ESLINT_JS, encoding="utf-8")
    _, data = scan_json("--report-unused-suppressions", "a.js")
    # ESLint directives are never reported as unused or reason-less (ESLint
    # reports its own); the asynclint block on line 11 gives no reason.
    assert sorted((f["line"], f["rule"]) for f in data["findings"]) == [
        (4, "empty-catch"), (10, "empty-catch"), (11, "suppression-without-reason")]


def test_a_file_wide_eslint_disable_and_python_comments(in_tmp):
    from asynclint.suppress import parse_directives

    (in_tmp / "gen.js").write_text("/* eslint-disable */\n" + JS, encoding="utf-8")
    (in_tmp / "typed.ts").write_text("/* eslint-disable no-console */\n" + JS, encoding="utf-8")
    _, data = scan_json("gen.js", "typed.ts")
    by_path = {}
    for f in data["findings"]:
        by_path.setdefault(f["path"], []).append(f["rule"])
    assert "gen.js" not in by_path  # the whole file is off for ESLint, and so for asynclint
    assert by_path["typed.ts"].count("empty-catch") == 3  # no-console stands for no asynclint rule
    # ESLint comments mean nothing in Python (a string there may hold one).
    assert parse_directives('x = "// eslint-disable-line"  # /* eslint-disable */\n', "py") == []
    assert [d.ids for d in parse_directives("a(); // eslint-disable-line no-empty\n", "js")] == [
        frozenset({"empty-catch"})]


def test_eslint_equivalents_name_real_rules_and_are_documented():
    from pathlib import Path

    from asynclint.rules import all_rules
    from asynclint.suppress import ESLINT_EQUIVALENTS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    known = all_rules()
    for eslint_name, ids in ESLINT_EQUIVALENTS.items():
        assert ids and set(ids) <= set(known), (eslint_name, ids)
        if not eslint_name.startswith("node/"):  # the README shows node/ as an alias of n/
            row = next((line for line in readme.splitlines() if f"`{eslint_name}`" in line), None)
            assert row is not None, f"README's ESLint table lacks {eslint_name}"
            assert all(i in row for i in ids), (eslint_name, row)


def test_directives_spelt_inside_strings_are_not_directives(in_tmp):
    """A code generator's template holding `/* eslint-disable */` or an
    asynclint directive is text, not a comment: the code after it is still
    linted. Real comments after non-ASCII text still count (offsets are
    characters in the text, bytes in the tree)."""
    (in_tmp / "gen.js").write_text(textwrap.dedent("""\
        const header = `/* eslint-disable */
        `;
        const note = "// asynclint-disable-next-line empty-catch";
        try { a(); } catch (e) {}
        const emoji = "😀 ünïcode";  // eslint-disable-line no-empty
        try { a(); } catch (e) {} // eslint-disable-line no-empty
        try { a(); } catch (e) {} /* asynclint-disable-line empty-catch -- probing */
        try { a(); } catch (e) {}
    """), encoding="utf-8")
    _, data = scan_json("gen.js")
    assert [(f["line"], f["rule"]) for f in data["findings"]] == [(4, "empty-catch"), (8, "empty-catch")]


def test_python_directives_spelt_inside_strings_are_not_directives(in_tmp):
    (in_tmp / "job.py").write_text(textwrap.dedent('''\
        TEMPLATE = "# asynclint: ignore-file"
        DOC = """
        # asynclint: ignore-file[empty-catch]
        """


        def probe():
            try:
                run()
            except Exception:
                pass


        def quiet():
            try:
                run()
            except Exception:  # note  # asynclint: ignore[empty-catch] -- probing
                pass
    '''), encoding="utf-8")
    _, data = scan_json("job.py")
    assert [(f["line"], f["rule"]) for f in data["findings"]] == [(10, "empty-catch")]
