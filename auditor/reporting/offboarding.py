"""The offboarding evidence of one person: what they held on which platforms, when each grant was first
seen gone, what is still open, the activity after they left, and their findings, for HR to sign off.

"Seen gone" is the earlier of the inventory's ``gone_at`` (a complete scan no longer saw it) and the
``gone_at`` of the person's latest offboarding case (a targeted check no longer saw it), so the evidence
attached to a closed case agrees with the case even before the next full scan.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from auditor.findings.texts import Texts
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


ItemKey = tuple[str, str, str, str, str, str]
"""(platform, tenant, kind, account_id, object_id, role) as an offboarding item names what it checked."""


def case_gone_times(session: Session, uid: str) -> dict[ItemKey, datetime]:
    """When the person's latest offboarding case first saw each item gone (items still present are absent)."""
    from auditor.offboarding.tables import OffboardingCase, OffboardingItem

    cases, items = OffboardingCase.__table__, OffboardingItem.__table__
    latest = select(func.max(cases.c.id)).where(cases.c.uid == uid).scalar_subquery()
    query = select(items.c.platform, items.c.tenant, items.c.kind, items.c.account_id, items.c.object_id,
                   items.c.role, items.c.gone_at).where(items.c.case_id == latest, items.c.state == "gone")
    return {tuple(row[:6]): row[6] for row in session.exec(query) if row[6] is not None}


def _seen_gone(row: dict[str, Any], checked: datetime | None) -> None:
    """Take the case's observation when it saw the item gone before (or instead of) the inventory."""
    if checked is None:
        return
    checked = checked if checked.tzinfo else checked.replace(tzinfo=UTC)
    if row["gone_at"] is None or checked < datetime.fromisoformat(row["gone_at"]):
        row["gone_at"] = checked.isoformat()


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
    gone = case_gone_times(session, uid)
    accounts = []
    for row in inventory_data.person_accounts(session, uid, platform):
        key = (row["platform"], row["tenant"], row["account_id"])
        row = dict(row)
        kind = "invitation" if row["kind"] == "invitation" else "account"
        _seen_gone(row, gone.get((key[0], key[1], kind, key[2], "", "")))
        for grant in grants.get(key, []):
            _seen_gone(grant, gone.get((key[0], key[1], "grant", key[2], grant["asset_id"] or "", grant["role"])))
        for app in apps.get(key, []):
            object_id = f"{app['app_id']}|{app['token_ref'] or ''}"
            _seen_gone(app, gone.get((key[0], key[1], "app", key[2], object_id, "")))
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
    findings = data.finding_rows(session, inputs.scope, statuses=("open", "accepted", "resolved"),
                                 shown=Texts(language=inputs.language, timezone=inputs.timezone))
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
