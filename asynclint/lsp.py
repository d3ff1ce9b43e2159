"""``asynclint lsp``: the language server (pygls 2, lsprotocol 2025, stdio).

The editor edge of the one engine: an open document's in-memory text goes
through ``engine.lint_source`` with the configuration that applies to its
path, and the findings come back as Diagnostics. Only this module knows about
the LSP; it is imported by ``asynclint lsp`` alone, so a plain scan never
imports pygls.

How it is wired (after Ruff's server):

- didOpen / didSave lint at once; didChange is debounced per document and only
  the latest version is linted. Lints run on one worker thread, so the event
  loop keeps answering hover and code-action requests while a file is linted.
- Each Diagnostic carries, in ``data``, its fix and its two suppression edits,
  already converted to the client's position units, so a code action is
  answered without linting again.
- Cross-file facts (async functions exported by other files) come from a
  project index of the workspace: warmed up in the background at start, kept
  current on save (from the saved text) and on on-disk changes (watched files).
- A configuration file changing, or workspace/didChangeConfiguration, drops the
  configuration cache and lints every open document again.
- Positions: findings count 1-based *characters*; the LSP counts 0-based
  UTF-16 code units by default (an astral-plane character such as an emoji
  counts 2). :class:`LineIndex` is the one place that converts.
- stdout is the protocol: every log line goes to stderr.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path

from . import __version__
from .config import CONFIG_FILE_NAMES, Config, ConfigError, ConfigResolver, Overrides
from .engine import ProjectIndex, lint_source
from .files import language_of
from .findings import Edit, Finding, FixSafety, Severity, Unlintable

log = logging.getLogger("asynclint.lsp")

SOURCE = "asynclint"
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.asynclint"  # source.fixAll.asynclint
FIX_ALL_TITLE = "Fix all asynclint problems"
DEFAULT_DEBOUNCE = 0.2  # seconds of quiet after a didChange before linting
INDEX_FILE_LIMIT = 20_000  # the background index warm-up stops after this many files

# languageId -> (asynclint language, the extension that picks the grammar)
LANGUAGE_IDS = {
    "javascript": ("js", ".js"),
    "javascriptreact": ("js", ".jsx"),
    "typescript": ("ts", ".ts"),
    "typescriptreact": ("ts", ".tsx"),
    "python": ("py", ".py"),
}

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

WATCHED_GLOBS = (
    "**/{asynclint.toml,.asynclint.toml,pyproject.toml,package.json}",
    "**/*.{js,cjs,mjs,jsx,ts,cts,mts,tsx,py,pyi}",
)


# ---------------------------------------------------------------- positions
def _utf16_len(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _units(text: str, encoding: str) -> int:
    """Length of ``text`` in the code units of a position encoding."""
    if encoding == types.PositionEncodingKind.Utf32:
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return _utf16_len(text)


LINE_BREAK = re.compile(r"\r\n|\r|\n")  # the LSP's line ends, and the engine's
BOM = "\ufeff"


class LineIndex:
    """Converts asynclint positions to LSP positions, for one text as the
    client has it.

    asynclint counts 1-based lines and 1-based characters, with LF, CRLF and a
    lone CR ending a line (as the LSP does) and without a byte-order mark (the
    engine strips it). The LSP counts 0-based lines and 0-based columns in the
    negotiated encoding: UTF-16 code units unless the client asked for UTF-8
    or UTF-32; an astral-plane character (an emoji) is two UTF-16 units. If
    the client's text keeps a BOM, it is a character of line 1 for the client,
    so columns of line 1 move right by one. A column past the end of its line
    is clamped to the line's end; a line past the end, to the end of the text."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.encoding = encoding
        bom = text.startswith(BOM)
        self.lines = LINE_BREAK.split(text[1:] if bom else text)
        self.bom_units = _units(BOM, encoding) if bom else 0

    def position(self, line: int, column: int) -> types.Position:
        if line < 1:
            return types.Position(line=0, character=0)
        if line > len(self.lines):
            line, column = len(self.lines), len(self.lines[-1]) + 1
        text = self.lines[line - 1]
        chars = min(max(column, 1) - 1, len(text))
        shift = self.bom_units if line == 1 else 0
        return types.Position(line=line - 1, character=shift + _units(text[:chars], self.encoding))

    def range(self, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        return types.Range(start=self.position(line, column), end=self.position(end_line, end_column))

    def text_edit(self, edit: Edit) -> types.TextEdit:
        return types.TextEdit(range=self.range(edit.line, edit.column, edit.end_line, edit.end_column),
                              new_text=edit.text)


def _split_keepends(text: str) -> list[str]:
    """Lines with their line ends, split where the LSP splits (not where
    ``str.splitlines`` does: it also splits at \\f, \\v, \\u2028, ...)."""
    out, start = [], 0
    for m in LINE_BREAK.finditer(text):
        out.append(text[start:m.end()])
        start = m.end()
    if start < len(text):
        out.append(text[start:])
    return out


def _before(a: types.Position, b: types.Position) -> bool:
    return (a.line, a.character) < (b.line, b.character)


def _contains(rng: types.Range, pos: types.Position) -> bool:
    return not _before(pos, rng.start) and not _before(rng.end, pos)


def _overlaps(a: types.Range, b: types.Range) -> bool:
    return not _before(a.end, b.start) and not _before(b.end, a.start)


def _edit_json(edit: types.TextEdit) -> dict:
    r = edit.range
    return {"range": {"start": {"line": r.start.line, "character": r.start.character},
                      "end": {"line": r.end.line, "character": r.end.character}},
            "newText": edit.new_text}


def _edit_from_json(data: Any) -> Optional[types.TextEdit]:
    try:
        r = data["range"]
        return types.TextEdit(
            range=types.Range(
                start=types.Position(line=int(r["start"]["line"]), character=int(r["start"]["character"])),
                end=types.Position(line=int(r["end"]["line"]), character=int(r["end"]["character"])),
            ),
            new_text=str(data["newText"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def diff_edits(old: str, new: str, encoding: str = types.PositionEncodingKind.Utf16) -> list[types.TextEdit]:
    """Line-level edits that turn ``old`` into ``new`` (for fix-all: smaller
    than replacing the whole document, so cursors and folds survive). Every
    edit starts and ends at the start of a line of ``old`` (or its end)."""
    a, b = _split_keepends(old), _split_keepends(new)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        edits.append(types.TextEdit(
            range=types.Range(start=_line_start(a, i1, encoding), end=_line_start(a, i2, encoding)),
            new_text="".join(b[j1:j2]),
        ))
    return edits


def _line_start(lines: list[str], i: int, encoding: str) -> types.Position:
    """Where line ``i`` of ``lines`` (with their ends) starts; the end of the
    text for ``i == len(lines)``."""
    if i < len(lines) or not lines or LINE_BREAK.search(lines[-1][-1:] or "x"):
        return types.Position(line=i, character=0)
    return types.Position(line=i - 1, character=_units(lines[-1], encoding))


# ---------------------------------------------------------------- documents
def lint_path_for(uri: str, language_id: Optional[str], root: Optional[str]) -> Optional[str]:
    """The absolute path to lint a document as, or None if asynclint does not
    lint it. The languageId decides; the extension is the fallback. The path's
    extension picks the grammar, so a document whose languageId and extension
    disagree (``script`` opened as javascript) gets the languageId's."""
    path = to_fs_path(uri)
    if path is None:  # untitled:, vscode-notebook-cell:, ...
        name = unquote(uri.rsplit("/", 1)[-1].split(":")[-1]) or "untitled"
        path = os.path.join(root or os.getcwd(), name)
    path = os.path.abspath(path)
    by_ext = language_of(path)
    known = LANGUAGE_IDS.get(language_id or "")
    if known is None:
        return path if by_ext is not None else None
    lang, ext = known
    if by_ext == lang:
        return path
    return path + ext


@dataclass
class DocResult:
    """The last published lint of one document."""

    version: Optional[int]
    path: str
    findings: list[Finding] = field(default_factory=list)  # as the engine gave them (with conditions)
    items: list[tuple[types.Diagnostic, Finding]] = field(default_factory=list)  # what was published
    exports: Optional[dict] = None
    error: Optional[str] = None  # a configuration error, shown to the user
    index_changed: bool = False  # this lint (of saved text) changed the project index

    @property
    def has_conditions(self) -> bool:
        return any(f.condition is not None for f in self.findings)


def _diagnostic(f: Finding, text: str, language: str, lines: LineIndex, version: Optional[int],
                cache: dict) -> types.Diagnostic:
    """One finding as a Diagnostic. ``text`` is the document without its BOM
    (the engine's view); ``cache`` holds the suppression edits already
    computed for it (each one splits the whole text)."""
    from .suppress import disable_file_edit, disable_line_edit

    line_key, file_key = ("line", f.line, f.rule), ("file", f.rule)
    if line_key not in cache:
        cache[line_key] = _edit_json(lines.text_edit(disable_line_edit(text, language, f.line, f.rule)))
    if file_key not in cache:
        cache[file_key] = _edit_json(lines.text_edit(disable_file_edit(text, language, f.rule)))
    data: dict[str, Any] = {"version": version, "rule": f.rule}
    if f.fix is not None and f.fix.safety != FixSafety.NONE and f.fix.edits:
        data["fix"] = {
            "title": f"Fix {f.rule}: {f.fix.description} ({f.fix.safety.value} fix)",
            "safety": f.fix.safety.value,
            "edits": [_edit_json(lines.text_edit(e)) for e in f.fix.edits],
        }
    data["disableLine"] = cache[line_key]
    data["disableFile"] = cache[file_key]
    return types.Diagnostic(
        range=lines.range(f.line, f.column, f.end_line, f.end_column),
        message=f.message,
        severity=SEVERITIES.get(f.severity, types.DiagnosticSeverity.Warning),
        code=f.rule,
        code_description=types.CodeDescription(href=f.url),
        source=SOURCE,
        data=data,
    )


# ---------------------------------------------------------------- protocol
_IGNORED = object()


class AsynclintProtocol(LanguageServerProtocol):
    """pygls' protocol, except that a request whose params do not fit the
    method's schema gets an InvalidParams error response (pygls would drop it
    and leave the client waiting forever)."""

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                log.warning("malformed %r request (id %r): answering InvalidParams", data.get("method"), data.get("id"))
                try:
                    error = JsonRpcInvalidParams.of(exc.__cause__ or exc)
                    self._send_response(data["id"], error=error.to_response_error())
                except Exception:  # noqa: BLE001 - an error reply must not take the server down
                    log.exception("could not answer a malformed request")
            else:
                log.warning("malformed %r message ignored", data.get("method") if isinstance(data, dict) else None)
            return _IGNORED

    def handle_message(self, message):
        if message is _IGNORED or not hasattr(message, "jsonrpc"):
            return
        super().handle_message(message)


# ---------------------------------------------------------------- the server
class AsynclintServer(LanguageServer):
    def __init__(self, debounce: float = DEFAULT_DEBOUNCE):
        # Full sync: pygls applies incremental changes with str.splitlines(),
        # which also breaks lines at \f, \v, \x1c-\x1e, \x85, \u2028 and \u2029
        # where the LSP does not; one form feed in a Python file would then
        # put every later edit on the wrong line. With full sync the client's
        # text is taken as it is.
        super().__init__("asynclint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Full,
                         protocol_cls=AsynclintProtocol)
        self.debounce = debounce
        self.engine_lock = threading.RLock()  # tree-sitter parsers and the index are shared
        self.lint_executor = ThreadPoolExecutor(1, thread_name_prefix="asynclint-lint")
        self.resolver = ConfigResolver(Overrides(), None)
        self.index = ProjectIndex(Config())
        self.results: dict[str, DocResult] = {}  # unquoted uri -> last published lint
        self.latest: dict[str, Optional[int]] = {}  # unquoted uri -> newest version seen
        self.saved_version: dict[str, Optional[int]] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task] = set()
        self.shown_errors: set[str] = set()
        self.stopping = threading.Event()
        self.linting = threading.Event()  # set while a lint runs: the index warm-up waits

    # -- helpers ----------------------------------------------------------
    def report_server_error(self, error: Exception, source) -> None:
        # pygls' default pops a window up in the editor; a stray malformed
        # message is not worth one. stderr only.
        log.error("%s: %s", getattr(source, "__name__", source), error)

    def _doc(self, uri: str):
        try:
            return self.workspace.text_documents.get(unquote(uri))
        except RuntimeError:  # not initialized
            return None

    @property
    def _encoding(self) -> str:
        try:
            return self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        except RuntimeError:
            return types.PositionEncodingKind.Utf16

    def _root(self) -> Optional[str]:
        try:
            return self.workspace.root_path
        except RuntimeError:
            return None

    def _folders(self) -> list[str]:
        out = []
        try:
            for folder in self.workspace.folders.values():
                path = to_fs_path(folder.uri)
                if path:
                    out.append(path)
            if not out and self.workspace.root_path:
                out.append(self.workspace.root_path)
        except RuntimeError:
            pass
        return out

    def _supports_document_changes(self) -> bool:
        caps = self.client_capabilities
        ws = caps.workspace if caps else None
        we = ws.workspace_edit if ws else None
        return bool(we and we.document_changes)

    def _workspace_edit(self, uri: str, version: Optional[int], edits: list[types.TextEdit]) -> types.WorkspaceEdit:
        if self._supports_document_changes():
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=edits,
            )])
        return types.WorkspaceEdit(changes={uri: edits})

    def _publish(self, uri: str, version: Optional[int], diagnostics: list[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=diagnostics)
        )

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- linting ----------------------------------------------------------
    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds, replacing a pending lint."""
        key = unquote(uri)
        timer = self.timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self.timers[key] = loop.call_later(delay, self._fire, uri)

    def _fire(self, uri: str) -> None:
        self.timers.pop(unquote(uri), None)
        self._spawn(self.lint_and_publish(uri))

    def relint_open(self, only_with_conditions: bool = False, skip: Optional[str] = None) -> None:
        for key, doc in list(self.workspace.text_documents.items()):
            if key == skip:
                continue
            if only_with_conditions:
                res = self.results.get(key)
                if res is None or not res.has_conditions:
                    continue
            self.schedule(doc.uri, 0)

    async def lint_and_publish(self, uri: str) -> None:
        key = unquote(uri)
        doc = self._doc(uri)
        if doc is None:
            return
        version, text = doc.version, doc.source
        path = lint_path_for(doc.uri, doc.language_id, self._root())
        if path is None:
            return
        loop = asyncio.get_running_loop()
        try:
            res = await loop.run_in_executor(self.lint_executor, self._lint_sync, key, path, text, version,
                                             self._encoding)
        except Unlintable as exc:  # e.g. a parse that gave up at its deadline: say why, underline nothing
            doc = self._doc(uri)
            if doc is not None and doc.version == version:
                self.results.pop(key, None)
                self._publish(doc.uri, version, [])
                self.window_log_message(types.LogMessageParams(
                    type=types.MessageType.Warning, message=f"asynclint: {path}: {exc}; not linted"))
            return
        except Exception as exc:  # noqa: BLE001 - a lint bug must not take the server down
            log.exception("linting %s failed", uri)
            doc = self._doc(uri)
            if doc is not None and doc.version == version:
                self.results.pop(key, None)
                self._publish(doc.uri, version, [])  # no stale underlines at moved positions
                self.window_log_message(types.LogMessageParams(
                    type=types.MessageType.Error,
                    message=f"asynclint: internal error while linting {path} ({type(exc).__name__}: {exc}); "
                            "please report it"))
            return
        if res is None:
            return  # a newer version came in meanwhile; its lint is scheduled
        doc = self._doc(uri)
        if doc is None or doc.version != version:
            return
        self.results[key] = res
        if res.error and res.error not in self.shown_errors:
            self.shown_errors.add(res.error)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning,
                                                             message=f"asynclint: {res.error}"))
        self._publish(doc.uri, version, [d for d, _ in res.items])
        if res.index_changed:
            self.relint_open(only_with_conditions=True, skip=key)

    def _lint_sync(self, key: str, path: str, text: str, version: Optional[int], encoding: str) -> Optional[DocResult]:
        """Runs on the lint thread."""
        if self.latest.get(key, version) != version:
            return None
        self.linting.set()
        try:
            return self._lint_now(key, path, text, version, encoding)
        finally:
            self.linting.clear()

    def _lint_now(self, key: str, path: str, text: str, version: Optional[int], encoding: str) -> DocResult:
        started = time.perf_counter()
        res = DocResult(version, path)
        try:
            config = self.resolver.for_path(path)
        except ConfigError as exc:
            res.error = str(exc)
            return res
        if config.is_excluded(path):
            return res
        lang = language_of(path)
        source = text.encode("utf-8", "replace")
        with self.engine_lock:
            result = lint_source(path, source, config, path)
            res.findings = result.findings
            res.exports = result.exports
            kept = [f for f in result.findings if self._holds(f)]
            if result.exports is not None and self.saved_version.get(key, object()) == version:
                res.index_changed = self.index.exports.get(path) != result.exports
                self.index.add(path, result.exports)
        lines = LineIndex(text, encoding)
        body = text[1:] if text.startswith(BOM) else text
        cache: dict = {}
        res.items = [(_diagnostic(f, body, lang, lines, version, cache), f) for f in kept]
        log.debug("linted %s v%s: %d findings in %.1f ms", path, version, len(kept),
                  (time.perf_counter() - started) * 1000)
        return res

    def _holds(self, finding: Finding) -> bool:
        try:
            return self.index.holds(finding)
        except Exception:  # noqa: BLE001 - an unreadable module confirms nothing
            log.exception("resolving a cross-file finding failed")
            return False

    # -- project index ----------------------------------------------------
    def start_index_scan(self, folders: list[str]) -> None:
        if not folders:
            return
        thread = threading.Thread(target=self._scan, args=(folders,), name="asynclint-index", daemon=True)
        thread.start()

    def _scan(self, folders: list[str]) -> None:
        """Warm the project index up with every JS/TS/PY file of the
        workspace. The index would read them lazily anyway; doing it here,
        file by file, keeps the first cross-file lint fast."""
        from .files import discover

        started = time.perf_counter()
        count = 0
        try:
            found = discover(folders)
        except Exception:  # noqa: BLE001
            log.exception("indexing the workspace failed")
            return
        for item in found.files[:INDEX_FILE_LIMIT]:
            while self.linting.is_set() and not self.stopping.is_set():
                time.sleep(0.02)  # an open document's lint goes first (the GIL is shared)
            if self.stopping.is_set():
                return
            if item.path in self.index.exports:
                continue
            try:
                if language_of(item.path) == "py":
                    # libcst shares nothing between threads: parse outside the
                    # lock, so a big module does not hold an open document's lint up.
                    exports = self._py_exports(item.path)
                    with self.engine_lock:
                        self.index.exports.setdefault(item.path, exports)
                else:  # tree-sitter parsers are shared with the lint thread
                    with self.engine_lock:
                        self.index._exports_of(item.path)
                count += 1
            except Exception:  # noqa: BLE001 - e.g. a language this build does not support
                with self.engine_lock:
                    self.index.exports.setdefault(item.path, None)
        if len(found.files) > INDEX_FILE_LIMIT:
            log.warning("project index: stopped after %d of %d files; the rest are read when imported",
                        INDEX_FILE_LIMIT, len(found.files))
        log.info("project index: %d files in %.2f s", count, time.perf_counter() - started)

    def _py_exports(self, path: str) -> Optional[dict]:
        from .engine import read_source
        from .python.runner import module_exports

        source = read_source(path, self.index.config.max_file_size)[0]
        return module_exports(path, source) if source is not None else None

    def _forget(self, paths: list[str], lookups: bool = False) -> None:
        """Runs on the lint thread: drop index entries read from disk, and
        with ``lookups`` what import resolution learnt from the disk (a file
        was created or deleted, a package.json changed)."""
        with self.engine_lock:
            for p in paths:
                self.index.exports.pop(p, None)
            if lookups:
                from .engine import forget_disk_lookups

                forget_disk_lookups()

    def reset_config(self) -> None:
        self.resolver = ConfigResolver(Overrides(), None)
        self.shown_errors.clear()

    # -- requests ---------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams) -> Optional[list[types.CodeAction]]:
        uri = params.text_document.uri
        doc = self._doc(uri)
        if doc is None:
            return None
        res = self.results.get(unquote(uri))
        only = params.context.only

        def wanted(kind: str) -> bool:
            return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)

        actions: list[types.CodeAction] = []
        if wanted(types.CodeActionKind.QuickFix):
            actions.extend(self._quick_fixes(params, doc, res))
        return actions

    def _quick_fixes(self, params, doc, res: Optional[DocResult]) -> list[types.CodeAction]:
        diags = [d for d in params.context.diagnostics if d.source == SOURCE]
        if not diags and res is not None:
            diags = [d for d, _ in res.items if _overlaps(d.range, params.range)]
        out: list[types.CodeAction] = []
        titles: set[str] = set()
        for d in diags:
            data = d.data if isinstance(d.data, dict) else None
            if data is None and res is not None:  # a client that drops `data`: find ours by range and code
                data = next((o.data for o, _ in res.items if o.range == d.range and o.code == d.code), None)
            if not isinstance(data, dict) or data.get("version") != doc.version:
                continue  # stale: the text moved since this was linted
            rule = data.get("rule") or d.code
            candidates = []
            fix = data.get("fix")
            if isinstance(fix, dict):
                edits = [e for e in (_edit_from_json(x) for x in fix.get("edits") or ()) if e]
                if edits:
                    candidates.append((str(fix.get("title")), edits, fix.get("safety") == FixSafety.SAFE.value))
            for key, title in (("disableLine", f"Disable {rule} for this line"),
                               ("disableFile", f"Disable {rule} for this file")):
                edit = _edit_from_json(data.get(key))
                if edit:
                    candidates.append((title, [edit], False))
            for title, edits, preferred in candidates:
                if title in titles:
                    continue
                titles.add(title)
                out.append(types.CodeAction(
                    title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[d],
                    is_preferred=preferred or None, edit=self._workspace_edit(doc.uri, doc.version, edits),
                ))
        return out

    async def fix_all_action(self, params: types.CodeActionParams) -> Optional[types.CodeAction]:
        uri = params.text_document.uri
        doc = self._doc(uri)
        if doc is None:
            return None
        only = params.context.only
        if not only:
            # The light bulb asks on every cursor move: offer fix-all only when
            # the last lint of this very text found a safe fix.
            res = self.results.get(unquote(uri))
            if res is None or res.version != doc.version or not any(
                f.fix is not None and f.fix.safety == FixSafety.SAFE for _, f in res.items
            ):
                return None
        path = lint_path_for(doc.uri, doc.language_id, self._root())
        if path is None:
            return None
        version, text = doc.version, doc.source
        loop = asyncio.get_running_loop()
        fixed = await loop.run_in_executor(self.lint_executor, self._fix_all_sync, path, text)
        doc = self._doc(uri)
        if fixed is None or fixed == text or doc is None or doc.version != version:
            return None
        edits = diff_edits(text, fixed, self._encoding)
        return types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL_KIND,
                                edit=self._workspace_edit(doc.uri, version, edits))

    def _fix_all_sync(self, path: str, text: str) -> Optional[str]:
        """Runs on the lint thread: the safe fixes, repeated to a fixed point
        and parse-checked, exactly as ``scan --fix`` applies them."""
        from .fixes import fix_file

        try:
            config = self.resolver.for_path(path)
        except ConfigError:
            return None
        if config.is_excluded(path):
            return None

        def relint(t: str) -> list[Finding]:
            found = lint_source(path, t.encode("utf-8", "replace"), config, path).findings
            return [f for f in found if self._holds(f)]

        bom, body = (BOM, text[1:]) if text.startswith(BOM) else ("", text)  # as `scan --fix` does
        self.linting.set()
        try:
            with self.engine_lock:
                result, _ = fix_file(path, path, body, relint, unsafe=False)
        finally:
            self.linting.clear()
        return bom + result.fixed

    def hover(self, params: types.HoverParams) -> Optional[types.Hover]:
        res = self.results.get(unquote(params.text_document.uri))
        doc = self._doc(params.text_document.uri)
        if res is None or doc is None or res.version != doc.version:
            return None
        hits = [(d, f) for d, f in res.items if _contains(d.range, params.position)]
        if not hits:
            return None
        from .docs import page

        parts, seen = [], set()
        for _, f in hits:
            if f.rule in seen:
                continue
            seen.add(f.rule)
            text = page(f.rule)
            body = text.rstrip() if text else f"# {f.rule}\n\n{f.message}"
            parts.append(f"{body}\n\n[{f.rule} on the web]({f.url})")
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)),
            range=hits[0][0].range,
        )


def create_server(debounce: float = DEFAULT_DEBOUNCE) -> AsynclintServer:
    server = AsynclintServer(debounce)

    @server.feature(types.INITIALIZED)
    def initialized(ls: AsynclintServer, params: types.InitializedParams):
        ls.start_index_scan(ls._folders())
        caps = ls.client_capabilities
        ws = caps.workspace if caps else None
        watched = ws.did_change_watched_files if ws else None
        if watched and watched.dynamic_registration:
            ls.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
                id="asynclint-watched-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED_GLOBS]
                ),
            )]))

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: AsynclintServer, params):
        ls.stopping.set()
        for timer in ls.timers.values():
            timer.cancel()
        ls.timers.clear()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AsynclintServer, params: types.DidOpenTextDocumentParams):
        key = unquote(params.text_document.uri)
        ls.latest[key] = params.text_document.version
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AsynclintServer, params: types.DidChangeTextDocumentParams):
        key = unquote(params.text_document.uri)
        if ls._doc(params.text_document.uri) is None:
            return
        ls.latest[key] = params.text_document.version
        ls.schedule(params.text_document.uri, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: AsynclintServer, params: types.DidSaveTextDocumentParams):
        doc = ls._doc(params.text_document.uri)
        if doc is None:
            return
        ls.saved_version[unquote(params.text_document.uri)] = doc.version
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AsynclintServer, params: types.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        key = unquote(uri)
        timer = ls.timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        ls.results.pop(key, None)
        ls.latest.pop(key, None)
        ls.saved_version.pop(key, None)
        ls._publish(uri, None, [])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: AsynclintServer, params: types.DidChangeWatchedFilesParams):
        config_changed = False
        sources = []
        appeared = False  # a file created or deleted: imports may resolve differently now
        for change in params.changes:
            path = to_fs_path(change.uri)
            if not path:
                continue
            if os.path.basename(path) in CONFIG_FILE_NAMES:
                config_changed = True
            elif language_of(path) is not None:
                sources.append(os.path.abspath(path))
                appeared = appeared or change.type != types.FileChangeType.Changed
        if sources or config_changed:
            # the same thread as the lints, in order
            ls.lint_executor.submit(ls._forget, sources, appeared or config_changed)
        if config_changed:
            log.info("a configuration file changed: reloading the configuration")
            ls.reset_config()
            ls.relint_open()
        elif appeared:
            ls.relint_open()
        elif sources:
            ls.relint_open(only_with_conditions=True)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: AsynclintServer, params: types.DidChangeConfigurationParams):
        ls.reset_config()
        ls.relint_open()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def folders_changed(ls: AsynclintServer, params: types.DidChangeWorkspaceFoldersParams):
        added = [p for p in (to_fs_path(f.uri) for f in params.event.added or ()) if p]
        ls.start_index_scan(added)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]),
    )
    async def code_action(ls: AsynclintServer, params: types.CodeActionParams):
        actions = ls.code_actions(params)
        if actions is None:
            return None
        only = params.context.only
        if not only or any(FIX_ALL_KIND == k or FIX_ALL_KIND.startswith(f"{k}.") for k in only):
            fix_all = await ls.fix_all_action(params)
            if fix_all is not None:
                actions.append(fix_all)
        return actions

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: AsynclintServer, params: types.HoverParams):
        return ls.hover(params)

    return server


def serve(debounce: Optional[float] = None) -> None:
    """Run the server over stdin/stdout until the client says exit."""
    level = os.environ.get("ASYNCLINT_LSP_LOG", "INFO").upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level, logging.INFO))
    # pygls logs every message it sends at INFO; keep it to warnings.
    logging.getLogger("pygls").setLevel(max(root.level, logging.WARNING))
    if debounce is None:
        try:
            debounce = float(os.environ.get("ASYNCLINT_LSP_DEBOUNCE_MS", DEFAULT_DEBOUNCE * 1000)) / 1000
        except ValueError:
            debounce = DEFAULT_DEBOUNCE
    server = create_server(debounce)
    log.info("asynclint %s language server on stdio (pid %d)", __version__, os.getpid())
    # stdout carries the protocol alone: anything else that prints (a stray
    # print() in a rule, a library's warning) goes to stderr instead.
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr
    try:
        server.start_io(sys.stdin.buffer, protocol_out)
        code = 0 if server.stopping.is_set() else 1  # 0 only after a shutdown request (LSP spec)
    except BaseException:  # noqa: BLE001 - reported, then the process ends below
        log.exception("the language server stopped on an error")
        code = 1
    server.stopping.set()
    server.lint_executor.shutdown(wait=False, cancel_futures=True)
    # Do not wait for a lint still running on the worker thread (a big file
    # can take seconds): the client asked us to exit.
    sys.stderr.flush()
    os._exit(code)
