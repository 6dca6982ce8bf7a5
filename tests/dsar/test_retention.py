"""The auditor's own retention (the scheduled job): old events go except those under a leaver's legal hold, old
scans go (never the newest), closed requests and closed offboarding cases go with every row that refers to them."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, func, select

from auditor.config import DsarSettings
from auditor.dsar import register
from auditor.dsar.retention import RetentionReport, apply_retention, delete_tree, purge_offboarding
from auditor.dsar.tables import DsarEvent, DsarRequest
from auditor.storage.db import Database
from auditor.storage.tables import AuditEventRow, FindingEvent, Scan, ScanPlatform
from tests.dsar import builders
from tests.dsar.builders import NOW, ago

POLICY = DsarSettings(keep_audit_events_days=400, keep_scans_days=400, keep_requests_days=1095,
                      legal_hold_days=1095)


def _count(db: Database, table) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).select_from(table)).scalar_one())


def _event_ids(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.exec(select(AuditEventRow.__table__.c.event_id)).scalars())


def _scans(db: Database) -> None:
    builders.load(
        db,
        scans=[{"id": i, "started_at": ago(days), "status": "complete", "trigger": "test", "counts": {},
                "policy_hashes": {}} for i, days in ((1, 500), (2, 450), (3, 1))],
        scan_platforms=[{"scan_id": i, "platform": "p", "kind": "meta", "tenant": "t", "status": "complete",
                         "errors": [], "counts": {}, "capabilities": {}} for i in (1, 2, 3)],
        findings=[builders.finding(7, "account:1", None, "1", "x")],
        finding_events=[{"finding_id": 7, "scan_id": i, "at": ago(1), "change": "opened"} for i in (1, 3)],
    )


def _requests(db: Database) -> tuple[int, int]:
    with db.session() as session:
        old = register.open_request(session, name="A", emails=["a@example.org"], received_at=ago(1300),
                                    received_on=ago(1300).date(), actor="t", now=ago(1300), today=ago(1300).date())
        register.close(session, old, status="answered", actor="t", now=ago(1200), today=ago(1200).date())
        recent = register.open_request(session, name="B", emails=["b@example.org"], received_at=ago(5),
                                       received_on=ago(5).date(), actor="t", now=ago(5), today=ago(5).date())
        return old.id, recent.id


def test_retention_deletes_what_is_past_its_period_and_keeps_the_legal_hold(database: Database) -> None:
    builders.the_leavers(database)
    _scans(database)
    old_request, recent_request = _requests(database)
    with database.session() as session:
        report = apply_retention(session, POLICY, now=NOW)
    assert report.deleted["audit_events"] == 3  # the active person's old event and both of the old leaver's
    assert report.kept["audit_events_legal_hold"] == 1
    assert _event_ids(database) == {"e-active-new", "e-recent-old"}
    assert report.deleted["scans"] == 2 and report.deleted["scan_history_rows"] == 3
    with database.session() as session:
        assert list(session.exec(select(Scan.__table__.c.id)).scalars()) == [3]
        assert list(session.exec(select(ScanPlatform.__table__.c.scan_id)).scalars()) == [3]
        assert list(session.exec(select(FindingEvent.__table__.c.scan_id)).scalars()) == [3]
        assert list(session.exec(select(DsarRequest.__table__.c.id)).scalars()) == [recent_request]
        events = set(session.exec(select(DsarEvent.__table__.c.request_id)).scalars())
    assert report.deleted["requests"] == 1 and events == {recent_request} and old_request not in events
    assert report.as_dict()["deleted"]["audit_events"] == 3


def test_dry_run_counts_and_deletes_nothing(database: Database) -> None:
    builders.the_leavers(database)
    _scans(database)
    with database.session() as session:
        report = apply_retention(session, POLICY, now=NOW, dry_run=True)
    assert report.dry_run and report.deleted["audit_events"] == 3 and report.deleted["scans"] == 2
    assert len(_event_ids(database)) == 5 and _count(database, Scan.__table__) == 3


def test_the_newest_scan_is_kept_even_when_it_is_old(sqlite_db: Database) -> None:
    builders.load(sqlite_db, scans=[{"id": i, "started_at": ago(900 - i), "status": "complete", "trigger": "t",
                                     "counts": {}, "policy_hashes": {}} for i in (1, 2)])
    with sqlite_db.session() as session:
        report = apply_retention(session, POLICY, now=NOW)
    assert report.deleted["scans"] == 1
    with sqlite_db.session() as session:
        assert list(session.exec(select(Scan.__table__.c.id)).scalars()) == [2]


def test_closed_offboarding_cases_go_with_every_row_that_refers_to_them(database: Database) -> None:
    builders.scratch_offboarding(database)
    report = RetentionReport(ran_at=NOW, dry_run=False)
    with database.session() as session:
        purge_offboarding(session, POLICY, NOW, report, table="scratch_case")
    assert report.deleted == {"offboarding_cases": 1, "offboarding_rows": 4}  # case 1, items 10 and 11, check 100
    with database.session() as session:
        remaining = {name: sorted(session.exec(select(Table(name, MetaData(), autoload_with=session.connection())
                                                      .c.id)).scalars())
                     for name in ("scratch_case", "scratch_item", "scratch_check")}
    assert remaining == {"scratch_case": [2, 3], "scratch_item": [12], "scratch_check": [101]}


def test_offboarding_retention_says_when_the_source_is_not_available(sqlite_db: Database) -> None:
    report = RetentionReport(ran_at=NOW, dry_run=False)
    with sqlite_db.session() as session:
        purge_offboarding(session, POLICY, NOW, report, table="no_such_table")
        assert delete_tree(session, "scan", []) == 0
    assert report.notes == ["offboarding cases: source not available (no offboarding tables in this installation)"]


def test_closed_recently_is_kept(sqlite_db: Database) -> None:
    _requests(sqlite_db)
    with sqlite_db.session() as session:
        report = apply_retention(session, POLICY.model_copy(update={"keep_requests_days": 1500}), now=NOW)
    assert report.deleted["requests"] == 0
