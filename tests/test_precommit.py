"""The pre-commit hook, for real: `pre-commit try-repo` against this repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_hooks_file_matches_every_supported_extension():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert {h["id"] for h in hooks} == {"asynclint", "asynclint-fix"}
    import re

    for hook in hooks:
        pattern = re.compile(hook["files"])
        for ext in ("js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "py", "pyi"):
            assert pattern.search(f"src/a.{ext}"), ext
        assert not pattern.search("README.md") and not pattern.search("a.json")
        assert hook["pass_filenames"] is True


def test_try_repo_fails_on_bad_file_and_passes_on_good(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q")
    (work / "bad.mjs").write_text("try { go(); } catch (e) {}\n", encoding="utf-8")
    (work / "good.cts").write_text("try { go(); } catch (e) { console.error(e); throw e; }\n", encoding="utf-8")
    git(work, "add", ".")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), PRE_COMMIT_COLOR="never")
    base = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "asynclint", "--files"]

    bad = subprocess.run(base + ["bad.mjs"], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "empty-catch" in bad.stdout
    assert "Failed" in bad.stdout

    good = subprocess.run(base + ["good.cts"], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout
