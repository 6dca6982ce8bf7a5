"""save_scan and the findings lifecycle on a real database: open, still open, resolved, reopened, muted,
expired exceptions, partial platforms, failed scans, and atomicity."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from auditor.errors import StorageError
from auditor.findings.exceptions import RiskException
from auditor.findings.lifecycle import fingerprint
from auditor.model import Severity
from auditor.storage import repository
from auditor.storage.repository import record_failed_scan, save_scan
from auditor.storage.tables import Finding, FindingEvent, InvGrant, RiskExceptionRow, Scan, ScanPlatform
from tests.storage.builders import at, record, snapshot, standard_snapshot, verdict


def _save(database, when, snapshots, verdicts, exceptions=(), **kwargs):
    with database.session() as session:
        return save_scan(session, record(when, snapshots, verdicts, **kwargs), list(exceptions))


def _finding(database, rule="missing-2fa", subject="u1", platform="meta", tenant="biz1") -> dict:
    table = Finding.__table__
    fp = fingerprint(rule, platform, tenant, subject)
    with database.session() as session:
        return dict(session.exec(select(table).where(table.c.fingerprint == fp)).mappings().one())


def _history(database, finding_id: int) -> list[tuple[int, str]]:
    table = FindingEvent.__table__
    with database.session() as session:
        rows = session.exec(
            select(table.c.scan_id, table.c.change)
            .where(table.c.finding_id == finding_id)
            .order_by(table.c.id)
        )
        return [tuple(row) for row in rows]


def test_full_lifecycle_across_scans(database):
    first = _save(database, at(0), [standard_snapshot()], [verdict()])
    assert (first.opened, first.still_open, first.resolved, first.reopened) == (1, 0, 0, 0)
    assert first.open_by_category == {"missing_2fa": 1}
    assert first.open_by_severity == {"high": 1}
    assert first.status == "complete"
    finding = _finding(database)
    assert finding["status"] == "open" and finding["first_scan_id"] == first.scan_id
    assert finding["evidence"]["scan_id"] == first.scan_id
    assert finding["evidence"]["policy_hash"] == "sha256:abc"

    again = verdict(message="still no 2FA", evidence={"n": 2})
    second = _save(database, at(1), [standard_snapshot()], [again])
    assert (second.opened, second.still_open) == (0, 1)
    finding = _finding(database)
    assert finding["last_seen"] == at(1) and finding["first_seen"] == at(0)
    assert finding["message"] == "still no 2FA"
    assert finding["evidence"]["n"] == 2 and finding["evidence"]["scan_id"] == second.scan_id
    assert finding["last_scan_id"] == second.scan_id

    third = _save(database, at(2), [standard_snapshot()], [])
    assert third.resolved == 1
    assert third.open_by_category == {}
    finding = _finding(database)
    assert finding["status"] == "resolved" and finding["resolved_at"] == at(2)

    fourth = _save(database, at(3), [standard_snapshot()], [verdict(severity=Severity.CRITICAL)])
    assert fourth.reopened == 1 and fourth.opened == 0
    finding = _finding(database)
    assert finding["status"] == "open" and finding["resolved_at"] is None
    assert finding["severity"] == "critical" and finding["severity_rank"] == 4
    assert _history(database, finding["id"]) == [
        (first.scan_id, "opened"), (second.scan_id, "still_open"), (third.scan_id, "resolved"),
        (fourth.scan_id, "reopened"),
    ]


def test_partial_or_failed_platform_resolves_nothing_in_its_scope(database):
    verdicts = [verdict(subject="u1"), verdict(subject="x1", platform="linkedin", tenant="org1"),
                verdict(rule="contract-expired", subject="ann", platform=None, tenant=None,
                        category="contract_expired")]
    linkedin = snapshot(platform="linkedin", tenant="org1")
    _save(database, at(0), [standard_snapshot(), linkedin], verdicts)

    partial_meta = snapshot(complete=False, errors=["meta: 429"])
    summary = _save(database, at(1), [partial_meta, linkedin], [], directory_complete=False)
    assert summary.resolved == 1, "only the complete linkedin tenant resolves"
    assert summary.status == "partial"
    assert _finding(database)["status"] == "open"
    assert _finding(database)["last_seen"] == at(0), "an unverified finding keeps its last_seen"
    assert _finding(database, subject="x1", platform="linkedin", tenant="org1")["status"] == "resolved"
    assert _finding(database, "contract-expired", "ann", None, None)["status"] == "open"

    summary = _save(database, at(2), [standard_snapshot(), linkedin], [])
    assert summary.resolved == 2
    assert _finding(database, "contract-expired", "ann", None, None)["status"] == "resolved"


def test_platform_not_verified_resolves_when_the_platform_is_read_again(database):
    not_verified = verdict(rule="platform-not-verified", subject="meta", tenant=None,
                           category="could_not_verify", severity=Severity.MEDIUM)
    _save(database, at(0), [snapshot(complete=False, errors=["meta: down"])], [not_verified])
    still = _save(database, at(1), [snapshot(complete=False, errors=["meta: down"])], [not_verified])
    assert still.still_open == 1
    back = _save(database, at(2), [standard_snapshot()], [])
    assert back.resolved == 1
    assert _finding(database, "platform-not-verified", "meta", "meta", None)["status"] == "resolved"


def test_exceptions_mute_and_expired_ones_are_reported(database):
    file_exception = RiskException(id="yaml:1", rule="missing-2fa", reason="key rollout", approved_by="ciso",
                                   expires_on=date(2025, 3, 4), account="u1")
    unsafe = verdict(account="u1", account_email="ann@shop.example")
    first = _save(database, at(0), [standard_snapshot()], [unsafe], [file_exception])
    assert first.muted == 1 and first.opened == 0
    assert first.open_by_category == {}
    finding = _finding(database)
    assert finding["status"] == "accepted" and finding["exception_id"] == "yaml:1"

    # at(1) is 2025-03-04: still active (expiry inclusive), nothing changes
    second = _save(database, at(1), [standard_snapshot()], [unsafe], [file_exception])
    assert (second.muted, second.still_open, second.opened) == (0, 0, 0)
    assert _finding(database)["last_seen"] == at(1)

    third = _save(database, at(2), [standard_snapshot()], [unsafe], [file_exception])
    assert third.exception_expired == 1
    finding = _finding(database)
    assert finding["status"] == "open" and finding["exception_id"] is None
    expired = _finding(database, "risk-exception-expired", "yaml:1")
    assert expired["status"] == "open"
    assert expired["category"] == "missing_2fa" and expired["severity"] == "high"
    for part in ("key rollout", "ciso", "2025-03-04"):
        assert part in expired["message"]
    assert third.opened == 1
    assert third.open_by_category == {"missing_2fa": 2}

    fourth = _save(database, at(3), [standard_snapshot()], [unsafe], [file_exception])
    assert fourth.still_open == 2 and fourth.opened == 0


def test_exceptions_stored_in_the_database_mute_too(database):
    with database.session() as session:
        session.add(RiskExceptionRow(rule="missing-2fa", person="ann", reason="ok", approved_by="ciso",
                                     created_at=at(0), expires_on=date(2030, 1, 1)))
    summary = _save(database, at(1), [standard_snapshot()], [verdict(person="ann")])
    assert summary.muted == 1
    assert _finding(database)["exception_id"].startswith("db:")


def test_failure_mid_save_leaves_previous_state(database, monkeypatch):
    _save(database, at(0), [standard_snapshot()], [verdict()])
    with database.session() as session:
        before_grants = session.exec(select(func.count()).select_from(InvGrant.__table__)).scalar_one()

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(repository, "_write_findings", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        _save(database, at(1), [snapshot(accounts=[], grants=[])], [])
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(Scan.__table__)).scalar_one() == 1
        grants = session.exec(select(InvGrant.__table__)).mappings().all()
    assert len(grants) == before_grants == 3
    assert all(row["gone_at"] is None and row["last_seen"] == at(0) for row in grants)
    assert _finding(database)["status"] == "open"


def test_database_error_mid_save_becomes_storage_error_and_rolls_back(database):
    _save(database, at(0), [standard_snapshot()], [verdict()])
    with pytest.raises(StorageError), database.session() as session:
        save_scan(session, record(at(1), [standard_snapshot()], []), [])
        session.exec(select(func.no_such_function()))
    assert _finding(database)["status"] == "open"
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(Scan.__table__)).scalar_one() == 1


def test_duplicate_verdicts_make_one_finding(database):
    summary = _save(database, at(0), [standard_snapshot()], [verdict(), verdict(message="again")])
    assert summary.opened == 1
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(Finding.__table__)).scalar_one() == 1


def test_record_failed_scan(database):
    _save(database, at(0), [standard_snapshot()], [verdict()])
    with database.session() as session:
        scan_id = record_failed_scan(session, at(1), "directory unreachable", trigger="cron",
                                     finished_at=at(1))
    with database.session() as session:
        row = session.exec(select(Scan.__table__).where(Scan.__table__.c.id == scan_id)).mappings().one()
    assert (row["status"], row["error"], row["trigger"]) == ("failed", "directory unreachable", "cron")
    assert _finding(database)["status"] == "open"


def test_many_findings_in_bulk(database):
    verdicts = [
        verdict(subject=f"acc{i}", severity=Severity.LOW if i % 2 else Severity.HIGH) for i in range(2000)
    ]
    first = _save(database, at(0), [standard_snapshot()], verdicts)
    assert first.opened == 2000
    assert first.open_by_severity == {"low": 1000, "high": 1000}
    second = _save(database, at(1), [standard_snapshot()], verdicts[:1500])
    assert (second.still_open, second.resolved) == (1500, 500)
    with database.session() as session:
        events = session.exec(select(func.count()).select_from(FindingEvent.__table__)).scalar_one()
    assert events == 4000


def test_a_partial_platform_resolves_outside_its_failed_scopes_and_stores_them(database):
    verdicts = [verdict("excess-admins", "asset:p1", category="excess_admins", asset="p1"),
                verdict("excess-admins", "asset:p2", category="excess_admins", asset="p2"),
                verdict("stale-invitation", "account:inv1", category="stale_invitation", account="inv1")]
    _save(database, at(0), [standard_snapshot()], verdicts)

    partial = standard_snapshot()
    partial.scope_failed("asset:p1", "meta: HTTP 500 on /p1/roles")
    summary = _save(database, at(1), [partial], [])
    assert summary.status == "partial" and summary.resolved == 2
    assert summary.incomplete_scopes == {"meta": {"asset:p1": "meta: HTTP 500 on /p1/roles"}}
    assert _finding(database, "excess-admins", "asset:p1")["status"] == "open"
    assert _finding(database, "excess-admins", "asset:p2")["status"] == "resolved"
    assert _finding(database, "stale-invitation", "account:inv1")["status"] == "resolved"
    with database.session() as session:
        rows = session.exec(select(ScanPlatform.__table__.c.incomplete_scopes)
                            .order_by(ScanPlatform.__table__.c.id)).scalars().all()
    assert rows == [{}, {"asset:p1": "meta: HTTP 500 on /p1/roles"}]
