"""Relative import resolution and the nearest package.json, both answered from
cached folder listings: what they find, and that forget_disk_lookups() (the
language server's hook for created or deleted files) makes them look again."""

import json
import os

import pytest

from asynclint.engine import forget_disk_lookups
from asynclint.javascript import package_json as pj
from asynclint.javascript.resolve import resolve_module


@pytest.fixture(autouse=True)
def fresh_lookups():
    forget_disk_lookups()
    yield
    forget_disk_lookups()


def write(path, text=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def test_probes_extensions_folders_and_typescript_sources(tmp_path):
    db = write(tmp_path / "lib" / "db.js")
    index = write(tmp_path / "lib" / "util" / "index.ts")
    ts = write(tmp_path / "src" / "mod.ts")
    main = write(tmp_path / "pkg" / "dist" / "entry.cjs")
    write(tmp_path / "pkg" / "package.json", json.dumps({"main": "dist/entry.cjs"}))
    here = str(tmp_path)
    assert resolve_module(here, "./lib/db") == db
    assert resolve_module(here, "./lib/db.js") == db
    assert resolve_module(here, "./lib/util") == index
    assert resolve_module(here, "./src/mod.js") == ts  # TypeScript imports ./x.js meaning ./x.ts
    assert resolve_module(here, "./pkg") == main
    assert resolve_module(str(tmp_path / "lib"), "../lib/db") == db
    # Near misses: no such file, a folder without an index, a bare package name.
    assert resolve_module(here, "./lib/dbx") is None
    assert resolve_module(here, "./src") is None
    assert resolve_module(here, "express") is None


def test_links_to_files_count_broken_links_do_not(tmp_path):
    target = write(tmp_path / "real.js")
    os.symlink(target, tmp_path / "alias.js")
    os.symlink(tmp_path / "missing.js", tmp_path / "broken.js")
    assert resolve_module(str(tmp_path), "./alias") == str(tmp_path / "alias.js")
    assert resolve_module(str(tmp_path), "./broken") is None


def test_files_created_later_are_seen_after_forgetting(tmp_path):
    here = str(tmp_path)
    write(tmp_path / "other.js")
    assert resolve_module(here, "./late") is None
    late = write(tmp_path / "late.js")
    assert resolve_module(here, "./late") is None  # the listing is cached for the run
    forget_disk_lookups()
    assert resolve_module(here, "./late") == late


def test_nearest_package_json_walks_up_and_stops_at_node_modules(tmp_path):
    write(tmp_path / "package.json", json.dumps({"type": "module"}))
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "b2").mkdir()
    found = pj.find_package_json(str(deep))
    assert found is not None and found.path == str(tmp_path / "package.json")
    assert found.data == {"type": "module"}
    # A sibling folder (whose parent the first walk passed) gets the same answer.
    assert pj.find_package_json(str(tmp_path / "a" / "b2")).path == found.path
    dep = tmp_path / "node_modules" / "dep" / "lib"
    dep.mkdir(parents=True)
    assert pj.find_package_json(str(dep)) is None  # the search stops at node_modules
    write(tmp_path / "node_modules" / "dep" / "package.json", "{not json")
    forget_disk_lookups()
    inner = pj.find_package_json(str(dep))
    assert inner is not None and not inner.valid and inner.data == {}


def test_a_package_json_added_later_is_seen_after_forgetting(tmp_path):
    write(tmp_path / "package.json", json.dumps({"type": "commonjs"}))
    sub = tmp_path / "sub"
    sub.mkdir()
    assert pj.find_package_json(str(sub)).data == {"type": "commonjs"}
    write(sub / "package.json", json.dumps({"type": "module"}))
    assert pj.find_package_json(str(sub)).data == {"type": "commonjs"}
    forget_disk_lookups()
    assert pj.find_package_json(str(sub)).data == {"type": "module"}
