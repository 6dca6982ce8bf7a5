"""Hardening of the signed-in user's own account and of the pages' edges: re-authentication for sensitive
self-service actions (password, recovery codes) sharing the sign-in throttle and audited; bounded login-throttle
rows; the audit trail shown only to roles that may read it; query values that only look like digits."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts import login as web_login
from auditor.accounts.tables import WebLoginThrottle
from auditor.storage.tables import Finding
from tests.web.conftest import PASSWORD, Browser, enrolled_user

NEW = "a brand new passphrase"
CODE_RE = re.compile(r"<li><code>([a-z2-7-]{19})</code></li>")


def _signed_in(settings, db, app, clock, username="sofia", role="security_officer"):
    seed = enrolled_user(settings, db, username, role)
    browser = Browser(app, clock)
    assert browser.login(username, seed).status_code == 302
    return browser


def _actions(db, action, actor=None):
    with db.session() as session:
        return web_audit.list_entries(session, action=action, actor=actor, limit=500)


def _change(browser, current):
    return browser.post("/account/password", {"password": current, "new_password": NEW, "confirm_password": NEW})


def test_guessing_the_current_password_from_a_session_is_throttled_locked_and_audited(settings, db, app, clock):
    browser = _signed_in(settings, db, app, clock)
    limit = settings.web.max_failed_logins
    for attempt in range(limit):
        wrong = _change(browser, f"guess number {attempt}")
        assert "current password is not correct" in browser.get(wrong.location).text
    locked = _change(browser, PASSWORD)  # the right one, after `limit` wrong ones: refused, session ended
    assert locked.status_code == 302 and "/login" in locked.location
    assert browser.get("/account").status_code == 302  # signed out
    assert Browser(app, clock).password("sofia").status_code == 429  # the lock is the sign-in lock
    assert Browser(app, clock).password("sofia", NEW).status_code == 429
    failures = _actions(db, "reauth_failed", "sofia")
    assert len(failures) == limit and {f["detail"]["for"] for f in failures} == {"password_change"}
    assert _actions(db, "account_locked", "sofia") and not _actions(db, "password_changed")
    clock.advance(settings.web.lockout_minutes * 60 + 1)
    assert Browser(app, clock).password("sofia").status_code == 302  # the password was never changed


def test_new_recovery_codes_need_the_password(settings, db, app, clock):
    browser = _signed_in(settings, db, app, clock)
    refused = browser.post("/account/recovery-codes")
    assert refused.status_code == 302 and not CODE_RE.search(refused.text)
    assert "current password is not correct" in browser.get(refused.location).text
    assert not CODE_RE.findall(browser.post("/account/recovery-codes", {"password": "not it at all"}).text)
    assert not _actions(db, "recovery_codes_regenerated")
    made = browser.post("/account/recovery-codes", {"password": PASSWORD})
    assert len(CODE_RE.findall(made.text)) == 10
    assert [f["detail"]["for"] for f in _actions(db, "reauth_failed", "sofia")] == ["recovery_codes"] * 2
    assert len(_actions(db, "recovery_codes_regenerated", "sofia")) == 1
    page = browser.get("/account").text
    assert 'action="/account/recovery-codes"' in page
    form = page.split('action="/account/recovery-codes"')[1].split("</form>")[0]
    assert 'name="password"' in form and 'type="password"' in form


def _throttle_rows(db):
    with db.session() as session:
        return session.exec(select(func.count()).select_from(WebLoginThrottle.__table__)).scalar_one()


def test_unknown_names_leave_no_throttle_row_beyond_the_lockout_window(settings, db, app, clock):
    for number in range(40):
        assert Browser(app, clock).password(f"nobody-{number}", "guess").status_code == 401
    assert _throttle_rows(db) == 40  # counted while their window lasts
    clock.advance(settings.web.lockout_minutes * 60 + 1)
    assert Browser(app, clock).password("one-more", "guess").status_code == 401
    assert _throttle_rows(db) == 1  # the expired windows were purged by the next attempt


def test_purging_keeps_live_locks_and_recent_failures(settings, db, app, clock):
    for attempt in range(settings.web.max_failed_logins + 1):
        Browser(app, clock).password("ghost", f"guess {attempt}")
    clock.advance(60)
    Browser(app, clock).password("other", "guess")
    with db.session(write=True) as session:
        web_login.purge_throttle(session, clock(), settings.web)
    assert _throttle_rows(db) == 2
    assert Browser(app, clock).password("ghost", "again").status_code == 429


def test_the_finding_page_shows_the_audit_trail_only_to_roles_that_read_it(settings, db, app, clock):
    with db.session() as session:
        finding_id = session.exec(select(Finding.__table__.c.id)).first()[0]
    officer = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    assert officer.post(f"/findings/{finding_id}/comment", {"body": "looking"}, token_from=f"/findings/{finding_id}")
    for username, role, sees in (("sofia", None, False), ("ada", "admin", True), ("aude", "auditor", False)):
        browser = officer if role is None else _signed_in(settings, db, app, clock, username, role)
        page = browser.get(f"/findings/{finding_id}")
        assert page.status_code == 200
        assert ('id="actions-trail"' in page.text) is sees, username
        assert ("finding commented by sofia" in page.text) is sees, username
        clock.advance(timedelta(seconds=31).total_seconds())


def test_digit_lookalikes_in_page_numbers_and_bulk_ids_are_not_a_500(settings, db, app, clock):
    browser = _signed_in(settings, db, app, clock)
    for value in ("²", "١", "𝟗", "٣٤"):
        assert browser.get("/findings", query_string={"page": value}).status_code == 200
        answer = browser.post("/findings/bulk", {"action": "acknowledge", "ids": value}, token_from="/findings")
        assert answer.status_code < 500


def test_the_audit_trail_filter_takes_only_actions_the_trail_holds(settings, db, app, clock):
    admin = _signed_in(settings, db, app, clock, "ada", "admin")
    assert admin.get("/admin/audit", query_string={"action": "login"}).status_code == 200
    for bogus in ("no_such_action", "x" * 300, "login' OR 1=1"):
        assert admin.get("/admin/audit", query_string={"action": bogus}).status_code == 400
