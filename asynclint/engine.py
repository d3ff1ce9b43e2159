"""Lint text and lint paths: the one engine the CLI and the language server share.

``lint_source`` lints one file's bytes and returns its findings plus what the
file exports (for the project index). Cross-file findings come back with a
``Condition``; ``resolve_conditions`` keeps those the project index confirms.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from .config import Config, ConfigResolver
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
    results: list = field(default_factory=list)  # FileResult per linted file
    index: Optional["ProjectIndex"] = None
    config: Optional[Config] = None  # the run's root configuration
    baseline_fixed: int = 0  # baseline entries that no longer match anything


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
    """Lint one file's contents: rule findings with inline suppressions applied.
    ``path`` is absolute (it anchors relative imports); it need not exist."""
    display = display or path
    lang = language_of(path)
    result = FileResult(path, display)
    enabled = config.enabled_for(path)
    if lang in ("js", "ts"):
        from .javascript.parse import dialect_for
        from .javascript.runner import lint_js

        dialect = dialect_for(os.path.splitext(path)[1])
        findings, exports, ctx = lint_js(
            path, source, dialect, enabled=enabled, display_path=display, options=config.rule_options,
        )
        result.findings = findings
        result.exports = exports.to_json()
        result.syntax_errors = ctx.root.has_error
    elif lang == "py":
        try:
            from .python.runner import lint_py
        except ModuleNotFoundError as exc:  # a build without Python support
            if exc.name not in ("asynclint.python", "asynclint.python.runner"):
                raise
            result.linted = False
            return result
        result.findings, result.exports = lint_py(path, source, config, display)
    else:
        result.linted = False
        return result
    if b"asynclint" in source:
        from .suppress import apply_directives, directive_findings, parse_directives

        text = source.decode("utf-8", "replace")
        directives = parse_directives(text, lang)
        result.findings = apply_directives(result.findings, directives)
        result.findings += directive_findings(
            directives, display, enabled, config.report_unused_suppressions, config.require_reason
        )
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
            lang = language_of(path)
            source = read_source(path, self.config.max_file_size)[0] if lang else None
            if source is not None and lang in ("js", "ts"):
                from .javascript.context import JsFile
                from .javascript.parse import dialect_for

                ctx = JsFile(path, source, dialect_for(os.path.splitext(path)[1]))
                self.exports[path] = ctx.exports().to_json()
            elif source is not None and lang == "py":
                from .python.runner import module_exports

                self.exports[path] = module_exports(path, source)
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


def lint_paths(paths: list[str], config: Config | ConfigResolver,
               on_file: Callable[[FileResult], None] | None = None) -> ScanResult:
    """Discover, read and lint every file under ``paths``; resolve cross-file
    findings against the project index built from the same run."""
    resolver = config if isinstance(config, ConfigResolver) else _FixedResolver(config)
    root = resolver.root()
    found = discover(paths, excludes=root.exclude, use_gitignore=root.use_ignore_files,
                     languages=root.languages)
    notices = list(found.notices)
    results: list[FileResult] = []
    index = ProjectIndex(root)
    for item in found.files:
        cfg = resolver.for_path(item.path)
        if not item.explicit and cfg.is_excluded(item.path):
            continue
        source, problem = read_source(item.path, cfg.max_file_size)
        if source is None:
            notices.append(f"{item.display}: {problem}")
            continue
        try:
            res = lint_source(item.path, source, cfg, item.display)
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
        results=results,
        index=index,
        config=root,
    )


class _FixedResolver:
    """One Config for every file (tests, the library API)."""

    def __init__(self, config: Config):
        self.config = config

    def for_path(self, path: str) -> Config:
        return self.config

    def root(self) -> Config:
        return self.config
