"""Fixes of section-B rules async-promise-executor, async-foreach,
unhandled-rejection and unforwarded-async-error (all unsafe): the fixed
file parses, the finding the fix was for is gone, and a second run changes
nothing. Where a rule offers no fix (an executor that awaits, a typed
executor), --fix leaves the file alone."""

from __future__ import annotations

import json

from click.testing import CliRunner

from asynclint.cli import main
from asynclint.fixes import parses


def run(*args):
    return CliRunner().invoke(main, list(args))


def findings(path, rule):
    res = run("scan", "--no-cache", "-j", "1", "--select", rule, "--format", "json", path.name)
    return json.loads(res.stdout)["findings"]


def fix_twice(path, rule):
    """Apply unsafe fixes twice; return the text after the first run (the second must change nothing)."""
    res = run("scan", "--no-cache", "-j", "1", "--select", rule, "--fix", "--unsafe-fixes", path.name)
    assert res.exit_code in (0, 1), res.output
    first = path.read_text(encoding="utf-8")
    run("scan", "--no-cache", "-j", "1", "--select", rule, "--fix", "--unsafe-fixes", path.name)
    assert path.read_text(encoding="utf-8") == first
    assert parses(str(path), first)
    return first


def without_fix(path, rule):
    """--fix --unsafe-fixes changes nothing: the rule offers no fix here."""
    before = path.read_text(encoding="utf-8")
    run("scan", "--no-cache", "-j", "1", "--select", rule, "--fix", "--unsafe-fixes", path.name)
    assert path.read_text(encoding="utf-8") == before


# ------------------------------------------------------------ async-promise-executor

EXECUTORS = (
    "'use strict';\n"
    "function waitForOpen(socket) {\n"
    "  return new Promise(async function (resolve, reject) {\n"
    "    socket.once('open', resolve);\n"
    "    socket.once('error', reject);\n"
    "  });\n"
    "}\n"
    "function ready(emitter) {\n"
    "  return new Promise(async resolve => emitter.once('ready', resolve));\n"
    "}\n"
    "function closed(server) {\n"
    "  return new Promise(async(resolve, reject) => {\n"
    "    server.close((err) => (err ? reject(err) : resolve()));\n"
    "  });\n"
    "}\n"
    "module.exports = { waitForOpen, ready, closed };\n"
)


def test_executor_without_await_loses_async(in_tmp):
    path = in_tmp / "wait.js"
    path.write_text(EXECUTORS, encoding="utf-8")
    assert len(findings(path, "async-promise-executor")) == 3
    fixed = fix_twice(path, "async-promise-executor")
    assert fixed == EXECUTORS.replace("Promise(async function (", "Promise(function (") \
        .replace("Promise(async resolve", "Promise(resolve").replace("Promise(async(", "Promise((")
    assert findings(path, "async-promise-executor") == []


def test_executor_that_awaits_gets_no_fix(in_tmp):
    path = in_tmp / "config.js"
    path.write_text(
        "const fsp = require('fs/promises');\n"
        "function readConfig(p) {\n"
        "  return new Promise(async (resolve) => {\n"
        "    resolve(JSON.parse(await fsp.readFile(p, 'utf8')));\n"
        "  });\n"
        "}\n"
        "function lines(stream) {\n"
        "  return new Promise(async (resolve) => {\n"
        "    const out = [];\n"
        "    for await (const line of stream) out.push(line);\n"
        "    resolve(out);\n"
        "  });\n"
        "}\n"
        "module.exports = { readConfig, lines };\n",
        encoding="utf-8",
    )
    assert len(findings(path, "async-promise-executor")) == 2
    without_fix(path, "async-promise-executor")


def test_typed_executor_keeps_async(in_tmp):
    # Dropping `async` would leave `: Promise<void>` on a function that returns nothing.
    path = in_tmp / "open.ts"
    path.write_text(
        "export function open(sock: { once(e: string, f: () => void): void }): Promise<void> {\n"
        "  return new Promise<void>(async (resolve): Promise<void> => {\n"
        "    sock.once('open', resolve);\n"
        "  });\n"
        "}\n",
        encoding="utf-8",
    )
    assert len(findings(path, "async-promise-executor")) == 1
    without_fix(path, "async-promise-executor")


def test_executor_fix_in_typescript_generic(in_tmp):
    path = in_tmp / "ready.ts"
    src = (
        "export function ready(e: { once(n: string, f: () => void): void }): Promise<void> {\n"
        "  return new Promise<void>(async (resolve) => {\n"
        "    e.once('ready', resolve);\n"
        "  });\n"
        "}\n"
    )
    path.write_text(src, encoding="utf-8")
    fixed = fix_twice(path, "async-promise-executor")
    assert fixed == src.replace("Promise<void>(async (resolve)", "Promise<void>((resolve)")


# ------------------------------------------------------------ async-foreach

def test_foreach_in_async_function_becomes_promise_all(in_tmp):
    path = in_tmp / "reindex.mjs"
    path.write_text(
        "export async function reindex(index) {\n"
        "  Object.keys(index).forEach(async (name) => {\n"
        "    await index[name].rebuild();\n"
        "  });\n"
        "  return index;\n"
        "}\n",
        encoding="utf-8",
    )
    assert len(findings(path, "async-foreach")) == 1
    fixed = fix_twice(path, "async-foreach")
    assert fixed == (
        "export async function reindex(index) {\n"
        "  await Promise.all(Object.keys(index).map(async (name) => {\n"
        "    await index[name].rebuild();\n"
        "  }));\n"
        "  return index;\n"
        "}\n"
    )
    assert findings(path, "async-foreach") == []


def test_foreach_on_unknown_collection_gets_no_fix(in_tmp):
    # `users` may be a Map or a Set: they have forEach but no map.
    path = in_tmp / "notify.mjs"
    path.write_text(
        "export async function notifyAll(users, mailer) {\n"
        "  users.forEach(async (user) => {\n"
        "    await mailer.send(user.email);\n"
        "  });\n"
        "}\n",
        encoding="utf-8",
    )
    assert len(findings(path, "async-foreach")) == 1
    without_fix(path, "async-foreach")


# ------------------------------------------------------------ unhandled-rejection

def test_dropped_chain_in_async_function_is_awaited(in_tmp):
    path = in_tmp / "sync.mjs"
    path.write_text(
        "export async function syncProfile(api, profile) {\n"
        "  api.update(profile.id, profile).then(() => console.log('synced'));\n"
        "  return profile.id;\n"
        "}\n",
        encoding="utf-8",
    )
    fixed = fix_twice(path, "unhandled-rejection")
    assert "  await api.update(profile.id, profile).then(() => console.log('synced'));\n" in fixed
    assert findings(path, "unhandled-rejection") == []


def test_dropped_chain_in_plain_function_gets_no_fix(in_tmp):
    path = in_tmp / "refresh.js"
    path.write_text(
        "function refresh(url, store) {\n"
        "  fetch(url).then((res) => res.json()).then((rates) => store.save(rates));\n"
        "}\n"
        "module.exports = { refresh };\n",
        encoding="utf-8",
    )
    assert len(findings(path, "unhandled-rejection")) == 1
    without_fix(path, "unhandled-rejection")


# ------------------------------------------------------------ unforwarded-async-error

def test_express4_handler_gets_try_catch_next(in_tmp):
    (in_tmp / "package.json").write_text('{"dependencies": {"express": "^4.19.2"}}\n', encoding="utf-8")
    path = in_tmp / "routes.js"
    path.write_text(
        "const express = require('express');\n"
        "const app = express();\n"
        "app.get('/users/:id', async (req, res) => {\n"
        "  const user = await db.findUser(req.params.id);\n"
        "  res.json(user);\n"
        "});\n"
        "module.exports = app;\n",
        encoding="utf-8",
    )
    assert len(findings(path, "unforwarded-async-error")) == 1
    fixed = fix_twice(path, "unforwarded-async-error")
    assert "async (req, res, next) => {\n  try {\n" in fixed
    assert "  } catch (err) {\n    next(err);\n  }\n" in fixed
    assert findings(path, "unforwarded-async-error") == []


def test_dropped_chain_in_a_loop_gets_no_fix(in_tmp):
    # Awaiting inside the loop would serialise what ran together
    # (fastify's test/fastify-instance.test.js starts every ready() first).
    path = in_tmp / "order.mjs"
    path.write_text(
        "export async function readyInOrder(app, orders, result) {\n"
        "  for (const order of orders) {\n"
        "    app.ready().then(() => result.push(order));\n"
        "  }\n"
        "  await app.ready();\n"
        "}\n",
        encoding="utf-8",
    )
    assert len(findings(path, "unhandled-rejection")) == 1
    without_fix(path, "unhandled-rejection")
