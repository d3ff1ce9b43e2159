"""What the nearest package.json says about a file: module type, supported
Node versions, declared dependency versions.

Node decides whether a ``.js`` file is CommonJS or an ES module from the
``"type"`` field of the nearest package.json above it (the search stops at a
``node_modules`` folder, like Node's package-scope lookup). Rules read the
same file to learn which Express major a project depends on and which Node
versions ``engines.node`` admits.

Reads are bounded (1 MB) and cached per folder; a package.json that is not
valid JSON (or not an object) is still "the nearest one" — it ends the search
— but says nothing: its data is an empty dict and ``valid`` is False.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from typing import Optional

from .resolve import is_file

MAX_BYTES = 1_000_000
_UNSEEN = object()
DEP_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


@dataclass(frozen=True)
class PackageJson:
    path: str  # absolute path of the package.json
    data: dict = field(default_factory=dict, hash=False, compare=False)
    valid: bool = True

    @property
    def folder(self) -> str:
        return os.path.dirname(self.path)


@functools.lru_cache(maxsize=16384)
def _read(path: str) -> Optional[PackageJson]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_BYTES:
        return PackageJson(path, {}, False)
    try:
        data = json.loads(raw.decode("utf-8-sig", "replace"))
    except ValueError:
        return PackageJson(path, {}, False)
    if not isinstance(data, dict):
        return PackageJson(path, {}, False)
    return PackageJson(path, data, True)


_NEAREST: dict[str, Optional[PackageJson]] = {}  # folder -> its nearest package.json


def find_package_json(directory: str) -> Optional[PackageJson]:
    """The nearest package.json at or above ``directory`` (None if there is
    none before the filesystem root or a ``node_modules`` folder). Every
    folder passed on the way up learns the answer too, so sibling and nested
    folders stop at the first one already looked at."""
    directory = os.path.abspath(directory)
    passed = []
    found = None
    for _ in range(64):
        known = _NEAREST.get(directory, _UNSEEN)
        if known is not _UNSEEN:
            found = known
            break
        passed.append(directory)
        if os.path.basename(directory) == "node_modules":
            break
        candidate = os.path.join(directory, "package.json")
        if is_file(candidate):
            found = _read(candidate)
            if found is not None:
                break
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    else:  # too deep to finish: answer, but teach no folder
        return None
    if len(_NEAREST) > 65536:
        _NEAREST.clear()
    for folder in passed:
        _NEAREST[folder] = found
    return found


def forget() -> None:
    """Drop what was read (package.json files change while a language server runs)."""
    _NEAREST.clear()
    _read.cache_clear()


def nearest_package_json(directory: str) -> Optional[dict]:
    """The data of the nearest package.json (``{}`` if it is unreadable JSON)."""
    found = find_package_json(directory)
    return None if found is None else found.data


def package_jsons_upward(directory: str, limit: int = 16):
    """Every package.json from ``directory`` up (nearest first), for facts a
    nested ``{"type": "module"}`` stub does not hold (dependencies)."""
    found = find_package_json(directory)
    while found is not None and limit > 0:
        limit -= 1
        yield found
        parent = os.path.dirname(found.folder)
        if parent == found.folder:
            return
        found = find_package_json(parent)


# ----------------------------------------------------------------- fields
def module_type(pkg: Optional[dict]) -> Optional[str]:
    """``"module"``, ``"commonjs"``, or None when the field is absent/odd."""
    if not pkg:
        return None
    value = pkg.get("type")
    return value if value in ("module", "commonjs") else None


def engines_node(pkg: Optional[dict]) -> Optional[str]:
    if not pkg:
        return None
    engines = pkg.get("engines")
    if isinstance(engines, dict) and isinstance(engines.get("node"), str):
        return engines["node"].strip() or None
    return None


def dependency_spec(pkg: Optional[dict], name: str) -> Optional[str]:
    """The version range a package.json declares for ``name``, from
    dependencies, devDependencies, peerDependencies or optionalDependencies."""
    if not pkg:
        return None
    for key in DEP_FIELDS:
        deps = pkg.get(key)
        if isinstance(deps, dict) and isinstance(deps.get(name), str):
            return deps[name]
    return None


def declared_dependency(directory: str, name: str) -> Optional[tuple[str, str]]:
    """(range, package.json path) of the nearest package.json at or above
    ``directory`` that declares ``name``; None if none does."""
    for found in package_jsons_upward(directory):
        spec = dependency_spec(found.data, name)
        if spec is not None:
            return spec, found.path
    return None


# ------------------------------------------------------------- versions
Version = tuple  # (major, minor, patch)
INFINITY: Version = (10**9, 0, 0)

_PART = re.compile(r"^[vV=]?\s*(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+][0-9A-Za-z.+-]*)?$")
_COMPARATOR = re.compile(r"^(<=|>=|<|>|=|\^|~>|~)?\s*(.*)$")


def _partial(text: str):
    """'20.1' → [20, 1, None]; 'x' / '*' parts become None. None if unparsable."""
    m = _PART.match(text.strip())
    if not m:
        return None
    parts = []
    for p in m.groups():
        parts.append(None if p is None or p in "xX*" else int(p))
    # anything after an x is an x too
    for i in range(3):
        if parts[i] is None:
            parts[i + 1:] = [None] * (2 - i)
            break
    return parts


def _floor(parts) -> Version:
    return tuple(p if p is not None else 0 for p in parts)


def _bump(parts) -> Version:
    """The first version past a partial: 20 → 21.0.0, 20.1 → 20.2.0."""
    if parts[0] is None:
        return INFINITY
    if parts[1] is None:
        return (parts[0] + 1, 0, 0)
    if parts[2] is None:
        return (parts[0], parts[1] + 1, 0)
    return (parts[0], parts[1], parts[2] + 1)


def _comparator_interval(token: str):
    """One comparator → (low, high): versions v with low <= v < high."""
    m = _COMPARATOR.match(token)
    op, rest = m.group(1) or "", m.group(2)
    parts = _partial(rest)
    if parts is None:
        return None
    lo, hi = _floor(parts), _bump(parts)
    if op in ("", "="):
        return (lo, hi) if parts[0] is not None else ((0, 0, 0), INFINITY)
    if op == ">=":
        return (lo, INFINITY)
    if op == ">":
        return (hi, INFINITY)
    if op == "<":
        return ((0, 0, 0), lo)
    if op == "<=":
        return ((0, 0, 0), hi)
    if op in ("~", "~>"):
        if parts[1] is None:
            return (lo, _bump(parts[:1] + [None, None]))
        return (lo, (parts[0], parts[1] + 1, 0))
    if op == "^":
        if parts[0] is None:
            return ((0, 0, 0), INFINITY)
        if parts[0] > 0 or parts[1] is None:
            return (lo, (parts[0] + 1, 0, 0))
        if parts[1] > 0 or parts[2] is None:
            return (lo, (0, parts[1] + 1, 0))
        return (lo, (0, 0, parts[2] + 1))
    return None


def range_intervals(spec: str) -> Optional[list[tuple[Version, Version]]]:
    """A semver range as a union of half-open intervals [low, high); None
    when it is not a version range (a URL, a tag, ``workspace:``...).
    Pre-release tags are ignored."""
    spec = spec.strip()
    if spec.startswith("npm:") and "@" in spec[4:]:  # alias: npm:express@^5
        spec = spec.rsplit("@", 1)[1]
    if spec in ("", "*", "x", "X", "latest"):
        return [((0, 0, 0), INFINITY)]
    out = []
    for alternative in spec.split("||"):
        alternative = alternative.strip()
        if not alternative:
            out.append(((0, 0, 0), INFINITY))
            continue
        hyphen = re.match(r"^(\S+)\s+-\s+(\S+)$", alternative)
        if hyphen:
            a, b = _partial(hyphen.group(1)), _partial(hyphen.group(2))
            if a is None or b is None:
                return None
            out.append((_floor(a), _bump(b)))
            continue
        # "> = 1.2" style spacing after an operator is legal in node-semver
        tokens = re.sub(r"(<=|>=|<|>|=|\^|~>|~)\s+", r"\1", alternative).split()
        lo, hi = (0, 0, 0), INFINITY
        for token in tokens:
            interval = _comparator_interval(token)
            if interval is None:
                return None
            lo, hi = max(lo, interval[0]), min(hi, interval[1])
        if lo < hi:
            out.append((lo, hi))
    return out


def min_major(spec: str) -> Optional[int]:
    """The lowest major version a range admits; None if it is not a range."""
    intervals = range_intervals(spec)
    if not intervals:
        return None
    return min(lo for lo, _ in intervals)[0]


def express_major(directory: str) -> Optional[tuple[int, str, str]]:
    """(lowest admitted major, declared range, package.json path) for the
    express the project at ``directory`` declares; None when it declares none
    or the range is not a version range. ``latest`` / ``*`` count as 5, what
    a fresh install gets today."""
    found = declared_dependency(directory, "express")
    if found is None:
        return None
    spec, path = found
    if spec.strip() in ("latest", "*", "x", "next", ""):
        return 5, spec, path
    major = min_major(spec)
    if major is None:
        return None
    return major, spec, path


def admits_only(spec: str, allowed: list[tuple[Version, Version]]) -> Optional[bool]:
    """Does every version the range ``spec`` admits lie inside ``allowed``
    (a union of [low, high) intervals)? None when ``spec`` is not a range."""
    intervals = range_intervals(spec)
    if intervals is None:
        return None
    for lo, hi in intervals:
        # Walk [lo, hi) through the allowed intervals, in order.
        cursor = lo
        for a_lo, a_hi in sorted(allowed):
            if a_lo <= cursor < a_hi:
                cursor = a_hi
            if cursor >= hi:
                break
        if cursor < hi:
            return False
    return True
