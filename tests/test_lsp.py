"""``asynclint lsp`` end to end: the server runs as a subprocess
(``python -m asynclint lsp``) and pytest-lsp plays the editor.

One server is shared by the module (starting one costs about a second); every
test opens its own documents, so they do not see each other's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import Future
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pygls.exceptions import JsonRpcException  # noqa: E402
from pygls.uris import from_fs_path  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HAS_PYTHON = importlib.util.find_spec("asynclint.python") is not None and \
    importlib.util.find_spec("asynclint.python.runner") is not None
TIMEOUT = 15.0

lsp_test = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "lib").mkdir()
    (root / "lib" / "store.js").write_text(
        "export async function persist(x) { return x; }\nexport function plain(x) { return x; }\n",
        encoding="utf-8",
    )
    return root


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "asynclint", "lsp"],
        server_env={**os.environ, "PYTHONPATH": str(ROOT), "ASYNCLINT_LSP_LOG": "WARNING"},
    ),
)
async def client(lsp_client: LanguageClient, workspace):
    lsp_client.published = []  # every publishDiagnostics, in order: (uri, version, diagnostics)

    def record(params: types.PublishDiagnosticsParams):
        lsp_client.diagnostics[params.uri] = params.diagnostics
        lsp_client.published.append((params.uri, params.version, params.diagnostics))

    lsp_client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    caps = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
        ),
    )
    lsp_client.registrations = []
    lsp_client.feature(types.CLIENT_REGISTER_CAPABILITY)(
        lambda params: lsp_client.registrations.extend(params.registrations))
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=caps,
        root_uri=from_fs_path(str(workspace)),
        workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(workspace)), name="ws")],
    ))
    yield
    await lsp_client.shutdown_session()


# ------------------------------------------------------------------ helpers
class Doc:
    """An open document on the client side. ``rules``: the rule ids whose
    diagnostics the test looks at (other rules may be added to asynclint
    and flag the samples too); None for all."""

    def __init__(self, client: LanguageClient, path: Path, text: str, language_id: str,
                 rules=("missing-await",)):
        self.client, self.uri, self.text, self.version = client, from_fs_path(str(path)), text, 1
        self.rules = rules
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=self.uri, language_id=language_id, version=1, text=text)))

    def change(self, text: str) -> None:
        self.version += 1
        self.text = text
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        ))

    def save(self) -> None:
        self.client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri)))

    def close(self) -> None:
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri)))

    async def diagnostics(self, version=None, after: int = 0) -> list[types.Diagnostic]:
        """The first diagnostics published for this document (and version)
        after the ``after``-th publish overall."""
        want = self.version if version is None else version
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while loop.time() < deadline:
            for uri, v, diags in self.client.published[after:]:
                if uri == self.uri and (want is Ellipsis or v == want):
                    return [d for d in diags if self.rules is None or d.code in self.rules]
            await asyncio.sleep(0.01)
        raise AssertionError(f"no diagnostics for {self.uri} v{want}")

    async def actions(self, diag: types.Diagnostic | None, only=None, rng=None) -> list[types.CodeAction]:
        rng = rng or diag.range
        result = await self.client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri), range=rng,
            context=types.CodeActionContext(diagnostics=[diag] if diag else [], only=only),
        ))
        return list(result or [])

    def apply(self, action: types.CodeAction) -> str:
        edit = action.edit
        if edit.changes:
            edits = edit.changes[self.uri]
        else:
            edits = [e for dc in edit.document_changes for e in dc.edits]
        return apply_text_edits(self.text, edits)


def _offset(text: str, pos: types.Position) -> int:
    """Character offset of an LSP (UTF-16) position: written here without the
    server's code, to check it. LF, CRLF and CR end lines; a column past the
    end of its line means the line's end."""
    import re

    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    if pos.line >= len(starts):
        return len(text)
    start = starts[pos.line]
    end = starts[pos.line + 1] if pos.line + 1 < len(starts) else len(text)
    line = text[start:end].rstrip("\r\n")
    units = 0
    for i, ch in enumerate(line):
        if units >= pos.character:
            return start + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line)


def apply_text_edits(text: str, edits) -> str:
    spans = sorted(((_offset(text, e.range.start), _offset(text, e.range.end), e.new_text) for e in edits),
                   reverse=True)
    for s, e, new in spans:
        text = text[:s] + new + text[e:]
    return text


JS = textwrap.dedent("""\
    async function save(x) { return x; }
    async function main() {
      save(1);
      return 2;
    }
""")


# ------------------------------------------------------------------ tests
@lsp_test
async def test_diagnostic_then_edited_away(client: LanguageClient, workspace):
    doc = Doc(client, workspace / "a.js", JS, "javascript")
    diags = await doc.diagnostics()
    assert [d.code for d in diags] == ["missing-await"]
    d = diags[0]
    assert d.source == "asynclint"
    assert d.code_description.href.endswith("/rules/missing-await.md")
    assert d.severity == types.DiagnosticSeverity.Error
    assert "never awaited" in d.message
    assert (d.range.start.line, d.range.start.character, d.range.end.character) == (2, 2, 9)

    mark = len(client.published)
    doc.change(JS.replace("  save(1);", "  await save(1);"))
    assert await doc.diagnostics(after=mark) == []
    doc.close()
    assert await doc.diagnostics(version=None, after=mark) == []


@lsp_test
async def test_rapid_edits_lint_only_the_latest_version(client: LanguageClient, workspace):
    doc = Doc(client, workspace / "rapid.ts", JS, "typescript")
    await doc.diagnostics()
    mark = len(client.published)
    for i in range(5):
        doc.change(JS.replace("save(1)", f"save({i})"))
    diags = await doc.diagnostics(version=Ellipsis, after=mark)
    published = [v for u, v, _ in client.published[mark:] if u == doc.uri]
    assert published == [doc.version]  # the four before it were never linted
    assert [d.code for d in diags] == ["missing-await"]
    doc.close()


@lsp_test
async def test_code_actions_disable_line_and_fix(client: LanguageClient, workspace):
    doc = Doc(client, workspace / "b.js", JS, "javascript")
    (d,) = await doc.diagnostics()
    actions = await doc.actions(d)
    titles = [a.title for a in actions]
    assert "Fix missing-await: Add `await` (unsafe fix)" in titles
    assert "Disable missing-await for this line" in titles
    assert "Disable missing-await for this file" in titles
    assert all(a.kind == types.CodeActionKind.QuickFix for a in actions)

    fix = next(a for a in actions if a.title.startswith("Fix missing-await"))
    assert "  await save(1);" in doc.apply(fix)

    disable = next(a for a in actions if a.title == "Disable missing-await for this line")
    new_text = doc.apply(disable)
    assert "  // asynclint-disable-next-line missing-await\n  save(1);" in new_text
    mark = len(client.published)
    doc.change(new_text)
    assert await doc.diagnostics(after=mark) == []

    file_level = next(a for a in actions if a.title == "Disable missing-await for this file")
    assert doc.apply(file_level) != new_text  # computed against the old version: the server would refuse now
    stale = await doc.actions(d)
    assert stale == []  # the diagnostic's data is for version 1: no edits against moved text
    doc.close()


@lsp_test
async def test_code_actions_without_client_diagnostics_and_only(client: LanguageClient, workspace):
    doc = Doc(client, workspace / "c.mjs", JS, "javascript")
    (d,) = await doc.diagnostics()
    # Some clients send no diagnostics in the context: the server finds its own by range.
    actions = await doc.actions(None, rng=d.range)
    assert "Disable missing-await for this file" in [a.title for a in actions]
    # `only` is honoured: no quick fixes when only fix-all is asked for, and
    # fix-all offers nothing here (missing-await's fix is unsafe).
    assert await doc.actions(d, only=[types.CodeActionKind.SourceFixAll]) == []
    assert await doc.actions(d, only=["source.fixAll.asynclint"]) == []
    assert all(a.kind == "quickfix" for a in await doc.actions(d, only=[types.CodeActionKind.QuickFix]))
    doc.close()


@lsp_test
async def test_hover_shows_the_rule_page(client: LanguageClient, workspace):
    doc = Doc(client, workspace / "h.js", JS, "javascript")
    (d,) = await doc.diagnostics()
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), position=d.range.start))
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("# missing-await")
    assert hover.range == d.range
    outside = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=doc.uri), position=types.Position(line=0, character=0)))
    assert outside is None
    doc.close()


@lsp_test
async def test_utf16_columns_after_an_emoji(client: LanguageClient, workspace):
    text = 'async function save(x) { return x; }\nasync function f() {\n  const s = "😀é"; save(s);\n}\n'
    doc = Doc(client, workspace / "emoji.js", text, "javascriptreact")
    (d,) = await doc.diagnostics()
    line = text.split("\n")[2]
    start = line.index("save(s)")
    utf16 = len(line[:start].encode("utf-16-le")) // 2
    assert utf16 == start + 1  # the emoji is two UTF-16 code units
    assert (d.range.start.line, d.range.start.character) == (2, utf16)
    assert d.range.end.character == utf16 + len("save(s)")
    # the fix lands where the text says, not one column early
    (fix,) = [a for a in await doc.actions(d) if a.title.startswith("Fix ")]
    assert '"😀é"; await save(s);' in doc.apply(fix)
    doc.close()


def _position(text: str, offset: int) -> tuple[int, int]:
    """(line, UTF-16 column) of a character offset, LF/CRLF/CR ending lines."""
    import re

    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    line = max(i for i, st in enumerate(starts) if st <= offset)
    return line, len(text[starts[line]:offset].encode("utf-16-le")) // 2


@lsp_test
async def test_bom_crlf_and_lone_cr(client: LanguageClient, workspace):
    text = ("\ufeffasync function save(x) { return x; } async function f() { save(1); }\r"
            "async function g() {\r\n  save('😀'); save(2);\r\n}\r\n")
    doc = Doc(client, workspace / "bom.js", text, "javascript")
    diags = await doc.diagnostics()
    expected = []
    for needle in ("save(1)", "save('😀')", "save(2)"):
        start = text.index(needle)
        expected.append((_position(text, start), _position(text, start + len(needle))))
    assert [((d.range.start.line, d.range.start.character), (d.range.end.line, d.range.end.character))
            for d in diags] == expected
    fixes = {d.range.start.line: [a for a in await doc.actions(d) if a.title.startswith("Fix ")] for d in diags}
    assert "{ await save(1); }" in doc.apply(fixes[0][0])
    file_level = next(a for a in await doc.actions(diags[0]) if a.title.startswith("Disable missing-await for this f"))
    assert doc.apply(file_level).startswith("\ufeff// asynclint-disable-file missing-await")
    doc.close()


@lsp_test
async def test_language_by_extension_and_ignored_documents(client: LanguageClient, workspace):
    # an unknown languageId falls back to the extension
    doc = Doc(client, workspace / "ext.cjs", JS, "plaintext-ish")
    assert [d.code for d in await doc.diagnostics()] == ["missing-await"]
    doc.close()
    # a languageId asynclint knows wins over a missing extension
    script = Doc(client, workspace / "script", JS, "javascript")
    assert [d.code for d in await script.diagnostics()] == ["missing-await"]
    script.close()
    # neither: nothing is published, and the server carries on
    mark = len(client.published)
    other = Doc(client, workspace / "notes.txt", JS, "plaintext")
    await asyncio.sleep(0.3)
    assert all(u != other.uri for u, _, _ in client.published[mark:])
    other.close()


@lsp_test
async def test_cross_file_from_the_project_index(client: LanguageClient, workspace):
    main_text = "import { persist, plain } from './lib/store.js';\nexport async function go() {\n  persist(1);\n  plain(2);\n}\n"
    main = Doc(client, workspace / "main.mjs", main_text, "javascript")
    diags = await main.diagnostics()
    assert [(d.code, d.range.start.line) for d in diags] == [("missing-await", 2)]

    # The editor saves store.js with persist made synchronous: the index
    # takes the saved text and main.mjs is linted again.
    store_path = workspace / "lib" / "store.js"
    store = Doc(client, store_path, store_path.read_text(encoding="utf-8"), "javascript")
    await store.diagnostics()
    mark = len(client.published)
    synced = "export function persist(x) { return x; }\nexport function plain(x) { return x; }\n"
    store.change(synced)
    store.save()
    assert await main.diagnostics(version=main.version, after=mark) == []
    store.close()

    # On disk it becomes async again (a git checkout): the watched-files event
    # refreshes the index. The server asked to be told about such changes.
    (reg,) = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    globs = [w["globPattern"] for w in reg.register_options["watchers"]]  # LSPAny: plain JSON here
    assert any("asynclint.toml" in g for g in globs) and any("mjs" in g for g in globs)
    store_path.write_text("export async function persist(x) { return x; }\n", encoding="utf-8")
    mark = len(client.published)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=from_fs_path(str(store_path)), type=types.FileChangeType.Changed)]))
    diags = await main.diagnostics(after=mark)
    assert [d.code for d in diags] == ["missing-await"]
    main.close()


@lsp_test
async def test_a_module_created_after_start_is_resolved(client: LanguageClient, workspace):
    """main.mjs imports ./lib/later.js before it exists (nothing to say);
    the file is created with an async export: the watched-files event makes
    the server look again, and the un-awaited call is reported."""
    text = "import { later } from './lib/later.js';\nexport async function go() {\n  later(1);\n}\n"
    main = Doc(client, workspace / "waits.mjs", text, "javascript")
    assert await main.diagnostics() == []
    created = workspace / "lib" / "later.js"
    created.write_text("export async function later(x) { return x; }\n", encoding="utf-8")
    mark = len(client.published)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=from_fs_path(str(created)), type=types.FileChangeType.Created)]))
    diags = await main.diagnostics(after=mark)
    assert [(d.code, d.range.start.line) for d in diags] == [("missing-await", 2)]
    main.close()


@lsp_test
async def test_config_file_change_relints(client: LanguageClient, workspace):
    folder = workspace / "cfg"
    folder.mkdir()
    text = "async function f() {\n  try { await g(); } catch (e) {}\n}\n"
    doc = Doc(client, folder / "x.js", text, "javascript", rules=("empty-catch",))
    assert [d.code for d in await doc.diagnostics()] == ["empty-catch"]
    (folder / "asynclint.toml").write_text('ignore = ["empty-catch"]\n', encoding="utf-8")
    mark = len(client.published)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
        types.FileEvent(uri=from_fs_path(str(folder / "asynclint.toml")), type=types.FileChangeType.Created)]))
    assert await doc.diagnostics(after=mark) == []

    (folder / "asynclint.toml").write_text('ignore = ["empty-cath"]\n', encoding="utf-8")  # a typo
    mark = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={}))
    assert await doc.diagnostics(after=mark) == []
    await asyncio.sleep(0.05)
    assert any("empty-cath" in m.message for m in client.messages)  # told once, not crashed
    doc.close()


PY = textwrap.dedent("""\
    import asyncio


    async def save(x):
        await asyncio.sleep(0)
        return x


    async def main():
        save(1)
        return 2
""")


@pytest.mark.skipif(not HAS_PYTHON, reason="this build has no Python support (asynclint/python)")
@lsp_test
async def test_python_document(client: LanguageClient, workspace):
    from asynclint.config import Config
    from asynclint.engine import lint_source

    path = workspace / "app.py"
    expected = lint_source(str(path), PY.encode(), Config()).findings
    if not expected:
        pytest.skip("no Python rule flags this code yet")
    doc = Doc(client, path, PY, "python", rules=None)
    diags = await doc.diagnostics()
    # the same engine as the CLI: the same findings, in LSP units
    assert [(d.code, d.range.start.line + 1, d.range.start.character + 1) for d in diags] == \
        [(f.rule, f.line, f.column) for f in expected]
    d = diags[0]
    disable = next(a for a in await doc.actions(d) if a.title == f"Disable {d.code} for this line")
    new_text = doc.apply(disable)
    assert f"  # asynclint: ignore[{d.code}]\n" in new_text
    mark = len(client.published)
    doc.change(new_text)
    after = await doc.diagnostics(after=mark)
    assert (d.code, d.range.start.line) not in [(x.code, x.range.start.line) for x in after]
    doc.close()


@lsp_test
async def test_survives_malformed_and_unknown_messages(client: LanguageClient, workspace):
    writer = client.protocol.writer
    # not JSON at all
    body = b"{this is not json"
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    # a request whose params do not fit the method: answered with an error, not dropped
    answer: Future = Future()
    client.protocol._request_futures["bad-1"] = answer
    body = json.dumps({"jsonrpc": "2.0", "id": "bad-1", "method": "textDocument/hover",
                       "params": {"textDocument": 5}}).encode()
    writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    with pytest.raises(JsonRpcException, match="Invalid Params") as err:
        await asyncio.wait_for(asyncio.wrap_future(answer), TIMEOUT)
    assert err.value.code == -32602
    # an unknown request and an unknown notification
    with pytest.raises(JsonRpcException):
        await asyncio.wait_for(client.protocol.send_request_async("asynclint/noSuchMethod", {}), TIMEOUT)
    client.protocol.notify("asynclint/noSuchNotification", {})
    # documents the server never saw
    ghost = from_fs_path(str(workspace / "ghost.js"))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=ghost, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="x")]))
    assert await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=ghost), position=types.Position(line=0, character=0))) is None
    assert not await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=ghost),
        range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
        context=types.CodeActionContext(diagnostics=[])))
    # and it still works
    doc = Doc(client, workspace / "after.js", JS, "javascript")
    assert [d.code for d in await doc.diagnostics()] == ["missing-await"]
    doc.close()
    assert client.error is None


# ------------------------------------------------------------------ in-process units
def test_line_index_converts_characters_to_utf16():
    from asynclint.lsp import LineIndex

    text = "a😀b\r\nxé𝄞y\nlast"
    idx = LineIndex(text)
    assert idx.position(1, 1) == types.Position(line=0, character=0)
    assert idx.position(1, 3) == types.Position(line=0, character=3)  # after a, 😀 (2 units)
    assert idx.position(1, 99) == types.Position(line=0, character=4)  # clamped before \r
    assert idx.position(2, 4) == types.Position(line=1, character=4)  # x é 𝄞(2)
    assert idx.position(9, 1) == types.Position(line=2, character=4)  # past the end: end of text
    utf8 = LineIndex(text, types.PositionEncodingKind.Utf8)
    assert utf8.position(1, 3) == types.Position(line=0, character=5)
    utf32 = LineIndex(text, types.PositionEncodingKind.Utf32)
    assert utf32.position(2, 4) == types.Position(line=1, character=3)
    # a lone CR ends a line (for the LSP and for the engine)
    assert LineIndex("a\rb\r\nc").position(3, 2) == types.Position(line=2, character=1)
    # the engine does not count a BOM; the client's text has it on line 1
    bom = LineIndex("\ufeffab\ncd")
    assert bom.position(1, 2) == types.Position(line=0, character=2)
    assert bom.position(2, 2) == types.Position(line=1, character=1)
    assert LineIndex("\ufeffab", types.PositionEncodingKind.Utf8).position(1, 1).character == 3


def test_diff_edits_rebuild_the_fixed_text():
    from asynclint.lsp import diff_edits

    old = "a\n😀 b\nc\nd"
    new = "a\n😀 B\nc\nd\ne\n"
    for a, b in ((old, new), (old, ""), ("", new), (new, old), ("x\r\ny\rz\u2028w\n", "x\r\nY\rz\u2028w"),
                 ("\ufeffa\nb", "\ufeffa\nB\n")):
        assert apply_text_edits(a, diff_edits(a, b)) == b, (a, b)


def test_a_scan_does_not_import_pygls(tmp_path):
    (tmp_path / "a.js").write_text(JS, encoding="utf-8")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from asynclint.cli import main\n"
        f"CliRunner().invoke(main, ['scan', {str(tmp_path)!r}])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", "import json\n" + code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert json.loads(out.stdout) == []


def test_fix_all_applies_safe_fixes_only(monkeypatch, tmp_path):
    """No rule has a safe fix yet, so the fix-all path is driven here with a
    stand-in engine: safe fixes are applied to a fixed point, unsafe ones not."""
    from asynclint import lsp
    from asynclint.engine import FileResult
    from asynclint.findings import Edit, Finding, Fix, FixSafety, Severity

    def fake_lint(path, source, config, display=None):
        text = source.decode()
        found = []
        for n, line in enumerate(text.split("\n"), 1):
            for word, safety in (("bad", FixSafety.SAFE), ("risky", FixSafety.UNSAFE)):
                col = line.find(word)
                if col >= 0:
                    fix = Fix("rename", (Edit(n, col + 1, n, col + 1 + len(word), "good"),), safety)
                    found.append(Finding(word, Severity.WARNING, path, n, col + 1, n, col + 1 + len(word),
                                         "m", fix=fix))
        return FileResult(path, display or path, findings=found)

    monkeypatch.setattr(lsp, "lint_source", fake_lint)
    server = lsp.AsynclintServer()
    text = "const a = bad;\nconst b = risky;\nconst c = '😀' + bad + bad;\n"
    fixed = server._fix_all_sync(str(tmp_path / "x.js"), text)
    assert fixed == "const a = good;\nconst b = risky;\nconst c = '😀' + good + good;\n"
    edits = lsp.diff_edits(text, fixed)
    assert apply_text_edits(text, edits) == fixed


def test_versioned_edits_for_clients_that_support_them():
    from asynclint import lsp

    server = lsp.AsynclintServer()
    edit = types.TextEdit(range=types.Range(start=types.Position(line=0, character=0),
                                            end=types.Position(line=0, character=0)), new_text="x")
    server.protocol.client_capabilities = types.ClientCapabilities()
    assert server._workspace_edit("file:///a.js", 3, [edit]).changes == {"file:///a.js": [edit]}
    server.protocol.client_capabilities = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)))
    (change,) = server._workspace_edit("file:///a.js", 3, [edit]).document_changes
    assert change.text_document.version == 3 and change.edits == [edit]


@lsp_test
async def test_out_of_range_edits_and_huge_payloads(client: LanguageClient, workspace):
    doc = Doc(client, workspace / "edits.js", JS, "javascript")
    assert [d.code for d in await doc.diagnostics()] == ["missing-await"]
    # an edit whose range lies past the end of the document (the server asked
    # for full sync; a client that sends ranges anyway must not break it)
    doc.version += 1
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=900, character=5), end=types.Position(line=1200, character=0)),
            text="oops")],
    ))
    # a very large payload: a 6 MB document, then back to a small one
    huge = JS + ("const filler = [" + "1, " * 2_000_000 + "];\n")
    doc.change(huge)
    doc.change(JS.replace("  save(1);", "  await save(1);"))
    assert await doc.diagnostics() == []
    # the server still answers and still lints correctly
    other = Doc(client, workspace / "after-huge.js", JS, "javascript")
    assert [d.code for d in await other.diagnostics()] == ["missing-await"]
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=other.uri), position=types.Position(line=2, character=3)))
    assert hover is not None and "missing-await" in hover.contents.value
    doc.close()
    other.close()
    assert client.error is None


@lsp_test
async def test_a_document_too_slow_to_parse_is_reported_not_linted(client: LanguageClient, workspace):
    """Thousands of block comments that never close make tree-sitter's error
    recovery quadratic; the parse gives up at its deadline (5 s), the server
    says why in a log message, underlines nothing, and lints the next
    version as usual."""
    hostile = JS + "/* unclosed\n" * 9000
    doc = Doc(client, workspace / "hostile.js", hostile, "javascript")
    assert await doc.diagnostics() == []
    said = [m.message for m in client.log_messages if "hostile.js" in m.message]
    assert said and "never close" in said[-1] and "not linted" in said[-1]
    mark = len(client.published)
    doc.change(JS)
    assert [d.code for d in await doc.diagnostics(after=mark)] == ["missing-await"]
    doc.close()
