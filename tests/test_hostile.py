"""Hostile input: every odd file gets at most one clear message, the rest
of the scan completes, and the exit code still reflects the findings."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from asynclint.cli import main

CATCH = "try { a(); } catch (e) {}\n"


def scan(*args):
    res = CliRunner().invoke(main, ["scan", "--no-cache", "--format", "json", *args])
    data = json.loads(res.stdout) if res.stdout.startswith("{") else None
    return res, data


def notices(res):
    return [line for line in res.stderr.splitlines() if line.startswith("asynclint:")]


def test_odd_files_each_get_at_most_one_message(in_tmp):
    files = {
        "empty.js": b"",
        "bom.js": b"\xef\xbb\xbf" + CATCH.encode(),
        "crlf.js": b"// x\r\n" + CATCH.replace("\n", "\r\n").encode(),
        "lone_cr.js": b"// x\r// y\r" + CATCH.replace("\n", "\r").encode(),
        "latin1.js": "// caf\xe9\n".encode("latin-1") + CATCH.encode(),
        "nul.js": b"const a = 1;\x00\x00\n",
        "binary.js": bytes(range(256)) * 40,
        "py2.py": b'print "hello"\n',
        "good.ts": b"export const x: number = 1;\n",
    }
    for name, data in files.items():
        (in_tmp / name).write_bytes(data)
    res, data = scan(".")
    assert res.exit_code == 1
    got = sorted((f["path"], f["line"], f["column"], f["rule"]) for f in data["findings"])
    assert got == [
        ("bom.js", 1, 14, "empty-catch"),
        ("crlf.js", 2, 14, "empty-catch"),
        ("latin1.js", 2, 14, "empty-catch"),
        ("lone_cr.js", 3, 14, "empty-catch"),
        ("py2.py", 1, 1, "syntax-error"),
    ]
    msgs = notices(res)
    assert sorted(m.split(":")[1].strip() for m in msgs) == ["binary.js", "nul.js"]
    assert all("binary" in m for m in msgs)


def test_oversized_file_is_skipped_with_a_notice_naming_the_option(in_tmp):
    (in_tmp / "huge.js").write_bytes(b"// " + b"x" * 20_000_000 + b"\n")
    (in_tmp / "bad.js").write_text(CATCH)
    res, data = scan(".")
    assert res.exit_code == 1
    assert [f["path"] for f in data["findings"]] == ["bad.js"]
    (msg,) = notices(res)
    assert "huge.js" in msg and "max-file-size" in msg
    (in_tmp / "asynclint.toml").write_text("max-file-size = 30000000\n")
    res, data = scan(".")
    assert not notices(res)
    assert data["summary"]["files"] == 2


def test_a_file_that_grows_or_lies_about_its_size_is_read_whole_up_to_the_limit(in_tmp, monkeypatch):
    """read_source sizes its read by fstat; a file longer than fstat said
    (growing while scanned, or a /proc-like file that reports 0) is still
    read in full, up to one byte past the limit."""
    from asynclint import engine

    (in_tmp / "grows.js").write_bytes(CATCH.encode() * 3)
    monkeypatch.setattr(engine.os, "fstat", lambda fd: os.stat_result((0,) * 10))  # reports 0 bytes
    data, problem = engine.read_source(str(in_tmp / "grows.js"), 10_000)
    assert problem is None and data == CATCH.encode() * 3
    data, problem = engine.read_source(str(in_tmp / "grows.js"), 10)
    assert data == (CATCH.encode() * 3)[:11]


def test_unclosed_block_comments_neither_hang_the_scan_nor_become_directives(in_tmp, monkeypatch):
    """Thousands of `/* asynclint-disable` / `/* eslint-disable` heads in a
    comment that never closes. None is a directive, and finding that out is
    one pass over the text (the old lazy regex took 38 s on this text).
    Tree-sitter's error recovery is quadratic on such a file (each unclosed
    `/*` is lexed to the end), so its parse has a deadline: the file is
    skipped with a notice naming the cause, and the scan goes on. A file
    with a few unclosed comments is parsed and linted as usual."""
    from asynclint.javascript import parse as ts_parse
    from asynclint.suppress import parse_directives

    heads = "".join(f"/* {w}-disable empty-catch\n" for w in ("asynclint", "eslint") * 10_000)
    assert parse_directives(heads, "js") == []
    monkeypatch.setattr(ts_parse, "PARSE_DEADLINE_SECONDS", 0.2)
    (in_tmp / "unclosed.js").write_text(CATCH + heads)
    (in_tmp / "few.js").write_text(CATCH + heads[:2000])
    res, data = scan("--jobs", "1", ".")
    assert [(f["path"], f["line"], f["rule"]) for f in data["findings"]] == [("few.js", 1, "empty-catch")]
    (msg,) = notices(res)
    assert "unclosed.js" in msg and "never close" in msg and "skipped" in msg


def test_big_single_line_bundle(in_tmp):
    chunk = 'var s="' + "a" * 5000 + '";'
    text = chunk * 1000 + CATCH.strip()
    (in_tmp / "bundle.js").write_text(text, encoding="utf-8")
    assert os.path.getsize(in_tmp / "bundle.js") > 5_000_000
    res, data = scan("bundle.js")
    assert res.exit_code == 1
    (f,) = data["findings"]
    assert (f["line"], f["column"]) == (1, text.index("catch") + 1)


@pytest.mark.parametrize("text", [
    "x = " + "[" * 100_000 + "]" * 100_000 + ";\n",
    "f(" * 100_000 + ")" * 100_000 + ";\n",
    "(() => {" * 20_000 + "})()" * 20_000 + ";\n",
])
def test_deep_nesting_no_recursion_error(in_tmp, text):
    (in_tmp / "deep.js").write_text(text + CATCH)
    res, data = scan("deep.js")
    assert res.exit_code == 1, res.output
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("empty-catch", 2)]
    (msg,) = notices(res)
    assert "nested more than" in msg


def test_paths_with_spaces_and_non_ascii(in_tmp):
    folder = in_tmp / "my app" / "módulo ñ"
    folder.mkdir(parents=True)
    (folder / "çà va.js").write_text(CATCH)
    res, data = scan(".")
    assert [f["path"] for f in data["findings"]] == ["my app/módulo ñ/çà va.js"]


def test_file_deleted_during_the_scan(in_tmp, monkeypatch):
    for i in range(5):
        (in_tmp / f"f{i}.js").write_text(CATCH)
    import asynclint.engine as engine

    real = engine.read_source

    def flaky(path, limit):
        if path.endswith("f2.js"):
            os.unlink(path)
        return real(path, limit)

    monkeypatch.setattr(engine, "read_source", flaky)
    res, data = scan("--jobs", "1", ".")
    assert res.exit_code == 1
    assert sorted(f["path"] for f in data["findings"]) == ["f0.js", "f1.js", "f3.js", "f4.js"]
    (msg,) = notices(res)
    assert "f2.js" in msg and "cannot read" in msg


def test_symlink_loops_and_fifos(in_tmp):
    (in_tmp / "src").mkdir()
    (in_tmp / "src" / "bad.js").write_text(CATCH)
    os.symlink(in_tmp, in_tmp / "src" / "loop")  # a folder loop
    os.symlink("b.js", in_tmp / "a.js")  # a file loop
    os.symlink("a.js", in_tmp / "b.js")
    os.mkfifo(in_tmp / "pipe.js")  # reading it would block forever
    res, data = scan(".")
    assert res.exit_code == 1
    assert [f["path"] for f in data["findings"]] == ["src/bad.js"]


def test_columns_with_tabs_astral_characters_and_combining_marks(in_tmp):
    src = (
        "\tconst a = '😀😀'; try { a(); } catch (e) {}\n"
        "const e\u0301 = 'e\u0301'; try { a(); } catch (e) {}\r\n"
    )
    (in_tmp / "cols.js").write_text(src, encoding="utf-8", newline="")
    _, data = scan("cols.js")
    got = [(f["line"], f["column"], f["end_column"]) for f in data["findings"]]
    # Columns count code points: a tab is one, an emoji is one, a combining mark is one.
    line1 = src.split("\n")[0]
    line2 = src.split("\n")[1]
    assert got == [
        (1, line1.index("catch") + 1, line1.index("{}") + 3),
        (2, line2.index("catch") + 1, line2.index("{}") + 3),
    ]
