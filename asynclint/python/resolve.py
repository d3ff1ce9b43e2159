"""Find the project file a Python import names, by looking at the disk only.

``from .store import save`` is resolved against the importing file's package;
``import shop.store`` / ``from shop.store import save`` against the project's
import root: the folder above the topmost package (the first folder, walking
up from the importing file, that has no ``__init__.py``), then the importing
file's own folder (scripts that import their neighbours). A module ``a.b`` is
probed as ``a/b.py``, ``a/b/__init__.py``, then the ``.pyi`` equivalents.
Nothing is imported, executed or read: only ``os.path.isfile`` is asked.
Anything else (the standard library, installed packages) resolves to None.
"""

from __future__ import annotations

import functools
import os
from typing import Optional

MAX_PACKAGE_DEPTH = 64


def _is_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except (OSError, ValueError):
        return False


def _probe(base_dir: str, parts: list[str]) -> Optional[str]:
    if not parts:
        init = os.path.join(base_dir, "__init__.py")
        return init if _is_file(init) else None
    stem = os.path.join(base_dir, *parts)
    for candidate in (stem + ".py", os.path.join(stem, "__init__.py"),
                      stem + ".pyi", os.path.join(stem, "__init__.pyi")):
        if _is_file(candidate):
            return os.path.normpath(candidate)
    return None


@functools.lru_cache(maxsize=4096)
def import_root(folder: str) -> str:
    """The folder above the topmost package that contains ``folder``."""
    cur = folder
    for _ in range(MAX_PACKAGE_DEPTH):
        if not _is_file(os.path.join(cur, "__init__.py")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return cur
        cur = parent
    return cur


@functools.lru_cache(maxsize=65536)
def resolve_module(importer: str, module: str, level: int = 0) -> Optional[str]:
    """Absolute normalised path of the project file for ``module`` imported
    from the file ``importer`` (``level`` leading dots), or None."""
    parts = [p for p in module.split(".") if p] if module else []
    if any(not p.isidentifier() for p in parts):
        return None
    folder = os.path.dirname(os.path.abspath(importer))
    if level > 0:
        base = folder
        for _ in range(level - 1):
            parent = os.path.dirname(base)
            if parent == base:
                return None
            base = parent
        return _probe(base, parts)
    if not parts:
        return None
    root = import_root(folder)
    found = _probe(root, parts)
    if found is None and root != folder:
        found = _probe(folder, parts)
    return found
