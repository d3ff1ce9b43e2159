"""missing-await across files: async exports found through the project index."""

from __future__ import annotations

import json
import textwrap

from click.testing import CliRunner

from asynclint.cli import main


def scan_json(*paths):
    res = CliRunner().invoke(main, ["scan", "--format", "json", *paths], catch_exceptions=False)
    return json.loads(res.output)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def test_commonjs_exports(in_tmp):
    write(in_tmp / "lib" / "db.js", """
        async function saveUser(u) { return u; }
        function loadUser(id) { return { id }; }
        module.exports = { saveUser, loadUser };
        exports.removeUser = async (id) => id;
    """)
    write(in_tmp / "lib" / "index.js", "module.exports = require('./db');\n")
    write(in_tmp / "app.js", """
        const db = require('./lib/db');
        const { saveUser } = require('./lib/db.js');
        const lib = require('./lib');
        async function handle(u) {
          db.saveUser(u);
          saveUser(u);
          db.loadUser(1);
          db.removeUser(2);
          lib.saveUser(u);
          await db.saveUser(u);
        }
    """)
    data = scan_json(".")
    lines = sorted((f["path"], f["line"]) for f in data["findings"])
    assert lines == [("app.js", 6), ("app.js", 7), ("app.js", 9), ("app.js", 10)]


def test_esm_exports_and_typescript_resolution(in_tmp):
    write(in_tmp / "repo.mjs", """
        export async function findOrder(id) { return id; }
        export default async function audit() {}
        export function syncThing() {}
        const later = async () => 1;
        export { later as deferred };
    """)
    write(in_tmp / "service.ts", "export async function charge(n: number): Promise<number> { return n; }\n")
    write(in_tmp / "reexport.ts", "export { charge } from './service';\n")
    write(in_tmp / "use.mjs", """
        import audit, { findOrder, syncThing, deferred } from './repo.mjs';
        import { charge } from './reexport.js';
        export async function run() {
          findOrder(1);
          audit();
          syncThing();
          deferred();
          charge(3);
        }
    """)
    data = scan_json(".")
    got = sorted((f["path"], f["line"]) for f in data["findings"])
    assert got == [("use.mjs", 5), ("use.mjs", 6), ("use.mjs", 8), ("use.mjs", 9)]


def test_imported_file_outside_the_scan_is_indexed_on_demand(in_tmp):
    write(in_tmp / "shared" / "api.js", "exports.post = async function post() {};\n")
    write(in_tmp / "src" / "main.js", """
        const api = require('../shared/api');
        async function go() { api.post(); }
    """)
    data = scan_json("src")
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("src/main.js", 3)]
    assert data["summary"]["files"] == 1


def test_unresolvable_import_is_silent(in_tmp):
    write(in_tmp / "main.js", """
        const api = require('./missing');
        const pkg = require('some-package');
        async function go() { api.post(); pkg.run(); }
    """)
    assert scan_json(".")["findings"] == []
