"""The offboarding evidence of one person: what they held on which platforms, when each grant was first
seen gone (``gone_at`` of the inventory), what is still open, the activity after they left, and their
findings, for HR to sign off.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlmodel import Session

from auditor.reporting import data, inventory_data
from auditor.reporting.base import ReportInputs
from auditor.reporting.errors import ReportError

REMOVED = "removed"
OPEN = "open"


def departure(person: dict[str, Any]) -> str | None:
    """When the person left (ISO): the status change of a departed or disabled person, else the end date."""
    if person.get("status") in ("departed", "disabled") and person.get("status_changed"):
        return person["status_changed"]
    if person.get("end_date"):
        return datetime.combine(datetime.fromisoformat(person["end_date"]).date(), time(), UTC).isoformat()
    return None


def _days_after(moment: str | None, reference: datetime | None) -> int | None:
    if moment is None or reference is None:
        return None
    return (datetime.fromisoformat(moment) - reference).days


def _grant(row: dict[str, Any], reference: datetime | None) -> dict[str, Any]:
    return {
        "asset_id": row["asset_id"], "asset_name": row["asset_name"], "asset_kind": row["asset_kind"],
        "role": row["role"], "privileged": bool(row["privileged"]), "granted_at": row["granted_at"],
        "first_seen": row["first_seen"], "last_seen": row["last_seen"], "gone_at": row["gone_at"],
        "status": REMOVED if row["gone_at"] else OPEN,
        "days_after_departure": _days_after(row["gone_at"], reference),
    }


def _app(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "app_id": row["app_id"], "name": row["name"], "token_ref": row["token_ref"] or None,
        "scopes": row["scopes"], "first_seen": row["first_seen"], "last_seen": row["last_seen"],
        "gone_at": row["gone_at"], "status": REMOVED if row["gone_at"] else OPEN,
    }


def build_offboarding(session: Session, inputs: ReportInputs) -> dict[str, Any]:
    """The offboarding view-model (JSON-ready) of ``inputs.scope.person``."""
    uid = inputs.scope.person
    if not uid:
        raise ReportError("offboarding: a person is required (--person UID)")
    person = inventory_data.person_record(session, uid)
    if person is None:
        raise ReportError(f"offboarding: no person with uid {uid!r} in the directory or its history")
    platform = inputs.scope.platform
    left = departure(person)
    reference = datetime.fromisoformat(left) if left else None
    grants = inventory_data.person_grants(session, uid, platform)
    apps = inventory_data.person_apps(session, uid, platform)
    accounts = []
    for row in inventory_data.person_accounts(session, uid, platform):
        key = (row["platform"], row["tenant"], row["account_id"])
        account_grants = [_grant(g, reference) for g in grants.get(key, [])]
        accounts.append({
            **{k: row[k] for k in ("platform", "tenant", "account_id", "kind", "name", "state", "role",
                                   "two_factor", "last_activity", "first_seen", "last_seen", "gone_at")},
            "emails": list(row["emails"] or []),
            "status": REMOVED if row["gone_at"] else OPEN,
            "days_after_departure": _days_after(row["gone_at"], reference),
            "grants": account_grants,
            "apps": [_app(a) for a in apps.get(key, [])],
        })
    all_grants = [g for a in accounts for g in a["grants"]]
    all_apps = [p for a in accounts for p in a["apps"]]
    findings = data.finding_rows(session, inputs.scope, statuses=("open", "accepted", "resolved"))
    for row in findings:
        row["title"] = inputs.rule(row["rule"]).title
    events, events_cut = inventory_data.person_events(session, uid, reference, platform, inputs.max_listed_events)
    platforms = data.platform_states(session, platform)
    still_open = {
        "accounts": sum(1 for a in accounts if a["status"] == OPEN),
        "grants": sum(1 for g in all_grants if g["status"] == OPEN),
        "privileged_grants": sum(1 for g in all_grants if g["status"] == OPEN and g["privileged"]),
        "apps": sum(1 for p in all_apps if p["status"] == OPEN),
        "findings": sum(1 for f in findings if f["status"] == "open"),
    }
    return {
        "organisation": inputs.organisation,
        "person": person,
        "departed_on": left,
        "platforms": platforms,
        "scan_ids": sorted({p["scan_id"] for p in platforms}),
        "as_of": max((p["scanned_at"] for p in platforms if p["scanned_at"]), default=None),
        "accounts": accounts,
        "summary": {
            "accounts": len(accounts), "grants": len(all_grants),
            "grants_removed": sum(1 for g in all_grants if g["status"] == REMOVED),
            "apps": len(all_apps), "open": still_open,
            "complete": not any(still_open.values()),
            "last_removal": max((g["gone_at"] for g in all_grants if g["gone_at"]), default=None),
        },
        "findings": findings,
        "events": events,
        "events_truncated": events_cut,
    }
