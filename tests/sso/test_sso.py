"""Single sign-on against a real OpenID Provider: sign-in with the mapped role, refusals (no mapped group,
disabled user, break-glass admin, wrong or replayed state, expired token), local sign-in turned off, and
every sign-in and refusal in the audit trail."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts import users as web_users
from auditor.accounts.sessions import FULL, count_sessions
from auditor.accounts.tables import WebUser
from tests.sso.conftest import BASE_URL, authorize, oidc_settings, set_user, sso_login, start
from tests.web.conftest import Browser, enrolled_user

FLOW_COOKIE = "__Host-auditor-sso"


def _audit(db, action: str) -> list[dict]:
    with db.session() as session:
        return web_audit.list_entries(session, action=action)


def _user(db, name: str) -> dict | None:
    with db.session() as session:
        row = session.exec(select(WebUser.__table__).where(WebUser.__table__.c.username == name)).mappings().first()
    return dict(row) if row else None


def test_sign_in_creates_the_user_with_the_mapped_role_and_a_full_session(browser, db, op):
    set_user(op, "u-alice", preferred_username="Alice", name="Alice Martin", groups=["staff", "sec-team"])
    pending = browser.password("nobody")  # a failed password attempt leaves no session; now a real one:
    assert pending.status_code == 401
    auth_url = start(browser)
    assert "code_challenge_method=S256" in auth_url and "nonce=" in auth_url and "state=" in auth_url
    assert browser.cookie(FLOW_COOKIE)
    answer = browser.get(authorize(auth_url, "u-alice"))
    assert answer.status_code == 200 and 'url=/dashboard' in answer.text
    assert browser.cookie(FLOW_COOKIE) is None  # the flow is good for one callback
    assert browser.get("/dashboard").status_code == 200
    user = _user(db, "alice")
    assert user["role"] == "security_officer" and user["display_name"] == "Alice Martin"
    assert user["password_hash"] == "!sso:u-alice" and user["totp_secret_enc"] is None
    with db.session() as session:
        assert count_sessions(session, user["id"], FULL) == 1
    login = _audit(db, "login")[0]
    assert login["actor"] == "alice" and login["detail"]["method"] == "sso" and login["detail"]["sub"] == "u-alice"
    assert _audit(db, "user_added")[0]["detail"] == {"role": "security_officer", "by": "sso"}
    # no password opens an SSO-created account
    assert Browser(browser.client.application, browser.clock).password("alice", "!sso:u-alice").status_code == 401


def test_the_session_is_rotated_and_the_role_follows_the_groups(browser, db, op):
    set_user(op, "u-bob", preferred_username="bob", groups=["it-admins", "auditors"])
    assert sso_login(browser, "u-bob").status_code == 200
    first = browser.cookie()
    assert _user(db, "bob")["role"] == "admin"  # the first listed group the user is in wins
    set_user(op, "u-bob", preferred_username="bob", groups=["auditors"])
    assert sso_login(browser, "u-bob").status_code == 200
    assert browser.cookie() != first
    assert _user(db, "bob")["role"] == "auditor"
    with db.session() as session:
        assert count_sessions(session, _user(db, "bob")["id"], FULL) == 1  # the old session was ended
    change = _audit(db, "user_role_changed")[0]
    assert change["detail"] == {"from": "admin", "to": "auditor", "by": "sso"}
    assert browser.get("/admin/users").status_code == 403


def test_no_mapped_group_is_refused_and_no_user_is_created(browser, db, op):
    set_user(op, "u-carol", preferred_username="carol", groups=["marketing"])
    answer = sso_login(browser, "u-carol")
    assert answer.status_code == 403 and "no group maps to a role" in answer.text
    assert _user(db, "carol") is None and browser.cookie() is None
    refusal = _audit(db, "sso_login_refused")[0]
    assert refusal["actor"] == "carol" and refusal["detail"]["reason"] == "no group maps to a role"


def test_a_disabled_local_user_is_refused_even_when_the_idp_says_yes(browser, db, op, settings, clock):
    enrolled_user(settings, db, "dave", "auditor", now=clock())
    web_users.disable_user(db, "dave", now=clock())
    set_user(op, "u-dave", preferred_username="dave", groups=["auditors"])
    answer = sso_login(browser, "u-dave")
    assert answer.status_code == 403 and "user disabled" in answer.text
    assert browser.cookie() is None and browser.get("/dashboard").status_code == 302
    assert _audit(db, "sso_login_refused")[0]["detail"]["reason"] == "user disabled"


def test_an_enabled_local_user_of_the_same_name_is_signed_in(browser, db, op, settings, clock):
    enrolled_user(settings, db, "erin", "hr", now=clock())
    set_user(op, "u-erin", preferred_username="erin", groups=["auditors"])
    assert sso_login(browser, "u-erin").status_code == 200
    assert _user(db, "erin")["role"] == "auditor" and _user(db, "erin")["password_hash"].startswith("$argon2")


def test_another_subject_cannot_take_over_an_sso_user(browser, db, op):
    set_user(op, "u-frank", preferred_username="frank", groups=["auditors"])
    assert sso_login(browser, "u-frank").status_code == 200
    set_user(op, "u-impostor", preferred_username="frank", groups=["it-admins"])
    answer = Browser(browser.client.application, browser.clock)
    assert sso_login(answer, "u-impostor").status_code == 403
    assert _user(db, "frank")["role"] == "auditor"
    assert _audit(db, "sso_login_refused")[0]["detail"]["reason"] == "username belongs to another subject"


def test_a_replayed_state_is_refused(browser, db, op):
    set_user(op, "u-gina", preferred_username="gina", groups=["auditors"])
    callback = authorize(start(browser), "u-gina")
    flow = browser.cookie(FLOW_COOKIE)
    assert browser.get(callback).status_code == 200
    # the same callback again, even with the flow cookie put back (a captured request replayed)
    attacker = Browser(browser.client.application, browser.clock)
    attacker.client.set_cookie(FLOW_COOKIE, flow, domain="localhost", secure=True)
    answer = attacker.get(callback)
    assert answer.status_code == 403 and "replayed state" in answer.text and attacker.cookie() is None
    # and without the cookie: no sign-in in progress in this browser
    assert Browser(browser.client.application, browser.clock).get(callback).status_code == 403
    reasons = [entry["detail"]["reason"] for entry in _audit(db, "sso_login_refused")]
    assert reasons[:2] == ["state missing or not this browser's", "replayed state"]


def test_a_callback_started_in_another_browser_is_refused(browser, db, op):
    set_user(op, "u-hugo", preferred_username="hugo", groups=["auditors"])
    victim = Browser(browser.client.application, browser.clock)
    start(victim)  # the victim's browser has its own flow
    attackers_callback = authorize(start(browser), "u-hugo")
    answer = victim.get(attackers_callback)  # login CSRF: the attacker's code in the victim's browser
    assert answer.status_code == 403 and victim.cookie() is None and _user(db, "hugo") is None


def test_an_error_from_the_provider_is_refused(browser, db, op):
    auth_url = start(browser)
    response = httpx.post(auth_url, data={"action": "deny"}, timeout=10)
    assert response.status_code == 302 and "error=access_denied" in response.headers["location"]
    location = response.headers["location"]
    answer = browser.get(location[location.index("/sso/"):])
    assert answer.status_code == 403 and browser.cookie() is None
    # this OP leaves ``state`` out of its error redirect, so the answer cannot be tied to this browser's flow
    assert _audit(db, "sso_login_refused")[0]["detail"]["reason"] == "state missing or not this browser's"


def test_an_expired_id_token_is_refused(web_settings, expired_op, clock, scan_calls):
    from auditor.web import create_app

    set_user(expired_op, "u-ivy", preferred_username="ivy", groups=["auditors"])
    app = create_app(web_settings.model_copy(update={"oidc": oidc_settings(expired_op)}), clock=clock,
                     scan_runner=scan_calls)
    client = Browser(app, clock)
    answer = sso_login(client, "u-ivy")
    assert answer.status_code == 403 and "expired ID token" in answer.text and client.cookie() is None
    db = app.extensions["auditor"].db
    assert _user(db, "ivy") is None and _audit(db, "sso_login_refused")[0]["detail"]["reason"] == "expired ID token"
    db.dispose()


def test_local_sign_in_can_be_turned_off_except_for_the_break_glass_admin(web_settings, op, clock, scan_calls):
    from auditor.web import create_app

    settings = web_settings.model_copy(update={"oidc": oidc_settings(op, local_login=False)})
    app = create_app(settings, clock=clock, scan_runner=scan_calls)
    db = app.extensions["auditor"].db
    enrolled_user(settings, db, "rescue", "admin", now=clock())
    enrolled_user(settings, db, "jack", "admin", now=clock())
    client = Browser(app, clock)
    page = client.get("/login").text
    assert "Sign in with Test IdP" in page and 'id="local-off"' in page
    refused = client.password("jack")
    assert refused.status_code == 403 and "Password sign-in is turned off" in refused.text
    assert client.cookie() is None
    entry = _audit(db, "login_failed")[0]
    assert entry["actor"] == "jack" and entry["detail"]["reason"] == "password sign-in is off (SSO only)"
    rescue = client.password("rescue")
    assert rescue.status_code == 302 and rescue.location.endswith("/login/code")
    # the break-glass admin is local only: never by SSO
    set_user(op, "u-rescue", preferred_username="rescue", groups=["it-admins"])
    answer = sso_login(Browser(app, clock), "u-rescue")
    assert answer.status_code == 403
    assert _audit(db, "sso_login_refused")[0]["detail"]["reason"] == "break-glass admin signs in locally only"
    db.dispose()


def test_without_oidc_there_is_no_button_and_no_sso_route(web_settings, clock, scan_calls):
    from auditor.web import create_app

    app = create_app(web_settings, clock=clock, scan_runner=scan_calls)
    client = Browser(app, clock)
    assert "sso-sign-in" not in client.get("/login").text
    assert client.get("/sso/callback?state=x&code=y").status_code == 404
    assert client.client.post("/sso/start", data={"csrf_token": csrf(client)}, base_url=BASE_URL).status_code == 404
    app.extensions["auditor"].db.dispose()


def csrf(client: Browser) -> str:
    from tests.web.conftest import csrf_of

    return csrf_of(client.get("/login").text)


def test_the_flow_cookie_lasts_ten_minutes_and_a_new_start_replaces_it(browser, db, op, clock):
    set_user(op, "u-kim", preferred_username="kim", groups=["auditors"])
    callback = authorize(start(browser), "u-kim")
    assert "Max-Age=600" in browser.client.post(
        "/sso/start", data={"csrf_token": csrf(browser)}, base_url=BASE_URL
    ).headers["Set-Cookie"]
    assert browser.get(callback).status_code == 403  # the second start replaced the flow: state differs
