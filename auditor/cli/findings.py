"""``auditor findings`` and ``auditor diff``: list findings, and what a scan changed."""

from __future__ import annotations

import sys
from typing import Any

import click

from auditor.cli.common import SEVERITIES, config_option, fail_cleanly, settings_from
from auditor.findings.exports import FORMATS as EXPORT_FORMATS
from auditor.findings.exports import write_export
from auditor.findings.fields import FINDING_FIELDS
from auditor.model import CATEGORIES
from auditor.output import write_csv, write_json, write_table

FINDING_COLUMNS = ("id", "severity", "status", "platform", "person", "asset", "role", "title")
"""The table's columns: readable title, asset names and role words (the machine values are in --format json)."""


def _table(rows: list[dict[str, Any]], settings: Any, out: Any) -> int:
    """Write the readable table (coverage notes left out: they are no open findings); returns rows written."""
    from auditor.findings.texts import Texts, is_coverage, readable_rows

    shown = Texts(language=settings.language, timezone=settings.timezone)
    listed = readable_rows([row for row in rows if not is_coverage(row)], shown)
    write_table(listed, FINDING_COLUMNS, out)
    return len(listed)


@click.command()
@config_option
@click.option("--status", type=click.Choice(["open", "resolved", "accepted", "all"]), default="open",
              show_default=True)
@click.option("--category", type=click.Choice(CATEGORIES), default=None)
@click.option("--severity", type=click.Choice(SEVERITIES), default=None, help="Minimum severity.")
@click.option("--platform", "platform_name", default=None)
@click.option("--person", default=None, help="Directory uid.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", *EXPORT_FORMATS]), default="table",
              show_default=True, help="ocsf/jsonl: OCSF Detection Findings (JSON array / JSON Lines); "
                                      "defectdojo: DefectDojo's Generic Findings Import JSON.")
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
    elif fmt in EXPORT_FORMATS:
        write_export(rows, fmt, out)
    elif fmt == "csv":
        write_csv(rows, FINDING_FIELDS, out)
    else:
        listed = _table(rows, settings, out)
        notes = len(rows) - listed
        click.echo(f"{listed} finding(s)" + (f", {notes} coverage note(s) (what a platform does not expose; "
                                             "see --format json)" if notes else ""), err=True)


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
    click.echo(compared_scans(changes))
    for change in ("new", "reopened", "resolved"):
        rows = changes.get(change, [])
        click.echo(f"{change}: {len(rows)}")
        if rows:
            _table(rows, settings, out)


def compared_scans(changes: dict) -> str:
    """The line ``auditor diff`` starts with: which scan it shows, against which earlier one."""
    if changes.get("scan_id") is None:
        return "no scan has evaluated findings yet"
    if changes.get("previous_scan_id") is None:
        return f"scan #{changes['scan_id']} (the first that evaluated findings: everything it found is new)"
    return f"scan #{changes['scan_id']} compared with scan #{changes['previous_scan_id']}"
