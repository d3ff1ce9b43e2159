"""The rule registry: every sub-package of this package that defines ``META``.

A rule is a package ``asynclint/rules/<id with - as _>/``: ``__init__.py``
declares ``META`` (a :class:`RuleMeta`), ``js.py`` holds its JavaScript/
TypeScript check (a class ``Check``), ``py.py`` its Python check. Language
modules are imported only when a file of that language is linted, so a JS-only
scan never imports libcst. Adding a rule means adding that package,
``rules/<id>.md`` and ``fixtures/<id>/``; nothing else registers it.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil

from .base import JsRule, RuleMeta


@functools.lru_cache(maxsize=None)
def _packages() -> dict:
    mods = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or not info.ispkg:
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        meta = getattr(mod, "META", None)
        if isinstance(meta, RuleMeta):
            mods[meta.id] = mod
    return dict(sorted(mods.items()))


def all_rules() -> dict[str, RuleMeta]:
    return {rid: mod.META for rid, mod in _packages().items()}


def _language_check(rule_id: str, lang_module: str):
    mod = _packages()[rule_id]
    if lang_module not in {i.name for i in pkgutil.iter_modules(mod.__path__)}:
        return None
    return importlib.import_module(f"{mod.__name__}.{lang_module}").Check


@functools.lru_cache(maxsize=None)
def js_rules() -> tuple[type[JsRule], ...]:
    checks = (_language_check(rid, "js") for rid in _packages())
    return tuple(c for c in checks if c is not None)


@functools.lru_cache(maxsize=None)
def py_rules() -> tuple:
    checks = (_language_check(rid, "py") for rid in _packages())
    return tuple(c for c in checks if c is not None)


def closest(rule_id: str, n: int = 3) -> list[str]:
    return difflib.get_close_matches(rule_id, list(all_rules()), n=n, cutoff=0.4)
