"""The auditor's own retention of personal data, as one function the scheduler calls once a day.

What goes, with the ``[dsar]`` key that sets the period:

- raw platform audit events older than ``keep_audit_events_days``, except events about the accounts of a
  person who left less than ``legal_hold_days`` ago (evidence for legal claims, Art. 17(3)(e));
- scans older than ``keep_scans_days`` (their platform rows and the finding-history rows they produced); the
  newest scan is always kept, and findings themselves stay (their triage and comments refer to them);
- offboarding cases closed more than ``keep_offboarding_cases_days`` ago, with every row that refers to them
  (found through the foreign keys, so the offboarding area's child tables need no code here); "not available"
  when this installation has no offboarding tables;
- data-subject requests closed more than ``keep_requests_days`` ago, with their stops, history and packs.

Deletions are set-based statements (no row-by-row loop), in the caller's transaction. ``dry_run`` counts what
would go and deletes nothing. Erasure on request is in ``auditor.dsar.erasure``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, MetaData, Table, and_, delete, exists, func, inspect, or_, select
from sqlmodel import Session

from auditor.config import DsarSettings
from auditor.dsar.errors import DsarError
from auditor.dsar.tables import DsarClockStop, DsarEvent, DsarPack, DsarRequest
from auditor.storage.tables import AuditEventRow, DirectoryPerson, FindingEvent, InvAccount, Scan, ScanPlatform

OFFBOARDING_CASE_TABLE = "offboarding_case"


@dataclass(slots=True)
class RetentionReport:
    """What one retention run removed (or would remove) and what it kept on purpose."""

    ran_at: datetime
    dry_run: bool
    deleted: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ran_at": self.ran_at.isoformat(), "dry_run": self.dry_run, "deleted": dict(self.deleted),
                "kept": dict(self.kept), "notes": list(self.notes)}


def held_accounts(hold_since: datetime) -> Any:
    """A subquery of (platform, account_id) of people who departed (or were disabled) after ``hold_since``."""
    person, account = DirectoryPerson.__table__, InvAccount.__table__
    left_at = func.coalesce(person.c.status_changed, person.c.vanished_at)
    return (select(account.c.platform, account.c.account_id)
            .join(person, person.c.uid == account.c.person_uid)
            .where(person.c.status.in_(("departed", "disabled")), left_at >= hold_since))


def _count(session: Session, table: Any, where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(table).where(where)).scalar_one())


def _purge(session: Session, table: Any, where: Any, dry_run: bool) -> int:
    count = _count(session, table, where)
    if count and not dry_run:
        session.exec(delete(table).where(where))
    return count


def purge_events(session: Session, settings: DsarSettings, now: datetime, report: RetentionReport) -> None:
    """Old audit events, except those about leavers under legal hold."""
    events = AuditEventRow.__table__
    old = events.c.time < now - timedelta(days=settings.keep_audit_events_days)
    held = held_accounts(now - timedelta(days=settings.legal_hold_days)).subquery()
    about_held = exists().where(held.c.platform == events.c.platform,
                                or_(held.c.account_id == events.c.actor_id, held.c.account_id == events.c.target_id))
    report.kept["audit_events_legal_hold"] = _count(session, events, and_(old, about_held))
    report.deleted["audit_events"] = _purge(session, events, and_(old, ~about_held), report.dry_run)


def purge_scans(session: Session, settings: DsarSettings, now: datetime, report: RetentionReport) -> None:
    """Scans older than the period (never the newest) with their platform rows and finding-history rows."""
    scans = Scan.__table__
    newest = session.exec(select(func.max(scans.c.id))).scalar_one_or_none()
    old_ids = select(scans.c.id).where(scans.c.started_at < now - timedelta(days=settings.keep_scans_days),
                                       scans.c.id != (newest or -1))
    ids = [int(i) for i in session.exec(old_ids).scalars()]
    report.deleted["scans"] = len(ids)
    if not ids:
        report.deleted["scan_history_rows"] = 0
        return
    history = FindingEvent.__table__
    platforms = ScanPlatform.__table__
    rows = _count(session, history, history.c.scan_id.in_(ids)) + _count(session, platforms,
                                                                           platforms.c.scan_id.in_(ids))
    report.deleted["scan_history_rows"] = rows
    if not report.dry_run:
        session.exec(delete(history).where(history.c.scan_id.in_(ids)))
        session.exec(delete(platforms).where(platforms.c.scan_id.in_(ids)))
        session.exec(delete(scans).where(scans.c.id.in_(ids)))


def _children(connection: Connection, table: str) -> list[tuple[str, str, str]]:
    """(child table, child column, parent column) of every foreign key pointing at ``table``."""
    inspector = inspect(connection)
    found = []
    for name in inspector.get_table_names():
        for fk in inspector.get_foreign_keys(name):
            if fk.get("referred_table") == table and len(fk["constrained_columns"]) == 1:
                found.append((name, fk["constrained_columns"][0], fk["referred_columns"][0]))
    return sorted(found)


def delete_tree(session: Session, table_name: str, ids: list[Any], id_column: str = "id", *,
                dry_run: bool = False, depth: int = 0) -> int:
    """Delete the rows of ``table_name`` whose ``id_column`` is in ``ids`` and, first, every row referring to them
    through a foreign key (recursively). Returns the number of rows removed (or that would be, with dry_run)."""
    if not ids:
        return 0
    if depth > 8:
        raise DsarError(f"{table_name}: foreign keys nest deeper than 8 levels; retention not applied")
    connection = session.connection()
    table = Table(table_name, MetaData(), autoload_with=connection)
    total = 0
    for child, column, parent_column in _children(connection, table_name):
        values = ids if parent_column == id_column else list(session.exec(
            select(table.c[parent_column]).where(table.c[id_column].in_(ids))).scalars())
        child_table = Table(child, MetaData(), autoload_with=connection)
        keys = list(child_table.primary_key.columns.keys())
        if len(keys) == 1:
            child_ids = list(session.exec(select(child_table.c[keys[0]]).where(
                child_table.c[column].in_(values))).scalars())
            total += delete_tree(session, child, child_ids, keys[0], dry_run=dry_run, depth=depth + 1)
        else:
            total += _purge(session, child_table, child_table.c[column].in_(values), dry_run)
    return total + _purge(session, table, table.c[id_column].in_(ids), dry_run)


def purge_offboarding(session: Session, settings: DsarSettings, now: datetime, report: RetentionReport, *,
                      table: str = OFFBOARDING_CASE_TABLE) -> None:
    """Closed offboarding cases past the period, with the rows that refer to them (tables reflected: the
    offboarding area owns them)."""
    connection = session.connection()
    if not inspect(connection).has_table(table):
        report.notes.append("offboarding cases: source not available (no offboarding tables in this installation)")
        return
    cases = Table(table, MetaData(), autoload_with=connection)
    if not {"status", "closed_at", "id"} <= set(cases.c.keys()):
        report.notes.append(f"offboarding cases: {table} has no status/closed_at: not applied")
        return
    cutoff = now - timedelta(days=settings.keep_offboarding_cases_days)
    if connection.dialect.name == "sqlite":
        cutoff = cutoff.replace(tzinfo=None)  # a reflected table stores naive UTC on SQLite
    ids = [int(i) for i in session.exec(select(cases.c.id).where(cases.c.status == "closed", cases.c.closed_at.is_not(
        None), cases.c.closed_at < cutoff)).scalars()]
    report.deleted["offboarding_cases"] = len(ids)
    report.deleted["offboarding_rows"] = delete_tree(session, table, ids, dry_run=report.dry_run)


def purge_requests(session: Session, settings: DsarSettings, now: datetime, report: RetentionReport) -> None:
    """Data-subject requests closed more than ``keep_requests_days`` ago, with their stops, history and packs."""
    requests = DsarRequest.__table__
    ids = [int(i) for i in session.exec(select(requests.c.id).where(
        requests.c.closed_at.is_not(None),
        requests.c.closed_at < now - timedelta(days=settings.keep_requests_days))).scalars()]
    report.deleted["requests"] = len(ids)
    if ids and not report.dry_run:
        for child in (DsarClockStop.__table__, DsarEvent.__table__, DsarPack.__table__):
            session.exec(delete(child).where(child.c.request_id.in_(ids)))
        session.exec(delete(requests).where(requests.c.id.in_(ids)))


def apply_retention(session: Session, settings: DsarSettings, *, now: datetime,
                    dry_run: bool = False) -> RetentionReport:
    """Apply the whole retention policy in the caller's transaction; see the module docstring."""
    report = RetentionReport(ran_at=now, dry_run=dry_run)
    purge_events(session, settings, now, report)
    purge_scans(session, settings, now, report)
    purge_offboarding(session, settings, now, report)
    purge_requests(session, settings, now, report)
    return report
