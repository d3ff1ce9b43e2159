"""Lint text and lint paths: the one engine the CLI and the language server share.

``lint_source`` lints one file's bytes and returns its findings plus what the
file exports (for the project index). Cross-file findings come back with a
``Condition``; ``resolve_conditions`` keeps those the project index confirms.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from .config import Config
from .files import discover, language_of
from .findings import Finding

BINARY_SNIFF = 8192


@dataclass
class FileResult:
    path: str
    display: str
    findings: list[Finding] = field(default_factory=list)
    exports: Optional[dict] = None  # ExportInfo.to_json() for JS/TS files
    notice: Optional[str] = None  # a message for stderr (unreadable, binary, ...)
    syntax_errors: bool = False
    linted: bool = True


@dataclass
class ScanResult:
    findings: list[Finding]
    files: int
    notices: list[str]
    partial_parses: int = 0


def read_source(path: str, max_bytes: int) -> tuple[Optional[bytes], Optional[str]]:
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            return None, (
                f"skipped: {size / 1e6:.1f} MB is over the size limit "
                f"({max_bytes / 1e6:.1f} MB; raise it with max-file-size in the configuration)"
            )
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return None, f"cannot read file ({exc.strerror or exc}), skipped"
    if b"\0" in data[:BINARY_SNIFF]:
        return None, "looks like a binary file (NUL bytes), skipped"
    return data, None


def lint_source(path: str, source: bytes, config: Config, display: str | None = None) -> FileResult:
    """Lint one file's contents. ``path`` is absolute (it anchors relative
    imports); it need not exist on disk."""
    display = display or path
    lang = language_of(path)
    result = FileResult(path, display)
    if lang in ("js", "ts"):
        from .javascript.parse import dialect_for
        from .javascript.runner import lint_js

        dialect = dialect_for(os.path.splitext(path)[1])
        findings, exports, ctx = lint_js(
            path, source, dialect, enabled=config.enabled_for(path), display_path=display,
            options=config.rule_options,
        )
        result.findings = findings
        result.exports = exports.to_json()
        result.syntax_errors = ctx.root.has_error
    elif lang == "py":
        try:
            from .python.runner import lint_py
        except ImportError:  # Python support not installed in this build
            result.linted = False
            return result
        result.findings = lint_py(path, source, config, display)
    else:
        result.linted = False
    config.apply_severity(result.findings)
    return result


class ProjectIndex:
    """What each project module exports, for cross-file checks. Files outside
    the scan are indexed on demand when a scanned file imports them."""

    def __init__(self, config: Config):
        self.config = config
        self.exports: dict[str, Optional[dict]] = {}

    def add(self, path: str, exports: Optional[dict]) -> None:
        self.exports[path] = exports

    def _exports_of(self, path: str) -> Optional[dict]:
        if path not in self.exports:
            self.exports[path] = None
            if language_of(path) in ("js", "ts"):
                source, _ = read_source(path, self.config.max_file_size)
                if source is not None:
                    from .javascript.context import JsFile
                    from .javascript.parse import dialect_for

                    ctx = JsFile(path, source, dialect_for(os.path.splitext(path)[1]))
                    self.exports[path] = ctx.exports().to_json()
        return self.exports[path]

    def is_async_export(self, path: str, name: str, depth: int = 0) -> bool:
        if depth > 16:
            return False
        info = self._exports_of(path)
        if not info:
            return False
        if name in info["async"]:
            return True
        if name in info["sync"]:
            return False
        for src, src_name, exported in info["reexports"]:
            if exported == name:
                return self.is_async_export(src, src_name, depth + 1)
            if exported == "*" and src_name == "*" and name != "default":
                if self.is_async_export(src, name, depth + 1):
                    return True
        return False

    def holds(self, finding: Finding) -> bool:
        cond = finding.condition
        if cond is None:
            return True
        if cond.kind == "async-export":
            return self.is_async_export(cond.path, cond.name)
        return False


def resolve_conditions(results: Iterable[FileResult], index: ProjectIndex) -> list[Finding]:
    out = []
    for res in results:
        for f in res.findings:
            if index.holds(f):
                out.append(f)
    return out


def lint_paths(paths: list[str], config: Config,
               on_file: Callable[[FileResult], None] | None = None) -> ScanResult:
    found = discover(paths, excludes=config.exclude, use_gitignore=config.use_ignore_files,
                     languages=config.languages)
    notices = list(found.notices)
    results: list[FileResult] = []
    index = ProjectIndex(config)
    for item in found.files:
        if not item.explicit and config.is_excluded(item.path):
            continue
        source, problem = read_source(item.path, config.max_file_size)
        if source is None:
            notices.append(f"{item.display}: {problem}")
            continue
        try:
            res = lint_source(item.path, source, config, item.display)
        except RecursionError:
            notices.append(f"{item.display}: nesting too deep to analyse, skipped")
            continue
        if not res.linted:
            continue
        results.append(res)
        if res.exports is not None:
            index.add(item.path, res.exports)
        if on_file is not None:
            on_file(res)
    findings = resolve_conditions(results, index)
    findings.sort(key=Finding.sort_key)
    return ScanResult(
        findings=findings,
        files=len(results),
        notices=notices,
        partial_parses=sum(1 for r in results if r.syntax_errors),
    )
