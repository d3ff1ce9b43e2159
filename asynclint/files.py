"""Find the files to lint.

Folders are walked without following symlinked folders (no loops). A folder's
.gitignore applies below it, and so do the .gitignore files of the folders
above the scan root up to the repository root. Some folders are never
descended into by default (node_modules, .git, dist, build, coverage) and
minified bundles are skipped; ``--exclude`` adds more gitignore-style globs.
A file named on the command line is always linted, whatever the ignores say.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

from .javascript.parse import JS_EXTENSIONS, TS_EXTENSIONS, TSX_EXTENSIONS

PY_EXTENSIONS = frozenset({".py", ".pyi"})
JS_LIKE = JS_EXTENSIONS | TS_EXTENSIONS | TSX_EXTENSIONS
DEFAULT_EXCLUDES = (
    "node_modules/",
    ".git/",
    "dist/",
    "build/",
    "coverage/",
    ".asynclint_cache/",
    "__pycache__/",
    ".venv/",
    ".tox/",
    "*.min.js",
)


def language_of(path: str) -> str | None:
    """'js', 'ts' or 'py' by extension; None for files asynclint does not read."""
    ext = os.path.splitext(path)[1].lower()
    if ext in JS_EXTENSIONS:
        return "js"
    if ext in TS_EXTENSIONS or ext in TSX_EXTENSIONS:
        return "ts"
    if ext in PY_EXTENSIONS:
        return "py"
    return None


@dataclass
class Discovered:
    path: str  # absolute
    display: str  # as the user would write it, relative to the current folder when possible
    explicit: bool = False


@dataclass
class Discovery:
    files: list[Discovered] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def _display(abs_path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(abs_path, cwd)
    except ValueError:  # another drive on Windows
        return abs_path
    return abs_path if rel.startswith("..") else rel


if TYPE_CHECKING:  # pragma: no cover
    import pathspec


def _read_gitignore(folder: str) -> "pathspec.PathSpec | None":
    path = os.path.join(folder, ".gitignore")
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read(2_000_000).splitlines()
    except OSError:
        return None
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # a malformed pattern must not stop the scan
        return None


def _repo_root(start: str) -> str | None:
    cur = start
    while True:
        if os.path.exists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


class _Ignores:
    """The stack of ignore specs that apply in a folder, each with its base.
    Built on first use: a scan of named files never walks a folder, and
    then never imports pathspec."""

    def __init__(self, excludes: list[str], use_gitignore: bool):
        self._patterns = (list(DEFAULT_EXCLUDES) if use_gitignore else [".git/"]) + list(excludes)
        self.use_gitignore = use_gitignore
        self._cache: dict = {}

    @functools.cached_property
    def base_spec(self):
        import pathspec

        return pathspec.GitIgnoreSpec.from_lines(self._patterns)

    def gitignore(self, folder: str):
        if folder not in self._cache:
            self._cache[folder] = _read_gitignore(folder) if self.use_gitignore else None
        return self._cache[folder]

    def ignored(self, rel: str, name: str, abs_path: str, is_dir: bool, chain: list[str]) -> bool:
        """``rel``: the path relative to the scan root, with "/" separators."""
        suffix = "/" if is_dir else ""
        if self.base_spec.match_file(rel + suffix) or self.base_spec.match_file(name + suffix):
            return True
        for folder in chain:
            spec = self.gitignore(folder)
            if spec is None:
                continue
            rel_to = _below(abs_path, folder)
            if rel_to is not None and spec.match_file(rel_to + suffix):
                return True
        return False


def _below(path: str, folder: str) -> str | None:
    """``path`` relative to ``folder`` ("/" separators) if it lies below it.
    Both are normalised absolute paths, so this is string slicing — the walk
    calls it for every entry, and os.path.relpath costs 50 times more."""
    head = folder if folder.endswith(os.sep) else folder + os.sep
    if not path.startswith(head):
        rel = os.path.relpath(path, folder)
        return None if rel.startswith("..") else rel.replace(os.sep, "/")
    rel = path[len(head):]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def discover(paths: list[str], excludes: list[str] | None = None, use_gitignore: bool = True,
             languages: frozenset | None = None) -> Discovery:
    """The files to lint under ``paths``. ``use_gitignore=False`` (``--no-ignore``)
    drops the .gitignore files and the default excludes; ``excludes`` still apply."""
    cwd = os.getcwd()
    out = Discovery()
    ignores = _Ignores(list(excludes or []), use_gitignore)
    seen: set[str] = set()
    for given in paths:
        abs_given = os.path.abspath(given)
        if os.path.isfile(abs_given):
            if abs_given not in seen:
                seen.add(abs_given)
                out.files.append(Discovered(abs_given, os.path.normpath(given) if not os.path.isabs(given) else _display(abs_given, cwd), True))
            continue
        if not os.path.isdir(abs_given):
            out.notices.append(f"{given}: not a file or folder, skipped")
            continue
        # .gitignore files from the repository root down to the scan root apply too.
        root = _repo_root(abs_given)
        chain: list[str] = []
        if root is not None:
            cur = abs_given
            while True:
                chain.insert(0, cur)
                if cur == root:
                    break
                cur = os.path.dirname(cur)
        else:
            chain = [abs_given]
        if os.path.isabs(given):
            top_display = _display(abs_given, cwd)
            if os.path.isabs(top_display):
                prefix = None  # not below the current folder: decided per file
            else:
                prefix = "" if top_display == "." else top_display + os.sep
        else:
            norm = os.path.normpath(given)
            prefix = "" if norm == "." else norm + os.sep
        for abs_path, rel, lang in _walk(abs_given, ignores, chain, out):
            if abs_path in seen:
                continue
            if languages is not None and lang not in languages:
                continue
            seen.add(abs_path)
            display = _display(abs_path, cwd) if prefix is None else prefix + rel
            out.files.append(Discovered(abs_path, display))
    return out


def _walk(top: str, ignores: _Ignores, chain: list[str], out: Discovery) -> Iterator[tuple[str, str, str]]:
    """(absolute path, path relative to ``top`` with os.sep, language) of
    each lintable file under ``top``, in sorted order."""
    stack = [(top, "", chain)]
    visited: set = set()
    while stack:
        folder, folder_rel, folder_chain = stack.pop()
        try:
            st = os.stat(folder)
            identity = (st.st_dev, st.st_ino)
            if identity in visited:
                continue
            visited.add(identity)
        except OSError:
            pass  # scandir below reports it
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            out.notices.append(f"{folder}: cannot read folder ({exc.strerror or exc}), skipped")
            continue
        subfolders = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            rel = folder_rel + name
            if is_dir:
                if ignores.ignored(rel.replace(os.sep, "/") if os.sep != "/" else rel, name, entry.path, True,
                                   folder_chain):
                    continue
                subfolders.append((entry.path, rel + os.sep))
            elif is_file:
                lang = language_of(name)
                if lang is None or ignores.ignored(rel.replace(os.sep, "/") if os.sep != "/" else rel, name,
                                                   entry.path, False, folder_chain):
                    continue
                yield entry.path, rel, lang
        for sub, sub_rel in reversed(subfolders):
            stack.append((sub, sub_rel, folder_chain + [sub]))
