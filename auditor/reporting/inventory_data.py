"""Read queries of the access review and the offboarding evidence: accounts, grants, apps, events, people.

Grants and apps are read per platform scope (or per person through a join), never per account, so a report
over 50,000 people runs the same handful of queries as one over fifty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from auditor.reporting.data import record
from auditor.storage.inventory import chunks
from auditor.storage.tables import AuditEventRow, DirectoryPerson, Finding, InvAccount, InvApp, InvAsset, InvGrant

AccountKey = tuple[str, str, str]
"""(platform, tenant, account id)."""

_ACC, _GRANT, _ASSET, _APP = InvAccount.__table__, InvGrant.__table__, InvAsset.__table__, InvApp.__table__
_PERSON, _F = DirectoryPerson.__table__, Finding.__table__


def _platform(column: Any, platform: str | None) -> list[Any]:
    return [column == platform] if platform is not None else []


def current_accounts(session: Session, platform: str | None) -> list[dict[str, Any]]:
    """Accounts present now, with their linked person (name, status, manager, department)."""
    query = (
        select(_ACC.c.platform, _ACC.c.tenant, _ACC.c.account_id, _ACC.c.kind, _ACC.c.name, _ACC.c.emails,
               _ACC.c.two_factor, _ACC.c.last_activity, _ACC.c.state, _ACC.c.role, _ACC.c.person_uid,
               _PERSON.c.display_name.label("person_name"), _PERSON.c.status.label("person_status"),
               _PERSON.c.manager, _PERSON.c.department, _PERSON.c.kind.label("person_kind"))
        .outerjoin(_PERSON, _PERSON.c.uid == _ACC.c.person_uid)
        .where(_ACC.c.gone_at.is_(None), *_platform(_ACC.c.platform, platform))
        .order_by(_ACC.c.platform, _ACC.c.tenant, _PERSON.c.display_name, _ACC.c.name, _ACC.c.account_id)
    )
    return [record(row) for row in session.exec(query).mappings()]


def count_current_accounts(session: Session, platform: str | None, person: str | None) -> int:
    """How many accounts are present now, in scope (checked before an access review loads them)."""
    query = select(func.count()).select_from(_ACC).where(_ACC.c.gone_at.is_(None),
                                                         *_platform(_ACC.c.platform, platform))
    if person is not None:
        query = query.where(_ACC.c.person_uid == person)
    return int(session.exec(query).scalar_one())


def _grant_query(columns: Iterable[Any]) -> Any:
    return (
        select(_GRANT.c.platform, _GRANT.c.tenant, _GRANT.c.account_id, _GRANT.c.asset_id, _GRANT.c.role,
               _GRANT.c.privileged, *columns, _ASSET.c.name.label("asset_name"), _ASSET.c.kind.label("asset_kind"))
        .outerjoin(_ASSET, and_(_ASSET.c.platform == _GRANT.c.platform, _ASSET.c.tenant == _GRANT.c.tenant,
                                _ASSET.c.asset_id == _GRANT.c.asset_id))
    )


def current_grants(session: Session, platform: str | None) -> dict[AccountKey, list[dict[str, Any]]]:
    """Grants present now with their asset's name and kind, per account."""
    query = (
        _grant_query(())
        .where(_GRANT.c.gone_at.is_(None), *_platform(_GRANT.c.platform, platform))
        .order_by(_GRANT.c.platform, _GRANT.c.account_id, _ASSET.c.kind, _ASSET.c.name, _GRANT.c.role)
    )
    grants: dict[AccountKey, list[dict[str, Any]]] = defaultdict(list)
    for row in session.exec(query).mappings():
        entry = record(row)
        key = (entry.pop("platform"), entry.pop("tenant"), entry.pop("account_id"))
        entry["asset_id"] = entry["asset_id"] or None
        grants[key].append(entry)
    return grants


def current_apps(session: Session, platform: str | None) -> list[dict[str, Any]]:
    """Connected apps and inspected tokens present now."""
    query = (
        select(_APP.c.platform, _APP.c.tenant, _APP.c.app_id, _APP.c.token_ref, _APP.c.name, _APP.c.scopes,
               _APP.c.granted_by, _APP.c.last_used)
        .where(_APP.c.gone_at.is_(None), *_platform(_APP.c.platform, platform))
        .order_by(_APP.c.platform, _APP.c.name, _APP.c.app_id, _APP.c.token_ref)
    )
    return [record(row) for row in session.exec(query).mappings()]


def open_flags(session: Session, platform: str | None) -> dict[tuple[str, str], list[str]]:
    """Categories of the open findings of each (platform, account id)."""
    query = (
        select(_F.c.platform, _F.c.account, _F.c.category)
        .where(_F.c.status == "open", _F.c.account.is_not(None), *_platform(_F.c.platform, platform))
        .distinct()
        .order_by(_F.c.platform, _F.c.account, _F.c.category)
    )
    flags: dict[tuple[str, str], list[str]] = defaultdict(list)
    for plat, account, category in session.exec(query):
        flags[(plat, account)].append(category)
    return flags


def people(session: Session, uids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Directory records of the given uids (in chunks, for the manager names of a review)."""
    found: dict[str, dict[str, Any]] = {}
    wanted = sorted(set(uids))
    for part in chunks(wanted):
        query = select(_PERSON.c.uid, _PERSON.c.display_name, _PERSON.c.status, _PERSON.c.department).where(
            _PERSON.c.uid.in_(part))
        found.update({row["uid"]: record(row) for row in session.exec(query).mappings()})
    return found


def person_record(session: Session, uid: str) -> dict[str, Any] | None:
    """One directory person (including departed and vanished ones)."""
    row = session.exec(select(_PERSON).where(_PERSON.c.uid == uid)).mappings().first()
    return record(row) if row is not None else None


def person_accounts(session: Session, uid: str, platform: str | None) -> list[dict[str, Any]]:
    """Every account ever linked to ``uid``, present or gone, with first_seen / last_seen / gone_at."""
    query = (
        select(_ACC.c.platform, _ACC.c.tenant, _ACC.c.account_id, _ACC.c.kind, _ACC.c.name, _ACC.c.emails,
               _ACC.c.state, _ACC.c.role, _ACC.c.two_factor, _ACC.c.last_activity, _ACC.c.first_seen,
               _ACC.c.last_seen, _ACC.c.gone_at)
        .where(_ACC.c.person_uid == uid, *_platform(_ACC.c.platform, platform))
        .order_by(_ACC.c.platform, _ACC.c.tenant, _ACC.c.account_id)
    )
    return [record(row) for row in session.exec(query).mappings()]


def person_grants(session: Session, uid: str, platform: str | None) -> dict[AccountKey, list[dict[str, Any]]]:
    """Every grant (present or gone) of the accounts linked to ``uid``, per account."""
    query = (
        _grant_query((_GRANT.c.granted_at, _GRANT.c.first_seen, _GRANT.c.last_seen, _GRANT.c.gone_at))
        .join(_ACC, and_(_ACC.c.platform == _GRANT.c.platform, _ACC.c.tenant == _GRANT.c.tenant,
                         _ACC.c.account_id == _GRANT.c.account_id))
        .where(_ACC.c.person_uid == uid, *_platform(_GRANT.c.platform, platform))
        .order_by(_GRANT.c.platform, _GRANT.c.account_id, _ASSET.c.kind, _ASSET.c.name, _GRANT.c.role)
    )
    grants: dict[AccountKey, list[dict[str, Any]]] = defaultdict(list)
    for row in session.exec(query).mappings():
        entry = record(row)
        key = (entry.pop("platform"), entry.pop("tenant"), entry.pop("account_id"))
        entry["asset_id"] = entry["asset_id"] or None
        grants[key].append(entry)
    return grants


def person_apps(session: Session, uid: str, platform: str | None) -> dict[AccountKey, list[dict[str, Any]]]:
    """Apps and tokens (present or gone) authorised by the accounts linked to ``uid``, per account."""
    query = (
        select(_APP.c.platform, _APP.c.tenant, _APP.c.granted_by, _APP.c.app_id, _APP.c.token_ref, _APP.c.name,
               _APP.c.scopes, _APP.c.first_seen, _APP.c.last_seen, _APP.c.gone_at)
        .join(_ACC, and_(_ACC.c.platform == _APP.c.platform, _ACC.c.tenant == _APP.c.tenant,
                         _ACC.c.account_id == _APP.c.granted_by))
        .where(_ACC.c.person_uid == uid, *_platform(_APP.c.platform, platform))
        .order_by(_APP.c.platform, _APP.c.name, _APP.c.app_id)
    )
    apps: dict[AccountKey, list[dict[str, Any]]] = defaultdict(list)
    for row in session.exec(query).mappings():
        entry = record(row)
        apps[(entry.pop("platform"), entry.pop("tenant"), entry["granted_by"])].append(entry)
    return apps


def person_events(session: Session, uid: str, since: datetime | None, platform: str | None,
                  limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Audit events by or on the accounts of ``uid`` from ``since`` on (oldest first); True when cut."""
    event = AuditEventRow.__table__
    linked = and_(_ACC.c.platform == event.c.platform, _ACC.c.tenant == event.c.tenant,
                  or_(_ACC.c.account_id == event.c.actor_id, _ACC.c.account_id == event.c.target_id))
    query = (
        select(event.c.platform, event.c.event_id, event.c.time, event.c.action, event.c.raw_action, event.c.actor_name,
               event.c.target_name, event.c.asset_id, _ASSET.c.name.label("asset_name"))
        .join(_ACC, linked)
        .outerjoin(_ASSET, and_(_ASSET.c.platform == event.c.platform, _ASSET.c.tenant == event.c.tenant,
                                _ASSET.c.asset_id == event.c.asset_id))
        .where(_ACC.c.person_uid == uid, *_platform(event.c.platform, platform))
        .distinct()
        .order_by(event.c.time, event.c.platform, event.c.action)
        .limit(limit + 1)
    )
    if since is not None:
        query = query.where(event.c.time >= since)
    rows = [record(row) for row in session.exec(query).mappings()]
    return rows[:limit], len(rows) > limit
