"""The HR pages in the real web app (sign-in, roles, CSRF): HR opens a case with the button (or from the person
page) and sees the leaver's items; only a security officer can approve the proposed revocation, which then runs
and closes it; the administrator sees who may approve; the approver can check again; in the demo's sandbox an
approved revocation stays done for the next check and scan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask

from auditor.accounts import crypto as web_secrets
from auditor.config import load_settings
from auditor.demo.web_setup import ensure_web_secrets
from auditor.demo.workspace import HISTORY_LDIF, create_workspace
from auditor.services.directory_sync import sync_directory
from auditor.services.scan import run_scan
from auditor.storage.queries import person_holdings
from auditor.web import create_app
from tests.offboarding.conftest import LEAVER, NOW, PLATFORM, leaver_body, signed
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


def _opened_case(app: Flask) -> str:
    hanna = _signed_in(app, "hanna", "hr")
    opened = hanna.post("/offboarding/new", {"uid": LEAVER, "last_working_day": "2026-10-30"},
                        token_from="/offboarding/new")
    assert opened.status_code == 302, opened.text
    return opened.location


def test_the_admin_sees_who_may_approve_and_the_approver_can_check_again(app, hr):
    case_page = _opened_case(app)
    sam = _signed_in(app, "sam", "security_officer")
    ada = _signed_in(app, "ada", "admin")
    shown = ada.get(case_page)
    assert "remove user Karolina Szymańska" in shown.text
    assert "Approve and run" not in shown.text, "no dead button"
    assert "may be approved by sam" in shown.text
    assert ada.post("/offboarding/revocations/1", {"action": "approve"}, token_from=case_page).status_code == 403
    mine = sam.get(case_page)
    assert 'id="offboarding-check"' in mine.text and "Approve and run" in mine.text
    checked = sam.post(case_page + "/check", {}, token_from=case_page)
    assert checked.status_code == 302 and checked.location.endswith(case_page)
    assert "2 check(s)" in sam.get(case_page).text


def test_the_person_page_opens_an_offboarding_case_for_those_allowed(app, hr):
    hanna = _signed_in(app, "hanna", "hr")
    page = hanna.get(f"/people/{LEAVER}")
    assert page.status_code == 200 and f'href="/offboarding/new?uid={LEAVER}"' in page.text
    form = hanna.get(f"/offboarding/new?uid={LEAVER}")
    assert f'name="uid" value="{LEAVER}"' in form.text
    olga = _signed_in(app, "olga", "auditor")
    assert "Open offboarding case" not in olga.get(f"/people/{LEAVER}").text


@pytest.fixture
def sandbox_app(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The web app over a demo workspace whose Meta business is served by the sandbox (``sandbox://meta``):
    a new emulator for each check, as in ``auditor demo``."""
    monkeypatch.setattr(web_secrets, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(web_secrets, "_DUMMY_HASH", None)
    config = create_workspace(tmp_path / "ws", now=NOW)
    settings = load_settings(config)
    offboarding = settings.offboarding.model_copy(update={"evidence_report": False})
    settings = settings.model_copy(update={"platform": [p for p in settings.platform if p.name == PLATFORM],
                                           "offboarding": offboarding})
    assert settings.platform[0].base_url == "sandbox://meta" and PLATFORM in offboarding.revocation_platforms
    sync_directory(settings.model_copy(update={"directory": settings.directory.model_copy(
        update={"path": HISTORY_LDIF})}), now=NOW - timedelta(days=30))
    sync_directory(settings, now=NOW)
    ensure_web_secrets(settings)
    application = create_app(settings, clock=Clock())
    yield application
    application.extensions["auditor"].db.dispose()


def test_an_approved_revocation_is_seen_gone_by_the_next_check_and_scan(sandbox_app):
    settings = sandbox_app.extensions["auditor"].settings
    case_page = _opened_case(sandbox_app)
    sam = _signed_in(sandbox_app, "sam", "security_officer")
    assert "still present" in sam.get(case_page).text
    decided = sam.post("/offboarding/revocations/1", {"action": "approve", "reason": "leaver"}, token_from=case_page)
    assert decided.status_code == 302
    state = json.loads((settings.base_dir / "sandbox-state.json").read_text(encoding="utf-8"))
    assert [write[0] for write in state[PLATFORM]] == ["remove_person"]
    after = sam.get(case_page).text
    assert "closed (clean)" in after and "still present" not in after, "the emulator kept the deletion"
    summary = run_scan(settings, now=NOW + timedelta(hours=1))
    assert summary.status == "complete"
    with sandbox_app.extensions["auditor"].db.session() as session:
        holdings = person_holdings(session, LEAVER)
    assert not [a for a in holdings["accounts"] if a["platform"] == PLATFORM and a["kind"] == "user"]
