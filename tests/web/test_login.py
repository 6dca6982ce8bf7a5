"""Signing in: password then TOTP, replay refusal, drift, throttling and lockout, recovery codes, enrolment,
session rotation, timeouts, sign-out everywhere, disabled users, cookie flags."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts import users as web_users
from auditor.accounts.tables import WebSession, WebUser
from auditor.accounts.totp import code_at, provisioning_uri
from auditor.web.auth import qr_svg
from tests.web.conftest import PASSWORD, Browser, csrf_of, enrolled_user


def _sessions(db, stage="full"):
    table = WebSession.__table__
    with db.session() as session:
        return session.exec(select(table.c.id).where(table.c.stage == stage)).all()


def _actions(db, action):
    with db.session() as session:
        return web_audit.list_entries(session, action=action, limit=100)


def test_password_then_totp_signs_in_and_rotates_the_session(settings, db, browser, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    first = browser.password("sofia")
    assert first.status_code == 302 and first.location.endswith("/login/code")
    pending_token = browser.cookie()
    assert pending_token
    assert browser.get("/dashboard").location.startswith("/login")  # half signed in is not signed in
    done = browser.code(code_at(seed, clock()))
    assert done.status_code == 302 and done.location.endswith("/dashboard")
    full_token = browser.cookie()
    assert full_token and full_token != pending_token  # a new session id after authentication
    assert browser.get("/dashboard").status_code == 200
    assert len(_sessions(db)) == 1 and _sessions(db, "totp") == []
    stale = Browser(browser.client.application, clock)
    stale.client.set_cookie("__Host-auditor-session", pending_token, domain="localhost")
    assert stale.get("/dashboard").status_code == 302  # the pre-login token is dead
    assert [e["action"] for e in _actions(db, "login")] == ["login"]


def test_session_cookie_flags(settings, db, browser, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    browser.password("sofia")
    response = browser.code(code_at(seed, clock()))
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("__Host-auditor-session="))
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Domain" not in header and "Expires" not in header  # a browser-session cookie, host-only


def test_wrong_password_and_unknown_user_look_the_same(settings, db, browser):
    enrolled_user(settings, db, "sofia", "security_officer")
    wrong = browser.password("sofia", "not the password at all")
    unknown = browser.password("nobody", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password." in wrong.text and "Wrong username or password." in unknown.text
    reasons = sorted(e["detail"]["reason"] for e in _actions(db, "login_failed"))
    assert reasons == ["unknown user", "wrong password"]


def test_a_code_is_accepted_once_and_a_reuse_is_logged_and_shown(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    code = code_at(seed, clock())
    first, second = Browser(app, clock), Browser(app, clock)
    first.password("sofia")
    assert first.code(code).status_code == 302
    clock.advance(10)  # same 30 s step, code still "valid" by time
    second.password("sofia")
    refused = second.code(code)
    assert refused.status_code == 401 and "already used" in refused.text
    assert len(_sessions(db)) == 1
    assert [e["outcome"] for e in _actions(db, "totp_replay")] == ["denied"]
    clock.advance(30)
    later = Browser(app, clock)
    later.password("sofia")
    ok = later.code(code_at(seed, clock()))
    assert ok.status_code == 302
    page = later.get(ok.location).text
    assert "attempt(s) to reuse one of your codes were rejected" in page


def test_an_older_step_is_refused_after_a_newer_one(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    previous = code_at(seed, clock().timestamp() - 30)  # still inside the one-step drift window
    one = Browser(app, clock)
    one.password("sofia")
    assert one.code(code_at(seed, clock())).status_code == 302
    two = Browser(app, clock)
    two.password("sofia")
    assert two.code(previous).status_code == 401  # older than the last accepted step


def test_drift_of_one_step_is_accepted_two_is_not(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    late = Browser(app, clock)
    late.password("sofia")
    assert late.code(code_at(seed, clock().timestamp() + 30)).status_code == 302
    clock.advance(90)
    early = Browser(app, clock)
    early.password("sofia")
    assert early.code(code_at(seed, clock().timestamp() - 60)).status_code == 401


def test_attempts_are_throttled_per_account_across_sessions_then_locked(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    limit = settings.web.max_failed_logins
    for attempt in range(limit):
        assert Browser(app, clock).password("sofia", f"guess number {attempt}").status_code == 401
    locked = Browser(app, clock).password("sofia")  # even the right password is refused now
    assert locked.status_code == 429
    assert re.search(r"locked until \d\d:\d\d UTC", locked.text)
    assert _actions(db, "account_locked")
    clock.advance(settings.web.lockout_minutes * 60 - 1)
    assert Browser(app, clock).password("sofia").status_code == 429
    clock.advance(2)
    after = Browser(app, clock)
    assert after.password("sofia").status_code == 302
    assert after.code(code_at(seed, clock())).status_code == 302


def test_unknown_usernames_are_locked_the_same_way(app, clock, settings):
    for attempt in range(settings.web.max_failed_logins):
        assert Browser(app, clock).password("ghost", f"guess {attempt}").status_code == 401
    assert Browser(app, clock).password("ghost", "another guess").status_code == 429


def test_wrong_totp_codes_count_towards_the_lock(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    browser = Browser(app, clock)
    browser.password("sofia")  # a right password is not a failure
    good = code_at(seed, clock())
    bad = f"{(int(good) + 1) % 1_000_000:06d}"
    for _ in range(settings.web.max_failed_logins):
        assert browser.code(bad).status_code == 401
    assert browser.code(good).status_code == 429


def test_a_complete_sign_in_clears_the_counter(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    for attempt in range(settings.web.max_failed_logins - 1):
        Browser(app, clock).password("sofia", f"guess number {attempt}")
    assert Browser(app, clock).login("sofia", seed).status_code == 302
    clock.advance(30)
    for attempt in range(settings.web.max_failed_logins - 1):
        assert Browser(app, clock).password("sofia", f"guess again {attempt}").status_code == 401
    assert Browser(app, clock).login("sofia", seed).status_code == 302


def _enrol(browser):
    """Walk the enrolment page; returns (secret shown, response of the confirmation)."""
    page = browser.get("/login/enrol")
    assert page.status_code == 200 and '<svg class="qr"' in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    return secret, page


def test_enrolment_shows_a_local_qr_code_and_needs_a_first_valid_code(settings, db, app, clock):
    web_users.add_user(db, "newbie", "auditor", PASSWORD)
    browser = Browser(app, clock)
    assert browser.password("newbie").location.endswith("/login/enrol")
    secret, page = _enrol(browser)
    assert re.search(r'(src|href)="https?://', page.text) is None  # nothing loaded from elsewhere
    assert str(qr_svg(provisioning_uri(secret, "newbie", "auditor"))) in page.text  # the QR encodes this URI
    assert _enrol(browser)[0] == secret  # reloading keeps the same pending seed
    bad = browser.client.post(
        "/login/enrol", data={"code": "000000", "csrf_token": csrf_of(page.text)}, base_url="https://localhost"
    )
    assert bad.status_code == 401 and browser.get("/people").status_code == 302
    done = browser.client.post(
        "/login/enrol",
        data={"code": code_at(secret, clock()), "csrf_token": csrf_of(page.text)},
        base_url="https://localhost",
    )
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", done.text)
    assert len(codes) == 10
    assert browser.get("/people").status_code == 200  # auditor role: signed in
    users = WebUser.__table__
    with db.session() as session:
        row = session.exec(select(users).where(users.c.username == "newbie")).mappings().one()
    assert row["totp_pending_enc"] is None and secret not in row["totp_secret_enc"]
    assert row["totp_last_step"] == int(clock().timestamp()) // 30
    # the first code cannot be replayed at the next sign-in
    again = Browser(app, clock)
    again.password("newbie")
    assert again.code(code_at(secret, clock())).status_code == 401


def test_recovery_codes_work_once(settings, db, app, clock):
    web_users.add_user(db, "newbie", "auditor", PASSWORD)
    browser = Browser(app, clock)
    browser.password("newbie")
    secret, page = _enrol(browser)
    done = browser.client.post(
        "/login/enrol",
        data={"code": code_at(secret, clock()), "csrf_token": csrf_of(page.text)},
        base_url="https://localhost",
    )
    code = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", done.text)[3]
    first = Browser(app, clock)
    first.password("newbie")
    ok = first.code(code.upper().replace("-", " "), method="recovery")
    assert ok.status_code == 302
    assert "9 left" in first.get(ok.location).text
    second = Browser(app, clock)
    second.password("newbie")
    assert second.code(code, method="recovery").status_code == 401


def test_idle_and_absolute_timeouts(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    browser = Browser(app, clock)
    browser.login("sofia", seed)
    clock.advance(settings.web.session_idle_minutes * 60 - 5)
    assert browser.get("/dashboard").status_code == 200  # activity moves the idle deadline
    clock.advance(settings.web.session_idle_minutes * 60 + 1)
    assert browser.get("/dashboard").status_code == 302
    assert _sessions(db) == []
    clock.advance(30)
    browser = Browser(app, clock)
    browser.login("sofia", seed)
    started = clock()
    lifetime = timedelta(hours=settings.web.session_absolute_hours)
    while clock() + timedelta(minutes=20) < started + lifetime:
        clock.advance(20 * 60)
        assert browser.get("/people").status_code == 200  # active, never idle
    clock.advance(20 * 60)
    assert browser.get("/people").status_code == 302  # but past the absolute lifetime


def test_pending_sign_in_expires(settings, db, app, clock):
    enrolled_user(settings, db, "sofia", "security_officer")
    browser = Browser(app, clock)
    browser.password("sofia")
    clock.advance(settings.web.pending_login_minutes * 60 + 1)
    assert browser.get("/login/code").location.endswith("/login")


def test_logout_and_logout_everywhere(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    laptop, tablet = Browser(app, clock), Browser(app, clock)
    laptop.login("sofia", seed)
    clock.advance(30)
    tablet.login("sofia", seed)
    assert len(_sessions(db)) == 2
    tablet.post("/logout", token_from="/account")
    assert tablet.get("/dashboard").status_code == 302 and len(_sessions(db)) == 1
    clock.advance(30)
    tablet.login("sofia", seed)
    out = laptop.post("/account/logout-everywhere")
    assert out.status_code == 302
    assert laptop.get("/dashboard").status_code == 302 and tablet.get("/dashboard").status_code == 302
    assert _sessions(db) == []


def test_disabling_a_user_ends_all_their_sessions_at_once(settings, db, app, clock):
    seed = enrolled_user(settings, db, "hanna", "hr")
    enrolled_user(settings, db, "root", "admin")
    one, two = Browser(app, clock), Browser(app, clock)
    one.login("hanna", seed)
    clock.advance(30)
    two.login("hanna", seed)
    assert one.get("/people").status_code == 200
    assert web_users.disable_user(db, "hanna") == 2
    assert one.get("/people").status_code == 302 and two.get("/people").status_code == 302
    clock.advance(30)
    assert Browser(app, clock).password("hanna").status_code == 401


def test_without_secure_cookies_the_names_lose_the_host_prefix(settings, db, clock):
    from auditor.web import create_app

    plain = settings.model_copy(update={"web": settings.web.model_copy(update={"cookie_secure": False})})
    app = create_app(plain, clock=clock)
    try:
        seed = enrolled_user(plain, db, "sofia", "security_officer")
        browser = Browser(app, clock)
        token = csrf_of(browser.client.get("/login").text)
        first = browser.client.post("/login", data={"username": "sofia", "password": PASSWORD, "csrf_token": token})
        cookie = next(h for h in first.headers.getlist("Set-Cookie") if h.startswith("auditor-session="))
        assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        token = csrf_of(browser.client.get("/login/code").text)
        done = browser.client.post("/login/code", data={"code": code_at(seed, clock()), "csrf_token": token})
        assert done.status_code == 302 and "Strict-Transport-Security" not in done.headers
    finally:
        app.extensions["auditor"].db.dispose()
