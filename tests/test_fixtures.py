"""Every fixture file is a test: marked lines must be reported, nothing else.

A line ending in ``// expect: <id>[, <id>]`` (``# expect: ...`` in Python)
must produce a finding of each id named; every other line must produce none,
of any rule. Each rule folder is linted as one project, so cross-file cases
(a module exporting an async function, another calling it) work.
"""

from __future__ import annotations

import functools
import os
import re
from collections import Counter

import pytest

from asynclint.config import Config
from asynclint.engine import lint_paths
from asynclint.files import language_of
from asynclint.rules import all_rules

from conftest import FIXTURES

MARKER = re.compile(r"(?://|#)\s*expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*(?:\*/)?\s*$")


def fixture_files():
    out = []
    for root, _dirs, files in os.walk(FIXTURES):
        for name in sorted(files):
            path = os.path.join(root, name)
            if language_of(path):
                out.append(os.path.relpath(path, FIXTURES))
    return sorted(out)


def expected_markers(path: str) -> Counter:
    want = Counter()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            m = MARKER.search(line)
            if m:
                for rid in m.group(1).split(","):
                    want[(lineno, rid.strip())] += 1
    return want


@functools.lru_cache(maxsize=None)
def lint_rule_folder(folder: str):
    config = Config(select=set(all_rules()))
    meta = all_rules().get(folder)
    if meta is not None and meta.kind != "code":
        # the rules about suppressions: on only when the configuration asks
        config.require_reason = True
        config.report_unused_suppressions = True
    result = lint_paths([str(FIXTURES / folder)], config)
    by_file = {}
    for f in result.findings:
        by_file.setdefault(os.path.abspath(f.path), []).append(f)
    return by_file


@pytest.mark.parametrize("rel", fixture_files())
def test_fixture(rel):
    folder = rel.split(os.sep)[0]
    path = str(FIXTURES / rel)
    findings = lint_rule_folder(folder).get(os.path.abspath(path), [])
    got = {(f.line, f.rule) for f in findings}
    want = set(expected_markers(path))
    missing = sorted(want - got)
    unexpected = sorted(
        (f.line, f.rule, f.message) for f in findings if (f.line, f.rule) not in want
    )
    assert not missing and not unexpected, (
        f"\nmarked but not reported: {missing}\nreported but not marked: {unexpected}"
    )


def test_every_rule_has_fixtures_with_both_kinds():
    for rid, meta in all_rules().items():
        if meta.kind != "code":
            continue
        folder = FIXTURES / rid
        assert folder.is_dir(), f"fixtures/{rid}/ is missing"
        positives = 0
        for root, _d, files in os.walk(folder):
            for name in files:
                positives += sum(1 for (line, r) in expected_markers(os.path.join(root, name)) if r == rid)
        assert positives >= 6, f"{rid}: only {positives} positive cases"
