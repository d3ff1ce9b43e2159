"""The result cache: skip files that have not changed since the last run.

One JSON file per (asynclint version, effective configuration) under
``.asynclint_cache/`` maps each linted file to its size, modification time,
content hash and lint result. A file whose size and mtime match is not even
read (as Ruff does); one whose metadata changed but whose content hash
matches is not linted again. Cross-file findings are stored with their
conditions and resolved afresh on every run, so a change in another file is
always seen.

The cache is data, never code: it is JSON, every entry is checked field by
field when loaded, and anything unexpected (a truncated file, a wrong type)
is discarded as a miss. The folder carries its own ``.gitignore``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from typing import Optional

from . import __version__
from .findings import Condition, Edit, Finding, Fix, FixSafety, Severity

CACHE_DIR_NAME = ".asynclint_cache"
FORMAT = 1


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# ------------------------------------------------------------ (de)serialise
def _finding_to_json(f: Finding) -> dict:
    d = f.to_dict()
    del d["url"]
    if f.fix is not None:
        d["fix"] = {
            "description": f.fix.description,
            "safety": f.fix.safety.value,
            "edits": [[e.line, e.column, e.end_line, e.end_column, e.text] for e in f.fix.edits],
        }
    if f.condition is not None:
        d["condition"] = [f.condition.kind, f.condition.path, f.condition.name]
    return d


def _int(v) -> int:
    if type(v) is not int:
        raise ValueError("not an int")
    return v


def _str(v) -> str:
    if not isinstance(v, str):
        raise ValueError("not a str")
    return v


def _finding_from_json(d: dict) -> Finding:
    fix = None
    if "fix" in d:
        fx = d["fix"]
        edits = tuple(Edit(_int(a), _int(b), _int(c), _int(e), _str(t)) for a, b, c, e, t in fx["edits"])
        fix = Fix(_str(fx["description"]), edits, FixSafety(fx["safety"]))
    cond = None
    if "condition" in d:
        kind, path, name = d["condition"]
        cond = Condition(_str(kind), _str(path), _str(name))
    return Finding(
        rule=_str(d["rule"]), severity=Severity(d["severity"]), path=_str(d["path"]),
        line=_int(d["line"]), column=_int(d["column"]), end_line=_int(d["end_line"]),
        end_column=_int(d["end_column"]), message=_str(d["message"]), fix=fix, condition=cond,
    )


def _strs(v) -> bool:
    return type(v) is list and (not v or all(type(x) is str for x in v))


def _exports_ok(exports) -> bool:
    if exports is None:
        return True
    if type(exports) is not dict:
        return False
    if not (_strs(exports.get("async")) and _strs(exports.get("sync"))):
        return False
    re_ = exports.get("reexports")
    return type(re_) is list and (not re_ or all(
        type(r) is list and len(r) == 3 and all(type(x) is str for x in r) for r in re_
    ))


@functools.lru_cache(maxsize=None)
def _file_result_class():
    from .engine import FileResult  # engine imports this module

    return FileResult


class ResultCache:
    def __init__(self, folder: str):
        self.folder = folder
        self._tables: dict[str, dict] = {}  # table key -> {path: entry}
        self._by_fp: dict[str, dict] = {}  # config fingerprint -> its table
        self._dirty: set[str] = set()

    @staticmethod
    def _key(config_fp: str) -> str:
        return hashlib.blake2b(f"{__version__}\0{config_fp}".encode(), digest_size=12).hexdigest()

    def _table(self, config_fp: str) -> dict:
        table = self._by_fp.get(config_fp)
        if table is None:
            key = self._key(config_fp)
            if key not in self._tables:
                self._tables[key] = self._load(key)
            table = self._by_fp[config_fp] = self._tables[key]
        return table

    def _file_for(self, key: str) -> str:
        return os.path.join(self.folder, f"v{FORMAT}-{key}.json")

    def _load(self, key: str) -> dict:
        try:
            with open(self._file_for(key), "rb") as fh:
                data = json.loads(fh.read())
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or data.get("asynclint") != __version__ or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]

    def get(self, path: str, config_fp: str, size: int, mtime_ns: int) -> Optional[dict]:
        """The cached entry if the file's metadata is unchanged."""
        entry = self._table(config_fp).get(path)
        if isinstance(entry, dict) and entry.get("size") == size and entry.get("mtime_ns") == mtime_ns:
            return entry
        return None

    def known_hash(self, path: str, config_fp: str) -> Optional[str]:
        entry = self._table(config_fp).get(path)
        return entry.get("hash") if isinstance(entry, dict) else None

    def result_from(self, entry: dict, display: str):
        """Rebuild a FileResult from an entry, or None if the entry is damaged."""
        FileResult = _file_result_class()
        try:
            found = entry["findings"]
            if type(found) is not list:
                return None
            findings = [_finding_from_json(d) for d in found] if found else []
            exports = entry.get("exports")
            if not _exports_ok(exports):
                return None
            for f in findings:
                f.path = display
            return FileResult(path="", display=display, findings=findings, exports=exports,
                              syntax_errors=bool(entry.get("syntax_errors", False)))
        except (KeyError, TypeError, ValueError, AttributeError):
            return None

    def touch(self, path: str, config_fp: str, size: int, mtime_ns: int) -> None:
        """Content unchanged but metadata moved (a checkout): remember the new metadata."""
        entry = self._table(config_fp).get(path)
        if isinstance(entry, dict):
            entry["size"], entry["mtime_ns"] = size, mtime_ns
            self._dirty.add(self._key(config_fp))

    def put(self, path: str, config_fp: str, size: int, mtime_ns: int, digest: str, result) -> None:
        self._table(config_fp)[path] = {
            "size": size,
            "mtime_ns": mtime_ns,
            "hash": digest,
            "findings": [_finding_to_json(f) for f in result.findings],
            "exports": result.exports,
            "syntax_errors": result.syntax_errors,
        }
        self._dirty.add(self._key(config_fp))

    def save(self) -> None:
        if not self._dirty:
            return
        try:
            os.makedirs(self.folder, exist_ok=True)
            ignore = os.path.join(self.folder, ".gitignore")
            if not os.path.exists(ignore):
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("# Created by asynclint: the whole folder is a cache.\n*\n")
            for key in self._dirty:
                tmp = self._file_for(key) + f".{os.getpid()}.tmp"
                with open(tmp, "w", encoding="utf-8") as fh:
                    json.dump({"asynclint": __version__, "files": self._tables[key]}, fh, separators=(",", ":"))
                os.replace(tmp, self._file_for(key))
        except OSError:
            pass  # a read-only checkout: run without a cache
        self._dirty.clear()
