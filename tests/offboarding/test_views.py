"""The HR pages in the real web app (sign-in, roles, CSRF): HR opens a case with the button and sees the
leaver's items; only a security officer can approve the proposed revocation, which then runs and closes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from flask import Flask

from auditor.accounts import crypto as web_secrets
from auditor.demo.web_setup import ensure_web_secrets
from auditor.web import create_app
from tests.offboarding.conftest import LEAVER, leaver_body, signed
from tests.web.conftest import Browser, Clock, enrolled_user


@pytest.fixture
def app(hr, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The real web app over the workspace (it carries the offboarding pages and the signed HR endpoint)."""
    monkeypatch.setattr(web_secrets, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(web_secrets, "_DUMMY_HASH", None)
    ensure_web_secrets(hr.settings)
    application = create_app(hr.settings, clock=Clock())
    assert {"offboarding", "offboarding_api"} <= set(application.blueprints)
    yield application
    application.extensions["auditor"].db.dispose()


def _signed_in(app: Flask, username: str, role: str) -> Browser:
    db = app.extensions["auditor"].db
    seed = enrolled_user(app.extensions["auditor"].settings, db, username, role)
    browser = Browser(app, Clock())
    assert browser.login(username, seed).status_code == 302
    return browser


def test_hr_opens_a_case_and_a_security_officer_approves_the_revocation(app, hr):
    hanna = _signed_in(app, "hanna", "hr")
    assert hanna.get("/offboarding/new").status_code == 200
    opened = hanna.post("/offboarding/new", {"uid": LEAVER, "last_working_day": "2026-10-30"},
                        token_from="/offboarding/new")
    assert opened.status_code == 302, opened.text
    page = hanna.get(opened.location)
    assert page.status_code == 200
    assert "Offboarding of Karolina Szymańska" in page.text
    assert "page Kwiatek Sklep" in page.text and "still present" in page.text
    assert "remove user Karolina Szymańska" in page.text
    assert "Approve and run" not in page.text, "HR sees the proposal, not the decision"
    refused = hanna.post("/offboarding/revocations/1", {"action": "approve"}, token_from=opened.location)
    assert refused.status_code == 403
    assert not [r for r in hr.emulator.requests if r.method == "DELETE"]

    sam = _signed_in(app, "sam", "security_officer")
    shown = sam.get(opened.location)
    assert "Approve and run" in shown.text
    decided = sam.post("/offboarding/revocations/1", {"action": "approve", "reason": "leaver"},
                       token_from=opened.location)
    assert decided.status_code == 302 and decided.location.endswith(opened.location)
    closed = sam.get(opened.location)
    assert "closed (clean)" in closed.text and "still present" not in closed.text
    assert [r.method for r in hr.emulator.requests if r.method != "GET"] == ["DELETE"]
    listed = sam.get("/offboarding/?status=closed")
    assert "Karolina Szymańska" in listed.text


def test_a_form_without_its_csrf_token_is_refused(app, hr):
    hanna = _signed_in(app, "hanna", "hr")
    answer = hanna.client.post("/offboarding/new", data={"uid": LEAVER, "last_working_day": "2026-10-30"},
                               base_url="https://localhost")
    assert answer.status_code == 400
    assert hr.rows()["offboarding_case"] == 0


def test_an_auditor_reads_but_cannot_open(app, hr):
    olga = _signed_in(app, "olga", "auditor")
    assert olga.get("/offboarding/").status_code == 200
    assert olga.get("/offboarding/new").status_code == 403


def test_a_bad_form_names_the_field(app, hr):
    hanna = _signed_in(app, "hanna", "hr")
    answer = hanna.post("/offboarding/new", {"uid": LEAVER, "last_working_day": "30.10.2026"},
                        token_from="/offboarding/new")
    assert answer.status_code == 400
    assert "last_working_day: &#39;30.10.2026&#39; is not a date" in answer.text


def test_the_signed_webhook_passes_the_guard_without_session_or_csrf(app, hr):
    body, headers = signed(leaver_body(), at=app.extensions["auditor"].now())
    answer = app.test_client().post("/api/offboarding", data=body, headers=headers, base_url="https://localhost")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    unsigned = app.test_client().post("/api/offboarding", data=body, headers={"Content-Type": "application/json"},
                                      base_url="https://localhost")
    assert unsigned.status_code == 401
