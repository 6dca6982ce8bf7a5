"""The write side: store one scan (platforms, inventory diff, events, reconciled findings) in bulk.

Everything ``save_scan`` writes goes through the caller's session, so it lands in ONE transaction:
``with db.session() as s: save_scan(s, record, exceptions)`` either commits all of it or nothing.
Bulk writes use Core ``insert()`` / ``update()`` with lists of dicts (executemany), never one ORM object
per row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlmodel import Session

from auditor.config import ManualLink
from auditor.findings.exceptions import RiskException
from auditor.findings.lifecycle import (
    ACCEPTED,
    EXPIRED_EXCEPTION_RULE,
    OPEN,
    Coverage,
    FindingState,
    ReconcileResult,
    fingerprint,
    reconcile,
)
from auditor.model import Capabilities, Severity, TenantSnapshot, Verdict
from auditor.storage.event_log import log_read_completely
from auditor.storage.inventory import chunks, last_event_time, save_events, sync_inventory
from auditor.storage.people import SEEN_EVERY, sync_people, sync_people_counted
from auditor.storage.tables import Finding, FindingEvent, ManualLinkRow, RiskExceptionRow, Scan, ScanPlatform

__all__ = [
    "ScanRecord", "ScanSummary", "last_event_time", "last_readings", "load_finding_states", "record_failed_scan",
    "save_scan", "stored_exceptions", "sync_people", "sync_people_counted",
]

_STATE_COLUMNS = (
    "id", "fingerprint", "rule", "category", "severity", "status", "subject", "platform", "tenant", "message",
    "first_seen", "last_seen", "outcome", "account", "account_email", "person", "asset", "role", "evidence",
    "resolved_at", "first_scan_id", "last_scan_id", "exception_id",
)
_UPDATED_COLUMNS = (
    "category", "severity", "severity_rank", "outcome", "status", "account", "account_email", "person",
    "asset", "role", "message", "evidence", "last_seen", "resolved_at", "last_scan_id", "exception_id",
)


@dataclass(slots=True)
class ScanRecord:
    """Everything one scan produced, ready to be stored."""

    started_at: datetime
    finished_at: datetime
    trigger: str
    snapshots: list[TenantSnapshot]
    account_people: dict[tuple[str, str], str | None]
    verdicts: list[Verdict]
    directory_complete: bool
    policy_hashes: dict[str, str] = field(default_factory=dict)
    input_keys: dict[str, str] = field(default_factory=dict)
    """Platform name -> the digest of what its findings were judged on (``services.scan_inputs``)."""
    carried: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Platform name -> its last complete reading (a ``scan_platform`` row, ``last_readings``), carried over
    because its input key had not moved: not read, not judged, its inventory and findings left as they are."""


@dataclass(slots=True)
class ScanSummary:
    """What a stored scan changed, and where the open findings stand afterwards."""

    scan_id: int
    status: str
    opened: int
    reopened: int
    resolved: int
    still_open: int
    muted: int
    open_by_category: dict[str, int]
    open_by_severity: dict[str, int]
    platforms: list[tuple[str, str, list[str]]]
    unmuted: int = 0
    exception_expired: int = 0
    incomplete_scopes: dict[str, dict[str, str]] = field(default_factory=dict)
    """Platform name -> the scopes read incompletely -> why (their findings were kept as they were)."""
    unchanged: dict[str, int] = field(default_factory=dict)
    """Platform name -> the scan whose reading it carries over (nothing it depends on had changed)."""


def platform_status(snapshot: TenantSnapshot) -> str:
    """complete, partial (incomplete but something was read) or failed (nothing read)."""
    if snapshot.complete:
        return "complete"
    parts = (snapshot.accounts, snapshot.assets, snapshot.grants, snapshot.apps, snapshot.events)
    return "partial" if any(parts) else "failed"


def _capabilities(caps: Capabilities) -> dict[str, Any]:
    return {
        "per_user_2fa": caps.per_user_2fa, "tenant_2fa": caps.tenant_2fa, "app_scopes": caps.app_scopes,
        "audit_log": caps.audit_log, "account_emails": caps.account_emails, "notes": list(caps.notes),
    }


def stored_exceptions(session: Session) -> list[RiskException]:
    """The risk exceptions added in the web UI, as RiskException objects (ids ``db:<row id>``)."""
    table = RiskExceptionRow.__table__
    return [
        RiskException(
            id=f"db:{row['id']}", rule=row["rule"], reason=row["reason"], approved_by=row["approved_by"],
            expires_on=row["expires_on"], fingerprint=row["fingerprint"], platform=row["platform"],
            account=row["account"], asset=row["asset"], person=row["person"], source="database",
        )
        for row in session.exec(select(table).order_by(table.c.id)).mappings()
    ]


def stored_links(session: Session) -> list[ManualLink]:
    """Manual account -> person links recorded in the database (from the web UI)."""
    table = ManualLinkRow.__table__
    return [
        ManualLink(platform=row["platform"], account_id=row["account_id"], email=row["email"], uid=row["uid"])
        for row in session.exec(select(table).order_by(table.c.id)).mappings()
    ]


_READING_COLUMNS = (
    "scan_id", "platform", "kind", "tenant", "tenant_name", "two_factor_required", "status", "errors", "counts",
    "capabilities", "activity_since", "incomplete_scopes", "events_through", "input_key", "unchanged_since",
)


def last_readings(session: Session) -> dict[str, dict[str, Any]]:
    """Platform name -> its newest ``scan_platform`` row, when that row is a complete reading with an input
    key (a platform whose newest row failed or was partial has none: it must be read again)."""
    table = ScanPlatform.__table__
    newest = select(func.max(table.c.id)).group_by(table.c.platform).scalar_subquery()
    rows = session.exec(select(*(table.c[name] for name in _READING_COLUMNS)).where(table.c.id.in_(newest)))
    return {row["platform"]: dict(row) for row in rows.mappings()
            if row["status"] == "complete" and row["input_key"]}


def load_finding_states(session: Session, fingerprints: Iterable[str] = ()) -> list[FindingState]:
    """Every open or accepted finding, every ``risk-exception-expired`` one, plus the given fingerprints."""
    table = Finding.__table__
    columns = [table.c[name] for name in _STATE_COLUMNS]
    result = session.exec(
        select(*columns).where(
            or_(table.c.status.in_((OPEN, ACCEPTED)), table.c.rule == EXPIRED_EXCEPTION_RULE)
        )
    ).mappings()
    states = {row["fingerprint"]: FindingState(**row) for row in result}
    missing = sorted(set(fingerprints) - states.keys())
    for part in chunks(missing):
        for row in session.exec(select(*columns).where(table.c.fingerprint.in_(part))).mappings():
            states[row["fingerprint"]] = FindingState(**row)
    return list(states.values())


def _finding_row(state: FindingState) -> dict[str, Any]:
    row = {name: getattr(state, name) for name in _STATE_COLUMNS if name != "id"}
    row["severity_rank"] = Severity(state.severity).rank
    return row


def _write_findings(session: Session, result: ReconcileResult, scan_id: int, now: datetime) -> None:
    """Insert new findings, update changed ones, append the lifecycle events (all executemany)."""
    table = Finding.__table__
    new = [_finding_row(s) for s in result.states if s.id is None]
    changed = []
    for state in result.states:
        if state.id is not None:
            row = _finding_row(state)
            changed.append({"b_id": state.id, **{name: row[name] for name in _UPDATED_COLUMNS}})
    if new:
        session.exec(insert(table), params=new)
    if changed:
        session.exec(update(table).where(table.c.id == bindparam("b_id")), params=changed)
    ids = {s.fingerprint: s.id for s in result.states if s.id is not None}
    if new:
        rows = session.exec(select(table.c.fingerprint, table.c.id).where(table.c.first_scan_id == scan_id))
        ids.update((fp, finding_id) for fp, finding_id in rows)
    events = [
        {"finding_id": ids[change.fingerprint], "scan_id": scan_id, "at": now, "change": change.change}
        for change in result.changes
    ]
    if events:
        session.exec(insert(FindingEvent.__table__), params=events)


def _open_counts(session: Session, column_name: str) -> dict[str, int]:
    table = Finding.__table__
    column = table.c[column_name]
    # coverage notes (what a platform does not expose) are not open findings: not counted
    rows = session.exec(select(column, func.count()).where(
        table.c.status == OPEN, func.coalesce(table.c.outcome, "") != "coverage").group_by(column))
    return {key: count for key, count in rows}


def save_scan(session: Session, record: ScanRecord, exceptions: list[RiskException]) -> ScanSummary:
    """Store one scan: Scan + ScanPlatform rows, inventory diff, new audit events, reconciled findings.

    ``exceptions`` are the file exceptions; those stored in the database are added here. Findings are
    resolved only where every scope they depend on was read completely (``lifecycle.Coverage``: complete
    platforms, the scopes of a platform read in part that did not fail, and the directory-wide scope
    ``(None, None)`` when ``record.directory_complete``). Each platform row keeps its incomplete scopes.
    """
    now = record.finished_at
    scan_table = Scan.__table__
    scan_id = session.exec(
        insert(scan_table).values(
            started_at=record.started_at, status="running", trigger=record.trigger, counts={},
            policy_hashes=dict(record.policy_hashes),
        ).returning(scan_table.c.id)
    ).scalar_one()

    platform_rows: list[dict[str, Any]] = []
    platforms: list[tuple[str, str, list[str]]] = []
    coverage = Coverage()
    incomplete: dict[str, dict[str, str]] = {}
    for snap in record.snapshots:
        counts = sync_inventory(session, snap, record.account_people, now)
        counts["events_new"] = save_events(session, snap, scan_id)
        counts["events_read"] = len(snap.events)
        status = platform_status(snap)
        platforms.append((snap.platform, status, list(snap.errors)))
        coverage.add(snap.platform, snap.tenant.tenant_id, snap.complete, snap.incomplete_scopes, snap.errors)
        if snap.incomplete_scopes:
            incomplete.setdefault(snap.platform, {}).update(snap.incomplete_scopes)
        platform_rows.append({
            "scan_id": scan_id, "platform": snap.platform, "kind": snap.kind, "tenant": snap.tenant.tenant_id,
            "tenant_name": snap.tenant.name, "two_factor_required": snap.tenant.two_factor_required,
            "status": status, "errors": list(snap.errors), "counts": counts,
            "capabilities": _capabilities(snap.capabilities), "activity_since": snap.activity_since,
            "incomplete_scopes": dict(snap.incomplete_scopes),
            "events_through": record.started_at if log_read_completely(snap) else None,
            "input_key": record.input_keys.get(snap.platform) if status == "complete" else None,
            "unchanged_since": None,
        })
    unchanged = {}
    for name, reading in record.carried.items():
        unchanged[name] = reading["unchanged_since"] or reading["scan_id"]
        platform_rows.append({**reading, "scan_id": scan_id, "unchanged_since": unchanged[name]})
        platforms.append((name, reading["status"], list(reading["errors"])))
    if platform_rows:
        session.exec(insert(ScanPlatform.__table__), params=platform_rows)
    if record.directory_complete and not record.carried:
        # findings without a platform (an exception expired across platforms) are judged only when every
        # platform is: with one carried over, they stay as they are
        coverage.complete.add((None, None))

    if record.snapshots or not record.carried:
        wanted = {fingerprint(v.rule, v.platform, v.tenant, v.subject) for v in record.verdicts}
        result = reconcile(
            load_finding_states(session, wanted), record.verdicts, coverage,
            [*exceptions, *stored_exceptions(session)], now, scan_id, policy_hashes=record.policy_hashes,
        )
        _write_findings(session, result, scan_id, now)
    else:  # every platform carried over: nothing was judged, so nothing to reconcile
        result = ReconcileResult(states=[], changes=[], expired_exceptions=[])
    if record.carried:  # confirmed unchanged: seen in this scan too (moved at most once per SEEN_EVERY)
        table = Finding.__table__
        session.exec(update(table).where(table.c.platform.in_(sorted(record.carried)),
                                         table.c.status.in_((OPEN, ACCEPTED)), table.c.last_seen < now - SEEN_EVERY)
                     .values(last_seen=now, last_scan_id=scan_id))

    changes = result.counts()
    by_category = _open_counts(session, "category")
    by_severity = _open_counts(session, "severity")
    everything_read = record.directory_complete and all(status == "complete" for _, status, _ in platforms)
    scan_status = "complete" if everything_read else "partial"
    session.exec(update(scan_table).where(scan_table.c.id == scan_id).values(
        finished_at=record.finished_at, status=scan_status,
        counts={**changes, "open": sum(by_category.values()), "verdicts": len(record.verdicts),
                "expired_exceptions": len(result.expired_exceptions)},
    ))
    return ScanSummary(
        scan_id=scan_id, status=scan_status, opened=changes["opened"], reopened=changes["reopened"],
        resolved=changes["resolved"], still_open=changes["still_open"], muted=changes["muted"],
        open_by_category=by_category, open_by_severity=by_severity, platforms=platforms,
        unmuted=changes["unmuted"], exception_expired=changes["exception_expired"],
        incomplete_scopes=incomplete, unchanged=unchanged,
    )


def record_failed_scan(session: Session, started_at: datetime, error: str, *, trigger: str = "manual",
                       finished_at: datetime | None = None) -> int:
    """Store a scan that died before evaluation (status ``failed``); returns its id. Findings stay."""
    table = Scan.__table__
    return session.exec(
        insert(table).values(
            started_at=started_at, finished_at=finished_at or datetime.now(UTC), status="failed",
            trigger=trigger, error=error, counts={}, policy_hashes={},
        ).returning(table.c.id)
    ).scalar_one()
