"""``auditor findings`` and ``auditor diff``: list findings, and what a scan changed."""

from __future__ import annotations

import sys

import click

from auditor.cli.common import SEVERITIES, config_option, fail_cleanly, settings_from
from auditor.findings.fields import FINDING_FIELDS
from auditor.model import CATEGORIES
from auditor.output import write_csv, write_json, write_table

FINDING_COLUMNS = ("id", "severity", "category", "status", "platform", "account_email", "person", "asset", "message")


@click.command()
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
        write_json([{k: row.get(k) for k in FINDING_FIELDS} for row in rows], out)
    elif fmt == "csv":
        write_csv(rows, FINDING_FIELDS, out)
    else:
        write_table(rows, FINDING_COLUMNS, out)
        click.echo(f"{len(rows)} finding(s)", err=True)


@click.command()
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
