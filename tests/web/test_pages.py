"""Pages: dashboard, people, platforms, scans, administration and the audit trail; plus the guard's headers,
CSRF, error pages and redirects."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts import users as web_users
from auditor.accounts.crypto import load_web_keys
from auditor.accounts.tables import WebUser
from auditor.accounts.totp import code_at
from auditor.dates import format_when
from auditor.model import CATEGORIES
from auditor.storage.tables import DirectoryPerson, Finding, InvAccount
from auditor.web.guard import csrf_exempt, public, requires
from tests.web.conftest import BASE_URL, PASSWORD, Browser, csrf_of, enrolled_user

_F = Finding.__table__


def _signed_in(settings, db, app, clock, username, role):
    seed = enrolled_user(settings, db, username, role)
    browser = Browser(app, clock)
    response = browser.login(username, seed)
    assert response.status_code == 302
    return browser, response


def test_dashboard_counts_match_the_database(settings, db, app, clock):
    browser, landing = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    assert landing.location.endswith("/dashboard")
    page = browser.get("/dashboard").text
    with db.session() as session:
        is_open = (_F.c.status == "open", _F.c.outcome != "coverage")  # coverage notes: shown apart, not counted
        total = session.exec(select(func.count()).select_from(_F).where(*is_open)).scalar_one()
        by_category = dict(
            session.exec(select(_F.c.category, func.count()).where(*is_open).group_by(_F.c.category)).all()
        )
        notes = session.exec(select(func.count()).where(_F.c.status == "open", _F.c.outcome == "coverage")).scalar_one()
    assert f'<span class="num">{total}</span> open findings' in page
    for category, count in by_category.items():
        assert category in CATEGORIES
        assert re.search(rf">{category.replace('_', ' ')}</a></td><td class=\"num\">{count}</td>", page)
    assert page.count('<svg class="chart"') == 4  # severity, trend, category, platform
    assert "What changed in the latest scan (#1)" in page and f"<h3>New: {total}</h3>" in page
    assert notes and page.count('class="coverage-platform"') >= 1 and "Kwiatek on Meta</h3>" in page
    assert "Next scheduled scan: none scheduled" in page


def test_hr_lands_on_people_and_sees_offboarding_state(settings, db, app, clock):
    browser, landing = _signed_in(settings, db, app, clock, "hanna", "hr")
    assert landing.location.endswith("/people")
    acc, people = InvAccount.__table__, DirectoryPerson.__table__
    with db.session() as session:
        leaver = session.exec(
            select(people.c.uid)
            .join(acc, acc.c.person_uid == people.c.uid)
            .where(people.c.status != "active", acc.c.gone_at.is_(None))
        ).first()[0]
    listing = browser.get("/people?status=departed").text
    assert "(access remains)" in listing
    detail = browser.get(f"/people/{leaver}").text
    assert 'class="offboarding offboarding-access_remains"' in detail and "still holds" in detail
    assert browser.get("/people/nobody-with-this-uid").status_code == 404
    assert browser.get("/dashboard").status_code == 403


def test_people_search(settings, db, app, clock):
    browser, _ = _signed_in(settings, db, app, clock, "adam", "auditor")
    people = DirectoryPerson.__table__
    with db.session() as session:
        uid, name = session.exec(select(people.c.uid, people.c.display_name).limit(1)).one()
    found = browser.get(f"/people?q={name.split()[0]}").text
    assert f'href="/people/{uid}"' in found
    assert "Nobody matches." in browser.get("/people?q=zzzz-no-such-person").text
    assert browser.get("/people?q=%25").status_code == 200  # a LIKE wildcard is searched for literally


def test_platforms_show_tenants_gaps_and_accounts(settings, db, app, clock):
    browser, _ = _signed_in(settings, db, app, clock, "adam", "auditor")
    overview = browser.get("/platforms").text
    assert "Kwiatek on Meta" in overview
    link = re.search(r'href="(/platforms/tenant\?[^"]+)"', overview).group(1).replace("&amp;", "&")
    tenant = browser.get(link).text
    assert "What this platform does not tell us" in tenant and "app scopes are known only" in tenant
    assert "Accounts" in tenant and "privileged" in tenant
    assert browser.get("/platforms/tenant?platform=nope&tenant=x").status_code == 404


def test_scans_history_and_start(settings, db, app, clock, scan_calls):
    browser, _ = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    page = browser.get("/scans").text
    assert "#1" in page and "Kwiatek on Meta: complete" in page
    response = browser.post("/scans/start", token_from="/scans")
    assert response.status_code == 302
    app.extensions["auditor"].launcher.join(5)
    assert len(scan_calls.calls) == 1
    with db.session() as session:
        assert [e["action"] for e in web_audit.list_entries(session, action="scan_started")] == ["scan_started"]


def test_admin_manages_users_and_cannot_remove_the_last_admin(settings, db, app, clock):
    browser, _ = _signed_in(settings, db, app, clock, "root", "admin")
    added = browser.post(
        "/admin/users",
        {
            "username": "Olga",
            "display_name": "Olga K",
            "role": "security_officer",
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
        token_from="/admin/users",
    )
    assert added.status_code == 302
    page = browser.get("/admin/users").text
    assert 'id="user-olga"' in page and "two-factor not set up" in page
    weak = browser.post(
        "/admin/users",
        {"username": "weak", "role": "hr", "password": "short", "confirm_password": "short"},
        token_from="/admin/users",
    )
    assert "password too short" in browser.get(weak.location).text
    refused = browser.post("/admin/users/root/disable", token_from="/admin/users")
    assert "last enabled administrator" in browser.get(refused.location).text
    assert browser.post("/admin/users/olga/role", {"role": "auditor"}).status_code == 302
    assert browser.post("/admin/users/olga/disable").status_code == 302
    with db.session() as session:
        olga = web_users.get_user(session, "olga")
        trail = [e["action"] for e in web_audit.list_entries(session, target_kind="user", target_id="olga")]
    assert olga.disabled and olga.role == "auditor"
    assert trail == ["user_disabled", "role_changed", "user_added"]
    assert browser.post("/admin/users/olga/explode").status_code == 404


def test_admin_reset_of_two_factor_sends_the_user_back_to_enrolment(settings, db, app, clock):
    admin, _ = _signed_in(settings, db, app, clock, "root", "admin")
    user, _ = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    assert admin.post("/admin/users/sofia/reset-2fa", token_from="/admin/users").status_code == 302
    assert user.get("/dashboard").status_code == 302  # sessions ended
    assert Browser(app, clock).password("sofia").location.endswith("/login/enrol")


def test_audit_trail_is_shown_to_admins_and_cannot_be_edited(settings, db, app, clock):
    browser, _ = _signed_in(settings, db, app, clock, "root", "admin")
    Browser(app, clock).password("root", "wrong password here")
    page = browser.get("/admin/audit").text
    assert "login failed" in page and "password accepted" in page
    filtered = browser.get("/admin/audit?action=login_failed").text
    assert filtered.count('<tr class="attention">') == 1
    methods = {m for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin/audit") for m in rule.methods}
    assert methods <= {"GET", "HEAD", "OPTIONS"}


def test_security_headers_on_pages_and_static_files(browser):
    for path in ("/login", "/static/style.css"):
        response = browser.get(path)
        response.close()
        headers = response.headers
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "script-src 'self';" in headers["Content-Security-Policy"]  # static files only, nothing inline
        assert "unsafe" not in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert browser.get("/login").headers["Cache-Control"] == "no-store"


def test_pages_contain_no_inline_scripts_or_styles(settings, db, app, clock):
    browser, _ = _signed_in(settings, db, app, clock, "root", "admin")
    for path in (
        "/dashboard",
        "/findings",
        "/findings/1",
        "/people",
        "/platforms",
        "/scans",
        "/admin/users",
        "/admin/audit",
        "/account",
    ):
        html = browser.get(path).text
        assert "<script" not in html and " style=" not in html and "<style" not in html, path


def test_forms_without_a_valid_csrf_token_are_refused(settings, db, app, clock):
    browser, _ = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    missing = browser.client.post("/findings/1/acknowledge", base_url=BASE_URL)
    forged = browser.client.post("/findings/1/acknowledge", data={"csrf_token": "0" * 64}, base_url=BASE_URL)
    assert missing.status_code == forged.status_code == 400
    assert "form expired" in missing.text
    other, _ = _signed_in(settings, db, app, clock, "olga", "security_officer")
    stolen = csrf_of(other.get("/account").text)  # another session's token
    assert (
        browser.client.post("/findings/1/acknowledge", data={"csrf_token": stolen}, base_url=BASE_URL).status_code
        == 400
    )
    cross = browser.client.post(
        "/findings/1/acknowledge",
        data={"csrf_token": csrf_of(browser.get("/account").text)},
        headers={"Sec-Fetch-Site": "cross-site"},
        base_url=BASE_URL,
    )
    assert cross.status_code == 403
    anonymous = Browser(app, clock)
    assert (
        anonymous.client.post("/login", data={"username": "x", "password": "y"}, base_url=BASE_URL).status_code == 400
    )


def test_errors_show_no_stack_trace(settings, db, app, clock):
    def boom():
        raise RuntimeError("secret internals: token=abc123")

    app.add_url_rule("/boom", "boom", requires("account")(boom))
    browser, _ = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    response = browser.get("/boom")
    assert response.status_code == 500
    assert (
        "Traceback" not in response.text and "abc123" not in response.text and "The error was logged" in response.text
    )
    assert browser.get("/no-such-page").status_code == 404


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_next_never_leaves_the_site(settings, db, app, clock, target):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    browser = Browser(app, clock)
    token = csrf_of(browser.get("/login").text)
    first = browser.client.post(
        "/login",
        data={"username": "sofia", "password": PASSWORD, "csrf_token": token, "next": target},
        base_url=BASE_URL,
    )
    assert "evil" not in first.location
    done = browser.code(code_at(seed, clock()))
    assert done.location == "/dashboard"


def test_next_returns_to_the_requested_page(settings, db, app, clock):
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    browser = Browser(app, clock)
    bounce = browser.get("/findings?severity=high")
    assert bounce.status_code == 302 and "next=" in bounce.location
    login_page = browser.get(bounce.location).text
    token = csrf_of(login_page)
    nxt = re.search(r'name="next" value="([^"]+)"', login_page).group(1).replace("&amp;", "&")
    first = browser.client.post(
        "/login", data={"username": "sofia", "password": PASSWORD, "csrf_token": token, "next": nxt}, base_url=BASE_URL
    )
    token = csrf_of(browser.get(first.location).text)
    done = browser.client.post(
        "/login/code", data={"code": code_at(seed, clock()), "csrf_token": token, "next": nxt}, base_url=BASE_URL
    )
    assert done.location == "/findings?severity=high"


def test_account_password_change_keeps_this_session_and_ends_the_others(settings, db, app, clock):
    browser, _ = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    clock.advance(30)
    other = Browser(app, clock)  # the same user on a second device
    users = WebUser.__table__
    with db.session() as session:
        row = session.exec(select(users).where(users.c.username == "sofia")).mappings().one()
    seed_other = load_web_keys(settings).seed_cipher.decrypt(row["totp_secret_enc"], row["id"])
    other.password("sofia")
    other.code(code_at(seed_other, clock()))
    wrong = browser.post(
        "/account/password",
        {
            "password": "not it at all",
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert "current password is not correct" in browser.get(wrong.location).text
    done = browser.post(
        "/account/password",
        {"password": PASSWORD, "new_password": "a brand new passphrase", "confirm_password": "a brand new passphrase"},
    )
    assert "Password changed" in browser.get(done.location).text
    assert other.get("/dashboard").status_code == 302
    assert Browser(app, clock).password("sofia").status_code == 401
    assert Browser(app, clock).password("sofia", "a brand new passphrase").status_code == 302
    codes = browser.post("/account/recovery-codes", {"password": "a brand new passphrase"})
    assert len(re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", codes.text)) == 10


def test_csrf_exemption_applies_to_public_machine_endpoints_only(settings, db, app, clock):
    app.add_url_rule("/hook", "hook", public(csrf_exempt(lambda: "ok")), methods=["POST"])
    app.add_url_rule("/sneaky", "sneaky", requires("account")(csrf_exempt(lambda: "changed")), methods=["POST"])
    browser, _ = _signed_in(settings, db, app, clock, "sofia", "security_officer")
    assert Browser(app, clock).client.post("/hook", base_url=BASE_URL).status_code == 200
    assert browser.client.post("/sneaky", base_url=BASE_URL).status_code == 400  # signed-in views keep CSRF


def test_dashboard_shows_the_next_scheduled_scan(settings, db, app, clock):
    from datetime import timedelta

    from sqlalchemy import inspect, text

    soon = clock() + timedelta(hours=3)
    with db.session(write=True) as session:
        if not inspect(db.engine).has_table("apscheduler_jobs"):  # APScheduler's SQLAlchemy job store table
            session.exec(
                text(
                    "CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY, next_run_time FLOAT, "
                    "job_state BLOB NOT NULL)"
                )
            )
        session.exec(
            text("INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (:i, :t, :s)"),
            params={"i": "report:audit", "t": (clock() + timedelta(hours=1)).timestamp(), "s": b"x"},
        )
        session.exec(
            text("INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (:i, :t, :s)"),
            params={"i": "scan:Kwiatek on Meta", "t": soon.timestamp(), "s": b"x"},
        )
    browser, _ = _signed_in(settings, db, app, clock, "adam", "auditor")
    assert f"Next scheduled scan: {format_when(soon, tz=settings.timezone)}" in browser.get("/dashboard").text
