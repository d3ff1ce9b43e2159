"""Broken or odd input never stops the scan."""

from __future__ import annotations

import json

from click.testing import CliRunner

from asynclint.cli import main


def scan_json(*paths):
    res = CliRunner().invoke(main, ["scan", "--format", "json", *paths], catch_exceptions=False)
    return res, json.loads(res.stdout)


def test_broken_syntax_rest_of_file_still_checked(in_tmp):
    (in_tmp / "broken.js").write_text(
        "function ok() {\n  let x = ;\n}\n"
        "try { go(); } catch (e) {}\n"
        "const = = 3;\n"
        "try { go(); } catch {}\n",
        encoding="utf-8",
    )
    res, data = scan_json("broken.js")
    assert res.exit_code == 1
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("empty-catch", 4), ("empty-catch", 6)]


def test_binary_and_empty_files_get_a_notice_and_the_scan_goes_on(in_tmp):
    (in_tmp / "blob.js").write_bytes(b"\x00\x01\x02garbage\x00")
    (in_tmp / "empty.ts").write_bytes(b"")
    (in_tmp / "bad.js").write_text("try { a(); } catch (e) {}\n", encoding="utf-8")
    res, data = scan_json(".")
    assert res.exit_code == 1
    assert "blob.js" in res.stderr and "binary" in res.stderr
    assert data["summary"]["files"] == 2
    assert [f["path"] for f in data["findings"]] == ["bad.js"]


def test_invalid_utf8_does_not_crash(in_tmp):
    (in_tmp / "latin1.js").write_bytes("const s = 'caf\xe9';\ntry { a(); } catch (e) {}\n".encode("latin-1"))
    res, data = scan_json(".")
    assert [(f["line"], f["column"]) for f in data["findings"]] == [(2, 14)]


def test_folder_named_like_a_source_file(in_tmp):
    (in_tmp / "weird.js").mkdir()
    (in_tmp / "weird.js" / "inner.js").write_text("try { a(); } catch (e) {}\n", encoding="utf-8")
    res, data = scan_json(".")
    assert [f["path"] for f in data["findings"]] == ["weird.js/inner.js"]
