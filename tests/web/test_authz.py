"""The authorization matrix: every route x every role x anonymous, allowed or refused; deny by default."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts import users as web_users
from auditor.accounts.sessions import create_session
from auditor.storage.tables import Finding
from auditor.web.guard import PERMISSION_ATTR, requires
from tests.web.conftest import BASE_URL, PASSWORD, Browser, csrf_of, enrolled_user

ADMIN, OFFICER, HR, AUDITOR, DPO = "admin", "security_officer", "hr", "auditor", "dpo"
REVIEWER = "reviewer"
ALL = {ADMIN, OFFICER, HR, AUDITOR, DPO, REVIEWER}
STAFF = {ADMIN, OFFICER, HR, AUDITOR}
DSAR = {ADMIN, OFFICER, DPO}
READERS = {ADMIN, OFFICER, AUDITOR}
TRIAGERS = {ADMIN, OFFICER}
PUBLIC = "public"
PENDING = "pending"

EXPECTED: dict[str, object] = {
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.code": PENDING,
    "auth.enrol": PENDING,
    "sso.start": PUBLIC,  # single sign-on: 404 unless [oidc] is configured (tests/sso)
    "sso.callback": PUBLIC,
    "account.index": ALL,
    "account.logout_everywhere": ALL,
    "account.recovery_codes": ALL,
    "account.password": ALL,
    "account.language": ALL,
    "dashboard.home": ALL,
    "dashboard.index": READERS,
    "findings.index": READERS,
    "findings.detail": READERS,
    "findings.export": READERS,
    "finding_actions.acknowledge": TRIAGERS,
    "finding_actions.assign": TRIAGERS,
    "finding_actions.comment": TRIAGERS,
    "finding_actions.reopen": TRIAGERS,
    "finding_actions.accept_risk": TRIAGERS,
    "finding_actions.bulk": TRIAGERS,
    "finding_actions.bulk_apply": TRIAGERS,
    "people.index": STAFF,
    "people.detail": STAFF,
    "platforms.index": READERS,
    "platforms.tenant": READERS,
    "scans.index": READERS,
    "scans.start": TRIAGERS,
    "scans.progress": READERS,
    "scans.diff": READERS,
    "admin.users": {ADMIN},
    "admin.add_user": {ADMIN},
    "admin.change_user": {ADMIN},
    "admin.audit": {ADMIN},
    "offboarding_api.receive": PUBLIC,  # HMAC-signed machine endpoint, no session
    "offboarding.index": STAFF,
    "offboarding.show": STAFF,
    "offboarding.evidence": STAFF,
    "offboarding.new": {ADMIN, HR},
    "offboarding.create": {ADMIN, HR},
    "offboarding.check": {ADMIN, HR, OFFICER},
    "offboarding.decide": {OFFICER},
    "dsar.index": DSAR,
    "dsar.new": DSAR,
    "dsar.create": DSAR,
    "dsar.show": DSAR,
    "dsar.step": DSAR,
    "dsar.pack": DSAR,
    "dsar.erase": DSAR,
    "dsar.processing": {ADMIN, OFFICER, DPO, AUDITOR},
    "reviews.index": READERS,
    "reviews.show": READERS,
    "reviews.export": READERS,
    "reviews.evidence": READERS,
    "reviews.new": TRIAGERS,
    "reviews.create": TRIAGERS,
    "reviews.refresh": TRIAGERS,
    "reviews.complete": TRIAGERS,
    "reviews.mine": {ADMIN, OFFICER, REVIEWER},
    "reviews.decide": {ADMIN, OFFICER, REVIEWER},
    "reviews.decide_person": {ADMIN, OFFICER, REVIEWER},
    "reviews.delegate": {ADMIN, OFFICER, REVIEWER},
    "queue.index": READERS,
    "identities.index": READERS,
    "identities.link": TRIAGERS,
    "identities.mark": TRIAGERS,
    "identities.undo": TRIAGERS,
    "findings.select_all": TRIAGERS,
    "findings.select_all_apply": TRIAGERS,
    "findings.save_view": READERS,
    "findings.delete_view": READERS,
    "ops.healthz": PUBLIC,  # probes: no session, no data
    "ops.readyz": PUBLIC,
    "ops.metrics": PUBLIC,  # no session; its own bearer token (tests/web/test_ops.py)
}
"""Endpoint -> roles allowed (written out here, independently of auditor.accounts.roles)."""
SIGNS_OUT = {"account.logout_everywhere"}
NO_SUCH_OBJECT = {"offboarding.show", "offboarding.evidence", "dsar.show", "reviews.show", "reviews.export",
                  "reviews.evidence", "scans.diff"}
"""Pages of one object the matrix does not create: allowed roles get 404 (not 403, not the login page)."""


@pytest.fixture
def world(settings, db, app):
    """Users of every role, a victim user for admin actions, and sample URL values."""
    ids = {role: web_users.get_user_by_id for role in ALL}
    for role in sorted(ALL):
        enrolled_user(settings, db, f"u-{role.replace('_', '-')}", role)
    web_users.add_user(db, "victim", "auditor", PASSWORD)
    table = Finding.__table__
    with db.session() as session:
        finding = session.exec(
            select(table.c.id, table.c.person, table.c.platform, table.c.tenant).where(
                table.c.person.is_not(None), table.c.platform.is_not(None)
            )
        ).first()
        ids = {role: web_users.get_user(session, f"u-{role.replace('_', '-')}").id for role in ALL}
    values = {
        "finding_id": finding.id,
        "uid": finding.person,
        "fmt": "csv",
        "username": "victim",
        "operation": "unlock",
        "case_id": 999_999,
        "revocation_id": 999_999,
        "request_id": 999_999,
        "action": "verify-identity",
        "campaign_id": 999_999,
        "item_id": 999_999,
        "view_id": 999_999,
        "scan_id": 999_999,
    }
    query = {"platforms.tenant": {"platform": finding.platform, "tenant": finding.tenant}}
    return {"ids": ids, "values": values, "query": query}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _client(app, clock, db, user_id):
    browser = Browser(app, clock)
    if user_id is not None:
        with db.session(write=True) as session:
            token = create_session(session, user_id, "full", clock(), timedelta(hours=1))
        browser.client.set_cookie("__Host-auditor-session", token, domain="localhost")
    return browser


def _request(browser, rule, method, world):
    url = rule.build(world["values"], append_unknown=False)[1]
    query = world["query"].get(rule.endpoint, {})
    if method == "GET":
        return browser.client.get(url, query_string=query, base_url=BASE_URL)
    page = browser.get("/account") if browser.cookie() else browser.get("/login")
    token = csrf_of(page.text) if page.status_code == 200 else csrf_of(browser.get("/login").text)
    return browser.client.post(url, data={"csrf_token": token}, query_string=query, base_url=BASE_URL)


def test_every_route_is_in_the_matrix_and_declares_a_permission(app):
    endpoints = {rule.endpoint for rule, _ in _routes(app)}
    assert endpoints == set(EXPECTED)
    for endpoint in endpoints:
        assert getattr(app.view_functions[endpoint], PERMISSION_ATTR, None), endpoint


@pytest.mark.parametrize("role", [None, ADMIN, OFFICER, HR, AUDITOR, DPO, REVIEWER])
def test_authorization_matrix(app, db, clock, world, role):
    refused = []
    for rule, method in _routes(app):
        expected = EXPECTED[rule.endpoint]
        browser = _client(app, clock, db, world["ids"][role] if role else None)
        response = _request(browser, rule, method, world)
        to_login = response.status_code == 302 and "/login" in response.location
        where = f"{method} {rule.rule} as {role or 'anonymous'}: {response.status_code}"
        if expected == PUBLIC:
            assert response.status_code not in (400, 403), where  # neither refused nor a CSRF failure
        elif expected == PENDING:
            assert to_login, where  # only a half-finished sign-in may use these
        elif role is None:
            assert to_login, where
        elif role in expected:
            assert response.status_code != 403, where
            assert not to_login or rule.endpoint in SIGNS_OUT, where
            if method == "GET" and rule.endpoint in NO_SUCH_OBJECT:
                assert response.status_code == 404, where
            elif method == "GET" and rule.endpoint != "dashboard.home":
                assert response.status_code == 200, where
        else:
            assert response.status_code == 403, where
            refused.append(rule.endpoint)
    if role is not None:
        with db.session() as session:
            denied = web_audit.list_entries(session, action="access_denied", limit=500)
        assert sorted(e["target_id"] for e in denied) == sorted(refused)
        assert all(e["actor_role"] == role for e in denied)
        with db.session() as session:
            assert web_audit.list_entries(session, action="logout_everywhere", actor=f"u-{role.replace('_', '-')}")


def test_pending_pages_need_the_matching_half_signed_in_session(app, settings, db, clock):
    web_users.add_user(db, "newbie", "auditor", PASSWORD)
    browser = Browser(app, clock)
    browser.password("newbie")  # stage "enrol"
    assert browser.get("/login/enrol").status_code == 200
    assert browser.get("/login/code").location.endswith("/login")
    assert browser.get("/people").location.startswith("/login")


def test_a_view_that_declares_nothing_is_refused_to_everyone(app, settings, db, clock):
    def undeclared():
        return "secret"

    def declared():
        return "fine"

    app.add_url_rule("/undeclared", "undeclared", undeclared)
    app.add_url_rule("/declared", "declared", requires("account")(declared))
    seed = enrolled_user(settings, db, "root", "admin")
    browser = Browser(app, clock)
    browser.login("root", seed)
    assert browser.get("/declared").status_code == 200
    response = browser.get("/undeclared")
    assert response.status_code == 403 and "secret" not in response.text


def test_unknown_permissions_cannot_be_declared():
    with pytest.raises(ValueError, match="unknown permission"):
        requires("findings.delete")
