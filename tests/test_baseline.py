"""Baselines survive edits elsewhere, report new findings, count fixed ones."""

from __future__ import annotations

import json

from click.testing import CliRunner

from asynclint.cli import main

OLD = "try { a(); } catch (e) {}\ntry { b(); } catch (e) {}\n"


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_baseline_round_trip(in_tmp):
    (in_tmp / "a.js").write_text(OLD, encoding="utf-8")
    res = run("scan", "--write-baseline", "baseline.json", ".")
    assert res.exit_code == 0
    data = json.loads((in_tmp / "baseline.json").read_text())
    assert len(data["entries"]) == 2
    assert all(e["path"] == "a.js" and e["rule"] == "empty-catch" for e in data["entries"])

    # Unchanged: nothing new.
    assert run("scan", "--baseline", "baseline.json", ".").exit_code == 0

    # Lines shift (edit above); one more identical finding appears at the end.
    (in_tmp / "a.js").write_text("// header\n\n" + OLD + "try { c(); } catch (e) {}\n", encoding="utf-8")
    res = run("scan", "--format", "json", "--baseline", "baseline.json", ".")
    assert res.exit_code == 1
    assert [f["line"] for f in json.loads(res.stdout)["findings"]] == [5]

    # One old finding fixed: reported as fixed, nothing new.
    (in_tmp / "a.js").write_text("try { a(); } catch (e) {}\n", encoding="utf-8")
    res = run("scan", "--baseline", "baseline.json", ".")
    assert res.exit_code == 0
    assert "1 baseline entry no longer match" in res.stderr


def test_bad_baseline_is_exit_2(in_tmp):
    (in_tmp / "a.js").write_text(OLD, encoding="utf-8")
    (in_tmp / "b.json").write_text("{not json")
    res = run("scan", "--baseline", "b.json", ".")
    assert res.exit_code == 2 and "b.json" in res.output
    res = run("scan", "--baseline", "missing.json", ".")
    assert res.exit_code == 2 and "missing.json" in res.output
