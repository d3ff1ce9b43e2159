"""The command line: ``asynclint scan``, ``rules``, ``explain``."""

from __future__ import annotations

import sys

import click

from . import __version__
from .config import Config, ConfigError, validate_rule_ids

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXAMPLES)
@click.version_option(__version__, "--version", "-V", prog_name="asynclint")
def main() -> None:
    """asynclint: find the async pitfalls of Node.js (JavaScript, TypeScript)
    and asyncio code — missing awaits, shell injection, blocking I/O in request
    handlers, swallowed errors, starved event loops, leaking listeners.

    Every finding links to a page that explains the runtime mechanism behind it.
    """


@main.command(epilog=EXAMPLES)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, file_okay=True, dir_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--select", multiple=True, metavar="IDS", help="Only these rules (comma-separated ids).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Skip these rules (comma-separated ids).")
@click.option("--exclude", multiple=True, metavar="GLOB", help="Skip paths matching this gitignore-style glob (repeatable).")
@click.option("--no-ignore", is_flag=True,
              help="Also lint what .gitignore and the default excludes (node_modules, dist, build, ...) skip.")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
def scan(paths, fmt, select, ignore, exclude, no_ignore, quiet):
    """Lint PATHS (files or folders; default: the current folder)."""
    from .engine import lint_paths
    from .report import get as get_reporter

    try:
        config = Config(exclude=list(exclude), use_ignore_files=not no_ignore)
        if select:
            config.select = validate_rule_ids(_split_ids(select), "--select")
        if ignore:
            config.ignore = validate_rule_ids(_split_ids(ignore), "--ignore")
    except ConfigError as exc:
        raise UsageErrorExit2(str(exc)) from None

    result = lint_paths(list(paths) or ["."], config)
    for notice in result.notices:
        click.echo(f"asynclint: {notice}", err=True)
    get_reporter(fmt)(result, sys.stdout, quiet=quiet)
    sys.stdout.flush()
    sys.exit(1 if config.fails(result.findings) else 0)


@main.command()
def rules():
    """List every rule: id, default severity, languages, summary."""
    from .rules import all_rules
    from .rules.base import LANG_NAMES

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
