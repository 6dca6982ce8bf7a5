"""Human-readable summaries of a scan and of one person's holdings, for the terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditor.findings.texts import Texts, finding_text
from auditor.model import CATEGORIES, Severity

Echo = Callable[[str], None]


def print_summary(summary: Any, echo: Echo) -> None:
    """Print a scan summary: platform states, changes, and open findings by category and severity."""
    echo(f"scan #{summary.scan_id}: {summary.status}")
    for name, status, errors in summary.platforms:
        suffix = f": {'; '.join(errors)}" if errors else ""
        since = getattr(summary, "unchanged", {}).get(name)
        if since is not None:
            suffix += f" (unchanged since scan #{since}: not read again, its findings carried over)"
        echo(f"  platform {name}: {status}{suffix}")
        for scope, reason in getattr(summary, "incomplete_scopes", {}).get(name, {}).items():
            echo(f"    incomplete {scope}: {reason} (its findings kept as they were)")
    echo(f"  opened {summary.opened}, reopened {summary.reopened}, resolved {summary.resolved}, "
         f"still open {summary.still_open}, muted by exceptions {summary.muted}")
    total = sum(summary.open_by_severity.values())
    echo(f"open findings: {total}")
    sev_line = ", ".join(
        f"{sev.value} {summary.open_by_severity.get(sev.value, 0)}" for sev in reversed(list(Severity))
    )
    echo(f"  by severity: {sev_line}")
    echo("  by category:")
    for category in CATEGORIES:
        count = summary.open_by_category.get(category, 0)
        if count:
            echo(f"    {category:<28} {count}")


def print_person(report: dict[str, Any], echo: Echo) -> None:
    """Print one person's directory record, accounts, grants and open findings."""
    person = report["person"]
    echo(f"{person.get('display_name')} ({person.get('uid')}): {person.get('status')} {person.get('kind')}")
    echo(f"  emails: {', '.join(person.get('emails') or []) or '-'}")
    for key in ("department", "manager", "status_changed", "end_date"):
        if person.get(key):
            echo(f"  {key.replace('_', ' ')}: {person[key]}")
    accounts = report.get("accounts", [])
    echo(f"accounts: {len(accounts)}")
    for account in accounts:
        echo(f"  {account.get('platform')} / {account.get('account_id')} ({account.get('kind')}, "
             f"{account.get('state')}) {', '.join(account.get('emails') or [])}")
        for grant in account.get("grants", []):
            flag = " [privileged]" if grant.get("privileged") else ""
            echo(f"    {grant.get('role')} on {grant.get('asset_name') or grant.get('asset_id') or 'tenant'}{flag}")
        for app in account.get("apps", []):
            echo(f"    app {app.get('name') or app.get('app_id')}: {', '.join(app.get('scopes') or [])}")
    found = report.get("findings", [])
    echo(f"open findings: {len(found)}")
    for finding in found:
        echo(f"  [{finding['severity']}] {finding_text(finding, Texts())['title']}")
