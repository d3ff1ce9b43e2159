#!/usr/bin/env python3
"""Benchmark asynclint against its peers on a pinned corpus of real code.

    python tests/benchmarks/bench.py                 # everything, 3 runs each
    python tests/benchmarks/bench.py --only js --runs 5
    python tests/benchmarks/bench.py --cache-dir /tmp/asynclint-bench --skip-setup

The first run installs, into a cache folder outside the repository
(default ~/.cache/asynclint-bench): the pinned npm packages of
corpus/package-lock.json (npm ci --ignore-scripts: nothing is built or run), the
pinned PyPI sdists of corpus/python.txt (downloaded and unpacked, never
built or imported), and the peers — ESLint with the plugins of
eslint.config.mjs and oxlint (corpus/peers.package.json), ruff, flake8 and
flake8-async (in a virtual environment of their own). MAPPING.md says which
peer rules stand for which asynclint rules.

It then times, for the JS/TS corpus: asynclint cold (default jobs, and
--jobs 1), asynclint warm (cache filled, nothing changed), ESLint (1 and 2
threads), oxlint, and the parse-only floor (tree-sitter read+parse, 1 and 2
processes); for the Python corpus: asynclint cold and warm, ruff,
flake8-async, and the floors (libcst and the stdlib ast, 1 and 2 processes);
and `asynclint scan one_file.js`. Each is run --runs times (flake8-async, which
takes minutes here, once); it prints files,
median wall seconds with min and max, peak RSS of the largest process,
findings, and the ratios asynclint/ESLint and asynclint/floor.

Speed is measured here, never asserted in a test: the machines are shared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
JS_EXT = (".js", ".cjs", ".mjs", ".jsx", ".ts", ".cts", ".mts", ".tsx")
PY_EXT = (".py", ".pyi")
PY_PEERS = ["ruff==0.17.6", "flake8==7.5.0", "flake8-async==26.8.1"]
OX_RULES = ["no-empty", "require-await", "no-async-promise-executor", "no-promise-executor-return",
            "no-await-in-loop", "max-nested-callbacks", "promise/no-nesting", "promise/catch-or-return",
            "node/no-sync", "node/handle-callback-err"]
RUFF_SELECT = "ASYNC,S602,S604,S605,S110,RUF006"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def sh(cmd, cwd=None, env=None, check=True):
    log(" ".join(str(c) for c in cmd))
    return subprocess.run(cmd, cwd=cwd, env=env, check=check)


# ------------------------------------------------------------------ setup
def setup_js(cache: Path) -> Path:
    """Install the pinned npm packages exactly as corpus/package-lock.json
    says, and lay their JavaScript and TypeScript sources out as one project.

    The corpus is every .js/.cjs/.mjs/.jsx/.ts/.cts/.mts/.tsx file the locked
    install holds (the 37 packages and all their dependencies), without type
    declarations (.d.ts) and minified bundles (.min.js) — about 17,000 files
    and 111 MB, the corpus the speed issue's orientation figures were taken
    on. Nested node_modules folders are renamed _nm so no tool skips them."""
    corpus = cache / "corpus-js"
    corpus.mkdir(parents=True, exist_ok=True)
    stamp = hashlib.sha256((HERE / "corpus" / "package.json").read_bytes()
                           + (HERE / "corpus" / "package-lock.json").read_bytes()).hexdigest()
    stamp_file = corpus / "installed.sha256"
    src = corpus / "src"
    if not (corpus / "node_modules").is_dir() or not stamp_file.is_file() or stamp_file.read_text() != stamp:
        shutil.copy(HERE / "corpus" / "package.json", corpus / "package.json")
        shutil.copy(HERE / "corpus" / "package-lock.json", corpus / "package-lock.json")
        sh(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--legacy-peer-deps"], cwd=corpus)
        shutil.rmtree(src, ignore_errors=True)
        stamp_file.write_text(stamp)
    if not src.is_dir():
        tmp = corpus / "src.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        _copy_sources(corpus / "node_modules", tmp, JS_EXT)
        tmp.rename(src)
    return src


def _corpus_file(name: str, exts) -> bool:
    if not name.endswith(exts):
        return False
    if name.endswith(".min.js"):
        return False
    return not any(name.endswith(f".d{e}") for e in (".ts", ".cts", ".mts"))


def _copy_sources(origin: Path, dest: Path, exts) -> None:
    """Hard-link (or copy) the source files under ``origin``, nested
    node_modules folders renamed _nm, so every tool sees them as ordinary
    project files."""
    for root, dirs, files in os.walk(origin):
        rel = Path(root).relative_to(origin)
        out = dest.joinpath(*("_nm" if part == "node_modules" else part for part in rel.parts))
        for f in files:
            s = Path(root) / f
            if not _corpus_file(f, exts) or s.is_symlink():
                continue
            out.mkdir(parents=True, exist_ok=True)
            try:
                os.link(s, out / f)
            except OSError:
                shutil.copy2(s, out / f)


def setup_peers(cache: Path) -> Path:
    peers = cache / "peers"
    peers.mkdir(parents=True, exist_ok=True)
    want = json.loads((HERE / "corpus" / "peers.package.json").read_text())
    have = peers / "package.json"
    if not (peers / "node_modules").is_dir() or not have.exists() or json.loads(have.read_text()) != want:
        shutil.copy(HERE / "corpus" / "peers.package.json", have)
        sh(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--legacy-peer-deps"], cwd=peers)
    shutil.copy(HERE / "eslint.config.mjs", peers / "eslint.config.mjs")
    return peers


def setup_py(cache: Path) -> Path:
    corpus = cache / "corpus-py"
    sdists = corpus / "sdists"
    src = corpus / "src"
    pins = []
    for line in (HERE / "corpus" / "python.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            spec, sha = line.split("\t")
            pins.append((spec, sha.strip()))
    if not src.is_dir():
        sdists.mkdir(parents=True, exist_ok=True)
        missing = [spec for spec, _ in pins if not any(sdists.glob(spec.split("==")[0].replace("-", "_") + "-*"))
                   and not any(sdists.glob(spec.split("==")[0] + "-*"))]
        if missing:
            sh([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(sdists),
                *missing])
        tmp = corpus / "src.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        hashes = {sha for _, sha in pins}
        for archive in sorted(sdists.iterdir()):
            digest = hashlib.sha256(archive.read_bytes()).hexdigest()
            if digest not in hashes:
                log(f"warning: {archive.name} does not match a pinned sha256 (a newer sdist?)")
            dest = tmp / archive.name.split(".tar")[0].split(".zip")[0]
            if archive.name.endswith((".tar.gz", ".tgz")):
                with tarfile.open(archive) as tf:
                    members = [m for m in tf.getmembers() if m.isfile() and m.name.endswith(PY_EXT)]
                    tf.extractall(dest, members=members, filter="data")
            elif archive.name.endswith(".zip"):
                with zipfile.ZipFile(archive) as zf:
                    zf.extractall(dest, [n for n in zf.namelist() if n.endswith(PY_EXT)])
        tmp.rename(src)
    return src


def setup_py_peers(cache: Path) -> Path:
    venv = cache / "py-peers"
    py = venv / "bin" / "python"
    if not py.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
    marker = venv / "installed.txt"
    if not marker.exists() or marker.read_text() != "\n".join(PY_PEERS):
        sh([str(py), "-m", "pip", "install", "-q", *PY_PEERS])
        marker.write_text("\n".join(PY_PEERS))
    return venv


def files_under(root: Path, exts) -> list[str]:
    out = []
    for r, dirs, files in os.walk(root):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(exts):
                out.append(os.path.join(r, f))
    return out


# ------------------------------------------------------------------ floors
def floor_main(kind: str, procs: int, listing: str) -> None:
    """Parse-only floor: read and parse every file, no rules."""
    paths = Path(listing).read_text().splitlines()
    chunks = [paths[i::procs] for i in range(procs)]
    if procs == 1:
        _floor_chunk(kind, chunks[0])
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(procs) as pool:
        pool.starmap(_floor_chunk, [(kind, c) for c in chunks])


def _floor_chunk(kind: str, paths) -> int:
    n = 0
    if kind == "tree-sitter":
        from asynclint.javascript.parse import dialect_for, parse

        for p in paths:
            with open(p, "rb") as fh:
                data = fh.read()
            parse(data, dialect_for(os.path.splitext(p)[1]))
            n += 1
    elif kind == "libcst":
        import libcst

        for p in paths:
            with open(p, "rb") as fh:
                data = fh.read()
            try:
                libcst.parse_module(data)
            except Exception:
                pass
            n += 1
    elif kind == "ast":
        import ast

        for p in paths:
            with open(p, "rb") as fh:
                data = fh.read()
            try:
                ast.parse(data)
            except (SyntaxError, ValueError):
                pass
            n += 1
    return n


# ------------------------------------------------------------------ timing
# The command runs under a small launcher process. The peak RSS the kernel
# reports for a child starts from its parent's memory at fork/exec time, and
# this script's own memory grows (ESLint's JSON report holds every file's
# source): measured directly, every later row would show that growth.
_LAUNCH = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "t = time.perf_counter() - t\n"
    "open(sys.argv[1], 'w').write(f'{t} {usage.ru_maxrss}')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def timed(cmd, cwd, env=None):
    """Wall seconds and peak RSS (MB, largest process) of one run."""
    fd, stats = tempfile.mkstemp(prefix="asynclint-bench-", suffix=".txt")
    os.close(fd)
    try:
        proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, stats, *map(str, cmd)], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Drain stdout without blocking the child; stderr is read after exit.
        err_chunks = []
        t = threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()))
        t.start()
        out = proc.stdout.read()
        proc.wait()
        t.join()
        figures = Path(stats).read_text().split()
        if len(figures) != 2:
            raise RuntimeError(f"could not run {cmd[0]}: {b''.join(err_chunks)[-500:].decode(errors='replace')}")
        wall, maxrss = figures
    finally:
        os.unlink(stats)
    return float(wall), int(maxrss) / 1024, proc.returncode, out, b"".join(err_chunks)


def measure(name, cmd, cwd, runs, count=None, env=None, prepare=None, files=None):
    walls, rss, found, code = [], [], None, None
    for i in range(runs):
        if prepare is not None:
            prepare()
        wall, peak, code, out, err = timed(cmd, cwd, env)
        walls.append(wall)
        rss.append(peak)
        if count is not None and found is None:
            try:
                found = count(out, cwd)
            except Exception as exc:  # report, do not die
                log(f"{name}: could not count findings ({exc}); stderr: {err[-500:]!r}")
        if code not in (0, 1):
            log(f"{name}: exit code {code}; stderr tail: {err[-800:].decode(errors='replace')}")
    row = {
        "name": name, "files": files, "median": statistics.median(walls), "min": min(walls),
        "max": max(walls), "rss": max(rss), "findings": found, "exit": code,
    }
    log(f"{name}: {row['median']:.2f}s (min {row['min']:.2f}, max {row['max']:.2f}), "
        f"{row['rss']:.0f} MB, findings {found}")
    return row


def count_asynclint(_out, cwd):
    return json.loads((Path(cwd) / "asynclint-report.json").read_text())["summary"]["findings"]


def count_eslint(_out, cwd):
    data = json.loads((Path(cwd) / "eslint-report.json").read_text())
    return sum(1 for r in data for m in r["messages"] if m.get("ruleId"))


def count_oxlint(out, _cwd):
    data = json.loads(out)
    return len(data.get("diagnostics", data) if isinstance(data, dict) else data)


def count_ruff(out, _cwd):
    return len(json.loads(out or b"[]"))


def count_lines(out, _cwd):
    return sum(1 for line in out.decode(errors="replace").splitlines() if line.strip())


# ------------------------------------------------------------------ main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache-dir", default=os.path.expanduser("~/.cache/asynclint-bench"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", choices=["js", "py", "all"], default="all")
    ap.add_argument("--skip-setup", action="store_true", help="use what the cache folder has")
    ap.add_argument("--no-peers", action="store_true", help="time asynclint and the floors only")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--floor", choices=["tree-sitter", "libcst", "ast"], help=argparse.SUPPRESS)
    ap.add_argument("--procs", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--list", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor:
        floor_main(args.floor, args.procs, args.list)
        return 0

    cache = Path(args.cache_dir).resolve()
    if str(cache).startswith(str(REPO)):
        ap.error("--cache-dir must be outside the repository")
    cache.mkdir(parents=True, exist_ok=True)
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        # An installed asynclint has its bytecode compiled; without it every
        # run recompiles every module (about 150 ms, most of a one-file scan).
        os.environ["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
        log(f"PYTHONDONTWRITEBYTECODE was set: timing with bytecode cached in {cache / 'pycache'}")
    asynclint = [sys.executable, "-m", "asynclint"]
    rows = []
    runs = args.runs

    if args.only in ("js", "all"):
        src = setup_js(cache) if not args.skip_setup else cache / "corpus-js" / "src"
        peers = setup_peers(cache) if not (args.skip_setup or args.no_peers) else cache / "peers"
        work = src.parent
        files = files_under(src, JS_EXT)
        listing = work / "files.txt"
        listing.write_text("\n".join(files))
        mb = sum(os.path.getsize(f) for f in files) / 1e6
        log(f"JS/TS corpus: {len(files)} files, {mb:.0f} MB")
        scan = [*asynclint, "scan", "--no-ignore", "--format", "json", "--output", "asynclint-report.json", "src"]
        cache_dir = work / ".asynclint_cache"
        rows.append(measure("asynclint JS cold", scan[:4] + ["--no-cache"] + scan[4:], work, runs,
                            count_asynclint, files=len(files)))
        rows.append(measure("asynclint JS cold --jobs 1", scan[:4] + ["--no-cache", "--jobs", "1"] + scan[4:],
                            work, runs, count_asynclint, files=len(files)))
        shutil.rmtree(cache_dir, ignore_errors=True)
        timed(scan, work)  # fill the cache
        rows.append(measure("asynclint JS warm", scan, work, runs, count_asynclint, files=len(files)))
        one = next(f for f in files if f.endswith("/express/lib/response.js")) if any(
            f.endswith("/express/lib/response.js") for f in files) else files[0]
        rows.append(measure("asynclint one file", [*asynclint, "scan", "--no-cache", one], work, max(runs, 5),
                            files=1))
        for procs in (1, 2):
            rows.append(measure(f"floor tree-sitter parse ({procs} proc)",
                                [sys.executable, str(Path(__file__)), "--floor", "tree-sitter", "--procs",
                                 str(procs), "--list", str(listing)], work, runs, files=len(files)))
        if not args.no_peers:
            eslint = ["node", str(peers / "node_modules" / "eslint" / "bin" / "eslint.js"), "--config",
                      str(peers / "eslint.config.mjs"), "--format", "json", "--output-file", "eslint-report.json",
                      "--no-warn-ignored", "src"]
            env = dict(os.environ, NODE_PATH=str(peers / "node_modules"))
            rows.append(measure("ESLint (matched rules)", eslint, work, runs, count_eslint, env=env,
                                files=len(files)))
            rows.append(measure("ESLint --concurrency=2", eslint[:-1] + ["--concurrency=2", "src"], work, runs,
                                count_eslint, env=env, files=len(files)))
            ox = [str(peers / "node_modules" / ".bin" / "oxlint"), "-A", "all", "--promise-plugin",
                  "--node-plugin", "--format", "json"]
            for rule in OX_RULES:
                ox += ["-D", rule]
            rows.append(measure("oxlint (matched rules)", ox + ["src"], work, runs, count_oxlint, files=len(files)))

    if args.only in ("py", "all"):
        src = setup_py(cache) if not args.skip_setup else cache / "corpus-py" / "src"
        venv = setup_py_peers(cache) if not (args.skip_setup or args.no_peers) else cache / "py-peers"
        work = src.parent
        files = files_under(src, PY_EXT)
        listing = work / "files.txt"
        listing.write_text("\n".join(files))
        mb = sum(os.path.getsize(f) for f in files) / 1e6
        log(f"Python corpus: {len(files)} files, {mb:.0f} MB")
        scan = [*asynclint, "scan", "--no-ignore", "--format", "json", "--output", "asynclint-report.json", "src"]
        rows.append(measure("asynclint PY cold", scan[:4] + ["--no-cache"] + scan[4:], work, runs,
                            count_asynclint, files=len(files)))
        shutil.rmtree(work / ".asynclint_cache", ignore_errors=True)
        timed(scan, work)
        rows.append(measure("asynclint PY warm", scan, work, runs, count_asynclint, files=len(files)))
        for kind in ("libcst", "ast"):
            for procs in (1, 2):
                rows.append(measure(f"floor {kind} parse ({procs} proc)",
                                    [sys.executable, str(Path(__file__)), "--floor", kind, "--procs", str(procs),
                                     "--list", str(listing)], work, runs, files=len(files)))
        if not args.no_peers:
            rows.append(measure("ruff (matched rules)",
                                [str(venv / "bin" / "ruff"), "check", "--no-cache", "--isolated", "--select",
                                 RUFF_SELECT, "--output-format", "json", "--exit-zero", "src"],
                                work, runs, count_ruff, files=len(files)))
            # one run: flake8 takes minutes on this corpus (flake8-async is a
            # reference here, not a target); its min and max are that run
            rows.append(measure("flake8-async (1 run)", [str(venv / "bin" / "flake8"), "--isolated", "--select",
                                                         "ASYNC", "--exit-zero", "src"],
                                work, 1, count_lines, files=len(files)))

    report(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


def report(rows) -> None:
    by = {r["name"]: r for r in rows}
    print()
    print(f"{'run':<36} {'files':>6} {'median s':>9} {'min':>7} {'max':>7} {'peak MB':>8} {'findings':>9}")
    for r in rows:
        f = "" if r["findings"] is None else r["findings"]
        print(f"{r['name']:<36} {r['files'] or '':>6} {r['median']:>9.2f} {r['min']:>7.2f} {r['max']:>7.2f} "
              f"{r['rss']:>8.0f} {f:>9}")
    print()

    def ratio(a, b, label):
        if a in by and b in by and by[b]["median"] > 0:
            print(f"{label:<52} {by[a]['median'] / by[b]['median']:>6.2f}")

    ratio("asynclint JS cold", "ESLint (matched rules)", "asynclint JS cold / ESLint")
    ratio("asynclint JS cold", "ESLint --concurrency=2", "asynclint JS cold / ESLint --concurrency=2")
    ratio("asynclint JS cold", "floor tree-sitter parse (2 proc)", "asynclint JS cold / tree-sitter floor (2 proc)")
    ratio("asynclint JS cold --jobs 1", "floor tree-sitter parse (1 proc)", "asynclint JS -j1 / tree-sitter floor (1 proc)")
    ratio("asynclint JS warm", "asynclint JS cold", "asynclint JS warm / cold")
    ratio("asynclint JS warm", "oxlint (matched rules)", "asynclint JS warm / oxlint cold")
    ratio("asynclint PY cold", "floor libcst parse (2 proc)", "asynclint PY cold / libcst floor (2 proc)")
    ratio("asynclint PY cold", "ruff (matched rules)", "asynclint PY cold / ruff")
    ratio("asynclint PY warm", "asynclint PY cold", "asynclint PY warm / cold")


if __name__ == "__main__":
    sys.exit(main())
