"""Configuration: which rules run, at what severity, with which options.

Settings come from the nearest configuration file above each linted file
(``asynclint.toml``, ``.asynclint.toml``, ``[tool.asynclint]`` in
``pyproject.toml``, or an ``"asynclint"`` key in ``package.json``: the first
of these found in a folder wins, the nearest folder wins), or from the one
file given with ``--config``. Command-line flags apply on top. The engine only
ever reads a finished :class:`Config`.

Configuration is data: nothing in it is executed. Every key, rule id and
option is checked, and a mistake is an error that names the file, the key and
the closest valid spelling (exit code 2).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from .findings import Finding, Severity


class ConfigError(Exception):
    """Bad input to asynclint itself: reported with exit code 2."""


DEFAULT_MAX_FILE_SIZE = 10_000_000
CONFIG_FILE_NAMES = ("asynclint.toml", ".asynclint.toml", "pyproject.toml", "package.json")
MAX_CONFIG_BYTES = 1_000_000

KEYS = {
    "select": "a list of rule ids",
    "ignore": "a list of rule ids",
    "extend-select": "a list of rule ids",
    "severity": "a table of rule id = \"error\" | \"warning\" | \"info\"",
    "exclude": "a list of gitignore-style globs",
    "per-file-ignores": "a table of glob = [rule ids]",
    "options": "a table of rule id = {option = value}",
    "fail-on": "\"error\", \"warning\" or \"info\"",
    "max-file-size": "a size in bytes",
    "require-suppression-reason": "true or false",
    "report-unused-suppressions": "true or false",
}


def _closest(word: str, choices) -> str:
    hint = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{hint[0]}'?" if hint else ""


@dataclass
class Config:
    select: Optional[set] = None  # None: the rules on by default
    ignore: set = field(default_factory=set)
    extend_select: set = field(default_factory=set)
    severity: dict = field(default_factory=dict)  # rule id -> Severity
    exclude: list = field(default_factory=list)
    per_file_ignores: list = field(default_factory=list)  # [(PathSpec, set of ids)]
    rule_options: dict = field(default_factory=dict)  # rule id -> {option: value}
    fail_on: Severity = Severity.WARNING
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    languages: Optional[frozenset] = None
    use_ignore_files: bool = True  # .gitignore and the default excludes
    require_reason: bool = False
    report_unused_suppressions: bool = False
    base_dir: Optional[str] = None  # folder of the file this came from (globs are relative to it)
    source: Optional[str] = None  # the file this came from, for messages
    _exclude_spec: Any = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def _enabled(self) -> frozenset:
        from .rules import all_rules

        rules = all_rules()
        if self.select is None:
            chosen = {rid for rid, meta in rules.items() if meta.default_enabled}
        else:
            chosen = set(self.select)
        chosen |= self.extend_select
        chosen -= self.ignore
        return frozenset(chosen)

    def enabled(self) -> frozenset:
        return self._enabled

    def _relative(self, path: str) -> Optional[str]:
        base = self.base_dir or os.getcwd()
        rel = os.path.relpath(os.path.abspath(path), base)
        return None if rel.startswith("..") else rel.replace(os.sep, "/")

    def enabled_for(self, path: str) -> frozenset:
        enabled = self._enabled
        if self.per_file_ignores:
            rel = self._relative(path)
            if rel is not None:
                for spec, ids in self.per_file_ignores:
                    if spec.match_file(rel):
                        enabled = enabled - ids
        return enabled

    def is_excluded(self, path: str) -> bool:
        if not self.exclude:
            return False
        if self._exclude_spec is None:
            import pathspec

            self._exclude_spec = pathspec.GitIgnoreSpec.from_lines(self.exclude)
        rel = self._relative(path)
        return rel is not None and self._exclude_spec.match_file(rel)

    def apply_severity(self, findings: list[Finding]) -> None:
        if not self.severity:
            return
        for f in findings:
            sev = self.severity.get(f.rule)
            if sev is not None:
                f.severity = sev

    def fails(self, findings: list[Finding]) -> bool:
        return any(f.severity.rank >= self.fail_on.rank for f in findings)

    def fingerprint(self) -> str:
        """A stable digest of everything that changes what a file's lint gives."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            cached = self.__dict__["_fingerprint"] = self._compute_fingerprint()
        return cached

    def _compute_fingerprint(self) -> str:
        parts = {
            "enabled": sorted(self._enabled),
            "severity": {k: v.value for k, v in sorted(self.severity.items())},
            "options": self.rule_options,
            "pfi": [(sorted(ids), [str(p) for p in spec.patterns]) for spec, ids in self.per_file_ignores],
            "reason": self.require_reason,
            "unused": self.report_unused_suppressions,
            "max": self.max_file_size,
        }
        return json.dumps(parts, sort_keys=True, default=str)


def validate_rule_ids(ids, where: str) -> set:
    from .rules import all_rules, closest

    known = all_rules()
    out = set()
    if isinstance(ids, str):
        ids = [ids]
    for rid in ids:
        if not isinstance(rid, str):
            raise ConfigError(f"{where}: expected rule ids (strings), got {rid!r}")
        rid = rid.strip()
        if not rid:
            continue
        if rid not in known:
            hint = closest(rid)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise ConfigError(f"{where}: unknown rule id '{rid}'{suggestion} (see `asynclint rules`)")
        out.add(rid)
    return out


def _severity(value, where: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ConfigError(
            f"{where}: '{value}' is not a severity{_closest(str(value), [s.value for s in Severity])} "
            "(use error, warning or info)"
        ) from None


def _list_of_strings(value, where: str) -> list:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return list(value)


def _bool(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _rule_options(value, where: str) -> dict:
    from .rules import all_rules

    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of rule id = {{option = value}}")
    out = {}
    rules = all_rules()
    for rid, opts in value.items():
        validate_rule_ids([rid], f"{where}")
        schema = dict(rules[rid].options)
        if not isinstance(opts, dict):
            raise ConfigError(f"{where}.{rid}: expected a table of options")
        if not schema:
            raise ConfigError(f"{where}.{rid}: {rid} has no options")
        checked = {}
        for name, val in opts.items():
            if name not in schema:
                raise ConfigError(
                    f"{where}.{rid}: unknown option '{name}'{_closest(name, schema)} "
                    f"(options: {', '.join(sorted(schema))})"
                )
            expected = type(schema[name])
            if type(val) is not expected:
                raise ConfigError(
                    f"{where}.{rid}.{name}: expected {expected.__name__}, got {type(val).__name__} {val!r}"
                )
            if expected is int and val < 0:
                raise ConfigError(f"{where}.{rid}.{name}: must not be negative")
            checked[name] = val
        out[rid] = checked
    return out


def from_mapping(data: dict, source: str, base_dir: str) -> Config:
    """Build a Config from a parsed ``[tool.asynclint]`` table (or equivalent)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the asynclint settings must be a table/object")
    cfg = Config(base_dir=base_dir, source=source)
    for key, value in data.items():
        where = f"{source}: {key}"
        if key not in KEYS:
            raise ConfigError(f"{source}: unknown key '{key}'{_closest(key, KEYS)} (valid keys: {', '.join(KEYS)})")
        if key == "select":
            cfg.select = validate_rule_ids(_list_of_strings(value, where), where)
        elif key == "ignore":
            cfg.ignore = validate_rule_ids(_list_of_strings(value, where), where)
        elif key == "extend-select":
            cfg.extend_select = validate_rule_ids(_list_of_strings(value, where), where)
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected {KEYS[key]}")
            for rid, level in value.items():
                validate_rule_ids([rid], where)
                cfg.severity[rid] = _severity(level, f"{where}.{rid}")
        elif key == "exclude":
            cfg.exclude = _list_of_strings(value, where)
        elif key == "per-file-ignores":
            import pathspec

            if not isinstance(value, dict):
                raise ConfigError(f"{where}: expected {KEYS[key]}")
            for glob, ids in value.items():
                ids = validate_rule_ids(_list_of_strings(ids, f"{where}.{glob}"), f"{where}.{glob}")
                cfg.per_file_ignores.append((pathspec.GitIgnoreSpec.from_lines([glob]), ids))
        elif key == "options":
            cfg.rule_options = _rule_options(value, where)
        elif key == "fail-on":
            cfg.fail_on = _severity(value, where)
        elif key == "max-file-size":
            if type(value) is not int or value <= 0:
                raise ConfigError(f"{where}: expected a positive number of bytes, got {value!r}")
            cfg.max_file_size = value
        elif key == "require-suppression-reason":
            cfg.require_reason = _bool(value, where)
        elif key == "report-unused-suppressions":
            cfg.report_unused_suppressions = _bool(value, where)
    return cfg


def _read_limited(path: str) -> bytes:
    try:
        size = os.path.getsize(path)
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: configuration file is {size} bytes; more than {MAX_CONFIG_BYTES} is not read")
        with open(path, "rb") as fh:
            return fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration ({exc.strerror or exc})") from None


def _load_toml(path: str) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]
    try:
        return tomllib.loads(_read_limited(path).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def settings_in(path: str) -> Optional[dict]:
    """The asynclint settings a file holds, or None if it holds none
    (a pyproject.toml without [tool.asynclint], a package.json without "asynclint")."""
    name = os.path.basename(path)
    if name == "package.json":
        try:
            data = json.loads(_read_limited(path).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None  # a broken package.json is not ours to complain about
        if isinstance(data, dict) and "asynclint" in data:
            return data["asynclint"]
        return None
    data = _load_toml(path)
    if name == "pyproject.toml":
        tool = data.get("tool")
        if isinstance(tool, dict) and "asynclint" in tool:
            return tool["asynclint"]
        return None
    return data


def load_file(path: str) -> Config:
    path = os.path.abspath(path)
    settings = settings_in(path)
    if settings is None:
        if os.path.basename(path) in ("pyproject.toml", "package.json"):
            return Config(base_dir=os.path.dirname(path), source=path)
        settings = {}
    return from_mapping(settings, path, os.path.dirname(path))


@dataclass
class Overrides:
    """What the command line says; applied on top of any file's settings."""

    select: Optional[set] = None
    ignore: Optional[set] = None
    extend_select: Optional[set] = None
    exclude: list = field(default_factory=list)
    fail_on: Optional[Severity] = None
    use_ignore_files: bool = True
    report_unused_suppressions: Optional[bool] = None

    def apply(self, cfg: Config) -> Config:
        cfg = replace(cfg)
        cfg.__dict__.pop("_enabled", None)
        cfg.__dict__.pop("_fingerprint", None)
        if self.select is not None:  # the command line's choice beats the file's
            cfg.select = set(self.select)
            cfg.extend_select = set()
            cfg.ignore = cfg.ignore - self.select
        if self.ignore is not None:
            cfg.ignore = cfg.ignore | self.ignore
            if cfg.select is not None:
                cfg.select = cfg.select - self.ignore
        if self.extend_select is not None:
            cfg.extend_select = cfg.extend_select | self.extend_select
            cfg.ignore = cfg.ignore - self.extend_select
        if self.exclude:
            cfg.exclude = list(cfg.exclude) + list(self.exclude)
            cfg._exclude_spec = None
        if self.fail_on is not None:
            cfg.fail_on = self.fail_on
        if self.report_unused_suppressions is not None:
            cfg.report_unused_suppressions = self.report_unused_suppressions
        cfg.use_ignore_files = self.use_ignore_files
        return cfg


class ConfigResolver:
    """The effective Config for each file: nearest file's settings (or the
    ``--config`` file's), with the command line's on top. Files are read once."""

    def __init__(self, overrides: Overrides | None = None, config_file: str | None = None):
        self.overrides = overrides or Overrides()
        self.config_file = config_file
        self._by_dir: dict[str, Optional[str]] = {}
        self._configs: dict[Optional[str], Config] = {}
        if config_file is not None:
            self._configs[config_file] = self.overrides.apply(load_file(config_file))

    def _config_path_for_dir(self, folder: str) -> Optional[str]:
        chain = []
        cur = folder
        found: Optional[str] = None
        while True:
            if cur in self._by_dir:
                found = self._by_dir[cur]
                break
            chain.append(cur)
            hit = None
            for name in CONFIG_FILE_NAMES:
                candidate = os.path.join(cur, name)
                if os.path.isfile(candidate) and (
                    name in ("asynclint.toml", ".asynclint.toml") or settings_in(candidate) is not None
                ):
                    hit = candidate
                    break
            if hit is not None:
                found = hit
                break
            parent = os.path.dirname(cur)
            if parent == cur:
                break
            cur = parent
        for d in chain:
            self._by_dir[d] = found
        return found

    def config_path_for(self, path: str) -> Optional[str]:
        if self.config_file is not None:
            return self.config_file
        folder = os.path.dirname(os.path.abspath(path))
        return self._config_path_for_dir(folder)

    def for_path(self, path: str) -> Config:
        key = self.config_path_for(path)
        if key not in self._configs:
            base = load_file(key) if key is not None else Config()
            self._configs[key] = self.overrides.apply(base)
        return self._configs[key]

    def root(self) -> Config:
        """The configuration that governs the run as a whole (fail-on, ...):
        the --config file, or the nearest one above the current folder."""
        if self.config_file is not None:
            return self._configs[self.config_file]
        key = self._config_path_for_dir(os.getcwd())
        if key not in self._configs:
            base = load_file(key) if key is not None else Config()
            self._configs[key] = self.overrides.apply(base)
        return self._configs[key]
