"""Findings in the web UI: filter, sort, pages, exports, and triage (acknowledge, assign, comment, accept the risk
with an expiry, reopen, bulk with confirmation), each recorded in the audit trail."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.tables import FindingComment, FindingTriage
from auditor.dates import format_day
from auditor.model import Severity
from auditor.services.scan import run_scan
from auditor.storage.tables import Finding, FindingEvent, RiskExceptionRow
from auditor.web import create_app
from tests.web.conftest import Browser, enrolled_user

_F = Finding.__table__
FORMULA = "=cmd|' /C calc'!A0"
"""The OWASP example of CSV injection: every CSV export must neutralise it."""


@pytest.fixture
def officer(settings, db, app, clock):
    """A signed-in security officer."""
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    browser = Browser(app, clock)
    assert browser.login("sofia", seed).status_code == 302
    return browser


def _ids(html):
    return [int(x) for x in re.findall(r'href="/findings/(\d+)" class="finding-link"', html)]


def _open_findings(db, **where):
    with db.session() as session:
        query = select(_F.c.id, _F.c.severity_rank, _F.c.category, _F.c.person, _F.c.rule).where(
            _F.c.status == "open", _F.c.outcome != "coverage")  # coverage notes are not queued
        for key, value in where.items():
            query = query.where(_F.c[key] == value)
        return [dict(r) for r in session.exec(query).mappings()]


def test_list_filters_sort_and_pages(officer, db):
    rows = _open_findings(db)
    assert len(rows) > 10
    page = officer.get("/findings")
    assert page.status_code == 200 and f"{len(rows)} finding(s)" in page.text
    shown = _ids(page.text)
    ranks = {r["id"]: r["severity_rank"] for r in rows}
    assert [ranks[i] for i in shown] == sorted((ranks[i] for i in shown), reverse=True)
    high = officer.get("/findings?severity=high")
    expected = {r["id"] for r in rows if r["severity_rank"] >= Severity.HIGH.rank}
    assert set(_ids(high.text)) == expected
    person = next(r["person"] for r in rows if r["person"])
    by_person = officer.get(f"/findings?person={person}&status=all")
    assert set(_ids(by_person.text)) == {r["id"] for r in _open_findings(db, person=person)} | {
        r["id"] for r in _all(db, person=person)
    }
    assert officer.get("/findings?severity=urgent").status_code == 400
    assert officer.get("/findings?sort=drop+table").status_code == 400


def _all(db, **where):
    with db.session() as session:
        query = select(_F.c.id)
        for key, value in where.items():
            query = query.where(_F.c[key] == value)
        return [dict(r) for r in session.exec(query).mappings()]


def test_pages_are_disjoint_and_cover_the_filter(settings, db, clock):
    small = settings.model_copy(update={"web": settings.web.model_copy(update={"page_size": 10})})
    app = create_app(small, clock=clock)
    try:
        seed = enrolled_user(small, db, "sofia", "security_officer")
        browser = Browser(app, clock)
        browser.login("sofia", seed)
        total = len(_open_findings(db))
        seen: list[int] = []
        for number in range(1, -(-total // 10) + 1):
            page = browser.get(f"/findings?page={number}")
            assert f"page {number} of {-(-total // 10)}" in page.text
            seen += _ids(page.text)
        assert len(seen) == len(set(seen)) == total
    finally:
        app.extensions["auditor"].db.dispose()


def test_export_csv_and_json_follow_the_filter_and_are_audited(officer, db):
    expected = {r["id"] for r in _open_findings(db) if r["severity_rank"] >= Severity.HIGH.rank}
    response = officer.get("/findings/export.csv?severity=high")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="findings-')
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {int(r["id"]) for r in rows} == expected
    assert all(r["severity"] in ("high", "critical") for r in rows)
    data = json.loads(officer.get("/findings/export.json?severity=high").text)
    assert {r["id"] for r in data} == expected
    assert all(isinstance(r["evidence"], dict) for r in data)
    with db.session() as session:
        exports = web_audit.list_entries(session, action="findings_exported")
    assert [e["detail"]["format"] for e in exports] == ["json", "csv"]
    assert exports[0]["detail"]["filter"] == {"severity": "high"}


def test_csv_cells_cannot_carry_spreadsheet_formulas(officer, db):
    with db.session() as session:
        finding_id = session.exec(select(_F.c.id)).first()[0]
    officer.post(f"/findings/{finding_id}/assign", {"assignee": "sofia"})
    from sqlalchemy import update

    with db.session(write=True) as session:
        session.exec(update(_F).where(_F.c.id == finding_id).values(message=FORMULA))
    rows = list(csv.DictReader(io.StringIO(officer.get("/findings/export.csv").text)))
    cell = next(r["message"] for r in rows if int(r["id"]) == finding_id)
    assert cell == "'" + FORMULA


def _finding(db, **where):
    return _open_findings(db, **where)[0]["id"]


def test_acknowledge_assign_comment_and_reopen(officer, db):
    finding_id = _finding(db)
    assert officer.post(f"/findings/{finding_id}/acknowledge").status_code == 302
    assert officer.post(f"/findings/{finding_id}/assign", {"assignee": "sofia"}).status_code == 302
    assert (
        officer.post(f"/findings/{finding_id}/comment", {"body": "Asked <b>Anna</b> to remove it"}).status_code == 302
    )
    page = officer.get(f"/findings/{finding_id}").text
    assert 'id="ack-tag"' in page and "assigned to sofia" in page
    assert "Asked &lt;b&gt;Anna&lt;/b&gt; to remove it" in page  # escaped, not markup
    assert officer.get("/findings?triage=acknowledged&assignee=sofia").text.count('class="finding-link"') == 1
    assert officer.post(f"/findings/{finding_id}/reopen").status_code == 302
    triage = FindingTriage.__table__
    with db.session() as session:
        row = session.exec(select(triage).where(triage.c.finding_id == finding_id)).mappings().one()
        comments = session.exec(select(func.count()).select_from(FindingComment.__table__)).scalar_one()
        actions = [
            e["action"] for e in web_audit.list_entries(session, target_kind="finding", target_id=str(finding_id))
        ]
    assert row["acknowledged_at"] is None and row["assignee"] == "sofia" and comments == 1
    assert actions == ["finding_reopened", "finding_commented", "finding_assigned", "finding_acknowledged"]


def test_assigning_to_someone_who_cannot_triage_is_refused(officer, settings, db):
    enrolled_user(settings, db, "hanna", "hr")
    finding_id = _finding(db)
    response = officer.post(f"/findings/{finding_id}/assign", {"assignee": "hanna"})
    page = officer.get(response.location).text
    assert "cannot assign to &#39;hanna&#39;" in page or "cannot assign to 'hanna'" in page
    with db.session() as session:
        assert session.exec(select(FindingTriage.__table__)).all() == []


def _accept(officer, finding_id, **changes):
    form = {
        "reason": "Agency contract ends next month",
        "approver": "ciso@kwiatek.example",
        "expires": (officer.clock().date() + timedelta(days=30)).isoformat(),
        **changes,
    }
    return officer.post(f"/findings/{finding_id}/accept-risk", form)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": "short"}, "at least 10 characters"),
        ({"approver": " "}, "name who approved"),
        ({"expires": ""}, "YYYY-MM-DD"),
        ({"expires": "2020-01-01"}, "must be in the future"),
        ({"expires": "2999-01-01"}, "at most 365 days"),
    ],
)
def test_accepting_a_risk_needs_reason_approver_and_a_near_future_expiry(officer, db, changes, message):
    finding_id = _finding(db)
    response = _accept(officer, finding_id, **changes)
    assert message in officer.get(response.location).text
    with db.session() as session:
        assert session.exec(select(RiskExceptionRow.__table__)).all() == []


def test_accepted_risk_mutes_now_is_honoured_by_the_next_scan_and_can_be_withdrawn(officer, db, settings):
    finding_id = _finding(db)
    expires = officer.clock().date() + timedelta(days=30)
    assert _accept(officer, finding_id, expires=expires.isoformat()).status_code == 302
    page = officer.get(f"/findings/{finding_id}").text
    assert 'id="exception-box"' in page and format_day(expires) in page
    exceptions, events = RiskExceptionRow.__table__, FindingEvent.__table__
    with db.session() as session:
        row = session.exec(select(exceptions)).mappings().one()
        status = session.exec(
            select(_F.c.status, _F.c.exception_id, _F.c.fingerprint).where(_F.c.id == finding_id)
        ).one()
        changes = session.exec(select(events.c.change).where(events.c.finding_id == finding_id)).all()
    assert row["expires_on"] == expires and row["approved_by"] == "ciso@kwiatek.example"
    assert row["fingerprint"] == status.fingerprint and status.status == "accepted"
    assert status.exception_id == f"db:{row['id']}" and ("muted",) in changes
    meta_only = settings.model_copy(update={"platform": [p for p in settings.platform if p.kind == "meta"]})
    run_scan(meta_only, trigger="test", now=officer.clock())
    with db.session() as session:
        assert session.exec(select(_F.c.status).where(_F.c.id == finding_id)).scalar_one() == "accepted"
    assert officer.post(f"/findings/{finding_id}/reopen").status_code == 302
    with db.session() as session:
        assert session.exec(select(_F.c.status).where(_F.c.id == finding_id)).scalar_one() == "open"
        assert session.exec(select(exceptions)).all() == []
        trail = web_audit.list_entries(session, target_kind="finding", target_id=str(finding_id))
    assert [e["action"] for e in trail] == ["finding_reopened", "risk_accepted"]
    assert trail[1]["detail"]["expires_on"] == expires.isoformat()


def test_resolved_findings_cannot_be_accepted(officer, db):
    from sqlalchemy import update

    finding_id = _finding(db)
    with db.session(write=True) as session:
        session.exec(update(_F).where(_F.c.id == finding_id).values(status="resolved"))
    response = _accept(officer, finding_id)
    assert "only open findings can be accepted" in officer.get(response.location).text


def test_bulk_actions_ask_for_confirmation_first(officer, db):
    ids = [r["id"] for r in _open_findings(db)][:3]
    token_page = "/findings"
    confirm = officer.post(
        "/findings/bulk", {"action": "acknowledge", "ids": [str(i) for i in ids]}, token_from=token_page
    )
    assert confirm.status_code == 200 and "Confirm: acknowledge 3 finding(s)" in confirm.text
    with db.session() as session:
        assert session.exec(select(FindingTriage.__table__)).all() == []  # nothing happened yet
    unconfirmed = officer.post("/findings/bulk/apply", {"action": "acknowledge", "ids": [str(i) for i in ids]})
    assert unconfirmed.status_code == 400
    done = officer.post(
        "/findings/bulk/apply", {"action": "acknowledge", "ids": [str(i) for i in ids], "confirm": "yes"}
    )
    assert done.status_code == 302
    triage = FindingTriage.__table__
    with db.session() as session:
        acked = session.exec(select(triage.c.finding_id).where(triage.c.acknowledged_at.is_not(None))).all()
    assert sorted(r[0] for r in acked) == sorted(ids)


def test_bulk_accept_risk_creates_one_exception_per_finding(officer, db):
    ids = [r["id"] for r in _open_findings(db)][:2]
    form = {
        "action": "accept_risk",
        "ids": [str(i) for i in ids],
        "confirm": "yes",
        "reason": "Seasonal agency, reviewed weekly",
        "approver": "ciso@kwiatek.example",
        "expires": (officer.clock().date() + timedelta(days=7)).isoformat(),
    }
    assert officer.post("/findings/bulk/apply", form).status_code == 302
    with db.session() as session:
        rows = session.exec(select(RiskExceptionRow.__table__.c.fingerprint)).all()
        statuses = session.exec(select(_F.c.status).where(_F.c.id.in_(ids))).all()
    assert len(rows) == 2 and {s[0] for s in statuses} == {"accepted"}


def test_finding_detail_shows_evidence_rationale_and_history(officer, db):
    finding_id = next(r["id"] for r in _open_findings(db) if r["person"])
    with db.session() as session:
        rule = session.exec(select(_F.c.rule).where(_F.c.id == finding_id)).scalar_one()
        session.exec(
            insert(FindingComment.__table__).values(
                finding_id=finding_id, at=officer.clock(), author="sofia", body="first look"
            )
        )
    page = officer.get(f"/findings/{finding_id}").text
    assert "Rationale" in page and "Remediation" in page and rule in page
    assert "Facts the rule was judged on" in page and "opened (scan #1)" in page and "first look" in page
    assert officer.get("/findings/999999").status_code == 404
