"""The audit-log cursor: read each platform's log from where the stored log ends, not the whole window.

A scan's ``scan_platform`` row records ``activity_since`` .. ``events_through``: the tenant's stored audit
log is complete over that span (``events_through`` is None when the log was not read completely). The next
scan asks the platform only for events since ``events_through - EVENT_OVERLAP`` (late arrivals inside the
overlap are de-duplicated by event id) and completes its snapshot with the stored events of the rest of the
activity window, so the rules see the same log a full read gives. Without a usable cursor (first scan, a
wider window, a different tenant, a failed read) the whole window is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from auditor.findings.lifecycle import EVENTS_SCOPE
from auditor.model import AuditEvent, TenantSnapshot, failures_confined_to_scopes
from auditor.storage.tables import AuditEventRow, ScanPlatform

EVENT_OVERLAP = timedelta(days=1)
"""Re-read this much before the cursor: platforms publish some entries late."""


@dataclass(frozen=True, slots=True)
class EventCursor:
    """Where the stored log of one configured platform is complete: ``since`` .. ``through``."""

    tenant: str
    since: datetime
    through: datetime


def event_cursors(session: Session) -> dict[str, EventCursor]:
    """Platform name -> the cursor of its latest scan that read the audit log completely."""
    table = ScanPlatform.__table__
    latest = (select(func.max(table.c.id).label("id"))
              .where(table.c.events_through.is_not(None), table.c.activity_since.is_not(None))
              .group_by(table.c.platform).subquery())
    rows = session.exec(select(table.c.platform, table.c.tenant, table.c.activity_since, table.c.events_through)
                        .where(table.c.id.in_(select(latest.c.id))))
    return {name: EventCursor(tenant, since, through) for name, tenant, since, through in rows}


def events_since(cursor: EventCursor | None, window_start: datetime, now: datetime) -> datetime:
    """Where to start reading the log: the cursor minus the overlap, or ``window_start`` (a full read)."""
    if cursor is None or cursor.since > window_start or not window_start < cursor.through <= now:
        return window_start
    return max(window_start, cursor.through - EVENT_OVERLAP)


def log_read_completely(snapshot: TenantSnapshot) -> bool:
    """True when the snapshot's audit log is complete from its ``activity_since`` (what a cursor needs)."""
    if snapshot.activity_since is None or not snapshot.capabilities.audit_log:
        return False
    if EVENTS_SCOPE in snapshot.incomplete_scopes:
        return False
    if snapshot.complete:
        return True
    return failures_confined_to_scopes(snapshot.incomplete_scopes, snapshot.errors)


def stored_events(session: Session, platform: str, tenant: str, start: datetime, end: datetime) -> list[AuditEvent]:
    """The stored events of a tenant with ``start <= time < end``, oldest first."""
    table = AuditEventRow.__table__
    rows = session.exec(
        select(table.c.event_id, table.c.time, table.c.action, table.c.raw_action, table.c.actor_id,
               table.c.actor_name, table.c.target_id, table.c.target_name, table.c.asset_id, table.c.raw)
        .where(table.c.platform == platform, table.c.tenant == tenant, table.c.time >= start, table.c.time < end)
        .order_by(table.c.time, table.c.id)
    )
    return [AuditEvent(*row) for row in rows]


def complete_event_log(session: Session, snapshot: TenantSnapshot, cursor: EventCursor | None,
                       window_start: datetime, fetched_since: datetime) -> int:
    """Prepend the stored events of ``[window_start, fetched_since)`` to an incrementally read snapshot.

    Also moves ``activity_since`` back to ``window_start`` and, where the connector derives ``last_activity``
    from its log (``Capabilities.activity_from_log``), each acting account's ``last_activity`` to its latest
    stored event, as a full read would have set them. Returns how many stored events were added.
    """
    if (fetched_since <= window_start or cursor is None or cursor.tenant != snapshot.tenant.tenant_id
            or snapshot.activity_since is None):
        return 0
    fetched = {event.event_id for event in snapshot.events}
    older = [e for e in stored_events(session, snapshot.platform, cursor.tenant, window_start, fetched_since)
             if e.event_id not in fetched]
    snapshot.events[:0] = older
    if snapshot.activity_since <= fetched_since:
        snapshot.activity_since = window_start
    if not snapshot.capabilities.activity_from_log:
        return len(older)
    latest: dict[str, datetime] = {}
    for event in older:
        if event.actor_id and (event.actor_id not in latest or event.time > latest[event.actor_id]):
            latest[event.actor_id] = event.time
    for account in snapshot.accounts:
        when = latest.get(account.account_id)
        if when is not None and (account.last_activity is None or when > account.last_activity):
            account.last_activity = when
    return len(older)


def complete_event_logs(session: Session, snapshots: list[TenantSnapshot], cursors: Mapping[str, EventCursor],
                        windows: Mapping[str, tuple[datetime, datetime]]) -> int:
    """``complete_event_log`` for each snapshot; ``windows``: platform name -> (window start, read from)."""
    added = 0
    for snap in snapshots:
        if snap.platform in windows:
            start, since = windows[snap.platform]
            added += complete_event_log(session, snap, cursors.get(snap.platform), start, since)
    return added
