"""Effective configuration: which rules run, at what severity, with which options.

Loading from files (pyproject.toml ``[tool.asynclint]``, asynclint.toml,
package.json) lives beside this; the CLI builds a ``Config`` from the file and
its own flags, and the engine only ever reads a ``Config``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .findings import Finding, Severity


class ConfigError(Exception):
    """Bad input to asynclint itself: reported with exit code 2."""


DEFAULT_MAX_FILE_SIZE = 8_000_000


@dataclass
class Config:
    select: Optional[set] = None  # None: the rules on by default
    ignore: set = field(default_factory=set)
    extend_select: set = field(default_factory=set)
    severity: dict = field(default_factory=dict)  # rule id -> Severity
    exclude: list = field(default_factory=list)
    rule_options: dict = field(default_factory=dict)  # rule id -> {option: value}
    fail_on: Severity = Severity.WARNING
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    languages: Optional[frozenset] = None
    use_ignore_files: bool = True  # .gitignore and the default excludes

    def enabled(self) -> frozenset:
        from .rules import all_rules

        rules = all_rules()
        if self.select is None:
            chosen = {rid for rid, meta in rules.items() if meta.default_enabled}
        else:
            chosen = set(self.select)
        chosen |= self.extend_select
        chosen -= self.ignore
        return frozenset(chosen)

    def enabled_for(self, path: str) -> frozenset:
        return self.enabled()

    def is_excluded(self, path: str) -> bool:
        return False

    def apply_severity(self, findings: list[Finding]) -> None:
        if not self.severity:
            return
        for f in findings:
            sev = self.severity.get(f.rule)
            if sev is not None:
                f.severity = sev

    def fails(self, findings: list[Finding]) -> bool:
        return any(f.severity.rank >= self.fail_on.rank for f in findings)


def validate_rule_ids(ids, where: str) -> set:
    from .rules import all_rules, closest

    known = all_rules()
    out = set()
    for rid in ids:
        rid = rid.strip()
        if not rid:
            continue
        if rid not in known:
            hint = closest(rid)
            suggestion = f"; did you mean {', '.join(hint)}?" if hint else ""
            raise ConfigError(f"{where}: unknown rule id '{rid}'{suggestion} (see `asynclint rules`)")
        out.add(rid)
    return out
