"""The queue, identities, search and select-all in the web UI (Flask client): leavers first with links to the
platforms' admin screens, free-text search and exclude filters, select all matching a filter with a
confirmation that names the count, saved views, and identity links and markings with CSRF and audit trail."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.tables import FindingTriage
from auditor.identities import use_cases
from auditor.storage.tables import Finding
from tests.web.conftest import Browser, enrolled_user

_F = Finding.__table__
BARAN = "850237973769949"


@pytest.fixture
def officer(settings, db, app, clock):
    """A signed-in security officer."""
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    browser = Browser(app, clock)
    assert browser.login("sofia", seed).status_code == 302
    return browser


def _ids(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'href="/findings/(\d+)" class="finding-link"', html)}


def _open(db, **where) -> list[dict]:
    with db.session() as session:
        query = select(_F).where(_F.c.status == "open")
        for key, value in where.items():
            query = query.where(_F.c[key] == value)
        return [dict(r) for r in session.exec(query).mappings()]


def test_the_queue_puts_leavers_first_and_links_to_the_admin_screens(officer, db):
    page = officer.get("/queue")
    assert page.status_code == 200
    order = re.findall(r'id="person-([^"]+)"', page.text)
    leaver_flags = [("leaver (" in block) for block in page.text.split('class="card queue-entry"')[1:]]
    assert order and leaver_flags[0] and leaver_flags == sorted(leaver_flags, reverse=True)
    assert {r["person"] for r in _open(db) if r["person"] and r["outcome"] != "coverage"} == set(order)
    assert "https://business.facebook.com/settings/pages/" in page.text
    dashboard = officer.get("/dashboard")
    assert 'id="fix-first"' in dashboard.text and f'href="/queue#person-{order[0]}"' in dashboard.text
    unmatched = officer.get("/queue?tab=unmatched")
    assert 'id="identity-ola.kurek@pixel-agency.example"' in unmatched.text
    assert officer.get("/queue?tab=nope").status_code == 400


def test_search_by_email_name_and_exclude_filters(officer, db):
    baran = _open(db, account=BARAN)
    assert _ids(officer.get("/findings?q=H.BARAN@kwiatek").text) == {r["id"] for r in baran}
    kaminski = {r["id"] for r in _open(db, person="pkaminski")}
    assert _ids(officer.get("/findings?q=Kamiński").text) <= kaminski  # accents are not folded
    assert _ids(officer.get("/findings?q=pawel.kaminski").text) == kaminski
    agency = _open(db, category="unmatched_account", account_email="ola.kurek@pixel-agency.example")
    assert _ids(officer.get("/findings?category=unmatched_account&not_q=kwiatek.example").text) == {
        r["id"] for r in agency}
    listed = _ids(officer.get("/findings").text)  # the list (which leaves out coverage notes)
    no_unmatched = officer.get("/findings?not_category=unmatched_account&not_rule=excess-app-scope")
    hidden = {r["id"] for r in _open(db) if r["category"] == "unmatched_account" or r["rule"] == "excess-app-scope"}
    assert len(hidden) >= 4 and _ids(no_unmatched.text) == listed - hidden
    assert _ids(officer.get("/findings?q=%25").text) == set()  # LIKE wildcards are literal
    assert officer.get("/findings?not_category=nonsense").status_code == 400


def test_select_all_matching_a_filter_acknowledges_every_one_after_a_confirmation(officer, db):
    unmatched = {r["id"] for r in _open(db, category="unmatched_account")}
    assert len(unmatched) >= 3
    confirm = officer.post("/findings/select-all", {"action": "acknowledge", "filter": "category=unmatched_account"},
                           token_from="/findings")
    assert confirm.status_code == 200
    assert f"all {len(unmatched)} finding(s) matching the filter" in unescape(confirm.text)
    stale = officer.post("/findings/select-all/apply", {"action": "acknowledge", "confirm": "yes",
                                                        "expected": str(len(unmatched) + 1),
                                                        "filter": "category=unmatched_account"}, token_from="/findings")
    assert stale.status_code == 302
    with db.session() as session:
        assert session.exec(select(FindingTriage.__table__)).all() == []
    done = officer.post("/findings/select-all/apply", {"action": "acknowledge", "confirm": "yes",
                                                       "expected": str(len(unmatched)),
                                                       "filter": "category=unmatched_account"}, token_from="/findings")
    assert done.status_code == 302 and "category=unmatched_account" in done.location
    triage = FindingTriage.__table__
    with db.session() as session:
        acknowledged = {r[0] for r in session.exec(select(triage.c.finding_id).where(
            triage.c.acknowledged_by == "sofia"))}
        trail = web_audit.list_entries(session, action="finding_acknowledged", limit=100)
    assert acknowledged == unmatched and {int(e["target_id"]) for e in trail} == unmatched
    no_csrf = officer.client.post("/findings/select-all", data={"action": "acknowledge", "filter": ""},
                                  base_url="https://localhost")
    assert no_csrf.status_code == 400


def test_saved_views_are_stored_normalised_and_listed(officer, db):
    saved = officer.post("/findings/views", {"name": "Leavers", "filter": "category=orphaned_access&status=open"},
                         token_from="/findings")
    assert saved.status_code == 302
    page = officer.get("/findings")
    assert 'href="/findings?category=orphaned_access" class="saved-view">Leavers</a>' in page.text
    bad = officer.post("/findings/views", {"name": "x", "filter": "severity=nonsense"}, token_from="/findings")
    assert bad.status_code == 400


def test_identities_one_row_per_identity_and_a_link_with_audit(officer, db):
    page = officer.get("/identities?q=h.baran")
    assert page.status_code == 200 and page.text.count('class="card identity"') == 1
    assert "Henryk Baran" in page.text and "unmatched" in page.text
    linked = officer.post("/identities/link", {"accounts": f"Kwiatek on Meta|{BARAN}", "uid": "mwrobel",
                                               "next": "/identities?q=h.baran"}, token_from="/identities")
    assert linked.status_code == 302 and linked.location.endswith("/identities?q=h.baran")
    after = officer.get("/identities?q=h.baran&show=all")
    assert "link to mwrobel" in after.text and "applies on the next scan" in after.text
    with db.session() as session:
        assert use_cases.ui_links(session) == {("Kwiatek on Meta", BARAN): "mwrobel"}
        assert web_audit.list_entries(session, action="identity_linked")[0]["actor"] == "sofia"
    refused = officer.post("/identities/mark", {"accounts": f"Kwiatek on Meta|{BARAN}", "kind": "agency",
                                                "owner": "mwrobel", "agency": "", "expires": ""},
                           token_from="/identities")
    assert refused.status_code == 302
    assert "expiry: a date" in officer.get("/identities").text
    assert officer.get("/identities?show=bogus").status_code == 400
