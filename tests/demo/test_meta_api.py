"""The Meta Graph API emulator: routes, auth, paging, fields, filters, faults; and the test server."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from werkzeug.test import Client

from auditor.demo.faults import FaultPlan
from auditor.demo.meta.emulator import MetaEmulator
from auditor.demo.server import serve
from tests.connectors.meta_fixtures import (
    APP_ID,
    APP_SECRET,
    BUSINESS_ID,
    EXTRA_TOKEN,
    TOKEN,
    business,
    many_users,
)

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def emulator():
    data = business()
    data["business_users"] += many_users(60)  # 64 business users in all
    return MetaEmulator(data, TOKEN)


def get(emulator, path, query=None, headers=AUTH):
    response = Client(emulator).get(path, query_string=query or {}, headers=headers)
    return response.status_code, json.loads(response.get_data(as_text=True) or "null"), response


def test_business_node_honours_fields_and_any_version(emulator):
    status, body, _ = get(emulator, f"/v25.0/{BUSINESS_ID}", {"fields": "two_factor_type"})
    assert status == 200 and body == {"id": BUSINESS_ID, "two_factor_type": "admin_required"}
    status, body, _ = get(emulator, f"/v19.0/{BUSINESS_ID}")
    assert status == 200 and body == {"id": BUSINESS_ID, "name": "Kwiatek Test Shop"}


def test_missing_and_wrong_tokens_get_oauth_errors(emulator):
    status, body, _ = get(emulator, "/v25.0/me", headers={})
    assert status == 400 and body["error"]["code"] == 2500 and body["error"]["type"] == "OAuthException"
    status, body, response = get(emulator, "/v25.0/me", headers={"Authorization": "Bearer nope"})
    assert status == 400 and body["error"]["code"] == 190 and "fbtrace_id" in body["error"]
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_access_token_param_is_accepted_and_never_recorded(emulator):
    status, body, _ = get(emulator, "/v25.0/me", {"access_token": TOKEN, "fields": "id,name"}, headers={})
    assert status == 200 and body == {"id": "2001", "name": "Anna Admin"}
    get(emulator, "/v25.0/debug_token", {"input_token": EXTRA_TOKEN})
    assert [(r.method, r.path, r.token_source) for r in emulator.requests] == [
        ("GET", "/me", "query"), ("GET", "/debug_token", "header")]
    recorded = repr(emulator.requests)
    assert TOKEN not in recorded and EXTRA_TOKEN not in recorded


def test_paging_with_cursors_next_and_summary(emulator):
    status, first, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/business_users",
                           {"limit": "25", "summary": "total_count", "fields": "id,email"})
    assert status == 200 and len(first["data"]) == 25 and first["summary"] == {"total_count": 64}
    assert set(first["data"][0]) == {"id", "email"}
    assert set(first["paging"]["cursors"]) == {"before", "after"}
    nxt = urlsplit(first["paging"]["next"])
    assert (nxt.scheme, nxt.netloc, nxt.path) == ("http", "localhost", f"/v25.0/{BUSINESS_ID}/business_users")
    query = parse_qs(nxt.query)
    assert query["after"] == [first["paging"]["cursors"]["after"]] and query["limit"] == ["25"]
    seen = [u["id"] for u in first["data"]]
    after = first["paging"]["cursors"]["after"]
    while True:
        _, page, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/business_users", {"limit": "25", "after": after})
        seen += [u["id"] for u in page["data"]]
        after = page["paging"]["cursors"]["after"]
        if "next" not in page["paging"]:
            break
    assert len(page["data"]) == 14 and "after" in page["paging"]["cursors"] and "previous" in page["paging"]
    assert len(seen) == len(set(seen)) == 64


def test_limit_is_clamped_and_bad_cursor_rejected(emulator):
    _, body, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/business_users", {"limit": "5000"})
    assert len(body["data"]) == 64  # under the max of 100
    small = MetaEmulator(business(business_users=many_users(150)), TOKEN, max_limit=100)
    _, body, _ = get(small, f"/v25.0/{BUSINESS_ID}/business_users", {"limit": "5000"})
    assert len(body["data"]) == 100
    _, body, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/business_users")
    assert len(body["data"]) == 25  # default limit
    status, body, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/business_users", {"after": "!!notacursor"})
    assert status == 400 and body["error"]["code"] == 100


def test_pending_users_filter_by_email(emulator):
    _, body, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/pending_users", {"email": "EVE@kwiatek.example"})
    assert [p["id"] for p in body["data"]] == ["4001"]


def test_asset_edges_strip_nested_edges(emulator):
    _, body, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/owned_ad_accounts")
    assert [a["id"] for a in body["data"]] == ["act_6001"]
    assert "assigned_users" not in body["data"][0] and "activities" not in body["data"][0]


def test_assigned_users_requires_business_on_ad_accounts(emulator):
    status, body, _ = get(emulator, "/v25.0/act_6001/assigned_users")
    assert status == 400 and "business is required" in body["error"]["message"]
    status, body, _ = get(emulator, "/v25.0/act_6001/assigned_users", {"business": BUSINESS_ID})
    assert status == 200 and [u["id"] for u in body["data"]] == ["2001", "2002"]
    status, body, _ = get(emulator, "/v25.0/act_6001/assigned_users", {"business": "999"})
    assert status == 400
    status, body, _ = get(emulator, "/v25.0/5001/assigned_users", {"business": BUSINESS_ID})
    assert status == 400 and body["error"]["code"] in (190, 210)  # a Page answers a Page token only


def test_activities_since_until_newest_first(emulator):
    march_2 = "1709337600"  # 2024-03-02T00:00Z
    _, body, _ = get(emulator, "/v25.0/act_6001/activities", {"since": march_2})
    assert [e["event_type"] for e in body["data"]] == ["ad_account_remove_user_from_role",
                                                       "update_campaign_budget"]
    _, body, _ = get(emulator, "/v25.0/act_6001/activities", {"since": "2024-01-01", "until": "2024-03-10"})
    assert [e["event_time"][:10] for e in body["data"]] == ["2024-03-05", "2024-03-01"]
    status, _, _ = get(emulator, "/v25.0/5001/activities")
    assert status == 400  # pages have no activities edge


def test_per_user_views(emulator):
    _, body, _ = get(emulator, "/v25.0/2002/assigned_ad_accounts")
    assert [(a["id"], a["tasks"]) for a in body["data"]] == [("act_6001", ["ADVERTISE", "ANALYZE", "DRAFT"])]
    _, body, _ = get(emulator, "/v25.0/3001/assigned_pages")
    assert [a["id"] for a in body["data"]] == ["5001"]
    _, body, _ = get(emulator, "/v25.0/2003/assigned_whatsapp_business_accounts")
    assert body["data"] == []


def test_debug_token_known_and_unknown(emulator):
    extra = {"Authorization": f"Bearer {EXTRA_TOKEN}"}  # its system user is a developer of its app
    _, body, _ = get(emulator, "/v25.0/debug_token", {"input_token": EXTRA_TOKEN}, headers=extra)
    assert body["data"]["application"] == "Zapier" and body["data"]["user_id"] == "93001"
    app = {"Authorization": f"Bearer {APP_ID}|{APP_SECRET}"}
    _, body, _ = get(emulator, "/v25.0/debug_token", {"input_token": "EAAunknown"}, headers=app)
    assert body["data"]["is_valid"] is False and body["data"]["error"]["code"] == 190


def test_token_without_business_management_is_refused_on_business_edges():
    data = business()
    data["tokens"][TOKEN]["scopes"] = ["ads_read"]
    emulator = MetaEmulator(data, TOKEN)
    status, body, _ = get(emulator, f"/v25.0/{BUSINESS_ID}/business_users")
    assert status == 403 and body["error"]["code"] == 200
    assert "business_management" in body["error"]["message"]
    status, _, _ = get(emulator, "/v25.0/act_6001/assigned_users", {"business": BUSINESS_ID})
    assert status == 200


def test_unknown_object_is_graph_error_100(emulator):
    status, body, _ = get(emulator, "/v25.0/424242/business_users")
    assert status == 400 and body["error"]["code"] == 100 and body["error"]["error_subcode"] == 33


@pytest.mark.parametrize(("kind", "status"), [
    ("429", 429), ("rate_limit", 400), ("500", 500), ("503", 503), ("malformed", 200), ("missing_data", 200),
    ("401", 401), ("permission", 403),
])
def test_fault_kinds(emulator, kind, status):
    emulator.faults.add(kind, "business_users")
    response = Client(emulator).get(f"/v25.0/{BUSINESS_ID}/business_users", headers=AUTH)
    assert response.status_code == status
    text = response.get_data(as_text=True)
    if kind in ("malformed", "503"):
        with pytest.raises(ValueError):
            json.loads(text)
    elif kind == "missing_data":
        assert "data" not in json.loads(text)
    else:
        assert "error" in json.loads(text)
    if kind == "429":
        assert response.headers["Retry-After"] == "0"
    if kind == "rate_limit":
        assert json.loads(text)["error"]["code"] == 80004
        usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
        assert usage[BUSINESS_ID][0]["estimated_time_to_regain_access"] == 0
    again = Client(emulator).get(f"/v25.0/{BUSINESS_ID}/business_users", headers=AUTH)
    assert again.status_code == 200  # times=1 was consumed


def test_truncated_fault_cuts_the_real_body(emulator):
    emulator.faults.add("truncated", "business_users")
    text = Client(emulator).get(f"/v25.0/{BUSINESS_ID}/business_users", headers=AUTH).get_data(as_text=True)
    assert text.startswith('{"data":[{"id":"2001"')
    with pytest.raises(ValueError):
        json.loads(text)


def test_fault_plan_matching_times_and_unknown_kind():
    plan = FaultPlan()
    plan.add("500", "/a", times=2)
    forever = plan.add("503", times=None)
    assert [plan.take("/x/a").kind for _ in range(2)] == ["500", "500"]
    assert plan.take("/x/a") is forever and plan.take("/b") is forever
    assert forever.hits == 2 and plan.pending == [forever]
    with pytest.raises(ValueError, match="unknown fault kind"):
        plan.add("explode")
    plan.clear()
    assert plan.take("/x/a") is None


def test_rate_limit_code_17_and_regain_minutes(emulator):
    emulator.faults.add("rate_limit", code=17, regain_minutes=3)
    response = Client(emulator).get("/v25.0/me", headers=AUTH)
    error = json.loads(response.get_data(as_text=True))["error"]
    assert (error["code"], error["error_subcode"]) == (17, 2446079)
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert usage[BUSINESS_ID][0]["estimated_time_to_regain_access"] == 3


def test_served_over_http_with_absolute_next_urls_and_clean_stop(emulator):
    with serve(emulator) as handle:
        assert handle.url.startswith("http://127.0.0.1:") and handle.port > 0
        with httpx.Client(headers=AUTH) as client:
            users = f"{handle.url}/v25.0/{BUSINESS_ID}/business_users"
            first = client.get(users, params={"limit": 50}).json()
            assert first["paging"]["next"].startswith(f"{handle.url}/v25.0/{BUSINESS_ID}/business_users?")
            second = client.get(first["paging"]["next"]).json()
        assert len(first["data"]) + len(second["data"]) == 64 and "next" not in second["paging"]
    with pytest.raises(httpx.ConnectError), httpx.Client() as client:
        client.get(f"{handle.url}/v25.0/me")
