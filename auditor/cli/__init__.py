"""The ``auditor`` command: thin wrappers that parse arguments and call the service functions.

Exit codes: 0 clean; 1 open findings at or above ``--fail-on``; 2 usage, config or input error;
3 a platform could not be verified.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import config_option, fail_cleanly, settings_from
from auditor.config import load_settings
from auditor.model import CATEGORIES, Severity
from auditor.output import write_csv, write_json, write_table

EXIT_FINDINGS = 1
EXIT_UNVERIFIED = 3
FINDING_COLUMNS = ("id", "severity", "category", "status", "platform", "account_email", "person", "asset", "message")
JSON_FINDING_KEYS = (
    "id", "fingerprint", "rule", "category", "severity", "status", "platform", "tenant", "account",
    "account_email", "person", "asset", "role", "message", "evidence", "first_seen", "last_seen", "subject",
)
SEVERITIES = [s.value for s in Severity]


def progress_printer(quiet: bool) -> Callable[[str], None]:
    """A progress callback writing to stderr unless quiet."""
    return (lambda _m: None) if quiet else (lambda m: click.echo(f"  {m}", err=True))


@click.group()
@config_option
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="auditor")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Audit who holds the keys to a shop's social-media and e-commerce accounts."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"config_path": config_path}


@main.command()
@click.option("--path", default="auditor.toml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@fail_cleanly
def init(path: str, force: bool) -> None:
    """Write a commented sample configuration."""
    from auditor.cli.sample_config import write_sample_config

    write_sample_config(Path(path), force=force)
    click.echo(f"wrote {path}: edit it, set the environment variables it names, then run `auditor scan`")


@main.command()
@config_option
@click.option("--platform", "platform_name", default=None, help="Scan only this configured platform.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
              help="Exit 1 when open findings at or above this severity exist.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@click.pass_context
@fail_cleanly
def scan(ctx: click.Context, config_path: str | None, platform_name: str | None, fail_on: str | None,
         quiet: bool) -> None:
    """Scan the directory and the platforms, then reconcile findings."""
    from auditor.cli.summary import print_summary
    from auditor.services.scan import run_scan

    settings = settings_from(ctx, config_path)
    summary = run_scan(settings, platform=platform_name, progress=progress_printer(quiet))
    print_summary(summary, click.echo)
    sys.exit(scan_exit_code(summary, fail_on))


def scan_exit_code(summary: Any, fail_on: str | None) -> int:
    """3 when a platform could not be verified, else 1 when findings reach ``fail_on``, else 0."""
    if any(status != "complete" for _name, status, _errors in summary.platforms):
        return EXIT_UNVERIFIED
    if fail_on:
        threshold = Severity(fail_on).rank
        if any(Severity(sev).rank >= threshold and n for sev, n in summary.open_by_severity.items()):
            return EXIT_FINDINGS
    return 0


@main.command()
@config_option
@click.option("--status", type=click.Choice(["open", "resolved", "accepted", "all"]), default="open",
              show_default=True)
@click.option("--category", type=click.Choice(CATEGORIES), default=None)
@click.option("--severity", type=click.Choice(SEVERITIES), default=None, help="Minimum severity.")
@click.option("--platform", "platform_name", default=None)
@click.option("--person", default=None, help="Directory uid.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.pass_context
@fail_cleanly
def findings(ctx: click.Context, config_path: str | None, status: str, category: str | None,
             severity: str | None, platform_name: str | None, person: str | None, fmt: str,
             limit: int | None) -> None:
    """List findings."""
    from auditor.services.queries import find_findings

    settings = settings_from(ctx, config_path)
    rows = find_findings(settings, status=status, category=category, severity=severity,
                         platform=platform_name, person=person, limit=limit)
    out = sys.stdout
    if fmt == "json":
        write_json([{k: row.get(k) for k in JSON_FINDING_KEYS} for row in rows], out)
    elif fmt == "csv":
        write_csv(rows, JSON_FINDING_KEYS, out)
    else:
        write_table(rows, FINDING_COLUMNS, out)
        click.echo(f"{len(rows)} finding(s)", err=True)


@main.command()
@config_option
@click.option("--scan", "scan_id", type=int, default=None, help="Scan id (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@fail_cleanly
def diff(ctx: click.Context, config_path: str | None, scan_id: int | None, fmt: str) -> None:
    """Show what changed in a scan against the previous one (new, reopened, resolved)."""
    from auditor.services.queries import scan_changes

    settings = settings_from(ctx, config_path)
    changes = scan_changes(settings, scan_id)
    out = sys.stdout
    if fmt == "json":
        write_json(changes, out)
        return
    for change in ("new", "reopened", "resolved"):
        rows = changes.get(change, [])
        click.echo(f"{change}: {len(rows)}")
        if rows:
            write_table(rows, FINDING_COLUMNS, out)


@main.command()
@config_option
@click.argument("uid")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@fail_cleanly
def person(ctx: click.Context, config_path: str | None, uid: str, fmt: str) -> None:
    """Everything one directory person holds, across platforms."""
    from auditor.services.queries import person_report

    settings = settings_from(ctx, config_path)
    report = person_report(settings, uid)
    out = sys.stdout
    if fmt == "json":
        write_json(report, out)
        return
    from auditor.cli.summary import print_person

    print_person(report, click.echo)


@main.group()
def policies() -> None:
    """Inspect and validate the policy rules."""


@policies.command("list")
@config_option
@click.pass_context
@fail_cleanly
def policies_list(ctx: click.Context, config_path: str | None) -> None:
    """List the rules with their severity and category."""
    from auditor.services.policies import load_configured_policies

    rules = load_configured_policies(settings_from(ctx, config_path))
    rows = [{"id": p.id, "severity": p.severity, "category": p.category, "title": p.title} for p in rules]
    write_table(rows, ("id", "severity", "category", "title"), sys.stdout, max_width=80)


@policies.command("validate")
@config_option
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_context
@fail_cleanly
def policies_validate(ctx: click.Context, config_path: str | None, paths: tuple[str, ...]) -> None:
    """Validate the configured rules (or the folders given)."""
    from auditor.services.policies import validate_policies

    settings = settings_from(ctx, config_path)
    count = validate_policies(settings, [Path(p) for p in paths])
    click.echo(f"ok: {count} rules valid")


@main.command()
@click.option("--dir", "directory", default="auditor-demo", show_default=True, type=click.Path(file_okay=False))
@click.option("--no-serve", is_flag=True, help="Scan and print the summary, do not serve the web UI.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True, help="Port of the web UI.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
@fail_cleanly
def demo(directory: str, no_serve: bool, port: int, quiet: bool) -> None:
    """Create a demo workspace for the fictional shop, scan it through the sandbox emulators, serve the UI."""
    from auditor.cli.summary import print_summary
    from auditor.demo.workspace import run_demo

    summary, config_file = run_demo(Path(directory), progress=progress_printer(quiet))
    print_summary(summary, click.echo)
    click.echo(f"\nThe demo workspace is {directory}; try:\n"
               f"  auditor findings --config {config_file}\n"
               f"  auditor findings --config {config_file} --format json --category orphaned_access\n"
               f"  auditor person <uid> --config {config_file}")
    if not no_serve:
        from auditor.demo.web_setup import demo_login_banner, ensure_demo_admin
        from auditor.web.server import serve as serve_web

        settings = load_settings(config_file)
        username, password, secret = ensure_demo_admin(settings)
        click.echo(demo_login_banner(username, password, secret, f"http://127.0.0.1:{port}/"))
        serve_web(settings, "127.0.0.1", port)


def _register_area_commands() -> None:
    """Attach the command groups of the other areas (each lives with its area under auditor/commands/)."""
    from auditor.cli.dsar import dsar as dsar_group
    from auditor.cli.offboard import offboard, scheduler
    from auditor.cli.report import report as report_group
    from auditor.cli.web import serve, users

    for command in (report_group, users, serve, offboard, scheduler, dsar_group):
        main.add_command(command)


_register_area_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
