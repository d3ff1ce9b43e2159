"""Lint text and lint paths: the one engine the CLI and the language server share.

``lint_source`` lints one file's bytes and returns its findings plus what the
file exports (for the project index). Cross-file findings come back with a
``Condition``; ``resolve_conditions`` keeps those the project index confirms.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from .config import Config, ConfigResolver
from .files import discover, language_of
from .findings import Finding, Unlintable

BINARY_SNIFF = 8192


def normalize_js_source(source: bytes) -> bytes:
    """What tree-sitter should see: valid UTF-8, no byte-order mark (editors
    do not count it as a column), and lone CR line ends turned into LF — JavaScript treats
    a lone CR as a line terminator, tree-sitter counts rows by LF only. The
    CR→LF swap keeps every byte offset; the BOM's removal shifts line 1 only,
    and fixes strip it the same way (``fixes.split_bom``)."""
    if source.startswith(b"\xef\xbb\xbf"):
        source = source[3:]
    try:
        if not source.isascii():  # ASCII is valid UTF-8 (and isascii() copies nothing)
            source.decode("utf-8")
    except UnicodeDecodeError:
        # Invalid bytes become U+FFFD: tree-sitter's text predicates and every
        # rule then see valid UTF-8 (columns count each bad byte as a character).
        source = source.decode("utf-8", "replace").encode("utf-8")
    if b"\r" in source:
        import re

        source = re.sub(rb"\r(?!\n)", b"\n", source)
    return source


def ts_parse_depth() -> int:
    from .javascript.parse import MAX_QUERY_DEPTH

    return MAX_QUERY_DEPTH


@dataclass
class FileResult:
    path: str
    display: str
    findings: list[Finding] = field(default_factory=list)
    exports: Optional[dict] = None  # ExportInfo.to_json() for JS/TS files
    notice: Optional[str] = None  # a message for stderr (unreadable, binary, ...)
    syntax_errors: bool = False
    linted: bool = True


@dataclass
class ScanResult:
    findings: list[Finding]
    files: int
    notices: list[str]
    partial_parses: int = 0
    results: list = field(default_factory=list)  # FileResult per linted file
    index: Optional["ProjectIndex"] = None
    config: Optional[Config] = None  # the run's root configuration
    baseline_fixed: int = 0  # baseline entries that no longer match anything


def read_source(path: str, max_bytes: int) -> tuple[Optional[bytes], Optional[str]]:
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                return None, (
                    f"skipped: {size / 1e6:.1f} MB is over the size limit "
                    f"({max_bytes / 1e6:.1f} MB; raise it with max-file-size in the configuration)"
                )
            # Sized by fstat: read(n) allocates n bytes first, and a 10 MB
            # buffer per file cost more than reading a small file (20 us).
            data = fh.read(size + 1)
            if len(data) > size:  # it grew since fstat: read on, up to the limit
                data += fh.read(max_bytes + 1 - len(data))
    except OSError as exc:
        return None, f"cannot read file ({exc.strerror or exc}), skipped"
    if b"\0" in data[:BINARY_SNIFF]:
        return None, "looks like a binary file (NUL bytes), skipped"
    return data, None


def lint_source(path: str, source: bytes, config: Config, display: str | None = None) -> FileResult:
    """Lint one file's contents: rule findings with inline suppressions applied.
    ``path`` is absolute (it anchors relative imports); it need not exist."""
    display = display or path
    lang = language_of(path)
    result = FileResult(path, display)
    enabled = config.enabled_for(path)
    if lang in ("js", "ts"):
        from .javascript.parse import dialect_for
        from .javascript.runner import lint_js

        source = normalize_js_source(source)
        dialect = dialect_for(os.path.splitext(path)[1])
        findings, exports, ctx = lint_js(
            path, source, dialect, enabled=enabled, display_path=display, options=config.rule_options,
        )
        result.findings = findings
        result.exports = exports.to_json()
        result.syntax_errors = ctx.root.has_error
        if ctx.too_deep:
            result.notice = (f"{display}: nested more than {ts_parse_depth()} levels deep; "
                             "the code below that depth was not checked")
    elif lang == "py":
        try:
            from .python.runner import lint_py
        except ModuleNotFoundError as exc:  # a build without Python support
            if exc.name not in ("asynclint.python", "asynclint.python.runner"):
                raise
            result.linted = False
            return result
        result.findings, result.exports = lint_py(path, source, config, display)
    else:
        result.linted = False
        return result
    if b"asynclint" in source or (lang != "py" and b"eslint-" in source):
        from .suppress import (apply_directives, directive_findings, js_comment_test, parse_directives,
                               python_comment_test)

        text = source.decode("utf-8", "replace")
        in_comment = python_comment_test(text) if lang == "py" else js_comment_test(ctx.root, source, text)
        directives = parse_directives(text, lang, in_comment)
        result.findings = apply_directives(result.findings, directives)
        result.findings += directive_findings(
            directives, display, enabled, config.report_unused_suppressions, config.require_reason
        )
    config.apply_severity(result.findings)
    return result


class ProjectIndex:
    """What each project module exports, for cross-file checks. Files outside
    the scan are indexed on demand when a scanned file imports them."""

    def __init__(self, config: Config):
        self.config = config
        self.exports: dict[str, Optional[dict]] = {}

    def add(self, path: str, exports: Optional[dict]) -> None:
        self.exports[path] = exports

    def _exports_of(self, path: str) -> Optional[dict]:
        if path not in self.exports:
            self.exports[path] = None
            lang = language_of(path)
            source = read_source(path, self.config.max_file_size)[0] if lang else None
            if source is not None and lang in ("js", "ts"):
                from .javascript.context import JsFile
                from .javascript.parse import dialect_for

                try:
                    ctx = JsFile(path, source, dialect_for(os.path.splitext(path)[1]))
                except Unlintable:  # a module we cannot parse confirms nothing
                    return None
                self.exports[path] = ctx.exports().to_json()
            elif source is not None and lang == "py":
                from .python.runner import module_exports

                self.exports[path] = module_exports(path, source)
        return self.exports[path]

    def is_async_export(self, path: str, name: str, depth: int = 0) -> bool:
        if depth > 16:
            return False
        info = self._exports_of(path)
        if not info:
            return False
        if name in info["async"]:
            return True
        if name in info["sync"]:
            return False
        for src, src_name, exported in info["reexports"]:
            if exported == name:
                return self.is_async_export(src, src_name, depth + 1)
            if exported == "*" and src_name == "*" and name != "default":
                if self.is_async_export(src, name, depth + 1):
                    return True
        return False

    def holds(self, finding: Finding) -> bool:
        cond = finding.condition
        if cond is None:
            return True
        if cond.kind == "async-export":
            return self.is_async_export(cond.path, cond.name)
        return False


def forget_disk_lookups() -> None:
    """Drop what was learnt from the disk about files other than the one
    being linted: where relative imports lead (files created or deleted since
    change the answer) and what each package.json says. A CLI run never
    needs this; a long-lived server does when files appear, vanish or a
    package.json changes."""
    from .javascript import package_json
    from .javascript import resolve as js_resolve
    from .python import resolve as py_resolve

    js_resolve.forget()
    package_json.forget()
    py_resolve.resolve_module.cache_clear()
    py_resolve.import_root.cache_clear()
    import sys

    mix = sys.modules.get("asynclint.rules.module_system_mix.js")
    if mix is not None:  # what each folder's package.json makes of its files
        for cached in (mix._folder_format, mix._has_build_step, mix._entry_points, mix._has_top_level_await):
            cached.cache_clear()


def resolve_conditions(results: Iterable[FileResult], index: ProjectIndex) -> list[Finding]:
    out = []
    for res in results:
        for f in res.findings:
            if index.holds(f):
                out.append(f)
    return out


@dataclass
class ScanOptions:
    jobs: int = 1  # worker processes; 1 lints in this process
    cache_dir: Optional[str] = None  # None: no cache
    shard: Optional[tuple[int, int]] = None  # (k, n), 1-based k
    only: Optional[set] = None  # absolute paths: lint just these and their importers (--changed-since)
    on_total: Optional[Callable[[int], None]] = None  # told how many files will be linted


def _shard_of(display: str, n: int) -> int:
    import hashlib

    digest = hashlib.blake2b(display.replace(os.sep, "/").encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n


def _lint_task(resolver, path: str, display: str, explicit: bool, known_hash: Optional[str],
               want_digest: bool = True):
    """Read and lint one file. Returns (FileResult or None, notice, digest);
    the digest (for the cache) only when ``want_digest``."""
    cfg = resolver.for_path(path)
    if not explicit and cfg.is_excluded(path):
        return None, None, None
    if _FAULT is not None and os.path.basename(path) == _FAULT[1]:
        _inject_fault(_FAULT[0])
    source, problem = read_source(path, cfg.max_file_size)
    if source is None:
        return None, f"{display}: {problem}", None
    from .cache import content_hash

    digest = content_hash(source) if want_digest or known_hash is not None else None
    if known_hash is not None and digest == known_hash:
        return "unchanged", None, digest
    try:
        res = lint_source(path, source, cfg, display)
    except RecursionError:
        return None, f"{display}: nesting too deep to analyse, skipped", digest
    except Unlintable as exc:
        return None, f"{display}: {exc}; skipped", digest
    except MemoryError:
        return None, f"{display}: out of memory while linting, skipped", digest
    except Exception as exc:  # a bug in asynclint must not stop the scan
        return None, (f"{display}: internal error while linting ({type(exc).__name__}: {exc}); "
                      "skipped — please report it"), digest
    return res, None, digest


_WORKER_RESOLVER = None

# Fault injection for the robustness tests only: ASYNCLINT_FAULT_INJECT="kill:name.js"
# makes the process linting name.js die, as a worker killed by the OOM killer would.
_FAULT = tuple(os.environ["ASYNCLINT_FAULT_INJECT"].split(":", 1)) if ":" in os.environ.get(
    "ASYNCLINT_FAULT_INJECT", "") else None


def _inject_fault(kind: str) -> None:
    if kind == "kill" and _WORKER_RESOLVER is not None:  # only ever inside a worker
        os._exit(137)
    if kind == "raise":
        raise RuntimeError("injected fault")


def _expect_files(count: int) -> None:
    """Tell the JS runner how many files this process will lint (a process
    with many compiles the full query at once; one with a few compiles, per
    file, only the patterns that can match it)."""
    from .javascript import runner

    runner.expect_files(count)


class _CollectBetweenFiles:
    """Python's cyclic garbage collector, run between files instead of in
    the middle of them. A scan keeps every file's results, so the automatic
    collector's full passes traverse more and more live objects (3.3 s of a
    44 s one-process scan of the JS benchmark corpus, about 8 %). Here,
    after every ``every`` files, one collection finds the cycles those files
    left, and what survives (results, caches) is frozen: moved out of the
    collector's sight, so the next collection looks only at what is new.
    Leaving restores the collector as it was."""

    def __init__(self, every: int = 32):
        self.every = every
        self.count = 0
        self.was_enabled = True

    def __enter__(self) -> "_CollectBetweenFiles":
        import gc

        self.was_enabled = gc.isenabled()
        gc.disable()
        return self

    def tick(self) -> None:
        self.count += 1
        if self.count % self.every == 0:
            import gc

            gc.collect()
            gc.freeze()

    def __exit__(self, *exc) -> None:
        import gc

        gc.unfreeze()
        if self.was_enabled:
            gc.enable()


_WORKER_GC: Optional[_CollectBetweenFiles] = None


def _worker_init(resolver, per_worker: int = 0) -> None:
    global _WORKER_RESOLVER, _WORKER_GC
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    _WORKER_RESOLVER = resolver
    _expect_files(per_worker)
    gc.freeze()  # what the worker inherited from the parent: never garbage here
    _WORKER_GC = _CollectBetweenFiles().__enter__()  # for the worker's whole life


def _worker_batch(tasks):
    out = []
    for t in tasks:
        out.append(_lint_task(_WORKER_RESOLVER, *t))
        if _WORKER_GC is not None:
            _WORKER_GC.tick()
    return out


def _batches(tasks, jobs, sizes=None) -> list:
    """Tasks grouped for the pool, largest files first: a 9 MB bundle (whose
    lint takes seconds) started last would leave the other workers idle at
    the end. A batch holds up to 32 files and about 1/16 of a worker's share
    of the bytes, so a big file travels alone."""
    if sizes is None:
        sizes = {}
        for task in tasks:
            try:
                sizes[task[0]] = os.path.getsize(task[0])
            except OSError:
                sizes[task[0]] = 0
    order = sorted(tasks, key=lambda t: -sizes.get(t[0], 0))
    limit = max(1, sum(sizes.get(t[0], 0) for t in tasks) // (jobs * 16))
    out, current, size = [], [], 0
    for task in order:
        current.append(task)
        size += sizes.get(task[0], 0)
        if len(current) >= 32 or size >= limit:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


def _run_pool(resolver, tasks, jobs, deliver, notices) -> None:
    """Lint ``tasks`` in ``jobs`` processes. A worker that dies (killed, out
    of memory) does not sink the scan: the batches that were in flight are
    retried one file per fresh process, and the file that kills its process
    again is reported and skipped. At most ``2 * jobs`` batches are in flight,
    so a death costs little rework."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    queue = deque(_batches(tasks, jobs))
    suspects: list = []

    def new_pool(workers):
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init,
                                   initargs=(resolver, len(tasks) // max(1, workers)))

    while queue:
        pool = new_pool(jobs)
        inflight: dict = {}
        broken = False
        try:
            while queue or inflight:
                while queue and len(inflight) < 2 * jobs and not broken:
                    batch = queue.popleft()
                    inflight[pool.submit(_worker_batch, batch)] = batch
                if not inflight:
                    break
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    batch = inflight.pop(fut)
                    try:
                        outputs = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        suspects.extend(batch)
                        continue
                    for task, output in zip(batch, outputs):
                        deliver(task, output)
                if broken:
                    for batch in inflight.values():
                        suspects.extend(batch)
                    inflight.clear()
                    break
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
        # Each file that was in flight when a worker died, alone in a fresh process.
        for task in suspects:
            solo = new_pool(1)
            try:
                (output,) = solo.submit(_worker_batch, [task]).result()
            except BrokenProcessPool:
                notices.append(f"{task[1]}: the process linting this file died (killed or out of memory); skipped")
                solo.shutdown(wait=False, cancel_futures=True)
                continue
            solo.shutdown(wait=True)
            deliver(task, output)
        suspects.clear()


def lint_paths(paths: list[str], config: Config | ConfigResolver,
               on_file: Callable[[FileResult], None] | None = None,
               options: ScanOptions | None = None) -> ScanResult:
    """Discover, read and lint every file under ``paths`` (in parallel, with
    the cache, when ``options`` say so); resolve cross-file findings against
    the project index built from the same run."""
    options = options or ScanOptions()
    resolver = config if isinstance(config, ConfigResolver) else _FixedResolver(config)
    root = resolver.root()
    found = discover(paths, excludes=root.exclude, use_gitignore=root.use_ignore_files,
                     languages=root.languages)
    notices = list(found.notices)
    items = found.files
    if options.only is not None:
        from .dependents import dependents

        only = set(options.only)
        only |= dependents(only, [i.path for i in items if i.path not in only], root.max_file_size)
        items = [i for i in items if i.path in only]
    if options.shard is not None:
        k, n = options.shard
        items = [i for i in items if _shard_of(i.display, n) == k - 1]

    if options.on_total is not None:
        options.on_total(len(items))
    cache = None
    if options.cache_dir is not None:
        from .cache import ResultCache

        cache = ResultCache(options.cache_dir)

    results: list[FileResult] = []
    index = ProjectIndex(root)
    tasks = []
    meta: dict[str, tuple] = {}  # path -> (config fingerprint, size, mtime_ns)

    def accept(res: FileResult) -> None:
        if not res.linted:
            return
        results.append(res)
        if res.exports is not None:
            index.add(res.path, res.exports)
        if on_file is not None:
            on_file(res)

    by_dir: dict = {}  # folder -> (Config, fingerprint): one lookup per folder
    for item in items:
        known = None
        if cache is not None:
            folder = os.path.dirname(item.path)
            hit = by_dir.get(folder)
            if hit is None:
                cfg = resolver.for_path(item.path)
                hit = by_dir[folder] = (cfg, cfg.fingerprint())
            cfg, fp = hit
            if not item.explicit and cfg.is_excluded(item.path):
                continue
            try:
                st = os.stat(item.path)
            except OSError as exc:
                notices.append(f"{item.display}: cannot read file ({exc.strerror or exc}), skipped")
                continue
            entry = cache.get(item.path, fp, st.st_size, st.st_mtime_ns)
            if entry is not None:  # decided from metadata: the file is not read
                res = cache.result_from(entry, item.display)
                if res is not None:
                    res.path = item.path
                    accept(res)
                    continue
            meta[item.path] = (fp, st.st_size, st.st_mtime_ns)
            known = cache.known_hash(item.path, fp)
        tasks.append((item.path, item.display, item.explicit, known, cache is not None))

    def deliver(task, output) -> None:
        path, display = task[0], task[1]
        res, notice, digest = output
        if notice:
            notices.append(notice)
        if isinstance(res, FileResult) and res.notice:
            notices.append(res.notice)
        if res == "unchanged":
            fp, size, mtime = meta[path]
            cache.touch(path, fp, size, mtime)
            cached = cache.result_from(cache.get(path, fp, size, mtime), display)
            if cached is not None:
                cached.path = path
                accept(cached)
                return
            res, notice, digest = _lint_task(resolver, path, display, task[2], None)
            if notice:
                notices.append(notice)
        if res is None or res == "unchanged":
            return
        if cache is not None and digest is not None and path in meta:
            fp, size, mtime = meta[path]
            cache.put(path, fp, size, mtime, digest, res)
        accept(res)

    jobs = max(1, options.jobs)
    if jobs > 1 and len(tasks) >= 2 * jobs and len(tasks) > 16:
        _run_pool(resolver, tasks, jobs, deliver, notices)
    else:
        has_js = any(language_of(t[0]) in ("js", "ts") for t in tasks)
        if has_js:
            _expect_files(len(tasks))
        try:
            with _CollectBetweenFiles() as collector:
                for task in tasks:
                    deliver(task, _lint_task(resolver, *task))
                    collector.tick()
        finally:
            if has_js:
                _expect_files(0)
    if cache is not None:
        cache.save()

    results.sort(key=lambda r: r.display)
    findings = resolve_conditions(results, index)
    findings.sort(key=Finding.sort_key)
    return ScanResult(
        findings=findings,
        files=len(results),
        notices=notices,
        partial_parses=sum(1 for r in results if r.syntax_errors),
        results=results,
        index=index,
        config=root,
    )


class _FixedResolver:
    """One Config for every file (tests, the library API)."""

    def __init__(self, config: Config):
        self.config = config

    def for_path(self, path: str) -> Config:
        return self.config

    def root(self) -> Config:
        return self.config
