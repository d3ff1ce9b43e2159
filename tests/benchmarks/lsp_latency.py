#!/usr/bin/env python3
"""How long the editor waits: time from didChange to publishDiagnostics.

    python tests/benchmarks/lsp_latency.py               # 20 edits per file
    python tests/benchmarks/lsp_latency.py --edits 50 --lines 4000

Starts ``python -m asynclint lsp`` as an editor would, opens a generated
JavaScript file and a generated Python file (2,000 lines each by default,
with a few pitfalls in them), then edits one line at a time: each didChange
is sent only after the diagnostics of the previous one arrived, and the time
until the diagnostics *for that version* arrive is recorded.

Two runs: with the server's default debounce (what a user sees: the quiet
period after a keystroke plus the lint) and with the debounce at 0 (the lint
and the round trip alone). Prints median / min / max in milliseconds.

Not a test (nothing is asserted; the machines are shared): run it by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

ROOT = Path(__file__).resolve().parents[2]

JS_BLOCK = """\
// ---- module part {i}
async function loadUser{i}(id) {{
  const row = await db.query('SELECT * FROM users WHERE id = $1', [id]);
  return row && row.name ? {{ id, name: row.name }} : null;
}}

function formatUser{i}(user) {{
  return `${{user.id}}: ${{user.name}}`;
}}

app.get('/users{i}/:id', async (req, res) => {{
  try {{
    const user = await loadUser{i}(req.params.id);
    res.json({{ text: formatUser{i}(user) }});
  }} catch (err) {{
    res.status(500).json({{ error: String(err) }});
  }}
  {pitfall}
}});
"""

PY_BLOCK = """\
# ---- module part {i}
async def load_user_{i}(conn, user_id):
    row = await conn.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
    return {{"id": user_id, "name": row["name"]}} if row else None


def format_user_{i}(user):
    return f"{{user['id']}}: {{user['name']}}"


async def handle_{i}(request):
    try:
        user = await load_user_{i}(request.app["db"], request.match_info["id"])
        return format_user_{i}(user)
    except KeyError as exc:
        raise ValueError(str(exc)) from exc
    {pitfall}

"""


def generate(block: str, lines: int, header: str, pitfalls: tuple[str, str]) -> str:
    parts = [header]
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        pitfall = pitfalls[0].format(i=i) if i % 10 == 0 else pitfalls[1]
        parts.append(block.format(i=i, pitfall=pitfall))
        i += 1
    text = "".join(parts)
    return "\n".join(text.split("\n")[:lines]) + "\n"


def js_source(lines: int) -> str:
    header = "const express = require('express');\nconst db = require('./db');\nconst app = express();\n"
    return generate(JS_BLOCK, lines, header, ("loadUser{i}(req.params.id); // missing await", "// fine"))


def py_source(lines: int) -> str:
    header = "import asyncio\n\n\n"
    return generate(PY_BLOCK, lines, header, ("load_user_{i}(None, 1)  # missing await", "pass"))


class Timer:
    def __init__(self, client: LanguageClient):
        self.waiting: dict[tuple[str, int], asyncio.Future] = {}

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams):
            fut = self.waiting.pop((params.uri, params.version), None)
            if fut is not None and not fut.done():
                fut.set_result((time.perf_counter(), len(params.diagnostics)))

    def expect(self, uri: str, version: int) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self.waiting[(uri, version)] = fut
        return fut


async def hover_while(client: LanguageClient, uri: str, done: asyncio.Future) -> list[float]:
    """Hover requests sent every 50 ms until ``done``: their response times."""
    times = []
    while not done.done():
        t0 = time.perf_counter()
        await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=0, character=0))), 60)
        times.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.05)
    return times


async def measure(debounce_ms: int | None, lines: int, edits: int, folder: Path, only: str | None) -> dict:
    env = dict(os.environ, ASYNCLINT_LSP_LOG="WARNING")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    if debounce_ms is not None:
        env["ASYNCLINT_LSP_DEBOUNCE_MS"] = str(debounce_ms)
    client = LanguageClient("asynclint-bench", "1")
    timer = Timer(client)
    await client.start_io(sys.executable, "-m", "asynclint", "lsp", env=env, cwd=str(folder))
    await client.initialize_async(types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=from_fs_path(str(folder))))
    client.initialized(types.InitializedParams())
    out = {}
    for name, language_id, make in (("app.js", "javascript", js_source), ("app.py", "python", py_source)):
        if only is not None and not name.endswith(only):
            continue
        source = make(lines)
        path = folder / name
        path.write_text(source, encoding="utf-8")
        uri = from_fs_path(str(path))
        done = timer.expect(uri, 1)
        t0 = time.perf_counter()
        client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id=language_id, version=1, text=source)))
        t1, count = await asyncio.wait_for(done, 60)
        open_ms = (t1 - t0) * 1000
        lines_of = source.split("\n")
        samples, hovers = [], []
        comment = "//" if language_id == "javascript" else "#"
        for k in range(edits):
            version = k + 2
            target = (k * 97) % (len(lines_of) - 1)  # a different line each time
            edited = list(lines_of)
            edited[target] = f"{edited[target]}  {comment} edit {k}" if edited[target].strip() else edited[target]
            text = "\n".join(edited)
            done = timer.expect(uri, version)
            t0 = time.perf_counter()
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            ))
            if k == 0:  # while this lint runs, the server must keep answering
                hovers.extend(await hover_while(client, uri, done))
            t1, count = await asyncio.wait_for(done, 60)
            samples.append((t1 - t0) * 1000)
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        out[name] = {"open": open_ms, "samples": samples, "diagnostics": count, "lines": len(lines_of) - 1,
                     "hovers": hovers}
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return out


def report(label: str, results: dict) -> None:
    print(f"\n{label}")
    print(f"  {'file':<8} {'lines':>6} {'diags':>6} {'open':>8}   {'median':>8} {'min':>8} {'max':>8}  (ms, didChange -> publishDiagnostics, n={len(next(iter(results.values()))['samples'])})")
    for name, r in results.items():
        s = r["samples"]
        print(f"  {name:<8} {r['lines']:>6} {r['diagnostics']:>6} {r['open']:>8.1f}   "
              f"{statistics.median(s):>8.1f} {min(s):>8.1f} {max(s):>8.1f}")
    for name, r in results.items():
        h = r["hovers"]
        if h:
            print(f"  hover requests answered during a lint of {name}: {len(h)}, "
                  f"median {statistics.median(h):.1f} ms, max {max(h):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--only", choices=["js", "py"], default=None, help="Time one language only.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="asynclint-lsp-bench-") as tmp:
        runs = (("default debounce (what the user waits for after the last keystroke):", None),
                ("debounce 0 (lint + round trip):", 0))
        for n, (label, debounce) in enumerate(runs):
            folder = Path(tmp) / f"run{n}"  # an empty workspace each time: no index warm-up meanwhile
            folder.mkdir()
            report(label, asyncio.run(measure(debounce, args.lines, args.edits, folder, args.only)))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
