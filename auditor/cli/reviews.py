"""``auditor review start|list|status|export``: access-review campaigns from the command line (the same use
cases as the web pages and the scheduler)."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime, time
from pathlib import Path

import click

from auditor.accounts.audit_trail import Actor
from auditor.cli.common import config_option, fail_cleanly, settings_from
from auditor.output import write_csv, write_json, write_rows, write_table

CAMPAIGN_COLUMNS = ("id", "name", "status", "due_at", "decided", "items", "owner")
REVIEWER_COLUMNS = ("reviewer", "items", "decided", "keep", "revoke", "change_role", "median_seconds", "flags")


def _actor() -> Actor:
    return Actor(f"cli:{getpass.getuser()}", "cli")


@click.group("review")
def review() -> None:
    """Access-review campaigns: managers and asset owners certify who keeps which access."""


@review.command("start")
@config_option
@click.option("--name", required=True, help="The campaign's name.")
@click.option("--due", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Due date (YYYY-MM-DD).")
@click.option("--reviewer", "mode", type=click.Choice(["manager", "owner"]), default="manager", show_default=True,
              help="Who reviews: the person's manager, or the asset's (platform's) owner.")
@click.option("--fallback", required=True, help="Reviewer (uid) of what has no manager or owner.")
@click.option("--platform", "platforms", multiple=True, help="Limit to these platforms (repeatable).")
@click.option("--tenant", "tenants", multiple=True, help="Limit to these tenants (repeatable).")
@click.option("--privileged-only", is_flag=True, help="Only privileged grants.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["employee", "contractor", "service"]),
              help="Only people of these kinds (repeatable).")
@click.pass_context
@fail_cleanly
def start(ctx: click.Context, config_path: str | None, name: str, due: datetime, mode: str, fallback: str,
          platforms: tuple[str, ...], tenants: tuple[str, ...], privileged_only: bool, kinds: tuple[str, ...]) -> None:
    """Freeze the grants in scope from the latest scan and start the campaign."""
    from auditor.reviews.use_cases import start_campaign

    settings = settings_from(ctx, config_path)
    view = start_campaign(settings, name=name, scope={"platforms": platforms, "tenants": tenants,
                                                      "privileged_only": privileged_only, "kinds": kinds},
                          reviewer_mode=mode, fallback_reviewer=fallback,
                          due_at=datetime.combine(due.date(), time(17), tzinfo=UTC), actor=_actor(),
                          now=datetime.now(UTC))
    click.echo(f"campaign #{view['id']} started: {view['totals']['items']} grant(s) for "
               f"{len(view['reviewers'])} reviewer(s), due {view['due_at']}")


@review.command("list")
@config_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@fail_cleanly
def list_(ctx: click.Context, config_path: str | None, fmt: str) -> None:
    """Campaigns, newest first."""
    from auditor.reviews.use_cases import find_campaigns

    write_rows(find_campaigns(settings_from(ctx, config_path)), CAMPAIGN_COLUMNS, fmt, sys.stdout)


@review.command("status")
@config_option
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@fail_cleanly
def status(ctx: click.Context, config_path: str | None, campaign_id: int, fmt: str) -> None:
    """Follow the campaign's revocations through the latest scans and print its progress."""
    from auditor.reviews.use_cases import refresh

    view = refresh(settings_from(ctx, config_path), campaign_id, actor=_actor(), now=datetime.now(UTC))
    if fmt == "json":
        write_json(view, sys.stdout)
        return
    totals = view["totals"]
    click.echo(f"campaign #{view['id']} {view['name']}: {view['status']}, due {view['due_at']}")
    click.echo(f"  {totals['decided']} of {totals['items']} decided: {totals['keep']} keep, {totals['revoke']} "
               f"revoke, {totals['change_role']} change role; revocations gone {totals['revocations_done']}, "
               f"waiting {totals['revocations_pending']}, still present {totals['revocations_overdue']}")
    if view.get("evidence_report_id"):
        click.echo(f"  evidence: report {view['evidence_report_id']} at {view['evidence_path']}")
    write_table(view["reviewers"], REVIEWER_COLUMNS, sys.stdout, max_width=80)


@review.command("export")
@config_option
@click.argument("campaign_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File (default stdout).")
@click.pass_context
@fail_cleanly
def export(ctx: click.Context, config_path: str | None, campaign_id: int, fmt: str, out: Path | None) -> None:
    """The campaign's evidence data: every frozen item with its decision (CSV), or everything (JSON)."""
    from auditor.reviews.evidence import EXPORT_COLUMNS
    from auditor.reviews.use_cases import export as export_data

    data = export_data(settings_from(ctx, config_path), campaign_id)
    handle = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    try:
        if fmt == "json":
            write_json(data, handle)
        else:
            write_csv(data["items"], EXPORT_COLUMNS, handle)
    finally:
        if out:
            handle.close()
