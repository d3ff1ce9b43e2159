"""unsafe-pipe's fix: a `.pipe()` chain statement becomes `stream.pipeline`
(callback) or `await pipeline` (stream/promises, in an async function). The
fixed file parses, the finding is gone, and a second run changes nothing."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from asynclint.cli import main
from asynclint.fixes import parses


def run(*args):
    return CliRunner().invoke(main, list(args))


def fix_twice(path):
    """Apply unsafe fixes twice; return (text after the first run, after the second)."""
    res = run("scan", "--no-cache", "--select", "unsafe-pipe", "--fix", "--unsafe-fixes", path.name)
    assert res.exit_code == 0, res.output
    first = path.read_text(encoding="utf-8")
    res = run("scan", "--no-cache", "--select", "unsafe-pipe", "--fix", "--unsafe-fixes", path.name)
    assert "Fixed" not in res.stderr
    assert path.read_text(encoding="utf-8") == first
    assert parses(str(path), first)
    return first


def findings(path):
    res = run("scan", "--no-cache", "--select", "unsafe-pipe", "--format", "json", path.name)
    return json.loads(res.stdout)["findings"]


CJS = (
    "'use strict';\n"
    "const fs = require('fs');\n"
    "const zlib = require('zlib');\n"
    "\n"
    "function compress(file) {\n"
    "  fs.createReadStream(file).pipe(zlib.createGzip()).pipe(fs.createWriteStream(file + '.gz'));\n"
    "}\n"
    "module.exports = { compress };\n"
)


def test_cjs_chain_becomes_stream_pipeline_with_callback(in_tmp):
    path = in_tmp / "compress.js"
    path.write_text(CJS, encoding="utf-8")
    assert len(findings(path)) == 1
    fixed = fix_twice(path)
    assert fixed == (
        "'use strict';\n"
        "const fs = require('fs');\n"
        "const zlib = require('zlib');\n"
        "const { pipeline } = require('node:stream');\n"
        "\n"
        "function compress(file) {\n"
        "  pipeline(fs.createReadStream(file), zlib.createGzip(), fs.createWriteStream(file + '.gz'), "
        "(err) => { if (err) console.error('pipeline failed:', err); });\n"
        "}\n"
        "module.exports = { compress };\n"
    )
    assert findings(path) == []


def test_esm_async_function_gets_await_pipeline_from_stream_promises(in_tmp):
    path = in_tmp / "job.mjs"
    path.write_text(
        "import { createReadStream, createWriteStream } from 'node:fs';\n"
        "import { createGunzip } from 'node:zlib';\n"
        "\n"
        "export async function unpack(src, dst) {\n"
        "  createReadStream(src).pipe(createGunzip()).pipe(createWriteStream(dst));\n"
        "  return dst;\n"
        "}\n",
        encoding="utf-8",
    )
    fixed = fix_twice(path)
    assert "import { pipeline } from 'node:stream/promises';\n" in fixed
    assert "  await pipeline(createReadStream(src), createGunzip(), createWriteStream(dst));\n" in fixed
    assert findings(path) == []


def test_existing_stream_binding_is_reused_in_typescript(in_tmp):
    path = in_tmp / "relay.ts"
    path.write_text(
        "import * as stream from 'stream';\n"
        "import * as zlib from 'zlib';\n"
        "\n"
        "export function relay(a: stream.Readable, b: stream.Writable): void {\n"
        "  a.pipe(zlib.createGzip()).pipe(b);\n"
        "}\n",
        encoding="utf-8",
    )
    fixed = fix_twice(path)
    assert fixed.count("import") == 2  # no new import
    assert "  stream.pipeline(a, zlib.createGzip(), b, (err) => {" in fixed


@pytest.mark.parametrize(
    "body",
    [
        # the chain's value is used: the rewrite would change what is returned
        "  return a.pipe(zlib.createGzip()).pipe(b);\n",
        # other chained calls in between (listeners, setEncoding): not a simple shape
        "  a.pipe(zlib.createGzip()).on('finish', done).pipe(b);\n",
        # a comment inside the chain would be lost
        "  a // source\n    .pipe(zlib.createGzip())\n    .pipe(b);\n",
    ],
)
def test_no_fix_for_shapes_that_are_not_simple(in_tmp, body):
    path = in_tmp / "x.js"
    text = "const zlib = require('zlib');\nfunction f(a, b, done) {\n" + body + "}\nmodule.exports = f;\n"
    path.write_text(text, encoding="utf-8")
    assert findings(path), "the chain is still reported"
    run("scan", "--no-cache", "--select", "unsafe-pipe", "--fix", "--unsafe-fixes", "x.js")
    assert path.read_text(encoding="utf-8") == text


def test_no_fix_when_the_name_pipeline_is_taken(in_tmp):
    path = in_tmp / "x.js"
    text = (
        "const zlib = require('zlib');\n"
        "const pipeline = [];\n"
        "function f(a, b) {\n  a.pipe(zlib.createGzip()).pipe(b);\n}\n"
        "module.exports = { f, pipeline };\n"
    )
    path.write_text(text, encoding="utf-8")
    run("scan", "--no-cache", "--select", "unsafe-pipe", "--fix", "--unsafe-fixes", "x.js")
    assert path.read_text(encoding="utf-8") == text


def test_fix_without_unsafe_flag_changes_nothing(in_tmp):
    path = in_tmp / "compress.js"
    path.write_text(CJS, encoding="utf-8")
    run("scan", "--no-cache", "--select", "unsafe-pipe", "--fix", "compress.js")
    assert path.read_text(encoding="utf-8") == CJS


# ---------------------------------------------------------------- the other section-B fixes
FIXABLE = ["unsafe-pipe", "ignored-backpressure", "uncaught-exception-continue", "uncleared-interval",
           "stack-trace-leak"]


@pytest.mark.parametrize("rid", FIXABLE)
def test_fixes_on_positive_fixtures_parse_and_reach_a_fixed_point(in_tmp, rid):
    """Every unsafe fix these rules offer on their positive fixtures leaves
    files that parse, and a second run finds nothing more to fix."""
    from conftest import FIXTURES

    names = []
    for src in sorted((FIXTURES / rid).glob("positive*")):
        (in_tmp / src.name).write_bytes(src.read_bytes())
        names.append(src.name)
    before = {n: (in_tmp / n).read_text(encoding="utf-8") for n in names}
    res = run("scan", "--no-cache", "--select", rid, "--fix", "--unsafe-fixes", *names)
    assert "Fixed" in res.stderr, res.output  # at least one fix is offered per rule
    after = {n: (in_tmp / n).read_text(encoding="utf-8") for n in names}
    assert after != before
    for n, text in after.items():
        assert parses(str(in_tmp / n), text), n
    res = run("scan", "--no-cache", "--select", rid, "--fix", "--unsafe-fixes", *names)
    assert "Fixed" not in res.stderr
    assert {n: (in_tmp / n).read_text(encoding="utf-8") for n in names} == after
