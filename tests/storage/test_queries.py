"""The read side: list/count findings, scan_diff, person_holdings, latest_scans."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event as sa_event

from auditor.errors import StorageError
from auditor.findings.fields import FINDING_FIELDS
from auditor.model import App, Grant, Severity
from auditor.storage.people import sync_people
from auditor.storage.queries import (
    count_findings,
    latest_scans,
    list_findings,
    person_holdings,
    scan_diff,
)
from auditor.storage.repository import record_failed_scan, save_scan
from tests.storage.builders import account, at, person, record, snapshot, standard_snapshot, verdict

PEOPLE = {("meta", "u1"): "ann", ("meta", "u2"): "bob", ("linkedin", "x1"): "ann"}


def _verdicts() -> list:
    return [
        verdict(subject="u1", person="ann", account="u1", severity=Severity.HIGH),
        verdict(rule="orphaned-access", subject="u2", category="orphaned_access", person="bob", account="u2",
                severity=Severity.CRITICAL, evidence={"role": "EDITOR"}),
        verdict(rule="dormant", subject="x1", platform="linkedin", tenant="org1", category="dormant_access",
                person="ann", severity=Severity.LOW),
    ]


def _scan(database, when, verdicts, snapshots=None):
    snapshots = snapshots or [standard_snapshot(), snapshot("linkedin", "org1", accounts=[account("x1")])]
    with database.session() as session:
        return save_scan(session, record(when, snapshots, verdicts, account_people=PEOPLE), [])


def test_list_findings_keys_filters_order_and_pages(database):
    _scan(database, at(0), _verdicts())
    with database.session() as session:
        everything = list_findings(session)
        assert [f["rule"] for f in everything] == ["orphaned-access", "missing-2fa", "dormant"]
        assert all(tuple(f) == FINDING_FIELDS for f in everything)
        first = everything[0]
        assert first["evidence"]["role"] == "EDITOR"
        assert datetime.fromisoformat(first["first_seen"]) == at(0)
        assert isinstance(first["id"], int) and len(first["fingerprint"]) == 64
        high = list_findings(session, severity="high")
        assert [f["rule"] for f in high] == ["orphaned-access", "missing-2fa"]
        assert [f["rule"] for f in list_findings(session, severity=Severity.CRITICAL)] == ["orphaned-access"]
        assert [f["rule"] for f in list_findings(session, category="dormant_access")] == ["dormant"]
        assert [f["rule"] for f in list_findings(session, platform="linkedin")] == ["dormant"]
        assert [f["rule"] for f in list_findings(session, person="ann")] == ["missing-2fa", "dormant"]
        assert [f["rule"] for f in list_findings(session, limit=1, offset=1)] == ["missing-2fa"]
        assert list_findings(session, status="resolved") == []
        assert count_findings(session) == 3
        assert count_findings(session, severity="high", platform="meta") == 2
        with pytest.raises(ValueError, match="status"):
            list_findings(session, status="closed")
        with pytest.raises(ValueError, match="severity"):
            count_findings(session, severity="urgent")
    _scan(database, at(1), _verdicts()[:1])
    with database.session() as session:
        resolved = list_findings(session, status="resolved")
        assert [f["rule"] for f in resolved] == ["orphaned-access", "dormant"]
        assert count_findings(session, status="all") == 3
        assert count_findings(session) == 1


def test_scan_diff_between_consecutive_scans(database):
    with database.session() as session:
        assert scan_diff(session)["scan_id"] is None
    first = _scan(database, at(0), _verdicts()[:2])
    second = _scan(database, at(1), [_verdicts()[0], _verdicts()[2]])
    with database.session() as session:
        record_failed_scan(session, at(2), "boom")
    with database.session() as session:
        diff = scan_diff(session)
        assert diff["scan_id"] == second.scan_id, "a failed scan is not the default"
        assert diff["previous_scan_id"] == first.scan_id
        assert [f["rule"] for f in diff["new"]] == ["dormant"]
        assert [f["rule"] for f in diff["resolved"]] == ["orphaned-access"]
        assert diff["reopened"] == [] and diff["muted"] == []
        assert set(diff["new"][0]) == set(FINDING_FIELDS)
        old = scan_diff(session, first.scan_id)
        assert [f["rule"] for f in old["new"]] == ["orphaned-access", "missing-2fa"]
        assert old["previous_scan_id"] is None
        with pytest.raises(StorageError, match="scan 999 not found"):
            scan_diff(session, 999)
    third = _scan(database, at(3), _verdicts())
    with database.session() as session:
        diff = scan_diff(session)
    assert diff["scan_id"] == third.scan_id
    assert [f["rule"] for f in diff["reopened"]] == ["orphaned-access"]


def test_person_holdings_in_a_few_queries(database):
    with database.session() as session:
        sync_people(session, [person("ann", department="Marketing"), person("bob")], at(0))
    snap = standard_snapshot(apps=[App("app1", "Scheduler", ("pages_manage_posts",), granted_by="u1"),
                                   App("app2", "Other", None, granted_by="u2")])
    linkedin = snapshot("linkedin", "org1", accounts=[account("x1")],
                        grants=[Grant("x1", "org1", "ADMIN", True)])
    _scan(database, at(0), _verdicts(), [snap, linkedin])
    with database.session() as session:
        sync_people(session, [person("ann", department="Sales"), person("bob")], at(1))

    statements = 0

    def count(_conn, _cursor, statement, *_args):
        nonlocal statements
        statements += statement.lstrip().upper().startswith("SELECT")

    sa_event.listen(database.engine, "before_cursor_execute", count)
    try:
        with database.session() as session:
            report = person_holdings(session, "ann")
    finally:
        sa_event.remove(database.engine, "before_cursor_execute", count)
    assert statements == 6, "person, accounts, grants, apps, history, findings"
    assert report["person"]["uid"] == "ann" and report["person"]["department"] == "Sales"
    assert isinstance(report["person"]["first_seen"], str)
    accounts = {(a["platform"], a["account_id"]): a for a in report["accounts"]}
    assert set(accounts) == {("meta", "u1"), ("linkedin", "x1")}
    u1 = accounts[("meta", "u1")]
    assert [(g["asset_id"], g["asset_name"], g["role"]) for g in u1["grants"]] == [
        (None, None, "ADMIN"), ("p1", "Shop page", "ADMIN"),
    ]
    assert [a["app_id"] for a in u1["apps"]] == ["app1"]
    assert u1["apps"][0]["scopes"] == ["pages_manage_posts"]
    assert accounts[("linkedin", "x1")]["grants"][0]["privileged"] is True
    assert [f["rule"] for f in report["findings"]] == ["missing-2fa", "dormant"]
    history = [(h["field"], h["old"], h["new"]) for h in report["history"]]
    assert history == [("department", "Marketing", "Sales")]

    with database.session() as session:
        nobody = person_holdings(session, "zed")
    assert nobody == {"person": None, "accounts": [], "findings": [], "history": []}


def test_person_holdings_leaves_out_gone_accounts(database):
    _scan(database, at(0), [])
    meta = snapshot(accounts=[account("u2")], grants=[Grant("u2", "p2", "EDITOR", False)])
    _scan(database, at(1), [], [meta, snapshot("linkedin", "org1", accounts=[account("x1")])])
    with database.session() as session:
        report = person_holdings(session, "ann")
    assert [(a["platform"], a["account_id"]) for a in report["accounts"]] == [("linkedin", "x1")]


def test_latest_scans_with_platforms(database):
    first = _scan(database, at(0), _verdicts())
    with database.session() as session:
        failed = record_failed_scan(session, at(1), "directory down")
    with database.session() as session:
        scans = latest_scans(session, limit=5)
        assert [s["id"] for s in scans] == [failed, first.scan_id]
        assert scans[0]["status"] == "failed" and scans[0]["platforms"] == []
        assert [(p["platform"], p["status"]) for p in scans[1]["platforms"]] == [
            ("meta", "complete"), ("linkedin", "complete"),
        ]
        assert scans[1]["counts"]["opened"] == 3
        assert [s["id"] for s in latest_scans(session, limit=1)] == [failed]
