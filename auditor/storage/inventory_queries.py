"""People, platforms and scans for the web UI: paged lists and detail view-models, no query per row."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlmodel import Session

from auditor.findings.dashboard import latest_platforms
from auditor.findings.lifecycle import OPEN
from auditor.findings.queries import Page
from auditor.storage import queries
from auditor.storage.tables import (
    DirectoryPerson,
    Finding,
    InvAccount,
    InvApp,
    InvAsset,
    InvGrant,
    Scan,
    ScanPlatform,
)

PERSON_STATUSES = ("active", "disabled", "departed")
_P = DirectoryPerson.__table__
_A = InvAccount.__table__
_G = InvGrant.__table__
_F = Finding.__table__


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _paged(session: Session, table: Any, columns: tuple[Any, ...], where: list[Any], order: tuple[Any, ...],
           page: int, page_size: int) -> Page:
    """One page of ``columns`` of the ``table`` rows matching ``where`` in ``order``, the page number kept
    within the pages there are."""
    total = int(session.exec(select(func.count()).select_from(table).where(*where)).scalar_one())
    page = max(1, min(page, max(1, -(-total // page_size))))
    query = select(*columns).where(*where).order_by(*order).limit(page_size).offset((page - 1) * page_size)
    rows = [dict(r) for r in session.exec(query).mappings()]
    return Page(rows=rows, total=total, page=page, page_size=page_size)


def people_page(session: Session, *, q: str | None, status: str | None, page: int, page_size: int) -> Page:
    """Directory people (current and departed) with their live accounts and open findings, paged."""
    where = []
    if status in PERSON_STATUSES:
        where.append(_P.c.status == status)
    if q:
        pattern = _like(q.strip()[:100])
        where.append(
            or_(
                func.lower(_P.c.uid).like(pattern, escape="\\"),
                func.lower(_P.c.display_name).like(pattern, escape="\\"),
                func.lower(cast(_P.c.emails, String)).like(pattern, escape="\\"),
            )
        )
    columns = (_P.c.uid, _P.c.display_name, _P.c.department, _P.c.kind, _P.c.status, _P.c.status_changed,
               _P.c.end_date, _P.c.emails)
    result = _paged(session, _P, columns, where, (_P.c.display_name, _P.c.uid), page, page_size)
    rows = result.rows
    uids = [row["uid"] for row in rows]
    accounts: dict[str, int] = {}
    findings: dict[str, int] = {}
    if uids:
        accounts = dict(
            session.exec(
                select(_A.c.person_uid, func.count())
                .where(_A.c.person_uid.in_(uids), _A.c.gone_at.is_(None))
                .group_by(_A.c.person_uid)
            ).all()
        )
        findings = dict(
            session.exec(
                select(_F.c.person, func.count())
                .where(_F.c.person.in_(uids), _F.c.status == OPEN)
                .group_by(_F.c.person)
            ).all()
        )
    for row in rows:
        row["accounts"] = accounts.get(row["uid"], 0)
        row["open_findings"] = findings.get(row["uid"], 0)
    return result


def offboarding_state(person: dict[str, Any] | None, accounts: list[dict[str, Any]], today: date) -> dict[str, Any]:
    """Where a person stands: not leaving, leaving on a date, or left with access remaining / clean."""
    if person is None:
        return {"state": "unknown", "label": "not in the directory"}
    privileged = sum(1 for account in accounts for grant in account["grants"] if grant.get("privileged"))
    end = person.get("end_date")
    if person["status"] == "active":
        if end and date.fromisoformat(end) >= today:
            return {"state": "leaving", "label": f"leaving on {end}", "accounts": len(accounts)}
        return {"state": "active", "label": "active in the directory", "accounts": len(accounts)}
    if accounts:
        return {
            "state": "access_remains",
            "accounts": len(accounts),
            "privileged": privileged,
            "label": f"{person['status']}: still holds {len(accounts)} account(s), {privileged} privileged grant(s)",
        }
    return {"state": "clean", "label": f"{person['status']}: no platform access left", "accounts": 0}


def person_detail(session: Session, uid: str, today: date) -> dict[str, Any] | None:
    """A person's record, holdings on every platform, open findings, removed accounts and offboarding state."""
    holdings = queries.person_holdings(session, uid)
    if holdings["person"] is None and not holdings["accounts"]:
        return None
    removed = [
        dict(r)
        for r in session.exec(
            select(_A.c.platform, _A.c.tenant, _A.c.account_id, _A.c.name, _A.c.kind, _A.c.first_seen, _A.c.gone_at)
            .where(_A.c.person_uid == uid, _A.c.gone_at.is_not(None))
            .order_by(_A.c.gone_at.desc())
            .limit(200)
        ).mappings()
    ]
    holdings["removed"] = removed
    holdings["offboarding"] = offboarding_state(holdings["person"], holdings["accounts"], today)
    return holdings


def platforms_overview(session: Session) -> list[dict[str, Any]]:
    """Every platform tenant as last scanned, with live inventory counts (grouped queries)."""
    tenants = latest_platforms(session)

    def grouped(table: Any) -> dict[tuple[str, str], int]:
        rows = session.exec(
            select(table.c.platform, table.c.tenant, func.count())
            .where(table.c.gone_at.is_(None))
            .group_by(table.c.platform, table.c.tenant)
        )
        return {(p, t): n for p, t, n in rows}

    accounts, assets, apps = grouped(_A), grouped(InvAsset.__table__), grouped(InvApp.__table__)
    for tenant in tenants:
        key = (tenant["platform"], tenant["tenant"])
        tenant.update(accounts=accounts.get(key, 0), assets=assets.get(key, 0), apps=apps.get(key, 0))
    return tenants


CAPABILITY_LABELS = {
    "per_user_2fa": "two-factor status of each user",
    "tenant_2fa": "whether two-factor is required for the business",
    "app_scopes": "the scopes of connected apps and tokens",
    "audit_log": "an audit log of changes",
    "account_emails": "the email addresses of accounts",
}


def tenant_detail(session: Session, platform: str, tenant: str, page: int, page_size: int) -> dict[str, Any] | None:
    """One tenant: latest scan status, what the platform does not expose, assets, a page of accounts, apps."""
    table = ScanPlatform.__table__
    last = (
        session.exec(
            select(table)
            .where(table.c.platform == platform, table.c.tenant == tenant)
            .order_by(table.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if last is None:
        return None
    capabilities = last["capabilities"] or {}
    missing = [label for key, label in CAPABILITY_LABELS.items() if not capabilities.get(key)]
    scope = and_(_A.c.platform == platform, _A.c.tenant == tenant, _A.c.gone_at.is_(None))
    columns = (_A.c.account_id, _A.c.kind, _A.c.name, _A.c.emails, _A.c.two_factor, _A.c.last_activity, _A.c.state,
               _A.c.role, _A.c.person_uid)
    paged = _paged(session, _A, columns, [scope], (_A.c.name, _A.c.account_id), page, page_size)
    accounts = paged.rows
    ids = [row["account_id"] for row in accounts]
    grants: dict[str, list[dict[str, Any]]] = {}
    if ids:
        for row in session.exec(
            select(_G.c.account_id, _G.c.asset_id, _G.c.role, _G.c.privileged)
            .where(_G.c.platform == platform, _G.c.tenant == tenant, _G.c.gone_at.is_(None), _G.c.account_id.in_(ids))
            .order_by(_G.c.asset_id, _G.c.role)
        ).mappings():
            grants.setdefault(row["account_id"], []).append(dict(row))
    for row in accounts:
        row["grants"] = grants.get(row["account_id"], [])
    assets_table, apps_table = InvAsset.__table__, InvApp.__table__
    assets = [
        dict(r)
        for r in session.exec(
            select(assets_table.c.asset_id, assets_table.c.kind, assets_table.c.name)
            .where(
                assets_table.c.platform == platform, assets_table.c.tenant == tenant, assets_table.c.gone_at.is_(None)
            )
            .order_by(assets_table.c.kind, assets_table.c.name)
            .limit(500)
        ).mappings()
    ]
    apps = [
        dict(r)
        for r in session.exec(
            select(
                apps_table.c.app_id,
                apps_table.c.token_ref,
                apps_table.c.name,
                apps_table.c.scopes,
                apps_table.c.granted_by,
                apps_table.c.last_used,
            )
            .where(apps_table.c.platform == platform, apps_table.c.tenant == tenant, apps_table.c.gone_at.is_(None))
            .order_by(apps_table.c.name, apps_table.c.app_id)
            .limit(500)
        ).mappings()
    ]
    return {
        "tenant": dict(last),
        "missing": missing,
        "notes": list(capabilities.get("notes") or []),
        "accounts": paged,
        "assets": assets,
        "apps": apps,
    }


def scans_page(session: Session, page: int, page_size: int) -> Page:
    """Scan history, newest first, each with its platforms and duration (two queries)."""
    scans, platforms = Scan.__table__, ScanPlatform.__table__
    columns = (scans.c.id, scans.c.started_at, scans.c.finished_at, scans.c.status, scans.c.trigger, scans.c.error,
               scans.c.counts)
    result = _paged(session, scans, columns, [], (scans.c.id.desc(),), page, page_size)
    rows = result.rows
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["platforms"] = []
        done = row["finished_at"]
        row["duration"] = (done - row["started_at"]).total_seconds() if done else None
    if by_id:
        for row in session.exec(
            select(
                platforms.c.scan_id, platforms.c.platform, platforms.c.tenant, platforms.c.status, platforms.c.errors
            )
            .where(platforms.c.scan_id.in_(list(by_id)))
            .order_by(platforms.c.id)
        ).mappings():
            by_id[row["scan_id"]]["platforms"].append(dict(row))
    return result
