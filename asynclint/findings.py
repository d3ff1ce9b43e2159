"""The diagnostic model every rule produces and every reporter consumes.

Positions are 1-based lines and 1-based columns counted in characters (code
points) of the decoded text. Tree-sitter's byte columns are converted when a
finding is made (``javascript.source.SourceText``); LSP and SARIF convert to
their own units at their edge.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional

DOCS_BASE = "https://github.com/asynclint/asynclint/blob/main/rules/"


class Unlintable(Exception):
    """A file that cannot be linted; the message says why. The scan reports
    it as a notice and goes on (like an unreadable or binary file)."""


def rule_url(rule_id: str) -> str:
    return f"{DOCS_BASE}{rule_id}.md"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class FixSafety(str, enum.Enum):
    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Edit:
    """Replace the text between two (line, column) positions (end exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    safety: FixSafety = FixSafety.UNSAFE


@dataclass(frozen=True)
class Condition:
    """A finding that holds only if another file of the project says so.

    Used by cross-file checks: ``missing-await`` on ``db.save()`` holds only if
    the module ``path`` exports ``name`` as an async function. The engine
    resolves conditions against the project index after every file is read.
    """

    kind: str  # "async-export"
    path: str  # absolute, normalised path of the module
    name: str  # export name ("default" for default exports)


@dataclass
class Finding:
    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fix: Optional[Fix] = None
    condition: Optional[Condition] = None
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return rule_url(self.rule)

    def sort_key(self):
        return (self.path, self.line, self.column, self.rule)

    def to_dict(self) -> dict:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "url": self.url,
        }
