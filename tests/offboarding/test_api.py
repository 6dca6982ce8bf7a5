"""``POST /api/offboarding`` end to end: Flask blueprint -> service -> database, with the Meta emulator over
HTTP. Refused requests write nothing; a replay answers with the existing case and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from flask import Flask

from auditor.config import load_settings
from auditor.demo.workspace import run_demo
from auditor.offboarding.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from auditor.services.queries import person_report
from auditor.storage.db import open_database
from auditor.web.offboarding_api import bp
from tests.offboarding.conftest import LEAVER, NOW, PLATFORM, SECRET, leaver_body, signed


def _post(api, body, headers):
    return api.post("/api/offboarding", data=body, headers=headers)


def test_a_signed_webhook_opens_a_case_and_finds_the_leavers_access(api, hr):
    body, headers = signed(leaver_body(manager="mwrobel"))
    answer = _post(api, body, headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.headers["Cache-Control"] == "no-store"
    data = answer.get_json()
    assert data["created"] is True and data["replayed"] is False and data["event_id"] == "evt-1"
    case = data["case"]
    assert case["uid"] == LEAVER and case["display_name"] == "Karolina Szymańska"
    assert case["status"] == "open" and case["source"] == "webhook" and case["manager"] == "mwrobel"
    assert case["last_working_day"] == "2026-10-30"
    assert case["deadline"] == "2026-11-03T00:00:00+00:00"  # end of Monday, the next business day
    assert [p["status"] for p in case["platforms"]] == ["complete"]
    user = hr.user_id(LEAVER)
    held = {(i["kind"], i["account_id"], i["detail"].get("asset_name")) for i in case["items"]}
    assert ("account", user, None) in held
    assert {name for kind, _, name in held if kind == "grant"} == {
        None, "Kwiatek Sklep", "Targi Kwiatowe Poznań", "Kwiatek – Brand", "kwiatek.sklep"}
    assert {i["state"] for i in case["items"]} == {"present"}
    assert all(i["platform"] == PLATFORM for i in case["items"])
    assert case["counts"] == {"present": 6, "gone": 0, "unverified": 0}
    lookups = [r.path for r in hr.emulator.requests if r.path.startswith(f"/{user}/")]
    assert lookups, "the targeted check reads the leaver's per-user views"
    assert not any(r.path.endswith("/activities") for r in hr.emulator.requests), "no full scan"


def test_a_webhook_by_email_alias_finds_the_person(api, hr):
    body, headers = signed({"event_id": "evt-mail", "email": "Karolina.Szymanska@kwiatek-shop.example",
                            "last_working_day": "2026-10-30"})
    answer = _post(api, body, headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["case"]["uid"] == LEAVER


def test_a_replayed_event_answers_with_the_existing_case_and_changes_nothing(api, hr):
    body, headers = signed(leaver_body())
    first = _post(api, body, headers).get_json()
    before = hr.rows()
    requests_before = len(hr.emulator.requests)
    again = _post(api, body, headers)
    assert again.status_code == 200
    data = again.get_json()
    assert data["replayed"] is True and data["created"] is False
    assert data["case"]["id"] == first["case"]["id"]
    assert data["case"]["checks"] == 1
    assert hr.rows() == before
    assert len(hr.emulator.requests) == requests_before, "a replay does not even re-check"


def test_a_second_event_for_an_open_case_returns_it(api, hr):
    first = _post(api, *signed(leaver_body("evt-1"))).get_json()
    second = _post(api, *signed(leaver_body("evt-2", last_working_day="2026-10-31")))
    assert second.status_code == 200
    assert second.get_json()["case"]["id"] == first["case"]["id"]
    assert hr.rows()["offboarding_case"] == 1
    assert hr.rows()["offboarding_event"] == 2


def _tamper(headers, **changes):
    return {**headers, **changes}


@pytest.mark.parametrize(("case", "status", "message"), [
    ("unsigned", 401, "missing X-Auditor-Signature"),
    ("no timestamp", 401, "missing X-Auditor-Timestamp"),
    ("wrong secret", 401, "signature does not match"),
    ("body changed", 401, "signature does not match"),
    ("timestamp changed", 401, "signature does not match"),
    ("stale", 401, "stale or replayed"),
    ("from the future", 401, "stale or replayed"),
    ("not json", 400, "body: not valid JSON"),
    ("json array", 400, "a JSON object is expected"),
    ("no employee", 422, "uid: name the employee"),
    ("bad date", 422, "last_working_day:"),
    ("unknown field", 422, "lastday: Extra inputs are not permitted"),
    ("unknown person", 422, "uid: no person 'nobody'"),
    ("not json content", 415, "Content-Type"),
])
def test_refused_webhooks_write_nothing(api, hr, case, status, message):
    body, headers = signed(leaver_body())
    if case == "unsigned":
        headers.pop(SIGNATURE_HEADER)
    elif case == "no timestamp":
        headers.pop(TIMESTAMP_HEADER)
    elif case == "wrong secret":
        body, headers = signed(leaver_body(), secret="not-the-secret")
    elif case == "body changed":
        body = body.replace(b"2026-10-30", b"2026-12-30")
    elif case == "timestamp changed":
        headers[TIMESTAMP_HEADER] = str(int(NOW.timestamp()) - 10)
    elif case == "stale":
        body, headers = signed(leaver_body(), at=NOW - timedelta(seconds=301))
    elif case == "from the future":
        body, headers = signed(leaver_body(), at=NOW + timedelta(seconds=301))
    elif case == "not json":
        body, headers = signed(b"uid=kszymanska")
    elif case == "json array":
        body, headers = signed(b"[1, 2]")
    elif case == "no employee":
        body, headers = signed({"event_id": "e", "last_working_day": "2026-10-30"})
    elif case == "bad date":
        body, headers = signed(leaver_body(last_working_day="30.10.2026"))
    elif case == "unknown field":
        body, headers = signed({**leaver_body(), "lastday": "x"})
    elif case == "unknown person":
        body, headers = signed(leaver_body(uid="nobody"))
    elif case == "not json content":
        headers["Content-Type"] = "text/plain"
    before = hr.rows()
    answer = _post(api, body, headers)
    assert answer.status_code == status
    data = answer.get_json()
    assert message in data["error"]
    if status == 422:
        assert data["field"] == data["error"].split(":")[0]
    assert hr.rows() == before
    assert hr.emulator.requests == [], "nothing was checked either"


def test_a_fresh_request_at_the_edge_of_the_tolerance_passes(api):
    body, headers = signed(leaver_body(), at=NOW - timedelta(seconds=299))
    assert _post(api, body, headers).status_code == 201


def test_an_oversized_body_is_refused(api, hr):
    body, headers = signed({**leaver_body(), "manager": "x" * 70_000})
    answer = _post(api, body, headers)
    assert answer.status_code == 413
    assert hr.rows()["offboarding_case"] == 0


def test_without_a_configured_secret_the_webhook_is_unavailable(api, hr, monkeypatch):
    monkeypatch.delenv("AUDITOR_HR_WEBHOOK_SECRET")
    secrets = hr.settings.resolve_path(hr.settings.secrets_file)
    kept = [line for line in secrets.read_text().splitlines() if not line.startswith("AUDITOR_HR_WEBHOOK_SECRET=")]
    secrets.write_text("\n".join(kept) + "\n")
    answer = _post(api, *signed(leaver_body()))
    assert answer.status_code == 503
    assert "not configured" in answer.get_json()["error"]
    assert "AUDITOR_HR_WEBHOOK_SECRET" not in answer.get_data(as_text=True)
    assert hr.rows()["offboarding_case"] == 0


def test_the_view_is_public_and_csrf_exempt_for_the_guard():
    from auditor.web.guard import CSRF_EXEMPT_ATTR, PERMISSION_ATTR, PUBLIC
    from auditor.web.offboarding_api import receive

    assert getattr(receive, PERMISSION_ATTR) == PUBLIC
    assert getattr(receive, CSRF_EXEMPT_ATTR) is True


def test_the_answer_is_json_with_the_case(api):
    answer = _post(api, *signed(leaver_body()))
    assert answer.mimetype == "application/json"
    assert json.loads(answer.get_data())["case"]["items"]



def test_on_the_whole_demo_the_webhook_finds_the_leaver_on_every_platform(tmp_path, monkeypatch):
    """The demo workspace as ``auditor demo`` makes it (every sandbox platform, scanned once): the case names
    an item on each platform where the last scan saw the leaver, each confirmed by the live check."""
    monkeypatch.setenv("AUDITOR_HR_WEBHOOK_SECRET", SECRET)
    _summary, config = run_demo(tmp_path / "demo")
    settings = load_settings(config)
    held = {account["platform"] for account in person_report(settings, LEAVER)["accounts"]}
    assert len(held) >= 5, held
    app = Flask("demo")
    app.register_blueprint(bp)
    now = datetime.now(UTC)
    db = open_database(settings.storage_url)
    try:
        app.extensions["auditor"] = SimpleNamespace(settings=settings, db=db, now=lambda: now)
        body, headers = signed(leaver_body(), at=now)
        answer = app.test_client().post("/api/offboarding", data=body, headers=headers)
    finally:
        db.dispose()
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()["case"]
    assert {p["status"] for p in case["platforms"]} == {"complete"}
    assert len(case["platforms"]) == len(settings.platform)
    assert {i["platform"] for i in case["items"] if i["state"] == "present"} == held
    assert {i["last_checked_at"] for i in case["items"]} == {now.isoformat()}
