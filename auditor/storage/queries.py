"""The read side, shared by the CLI, the web UI and reports: findings, scan changes, one person's holdings.

Every function runs a fixed, small number of queries (no N+1) and returns plain JSON-ready data:
datetimes and dates as ISO 8601 strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlmodel import Session

from auditor.errors import StorageError
from auditor.findings.fields import FINDING_FIELDS
from auditor.findings.lifecycle import OPENED, REOPENED, RESOLVED_CHANGE, STATUSES
from auditor.model import Severity
from auditor.storage.tables import (
    DirectoryPerson,
    Finding,
    FindingEvent,
    InvAccount,
    InvApp,
    InvAsset,
    InvGrant,
    PersonChange,
    Scan,
    ScanPlatform,
)

_F = Finding.__table__
_DIFF_CHANGES = {OPENED: "new", REOPENED: "reopened", "exception_expired": "reopened", "unmuted": "reopened",
                 RESOLVED_CHANGE: "resolved", "muted": "muted"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _record(row: Any, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    mapping = row if keys is None else {key: row[key] for key in keys}
    return {key: _plain(value) for key, value in mapping.items()}


def _finding_filters(status: str, category: str | None, severity: str | Severity | None, platform: str | None,
                     person: str | None) -> list[ColumnElement[bool]]:
    if status != "all" and status not in STATUSES:
        raise ValueError(f"status: unknown value {status!r} (expected one of {', '.join(STATUSES)}, all)")
    clauses: list[ColumnElement[bool]] = []
    if status != "all":
        clauses.append(_F.c.status == status)
    if category is not None:
        clauses.append(_F.c.category == category)
    if severity is not None:
        try:
            rank = Severity(severity).rank
        except ValueError as exc:
            names = ", ".join(s.value for s in Severity)
            raise ValueError(f"severity: unknown value {severity!r} (expected one of {names})") from exc
        clauses.append(_F.c.severity_rank >= rank)
    if platform is not None:
        clauses.append(_F.c.platform == platform)
    if person is not None:
        clauses.append(_F.c.person == person)
    return clauses


def list_findings(session: Session, status: str = "open", category: str | None = None,
                  severity: str | Severity | None = None, platform: str | None = None,
                  person: str | None = None, limit: int | None = None,
                  offset: int = 0) -> list[dict[str, Any]]:
    """Findings as dicts with exactly ``FINDING_FIELDS``, most severe and most recent first.

    ``severity`` is a minimum (``high`` gives high and critical); ``status`` may be ``all``.
    """
    query = (
        select(*(_F.c[key] for key in FINDING_FIELDS))
        .where(*_finding_filters(status, category, severity, platform, person))
        .order_by(_F.c.severity_rank.desc(), _F.c.last_seen.desc(), _F.c.id)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return [_record(row) for row in session.exec(query).mappings()]


def count_findings(session: Session, status: str = "open", category: str | None = None,
                   severity: str | Severity | None = None, platform: str | None = None,
                   person: str | None = None) -> int:
    """How many findings ``list_findings`` would return without limit."""
    clauses = _finding_filters(status, category, severity, platform, person)
    query = select(func.count()).select_from(_F).where(*clauses)
    return int(session.exec(query).scalar_one())


def _evaluated_scan_ids(session: Session, before: int | None = None) -> int | None:
    """The newest scan that evaluated findings (complete or partial), optionally older than ``before``."""
    table = Scan.__table__
    query = select(func.max(table.c.id)).where(table.c.status.in_(("complete", "partial")))
    if before is not None:
        query = query.where(table.c.id < before)
    return session.exec(query).scalar_one_or_none()


def scan_diff(session: Session, scan_id: int | None = None) -> dict[str, Any]:
    """What a scan changed against the previous one (default: the latest evaluated scan).

    Returns ``scan_id``, ``previous_scan_id`` and lists of finding dicts: ``new``, ``reopened`` (including
    findings whose exception expired or was withdrawn), ``resolved`` and ``muted``.
    """
    diff: dict[str, Any] = {
        "scan_id": None, "previous_scan_id": None, "new": [], "reopened": [], "resolved": [], "muted": [],
    }
    if scan_id is None:
        scan_id = _evaluated_scan_ids(session)
        if scan_id is None:
            return diff
    elif session.exec(select(Scan.__table__.c.id).where(Scan.__table__.c.id == scan_id)).first() is None:
        raise StorageError(f"scan {scan_id} not found")
    diff["scan_id"] = scan_id
    diff["previous_scan_id"] = _evaluated_scan_ids(session, before=scan_id)
    events = FindingEvent.__table__
    query = (
        select(events.c.change, *(_F.c[key] for key in FINDING_FIELDS))
        .join(_F, _F.c.id == events.c.finding_id)
        .where(events.c.scan_id == scan_id, events.c.change.in_(tuple(_DIFF_CHANGES)))
        .order_by(_F.c.severity_rank.desc(), _F.c.id)
    )
    for row in session.exec(query).mappings():
        diff[_DIFF_CHANGES[row["change"]]].append(_record(row, FINDING_FIELDS))
    return diff


def person_holdings(session: Session, uid: str) -> dict[str, Any]:
    """One person's directory record and history, current accounts on every platform with their grants
    and apps, and open findings, in six queries.

    ``person`` is None when the uid is not in the directory history (accounts may still be linked to it).
    """
    person_row = session.exec(
        select(DirectoryPerson.__table__).where(DirectoryPerson.__table__.c.uid == uid)
    ).mappings().first()
    acc, grant, asset, app = InvAccount.__table__, InvGrant.__table__, InvAsset.__table__, InvApp.__table__
    accounts_query = (
        select(acc.c.platform, acc.c.tenant, acc.c.account_id, acc.c.kind, acc.c.name, acc.c.emails,
               acc.c.two_factor, acc.c.last_activity, acc.c.state, acc.c.role, acc.c.first_seen,
               acc.c.last_seen)
        .where(acc.c.person_uid == uid, acc.c.gone_at.is_(None))
        .order_by(acc.c.platform, acc.c.tenant, acc.c.account_id)
    )
    accounts: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in session.exec(accounts_query).mappings():
        key = (row["platform"], row["tenant"], row["account_id"])
        accounts[key] = {**_record(row), "grants": [], "apps": []}

    held = and_(acc.c.person_uid == uid, acc.c.gone_at.is_(None))
    grants_query = (
        select(grant.c.platform, grant.c.tenant, grant.c.account_id, grant.c.asset_id, grant.c.role,
               grant.c.privileged, grant.c.granted_at, grant.c.granted_by, grant.c.first_seen,
               asset.c.name.label("asset_name"), asset.c.kind.label("asset_kind"))
        .join(acc, and_(acc.c.platform == grant.c.platform, acc.c.tenant == grant.c.tenant,
                        acc.c.account_id == grant.c.account_id))
        .outerjoin(asset, and_(asset.c.platform == grant.c.platform, asset.c.tenant == grant.c.tenant,
                               asset.c.asset_id == grant.c.asset_id))
        .where(held, grant.c.gone_at.is_(None))
        .order_by(grant.c.platform, grant.c.account_id, grant.c.asset_id, grant.c.role)
    )
    for row in session.exec(grants_query).mappings():
        entry = _record(row)
        key = (entry.pop("platform"), entry.pop("tenant"), entry.pop("account_id"))
        entry["asset_id"] = entry["asset_id"] or None
        accounts[key]["grants"].append(entry)

    apps_query = (
        select(app.c.platform, app.c.tenant, app.c.granted_by, app.c.app_id, app.c.token_ref, app.c.name,
               app.c.scopes, app.c.last_used, app.c.first_seen)
        .join(acc, and_(acc.c.platform == app.c.platform, acc.c.tenant == app.c.tenant,
                        acc.c.account_id == app.c.granted_by))
        .where(held, app.c.gone_at.is_(None))
        .order_by(app.c.platform, app.c.app_id, app.c.token_ref)
    )
    for row in session.exec(apps_query).mappings():
        entry = _record(row)
        key = (entry.pop("platform"), entry.pop("tenant"), entry["granted_by"])
        entry["token_ref"] = entry["token_ref"] or None
        accounts[key]["apps"].append(entry)

    changes = PersonChange.__table__
    history = [
        _record(row) for row in session.exec(
            select(changes.c.at, changes.c.field, changes.c.old, changes.c.new, changes.c.scan_id)
            .where(changes.c.uid == uid).order_by(changes.c.at, changes.c.id)
        ).mappings()
    ]
    return {
        "person": _record(person_row) if person_row is not None else None,
        "accounts": list(accounts.values()),
        "findings": list_findings(session, status="open", person=uid),
        "history": history,
    }


def latest_scans(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The newest scans (newest first), each with its platforms, in two queries."""
    scans, platforms = Scan.__table__, ScanPlatform.__table__
    rows = [
        {**_record(row), "platforms": []}
        for row in session.exec(
            select(scans.c.id, scans.c.started_at, scans.c.finished_at, scans.c.status, scans.c.trigger,
                   scans.c.error, scans.c.counts).order_by(scans.c.id.desc()).limit(limit)
        ).mappings()
    ]
    by_id = {row["id"]: row for row in rows}
    if by_id:
        query = (
            select(platforms.c.scan_id, platforms.c.platform, platforms.c.kind, platforms.c.tenant,
                   platforms.c.tenant_name, platforms.c.status, platforms.c.errors, platforms.c.counts,
                   platforms.c.unchanged_since)
            .where(platforms.c.scan_id.in_(list(by_id)))
            .order_by(platforms.c.scan_id, platforms.c.id)
        )
        for row in session.exec(query).mappings():
            entry = _record(row)
            by_id[entry.pop("scan_id")]["platforms"].append(entry)
    return rows
