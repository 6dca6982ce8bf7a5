"""The dashboard's view-model: open findings by severity, category and platform, the trend over the last scans,
what the latest scan changed, platforms that could not be verified, each platform's coverage (what it does not
expose: notes, never counted as open findings) and the last and next scans.

A fixed number of grouped queries; nothing grows with the number of findings but the database's own work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlmodel import Session

from auditor.accounts.tables import FindingTriage
from auditor.findings.lifecycle import OPEN
from auditor.findings.queries import not_coverage
from auditor.model import CATEGORIES, Severity
from auditor.policy.engine import COVERAGE
from auditor.storage.tables import Finding, FindingEvent, Scan, ScanPlatform

TREND_SCANS = 12
CHANGE_SAMPLE = 8
_F = Finding.__table__
CHANGE_GROUPS = {
    "opened": "new",
    "reopened": "reopened",
    "exception_expired": "reopened",
    "unmuted": "reopened",
    "resolved": "resolved",
}


def _open_by(session: Session, column: Any) -> dict[Any, int]:
    rows = session.exec(
        select(column, func.count()).where(_F.c.status == OPEN, not_coverage()).group_by(column)
    )
    return {key: count for key, count in rows}


def coverage(session: Session) -> list[dict[str, Any]]:
    """The open coverage notes (what each platform does not expose), grouped per platform, platforms in
    order; each note keeps its rule, evidence and id for its readable text and link."""
    rows = session.exec(
        select(_F.c.id, _F.c.rule, _F.c.platform, _F.c.message, _F.c.evidence, _F.c.outcome)
        .where(_F.c.status == OPEN, _F.c.outcome == COVERAGE)
        .order_by(_F.c.platform, _F.c.rule)
    ).mappings()
    platforms: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        platforms.setdefault(row["platform"] or "directory-wide", []).append(dict(row))
    return [{"platform": name, "notes": notes} for name, notes in platforms.items()]


def open_counts(session: Session) -> dict[str, list[tuple[str, int]]]:
    """Open findings per severity (every level, most severe first), category and platform (non-zero)."""
    by_rank = _open_by(session, _F.c.severity_rank)
    severities = [(s.value, by_rank.get(s.rank, 0)) for s in reversed(list(Severity))]
    by_category = _open_by(session, _F.c.category)
    categories = sorted(((c, by_category[c]) for c in CATEGORIES if by_category.get(c)), key=lambda x: -x[1])
    by_platform = _open_by(session, _F.c.platform)
    platforms = sorted(((p or "directory-wide", n) for p, n in by_platform.items()), key=lambda x: -x[1])
    return {"severity": severities, "category": categories, "platform": platforms}


def trend(session: Session, limit: int = TREND_SCANS) -> list[dict[str, Any]]:
    """The last evaluated scans, oldest first, with open / new / resolved counts."""
    scans = Scan.__table__
    rows = session.exec(
        select(scans.c.id, scans.c.started_at, scans.c.status, scans.c.counts)
        .where(scans.c.status.in_(("complete", "partial")))
        .order_by(scans.c.id.desc())
        .limit(limit)
    ).mappings()
    points = []
    for row in rows:
        counts = row["counts"] or {}
        points.append(
            {
                "id": row["id"],
                "started_at": row["started_at"],
                "status": row["status"],
                "open": int(counts.get("open", 0)),
                "new": int(counts.get("opened", 0)),
                "reopened": int(counts.get("reopened", 0)),
                "resolved": int(counts.get("resolved", 0)),
            }
        )
    return list(reversed(points))


def latest_changes(session: Session, scan_id: int | None) -> dict[str, Any]:
    """How many findings the scan opened, reopened and resolved, with the most severe few of each."""
    changes: dict[str, Any] = {
        "new": 0,
        "reopened": 0,
        "resolved": 0,
        "sample": {"new": [], "reopened": [], "resolved": []},
    }
    if scan_id is None:
        return changes
    events = FindingEvent.__table__
    rows = session.exec(
        select(events.c.change, func.count()).join(_F, events.c.finding_id == _F.c.id)
        .where(events.c.scan_id == scan_id, not_coverage()).group_by(events.c.change)
    )
    for change, count in rows:
        group = CHANGE_GROUPS.get(change)
        if group:
            changes[group] += count
    for group in ("new", "reopened", "resolved"):
        if changes[group]:
            changes["sample"][group] = _sample(session, scan_id, group)
    return changes


def _sample(session: Session, scan_id: int, group: str) -> list[dict[str, Any]]:
    """The most severe few findings of one change group: one short query per severity, most severe first,
    each stopping at the sample size (no sort over every change of a big first scan)."""
    events = FindingEvent.__table__
    names = tuple(change for change, target in CHANGE_GROUPS.items() if target == group)
    sample: list[dict[str, Any]] = []
    for severity in reversed(list(Severity)):
        rows = session.exec(
            select(_F.c.id, _F.c.rule, _F.c.severity, _F.c.category, _F.c.message, _F.c.evidence)
            .join(events, events.c.finding_id == _F.c.id)
            .where(events.c.scan_id == scan_id, events.c.change.in_(names), _F.c.severity_rank == severity.rank,
                   not_coverage())
            .limit(CHANGE_SAMPLE - len(sample))
        ).mappings()
        sample += [dict(row) for row in rows]
        if len(sample) >= CHANGE_SAMPLE:
            break
    return sample


def latest_platforms(session: Session) -> list[dict[str, Any]]:
    """Each platform tenant as of the latest scan that read it (status, errors, capabilities)."""
    table = ScanPlatform.__table__
    newest = (select(func.max(table.c.id).label("id")).group_by(table.c.platform, table.c.tenant)).subquery()
    rows = session.exec(
        select(table).join(newest, newest.c.id == table.c.id).order_by(table.c.platform, table.c.tenant)
    ).mappings()
    return [dict(row) for row in rows]


def next_scheduled(session: Session) -> datetime | None:
    """The next scheduled scan (jobs ``scan:<platform>`` in the scheduler's APScheduler job table), or None."""
    bind = session.get_bind()
    if not inspect(bind).has_table("apscheduler_jobs"):
        return None
    value = session.exec(text("SELECT MIN(next_run_time) FROM apscheduler_jobs WHERE id LIKE 'scan:%'")).scalar()
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


def dashboard(session: Session) -> dict[str, Any]:
    """Everything the dashboard shows."""
    scans = Scan.__table__
    last = session.exec(select(scans).order_by(scans.c.id.desc()).limit(1)).mappings().first()
    evaluated = session.exec(
        select(func.max(scans.c.id)).where(scans.c.status.in_(("complete", "partial")))
    ).scalar_one_or_none()
    platforms = latest_platforms(session)
    triage = FindingTriage.__table__
    unassigned = session.exec(
        select(func.count())
        .select_from(_F.outerjoin(triage, triage.c.finding_id == _F.c.id))
        .where(_F.c.status == OPEN, _F.c.severity_rank >= Severity.HIGH.rank, triage.c.assignee.is_(None),
               not_coverage())
    ).scalar_one()
    return {
        "counts": open_counts(session),
        "trend": trend(session),
        "changes": latest_changes(session, evaluated),
        "changes_scan": evaluated,
        "unverified": [p for p in platforms if p["status"] != "complete"],
        "platforms": platforms,
        "coverage": coverage(session),
        "last_scan": dict(last) if last else None,
        "next_scan": next_scheduled(session),
        "urgent_unassigned": int(unassigned),
    }
