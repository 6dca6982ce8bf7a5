"""``auditor offboard UID``: open or re-check a leaver's offboarding case and print it with its items."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from typing import Any

import click

from auditor.cli.common import config_option, fail_cleanly, settings_from
from auditor.output import write_json, write_table

ITEM_COLUMNS = ("platform", "state", "kind", "label", "last_seen_at", "gone_at")


def print_case(case: dict[str, Any], echo: Any = click.echo) -> None:
    """The case as text: header, platforms, items, revocations."""
    who = f"{case['display_name']} ({case['uid']})" if case.get("display_name") else case["uid"]
    counts = case["counts"]
    echo(f"offboarding case #{case['id']}: {who}: {case['status']}"
         + (f" ({case['resolution']} at {case['closed_at']})" if case.get("closed_at") else ""))
    echo(f"  last working day {case['last_working_day']}, deadline {case['deadline']}"
         + (f", ESCALATED at {case['escalated_at']}" if case.get("escalated_at") else ""))
    echo(f"  items: {counts.get('present', 0)} present, {counts.get('gone', 0)} gone, "
         f"{counts.get('unverified', 0)} could not verify; checks: {case['checks']} (last {case['last_checked_at']})")
    for platform in case["platforms"]:
        errors = f": {'; '.join(platform['errors'])}" if platform["errors"] else ""
        echo(f"  platform {platform['platform']}: {platform['status']}{errors}")
    if case.get("evidence_report_id"):
        echo(f"  evidence: report {case['evidence_report_id']} at {case['evidence_path']}")
    elif case.get("evidence_error"):
        echo(f"  evidence: not attached: {case['evidence_error']}")
    write_table(case["items"], ITEM_COLUMNS, sys.stdout, max_width=80)
    for row in case["revocations"]:
        echo(f"  revocation #{row['id']} {row['status']}: {row['label']} ({row['action']} {row['target']})")


@click.command("offboard")
@config_option
@click.argument("uid")
@click.option("--last-day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last working day: opens a case when the person has none open (default: today).")
@click.option("--check/--no-check", default=True, show_default=True, help="Re-check an open case now.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@fail_cleanly
def offboard(ctx: click.Context, config_path: str | None, uid: str, last_day: datetime | None, check: bool,
             fmt: str) -> None:
    """Open or re-check the offboarding case of UID and print it with its items."""
    from auditor.offboarding.use_cases import check_case, latest_case_for, open_case

    settings = settings_from(ctx, config_path)
    case = latest_case_for(settings, uid)
    if case is None or (case["status"] != "open" and last_day is not None):
        day = last_day.date() if last_day else datetime.now(UTC).date()
        case = open_case(settings, uid=uid, last_working_day=day, source="cli",
                         opened_by=f"cli:{getpass.getuser()}")["case"]
    elif case["status"] == "open" and check:
        case = check_case(settings, case["id"])
    if fmt == "json":
        write_json(case, sys.stdout)
    else:
        print_case(case)
