"""The view-models, checked against independent SQL on the twice-scanned demo company (no rendering here)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from auditor.cli.report import report
from auditor.demo.workspace import DEMO_PLATFORM
from auditor.findings.exceptions import RiskException
from auditor.reporting.access_review import NO_MANAGER, UNASSIGNED, build_access_review
from auditor.reporting.audit import build_audit
from auditor.reporting.data import Scope
from auditor.reporting.errors import ReportError
from auditor.reporting.i18n import load_translator
from auditor.reporting.offboarding import build_offboarding
from auditor.reporting.render import render_html
from auditor.reporting.use_cases import build_report, report_data, report_inputs
from auditor.storage.db import open_database
from auditor.storage.tables import DirectoryPerson, Finding, FindingEvent, InvAccount, InvApp, InvGrant, Scan
from tests.reporting.conftest import GONE_LEAVER, PARTIAL_LEAVER, SECOND_SCAN, Demo

F, A, G = Finding.__table__, InvAccount.__table__, InvGrant.__table__


def build(demo: Demo, builder: Any, kind: str, **kwargs: Any) -> dict[str, Any]:
    inputs = report_inputs(demo.settings, kind, now=SECOND_SCAN + timedelta(hours=1), **kwargs)
    db = open_database(demo.settings.storage_url)
    try:
        with db.session() as session:
            return builder(session, inputs)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def audit(demo: Demo) -> dict[str, Any]:
    return build(demo, build_audit, "audit")


def test_audit_counts_match_the_database(demo: Demo, audit: dict[str, Any]) -> None:
    rows = demo.query(select(F.c.id, F.c.severity, F.c.category, F.c.platform).where(
        F.c.status == "open", F.c.outcome != "coverage"))  # coverage notes are shown apart, not counted
    assert audit["totals"]["open"] == len(rows) > 0
    notes = demo.query(select(F.c.id, F.c.platform).where(F.c.status == "open", F.c.outcome == "coverage"))
    assert notes and sum(len(p["notes"]) for p in audit["coverage"]) == len(notes)
    assert {p["platform"] for p in audit["coverage"]} == {n["platform"] for n in notes}
    assert audit["by_severity"] == {s: Counter(r["severity"] for r in rows)[s]
                                    for s in ("critical", "high", "medium", "low", "info")}
    assert audit["by_category"] == dict(Counter(r["category"] for r in rows))
    assert {p: sum(c.values()) for p, c in audit["by_platform"].items()} == dict(Counter(r["platform"] for r in rows))
    assert sorted(f["id"] for f in audit["findings"]) == sorted(r["id"] for r in rows)
    key = sorted(f["id"] for g in audit["key_findings"] for f in g["findings"])
    assert key == sorted(r["id"] for r in rows if r["severity"] in ("critical", "high"))
    assert audit["posture"] == "critical"
    present = demo.query(select(func.count()).select_from(A).where(A.c.gone_at.is_(None)))[0]
    assert audit["totals"]["accounts"] == present["count_1"]


def test_audit_trend_against_the_previous_scan(demo: Demo, audit: dict[str, Any]) -> None:
    first, second = demo.query(select(Scan.__table__).order_by(Scan.__table__.c.id))
    trend = audit["trend"]
    assert trend["previous_scan"]["id"] == first["id"] and audit["scan"]["id"] == second["id"]
    assert sum(trend["previous"].values()) == first["counts"]["open"]
    events = FindingEvent.__table__
    resolved = demo.query(select(func.count()).select_from(events).where(
        events.c.scan_id == second["id"], events.c.change == "resolved"))[0]["count_1"]
    assert trend["resolved"] == resolved >= 1
    assert sum(trend["previous"].values()) + trend["opened"] - trend["resolved"] == audit["totals"]["open"]
    assert audit["scan_ids"] == [second["id"]]
    assert audit["period"]["from"] == first["finished_at"].isoformat()


def test_audit_maps_findings_to_controls(audit: dict[str, Any]) -> None:
    by_key = {row["key"]: row for fw in audit["controls"] for row in fw["controls"]}
    orphaned = sum(1 for f in audit["findings"] if f["rule"] == "orphaned-access")
    assert "orphaned-access" in by_key["ISO27001:2022 A.6.5"]["rules"]
    assert by_key["ISO27001:2022 A.6.5"]["open"] >= orphaned > 0
    mfa = by_key["CIS v8 6.5"]
    assert mfa["open"] == sum(1 for f in audit["findings"] if f["rule"] in mfa["rules"]) > 0


def test_audit_lists_exceptions_in_force_only(demo: Demo) -> None:
    today = (SECOND_SCAN + timedelta(hours=1)).date()
    exceptions = (
        RiskException(id="yaml:a", rule="missing-2fa", reason="key rollout", approved_by="ciso",
                      expires_on=today + timedelta(days=10), account="x@kwiatek.example"),
        RiskException(id="yaml:b", rule="missing-2fa", reason="old", approved_by="ciso",
                      expires_on=today - timedelta(days=1), account="y@kwiatek.example"),
        RiskException(id="yaml:c", rule="dormant-access", reason="elsewhere", approved_by="ciso",
                      expires_on=date(2099, 1, 1), platform="Other platform"),
    )
    inputs = report_inputs(demo.settings, "audit", now=SECOND_SCAN + timedelta(hours=1))
    db = open_database(demo.settings.storage_url)
    try:
        with db.session() as session:
            full = build_audit(session, replace(inputs, exceptions=exceptions))
            scoped = build_audit(session, replace(inputs, exceptions=exceptions,
                                                  scope=Scope(platform="Kwiatek on Meta")))
    finally:
        db.dispose()
    assert [e["id"] for e in full["exceptions"]] == ["yaml:a", "yaml:c"]
    assert full["exceptions"][0]["days_left"] == 10 and full["exceptions"][0]["expiring_soon"]
    assert [e["id"] for e in scoped["exceptions"]] == ["yaml:a"]


def test_access_review_lists_every_present_account_with_its_grants(demo: Demo) -> None:
    review = build(demo, build_access_review, "access-review")
    accounts = [a for g in review["groups"] for a in g["accounts"]]
    present = demo.query(select(A.c.account_id, A.c.person_uid, A.c.platform).where(A.c.gone_at.is_(None)))
    assert sorted(a["account_id"] for a in accounts) == sorted(r["account_id"] for r in present)
    grants = demo.query(select(G.c.account_id).where(G.c.gone_at.is_(None)))
    assert Counter(a["account_id"] for a in accounts for _ in a["grants"]) == Counter(r["account_id"] for r in grants)
    assert review["totals"]["accounts"] == len(present)
    apps = demo.query(select(func.count()).select_from(InvApp.__table__).where(InvApp.__table__.c.gone_at.is_(None)))
    assert review["apps_total"] == apps[0]["count_1"] > 0
    meta = next(g for g in review["groups"] if g["platform"] == DEMO_PLATFORM)
    assert meta["two_factor_required"] == "admins" and meta["title"] == "Kwiatek Shop"
    platforms = {r["platform"] for r in present}
    assert {g["platform"] for g in review["groups"] if g["accounts"]} == platforms
    flagged = {a["account_id"]: a["flags"] for a in accounts if a["flags"]}
    assert any("missing_2fa" in flags for flags in flagged.values())


def test_access_review_by_manager_puts_each_person_under_their_manager(demo: Demo) -> None:
    review = build(demo, build_access_review, "access-review", by_manager=True)
    people = {r["uid"]: r for r in demo.query(select(DirectoryPerson.__table__))}
    seen = 0
    for group in review["groups"]:
        for account in group["accounts"]:
            seen += 1
            if group["key"] == UNASSIGNED:
                assert account["person_uid"] is None
            elif group["key"] == NO_MANAGER:
                assert people[account["person_uid"]]["manager"] is None
            else:
                assert people[account["person_uid"]]["manager"] == group["key"]
                assert group["title"] == people[group["key"]]["display_name"]
    assert seen == review["totals"]["accounts"]
    keys = [g["key"] for g in review["groups"]]
    assert UNASSIGNED in keys and keys[-1].startswith("~")
    assert next(g for g in review["groups"] if g["key"] == UNASSIGNED)["apps"]


def test_offboarding_shows_when_each_grant_was_seen_gone(demo: Demo) -> None:
    evidence = build(demo, build_offboarding, "offboarding", person=PARTIAL_LEAVER)
    meta = [g for a in evidence["accounts"] if a["platform"] == DEMO_PLATFORM for g in a["grants"]]
    removed = [g for g in meta if g["status"] == "removed"]
    still = [g for g in meta if g["status"] == "open"]
    assert removed and still
    assert all(g["gone_at"] == SECOND_SCAN.isoformat() and g["asset_id"] for g in removed)
    assert all(g["gone_at"] is None and g["asset_id"] is None for g in still)  # the business role stays
    grants = [g for a in evidence["accounts"] for g in a["grants"]]
    left = datetime.fromisoformat(evidence["departed_on"])
    assert all(g["days_after_departure"] == (SECOND_SCAN - left).days > 0 for g in removed)
    assert evidence["summary"]["complete"] is False
    assert evidence["summary"]["open"]["grants"] == sum(1 for g in grants if g["gone_at"] is None) >= len(still)
    assert {f["category"] for f in evidence["findings"] if f["status"] == "open"} >= {"post_departure_activity"}
    assert evidence["events"] and all(e["time"] >= evidence["departed_on"] for e in evidence["events"])


def test_offboarding_of_a_leaver_whose_access_is_all_gone(demo: Demo) -> None:
    evidence = build(demo, build_offboarding, "offboarding", person=GONE_LEAVER)
    meta = [a for a in evidence["accounts"] if a["platform"] == DEMO_PLATFORM]
    assert meta and all(a["status"] == "removed" and a["gone_at"] == SECOND_SCAN.isoformat() for a in meta)
    assert all(g["gone_at"] == SECOND_SCAN.isoformat() for a in meta for g in a["grants"])
    resolved = {(f["platform"], f["rule"]) for f in evidence["findings"] if f["status"] == "resolved"}
    assert (DEMO_PLATFORM, "orphaned-access") in resolved
    elsewhere = demo.query(select(G.c.id).join(A, (A.c.platform == G.c.platform) & (A.c.tenant == G.c.tenant)
                                               & (A.c.account_id == G.c.account_id))
                           .where(A.c.person_uid == GONE_LEAVER, G.c.gone_at.is_(None)))
    assert evidence["summary"]["open"]["grants"] == len(elsewhere) > 0  # still held on the other platforms
    assert evidence["summary"]["complete"] is False
    assert evidence["summary"]["last_removal"] == SECOND_SCAN.isoformat()


def test_scope_errors_are_reported_before_rendering(demo: Demo) -> None:
    with pytest.raises(ReportError, match="no platform named 'Nope'.*known: .*Kwiatek on Meta"):
        build_report(demo.settings, "audit", generated_by="t", platform="Nope")
    with pytest.raises(ReportError, match="no person with uid 'ghost-uid'"):
        build_report(demo.settings, "offboarding", generated_by="t", person="ghost-uid")
    with pytest.raises(ReportError, match="a person is required"):
        build_report(demo.settings, "offboarding", generated_by="t")
    with pytest.raises(ReportError, match="--by-manager applies to the access review only"):
        build_report(demo.settings, "audit", generated_by="t", by_manager=True)
    with pytest.raises(ReportError, match="unknown report kind 'summary'"):
        build_report(demo.settings, "summary", generated_by="t")


def test_report_data_is_the_json_ready_view_model(demo: Demo) -> None:
    data = report_data(demo.settings, "offboarding", person=PARTIAL_LEAVER, platform=DEMO_PLATFORM)
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["scope"] == {"platform": DEMO_PLATFORM, "person": PARTIAL_LEAVER, "by_manager": False}
    assert {a["platform"] for a in data["content"]["accounts"]} == {DEMO_PLATFORM}
    assert data["content"]["person"]["display_name"] == "Paweł Kamiński"


def test_cli_errors_are_one_line_with_exit_code_2(demo: Demo) -> None:
    runner = CliRunner()
    result = runner.invoke(report, ["audit", "--config", str(demo.config), "--platform", "Nope"])
    assert result.exit_code == 2
    assert result.output.startswith("auditor: error: no platform named 'Nope'") and result.output.count("\n") == 1
    result = runner.invoke(report, ["offboarding", "--config", str(demo.config)])
    assert result.exit_code == 2 and "Missing option '--person'" in result.output
    result = runner.invoke(report, ["audit", "--config", str(demo.config.parent / "missing.toml")])
    assert result.exit_code == 2 and "config file not found" in result.output


def test_large_scopes_are_capped_with_a_notice(demo: Demo) -> None:
    inputs = report_inputs(demo.settings, "audit", now=SECOND_SCAN + timedelta(hours=1))
    db = open_database(demo.settings.storage_url)
    try:
        with db.session() as session:
            audit = build_audit(session, replace(inputs, max_listed_findings=10, max_detailed_findings=10))
            with pytest.raises(ReportError, match=r"accounts in scope exceed reports.max_review_accounts \(10\)"):
                build_access_review(session, replace(inputs, max_review_accounts=10))
    finally:
        db.dispose()
    assert len(audit["findings"]) == 10 < audit["findings_total"]
    assert sum(len(g["findings"]) for g in audit["key_findings"]) == 10 < audit["key_findings_total"]
    header = {"id": "AUD-20261102-00000000", "kind": "audit", "title": "Security audit", "generated_at": "",
              "generated_by": "t", "language": "en", "scan_ids": [], "tool": "t",
              "scope": {"platform": None, "person": None, "by_manager": False}}
    html = render_html(demo.settings.reports_dir, "audit", {"report": header, "content": audit,
                                                             "manifest_sha256": "0" * 64},
                       load_translator(demo.settings.reports_dir, "en"))
    assert f"The table lists the first 10 of {audit['findings_total']} open findings" in html
    assert f"details the first 10 of {audit['key_findings_total']} critical and high findings" in html
