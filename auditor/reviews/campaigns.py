"""Campaign queries: start (freeze the grants to review from the latest complete scan and assign each to
its reviewer), read campaigns and items, owners of assets and platforms.

A reviewer is a tool user whose username is their directory uid (the manager of a person, or the owner of
an asset or platform, is named by uid in the directory and in ``review_owner``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlmodel import Session

from auditor.errors import AuditorError
from auditor.reviews.tables import ReviewCampaign, ReviewItem, ReviewOwner
from auditor.storage.tables import DirectoryPerson, Finding, InvAccount, InvAsset, InvGrant, Scan

CAMPAIGNS = ReviewCampaign.__table__
ITEMS = ReviewItem.__table__
OWNERS = ReviewOwner.__table__
MODES = ("manager", "owner")
PERSON_KINDS = ("employee", "contractor", "service")


class ReviewError(AuditorError):
    """A campaign cannot be started, read or decided (``status``: the HTTP answer for the web UI)."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def plain(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as JSON-ready data (datetimes and dates as ISO 8601)."""
    return {k: v.isoformat() if isinstance(v, datetime | date) else v for k, v in row.items()}


def check_scope(scope: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised scope: ``platforms``, ``tenants`` (lists, empty = all), ``privileged_only``, ``kinds``."""
    kinds = sorted(set(scope.get("kinds") or ()))
    unknown = [k for k in kinds if k not in PERSON_KINDS]
    if unknown:
        raise ReviewError(f"scope.kinds: unknown people kind {unknown[0]!r} (one of {', '.join(PERSON_KINDS)})")
    return {"platforms": sorted(set(scope.get("platforms") or ())), "tenants": sorted(set(scope.get("tenants") or ())),
            "privileged_only": bool(scope.get("privileged_only")), "kinds": kinds}


def latest_complete_scan(session: Session) -> int | None:
    """The newest scan that stored an inventory (complete, or partial: then only what it read is current)."""
    table = Scan.__table__
    return session.execute(select(func.max(table.c.id)).where(table.c.status.in_(("complete", "partial"))))\
        .scalar_one_or_none()


def owners(session: Session) -> dict[tuple[str, str], str]:
    """(platform, asset id or '') -> owner uid."""
    return {(r.platform, r.asset_id): r.owner_uid for r in session.execute(select(OWNERS))}


def set_owner(session: Session, platform: str, asset_id: str, owner_uid: str) -> None:
    """Name the owner of an asset (or, with ``asset_id`` '', of a whole platform)."""
    session.execute(OWNERS.delete().where(OWNERS.c.platform == platform, OWNERS.c.asset_id == asset_id))
    session.execute(insert(OWNERS).values(platform=platform, asset_id=asset_id, owner_uid=owner_uid))


def _grants(session: Session, scope: Mapping[str, Any]) -> list[dict[str, Any]]:
    grant, acc, asset, person = InvGrant.__table__, InvAccount.__table__, InvAsset.__table__, DirectoryPerson.__table__
    query = (
        select(grant.c.platform, grant.c.tenant, grant.c.account_id, grant.c.asset_id, grant.c.role,
               grant.c.privileged, acc.c.name.label("account_name"), acc.c.person_uid, acc.c.last_activity,
               acc.c.two_factor, asset.c.name.label("asset_name"), person.c.display_name, person.c.status,
               person.c.end_date, person.c.status_changed, person.c.kind.label("person_kind"), person.c.manager)
        .join(acc, and_(acc.c.platform == grant.c.platform, acc.c.tenant == grant.c.tenant,
                        acc.c.account_id == grant.c.account_id))
        .outerjoin(asset, and_(asset.c.platform == grant.c.platform, asset.c.tenant == grant.c.tenant,
                               asset.c.asset_id == grant.c.asset_id))
        .outerjoin(person, person.c.uid == acc.c.person_uid)
        .where(grant.c.gone_at.is_(None), acc.c.gone_at.is_(None))
        .order_by(acc.c.person_uid, grant.c.platform, grant.c.account_id, grant.c.asset_id, grant.c.role)
    )
    if scope["platforms"]:
        query = query.where(grant.c.platform.in_(scope["platforms"]))
    if scope["tenants"]:
        query = query.where(grant.c.tenant.in_(scope["tenants"]))
    if scope["privileged_only"]:
        query = query.where(grant.c.privileged.is_(True))
    if scope["kinds"]:
        query = query.where(person.c.kind.in_(scope["kinds"]))
    return [dict(r) for r in session.execute(query).mappings()]


def _open_findings(session: Session) -> dict[str, int]:
    table = Finding.__table__
    rows = session.execute(select(table.c.person, func.count()).where(table.c.status == "open",
                                                                       table.c.person.is_not(None))
                           .group_by(table.c.person))
    return {person: count for person, count in rows}


def _departure(row: Mapping[str, Any]) -> date | None:
    if row["end_date"] is not None:
        return row["end_date"]
    if row["status"] == "departed" and row["status_changed"] is not None:
        return row["status_changed"].date()
    return None


def reviewer_for(row: Mapping[str, Any], mode: str, owned: Mapping[tuple[str, str], str], fallback: str) -> str:
    """The manager of the person (manager mode) or the owner of the asset, else of the platform; else fallback."""
    if mode == "manager":
        found = row.get("manager")
    else:
        found = owned.get((row["platform"], row["asset_id"])) or owned.get((row["platform"], ""))
    if not found or found == row.get("person_uid"):  # nobody certifies their own access
        return fallback
    return str(found)


def start(session: Session, *, name: str, scope: Mapping[str, Any], reviewer_mode: str, fallback_reviewer: str,
          owner: str, due_at: datetime, now: datetime, template_id: int | None = None) -> int:
    """Insert the campaign and its frozen items; returns its id (ReviewError names the bad field)."""
    if not name.strip():
        raise ReviewError("name: required")
    if reviewer_mode not in MODES:
        raise ReviewError(f"reviewer: unknown assignment {reviewer_mode!r} (one of {', '.join(MODES)})")
    if not fallback_reviewer.strip():
        raise ReviewError("fallback_reviewer: required (who reviews what has no manager or owner)")
    if due_at <= now:
        raise ReviewError(f"due: {due_at.date().isoformat()} is not in the future")
    scope = check_scope(scope)
    scan_id = latest_complete_scan(session)
    if scan_id is None:
        raise ReviewError("no scan yet: run `auditor scan` first (the campaign freezes its grants)")
    grants = _grants(session, scope)
    if not grants:
        raise ReviewError("scope: no grant matches it in the latest complete scan")
    campaign_id = session.execute(insert(CAMPAIGNS).values(
        name=name.strip(), scope=scope, reviewer_mode=reviewer_mode, fallback_reviewer=fallback_reviewer.strip(),
        owner=owner, status="open", started_at=now, due_at=due_at, scan_id=scan_id, template_id=template_id,
        reminders={})).inserted_primary_key[0]
    owned, findings = owners(session), _open_findings(session)
    session.execute(insert(ITEMS), [{
        "campaign_id": campaign_id, "person_uid": row["person_uid"] or "",
        "person_name": row["display_name"] or row["account_name"], "person_status": row["status"],
        "departure": _departure(row), "platform": row["platform"], "tenant": row["tenant"],
        "account_id": row["account_id"], "account_name": row["account_name"], "asset_id": row["asset_id"] or "",
        "asset_name": row["asset_name"], "role": row["role"], "privileged": bool(row["privileged"]),
        "last_activity": row["last_activity"], "two_factor": row["two_factor"],
        "open_findings": findings.get(row["person_uid"] or "", 0),
        "reviewer": reviewer_for(row, reviewer_mode, owned, fallback_reviewer.strip()),
    } for row in grants])
    return int(campaign_id)


def campaign_row(session: Session, campaign_id: int) -> dict[str, Any]:
    """The stored campaign (ReviewError 404 when there is none)."""
    row = session.execute(select(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id)).mappings().first()
    if row is None:
        raise ReviewError(f"no campaign #{campaign_id}", status=404)
    return dict(row)


def item_rows(session: Session, campaign_id: int | None = None, *, reviewer: str | None = None,
              open_only: bool = False) -> list[dict[str, Any]]:
    """Items of a campaign (or of every open campaign), optionally one reviewer's, by person."""
    query = select(ITEMS).join(CAMPAIGNS, CAMPAIGNS.c.id == ITEMS.c.campaign_id)
    if campaign_id is not None:
        query = query.where(ITEMS.c.campaign_id == campaign_id)
    if reviewer is not None:
        query = query.where(ITEMS.c.reviewer == reviewer)
    if open_only:
        query = query.where(CAMPAIGNS.c.status == "open")
    query = query.order_by(ITEMS.c.campaign_id, ITEMS.c.person_uid, ITEMS.c.platform, ITEMS.c.asset_id, ITEMS.c.id)
    return [dict(r) for r in session.execute(query).mappings()]


def list_campaigns(session: Session, status: str | None = None) -> list[dict[str, Any]]:
    """Campaigns, newest first, with item and decision counts (two queries)."""
    query = select(CAMPAIGNS).order_by(CAMPAIGNS.c.id.desc())
    if status is not None:
        query = query.where(CAMPAIGNS.c.status == status)
    rows = [plain(r) for r in session.execute(query).mappings()]
    counts = {r.campaign_id: r for r in session.execute(
        select(ITEMS.c.campaign_id, func.count().label("items"), func.count(ITEMS.c.decision).label("decided"))
        .group_by(ITEMS.c.campaign_id))}
    for row in rows:
        found = counts.get(row["id"])
        row["items"], row["decided"] = (found.items, found.decided) if found else (0, 0)
    return rows
