"""A rule's parts share its id: code (registry), page, fixtures, README row."""

from __future__ import annotations

import re

import pytest

from asynclint.docs import page
from asynclint.findings import FixSafety
from asynclint.rules import all_rules

from conftest import FIXTURES, ROOT

RULE_IDS = sorted(all_rules())


def test_ids_are_kebab_case():
    for rid in RULE_IDS:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rid), rid


@pytest.mark.parametrize("rid", RULE_IDS)
def test_rule_has_page_fixtures_and_readme_row(rid):
    text = page(rid)
    assert text is not None, f"rules/{rid}.md is missing (or not packaged)"
    assert text.startswith(f"# {rid}\n")
    for section in ("## What it flags", "## What it does not flag", "## What happens at runtime",
                    "## Example", "## Use instead", "## How to suppress"):
        assert section in text, f"{rid}.md lacks {section}"
    if all_rules()[rid].kind == "code":  # meta rules are tested in test_suppress.py
        assert (FIXTURES / rid).is_dir(), f"fixtures/{rid}/ is missing"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"[{rid}](rules/{rid}.md)" in readme, f"README's rule table lacks {rid}"


@pytest.mark.parametrize("rid", RULE_IDS)
def test_page_states_the_registry_severity(rid):
    meta = all_rules()[rid]
    first_lines = page(rid).splitlines()[:4]
    assert any(meta.severity.value in line.lower() for line in first_lines), first_lines


def test_every_page_belongs_to_a_rule():
    pages = {p.stem for p in (ROOT / "rules").glob("*.md")}
    assert pages <= set(RULE_IDS) | {"README", "index"}, pages - set(RULE_IDS)


def test_fixable_rules_declare_safety():
    for rid, meta in all_rules().items():
        assert isinstance(meta.fix, FixSafety)
