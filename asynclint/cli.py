"""The command line: ``asynclint scan``, ``rules``, ``explain``."""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .config import ConfigError, validate_rule_ids

EXAMPLES = """
\b
Examples:
  asynclint scan                     lint the current folder
  asynclint scan src/ lib/app.js     lint a folder and one file
  asynclint scan --format json src/  machine-readable findings
  asynclint rules                    list the rules
  asynclint explain missing-await    why a rule exists and how to fix it
"""


class UsageErrorExit2(click.UsageError):
    exit_code = 2


def _split_ids(values) -> list[str]:
    out = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


class _Group(click.Group):
    """Ctrl-C ends a command with exit code 130 and one line on stderr, as
    shells expect from an interrupted program (not click's "Aborted!" / 1)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("asynclint: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(__version__, "--version", "-V", prog_name="asynclint")
def main() -> None:
    """asynclint: find the async pitfalls of Node.js (JavaScript, TypeScript)
    and asyncio code — missing awaits, shell injection, blocking I/O in request
    handlers, swallowed errors, starved event loops, leaking listeners.

    Every finding links to a page that explains the runtime mechanism behind it.
    """


FORMAT_CHOICES = ["text", "json", "sarif", "github", "junit"]


@main.command(epilog=EXAMPLES)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=True, dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="text", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Use this configuration file for every file (instead of the nearest one).")
@click.option("--select", multiple=True, metavar="IDS", help="Only these rules (comma-separated ids).")
@click.option("--extend-select", multiple=True, metavar="IDS", help="These rules too (e.g. opt-in ones).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rules (comma-separated ids).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching this gitignore-style glob (repeatable).")
@click.option("--no-ignore", is_flag=True,
              help="Also lint what .gitignore and the default excludes (node_modules, dist, build, ...) skip.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit code 1 (default: warning).")
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also apply unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Report only findings that are not in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Record the current findings in this baseline file and exit 0.")
@click.option("--report-unused-suppressions", is_flag=True, default=None,
              help="Report suppression comments that suppress nothing.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the number of cores; 1 lints in-process).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache (.asynclint_cache/).")
@click.option("--changed-since", metavar="REF", default=None,
              help="Lint only files changed since this git ref (committed, staged, unstaged or new) "
                   "and the files that import them.")
@click.option("--shard", metavar="K/N", default=None,
              help="Lint only the K-th of N stable slices of the file list (for CI matrices).")
def scan(paths, fmt, output, config_file, select, extend_select, ignore, exclude, no_ignore, fail_on,
         fix, unsafe_fixes, diff, baseline_file, write_baseline_file, report_unused_suppressions,
         statistics, quiet, jobs, no_cache, changed_since, shard):
    """Lint PATHS (files or folders; default: the current folder)."""
    from .cache import CACHE_DIR_NAME
    from .config import ConfigResolver, Overrides
    from .engine import ScanOptions, lint_paths
    from .findings import Severity

    try:
        overrides = Overrides(
            select=validate_rule_ids(_split_ids(select), "--select") if select else None,
            extend_select=validate_rule_ids(_split_ids(extend_select), "--extend-select") if extend_select else None,
            ignore=validate_rule_ids(_split_ids(ignore), "--ignore") if ignore else None,
            exclude=list(exclude),
            fail_on=Severity(fail_on) if fail_on else None,
            use_ignore_files=not no_ignore,
            report_unused_suppressions=report_unused_suppressions,
        )
        resolver = ConfigResolver(overrides, config_file)
        root = resolver.root()
        baseline_known = None
        if baseline_file is not None:
            from .baseline import load

            baseline_known = load(baseline_file)
    except ConfigError as exc:
        raise UsageErrorExit2(str(exc)) from None
    if unsafe_fixes and not (fix or diff):
        raise UsageErrorExit2("--unsafe-fixes goes with --fix or --diff")

    options = ScanOptions(jobs=jobs or os.cpu_count() or 1)
    if shard is not None:
        options.shard = _parse_shard(shard)
    if not no_cache:
        options.cache_dir = os.path.join(os.path.dirname(root.source) if root.source else os.getcwd(),
                                         CACHE_DIR_NAME)
    if changed_since is not None:
        options.only = _changed_files(changed_since)
    progress = _Progress() if sys.stderr.isatty() and not os.environ.get("CI") else None
    options.on_total = progress.set_total if progress is not None else None
    try:
        result = lint_paths(list(paths) or ["."], resolver, on_file=progress, options=options)
    except ConfigError as exc:  # a config file met while walking the tree
        raise UsageErrorExit2(str(exc)) from None
    finally:
        if progress is not None:
            progress.close()
    for notice in result.notices:
        click.echo(f"asynclint: {notice}", err=True)

    if fix or diff:
        _apply_fixes(result, resolver, unsafe_fixes, write=fix and not diff)

    if write_baseline_file is not None:
        from .baseline import write as write_baseline

        n = write_baseline(write_baseline_file, result.findings, _read_text)
        click.echo(f"asynclint: wrote {n} finding{'s' if n != 1 else ''} to the baseline {write_baseline_file}", err=True)
        sys.exit(0)
    if baseline_known is not None:
        from .baseline import filter_new

        result.findings, result.baseline_fixed = filter_new(result.findings, baseline_file, baseline_known, _read_text)
        if result.baseline_fixed:
            click.echo(
                f"asynclint: {result.baseline_fixed} baseline entr{'ies' if result.baseline_fixed != 1 else 'y'} "
                f"no longer match (fixed): rerun with --write-baseline {baseline_file} to shrink it",
                err=True,
            )

    _report(result, fmt, output, quiet, statistics)
    sys.exit(1 if root.fails(result.findings) else 0)


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(p) for p in text.split("/"))
    except ValueError:
        raise UsageErrorExit2(f"--shard: expected K/N such as 2/4, got '{text}'") from None
    if not (n >= 1 and 1 <= k <= n):
        raise UsageErrorExit2(f"--shard: K must be between 1 and N (got {k}/{n})")
    return k, n


def _changed_files(ref: str) -> set:
    """Absolute paths of files that differ from ``ref`` (committed since,
    staged, unstaged) plus untracked files that git does not ignore."""
    import subprocess

    def git(*args) -> list[str]:
        try:
            out = subprocess.run(["git", *args], capture_output=True, text=True, check=True)
        except FileNotFoundError:
            raise UsageErrorExit2("--changed-since needs git, which is not installed") from None
        except subprocess.CalledProcessError as exc:
            raise UsageErrorExit2(f"--changed-since {ref}: git says: {exc.stderr.strip()}") from None
        return [line for line in out.stdout.splitlines() if line]

    top = git("rev-parse", "--show-toplevel")[0]
    # diff prints paths relative to the top of the repository, ls-files relative to here.
    changed = {os.path.abspath(os.path.join(top, n)) for n in git("diff", "--name-only", "--no-renames", ref)}
    changed |= {os.path.abspath(n) for n in git("ls-files", "--others", "--exclude-standard")}
    return changed


class _Progress:
    """A one-line progress report on stderr, for terminals only, shown once a
    scan has run for about two seconds."""

    def __init__(self):
        import time

        self.time = time.monotonic
        self.start = self.time()
        self.done = 0
        self.total = 0
        self.shown = False
        self.last = 0.0

    def __call__(self, _result) -> None:
        self.done += 1
        now = self.time()
        if now - self.start < 2.0 or now - self.last < 0.1:
            return
        self.last = now
        self.shown = True
        rate = self.done / (now - self.start)
        sys.stderr.write(f"\r\x1b[2Kasynclint: {self.done}/{self.total} files ({rate:.0f} files/s)")
        sys.stderr.flush()

    def set_total(self, total: int) -> None:
        self.total = total

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _report(result, fmt, output, quiet, statistics) -> None:
    import io

    from .report import get as get_reporter
    from .report.text import write_statistics

    buffer = io.StringIO() if output else None
    stream = buffer if buffer is not None else sys.stdout
    if statistics and fmt == "text":
        write_statistics(result, stream)
    else:
        get_reporter(fmt)(result, stream, quiet=quiet, read_text=_read_text,
                          color=False if buffer is not None else None)
    if buffer is not None:
        from .fixes import write_new

        write_new(output, buffer.getvalue())
    else:
        sys.stdout.flush()


def _apply_fixes(result, resolver, unsafe: bool, write: bool) -> None:
    """Fix every file that has fixable findings; print a diff instead of
    writing when ``write`` is false. Updates ``result.findings`` in place."""
    from itertools import groupby

    from .engine import lint_source
    from .findings import FixSafety
    from .fixes import fix_file, split_bom, write_atomic

    def wanted(f):
        return f.fix is not None and (f.fix.safety == FixSafety.SAFE or (unsafe and f.fix.safety == FixSafety.UNSAFE))

    by_display = {r.display: r for r in result.results}
    remaining = []
    fixed_files = applied = 0
    for display, group in groupby(result.findings, key=lambda f: f.path):
        group = list(group)
        res = by_display.get(display)
        if res is None or not any(wanted(f) for f in group):
            remaining.extend(group)
            continue
        try:
            with open(res.path, "rb") as fh:
                original = fh.read().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            click.echo(f"asynclint: {display}: not fixed ({exc.__class__.__name__}: the file is not readable "
                       "UTF-8 text)", err=True)
            remaining.extend(group)
            continue
        cfg = resolver.for_path(res.path)

        def relint(text, _path=res.path, _cfg=cfg, _display=display):
            found = lint_source(_path, text.encode("utf-8"), _cfg, _display).findings
            return [f for f in found if result.index.holds(f)]

        bom, original = split_bom(original)
        outcome, left = fix_file(res.path, display, original, relint, unsafe)
        outcome.original, outcome.fixed = bom + outcome.original, bom + outcome.fixed
        for message in outcome.dropped:
            click.echo(f"asynclint: {message}", err=True)
        if outcome.changed:
            fixed_files += 1
            applied += outcome.applied
            if write:
                write_atomic(res.path, outcome.fixed)
            else:
                sys.stdout.write(outcome.diff())
        remaining.extend(left if write else group)
    remaining.sort(key=lambda f: f.sort_key())
    result.findings = remaining
    if applied:
        verb = "Fixed" if write else "Would fix"
        click.echo(f"asynclint: {verb} {applied} problem{'s' if applied != 1 else ''} in {fixed_files} "
                   f"file{'s' if fixed_files != 1 else ''}.", err=True)


@main.command()
def rules():
    """List every rule: id, default severity, languages, summary."""
    from .rules import all_rules

    metas = all_rules()
    width = max(len(r) for r in metas)
    for rid, meta in metas.items():
        langs = ",".join(l for l in ("js", "ts", "py") if l in meta.languages)
        flag = "" if meta.default_enabled else " (opt-in)"
        click.echo(f"{rid:<{width}}  {meta.severity.value:<7}  {langs:<8}  {meta.summary}{flag}")


@main.command()
@click.argument("rule_id")
def explain(rule_id):
    """Print the explanation page of RULE_ID."""
    from .docs import page
    from .findings import rule_url
    from .rules import all_rules, closest

    if rule_id not in all_rules():
        hint = closest(rule_id)
        suggestion = f" Did you mean: {', '.join(hint)}?" if hint else ""
        raise UsageErrorExit2(f"unknown rule id '{rule_id}'.{suggestion} Run `asynclint rules` for the list.")
    text = page(rule_id)
    if text is None:
        click.echo(f"No page is installed for {rule_id}; online: {rule_url(rule_id)}")
        sys.exit(0)
    click.echo(text.rstrip("\n"))
    click.echo(f"\nOnline: {rule_url(rule_id)}")


@main.command()
@click.option("--stdio", is_flag=True, hidden=True, help="Accepted for editors that pass it; stdio is the only transport.")
def lsp(stdio):
    """Run the language server over stdin/stdout (for editors)."""
    from .lsp import serve  # pygls is imported only here: a scan never loads it

    serve()
