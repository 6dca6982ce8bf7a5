"""The Pinterest emulator over real HTTP: routes, filters, bookmark paging, error shapes and faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from auditor.demo.pinterest.emulator import PinterestEmulator, create_emulator
from auditor.demo.server import serve
from tests.connectors.pinterest.conftest import ADS, BUSINESS_ID, CATALOG, PROFILE, TOKEN, business

HEADERS = {"Authorization": f"Bearer {TOKEN}"}
BASE = f"/businesses/{BUSINESS_ID}"


@pytest.fixture
def served() -> Iterator[tuple[PinterestEmulator, httpx.Client]]:
    app, prefix = create_emulator(business(), TOKEN)
    assert prefix == "/v5"
    with serve(app) as handle, httpx.Client(base_url=handle.url + prefix, headers=HEADERS) as client:
        yield app, client


def test_members_are_regular_or_system_users_and_filterable(served):
    _, client = served
    regular = client.get(f"{BASE}/members").json()
    assert [m["id"] for m in regular["items"]] == ["1001", "1002", "1003", "1004", "1005", "1006", "1007"]
    assert regular["bookmark"] is None and "assets_summary" not in regular["items"][1]
    system = client.get(f"{BASE}/members", params={"fetch_system_users": "true"}).json()["items"]
    assert [m["id"] for m in system] == ["2001"]
    admins = client.get(f"{BASE}/members", params={"business_roles": "BIZ_ADMIN"}).json()["items"]
    assert [m["id"] for m in admins] == ["1001"]
    chosen = client.get(f"{BASE}/members", params={"member_ids": "1002,1003", "assets_summary": "true"}).json()
    assert [m["id"] for m in chosen["items"]] == ["1002", "1003"] and "assets_summary" in chosen["items"][0]
    assert client.get(f"{BASE}/members", params={"business_roles": "PARTNER"}).status_code == 400


def test_bookmark_and_start_index_paging(served):
    _, client = served
    first = client.get(f"{BASE}/members", params={"page_size": 3}).json()
    second = client.get(f"{BASE}/members", params={"page_size": 3, "bookmark": first["bookmark"]}).json()
    third = client.get(f"{BASE}/members", params={"page_size": 3, "bookmark": second["bookmark"]}).json()
    assert [len(p["items"]) for p in (first, second, third)] == [3, 3, 1] and third["bookmark"] is None
    assert client.get(f"{BASE}/members", params={"start_index": 5}).json()["items"][0]["id"] == "1006"
    assert client.get(f"{BASE}/members", params={"page_size": 251}).status_code == 400
    assert client.get(f"{BASE}/members", params={"bookmark": "garbage!"}).json() == {
        "code": 400, "message": "Invalid bookmark."}


def test_assets_and_asset_members(served):
    _, client = served
    profiles = client.get(f"{BASE}/assets", params={"asset_type": "PROFILE"}).json()["items"]
    assert profiles == [{"asset_id": PROFILE, "asset_type": "PROFILE"}]  # no permissions in the asset list
    (catalog,) = client.get(f"{BASE}/assets", params={"asset_type": "CATALOG"}).json()["items"]
    assert catalog["catalog_info"]["name"] == "Flowers" and "members" not in catalog
    by_default = client.get(f"{BASE}/assets").json()["items"]  # ad accounts only
    assert {a["asset_type"] for a in by_default} == {"AD_ACCOUNT"} and by_default[0]["asset_id"] == ADS
    humans = client.get(f"{BASE}/assets/{PROFILE}/members").json()["items"]
    assert [(m["user"]["id"], m["permissions"]) for m in humans] == [
        ("1001", ["ADMIN"]), ("1002", ["PROFILE_PUBLISHER", "ANALYST"]), ("1003", ["PROFILE_PUBLISHER"]),
        ("9001", ["ANALYST"])]
    assert humans[0]["user"] == {"id": "1001", "username": "anna", "email": "anna@kwiatek.example"}
    system = client.get(f"{BASE}/assets/{CATALOG}/members", params={"fetch_system_users": "true"}).json()["items"]
    assert [m["user"]["id"] for m in system] == ["2001"]
    assert client.get(f"{BASE}/assets/404/members").status_code == 404


def test_invites_membership_partnership_and_filters(served):
    _, client = served
    members = client.get(f"{BASE}/invites").json()["items"]
    assert [i["id"] for i in members] == ["3001", "3002", "3003", "3004", "3005", "3006"]
    partners = client.get(f"{BASE}/invites", params={"is_member": "false"}).json()["items"]
    assert [i["id"] for i in partners] == ["3007"]
    pending = client.get(f"{BASE}/invites", params={"invite_status": ["PENDING", "EXPIRED"]}).json()["items"]
    assert [i["id"] for i in pending] == ["3001", "3002"]


def test_errors_in_pinterest_shape(served):
    _, client = served
    rejected = client.get(f"{BASE}/members", headers={"Authorization": "Bearer nope"})
    assert rejected.status_code == 401 and rejected.json() == {"code": 401, "message": "Authentication failed."}
    assert client.get("/businesses/1/members").status_code == 403
    assert client.get(f"{BASE}/nowhere").status_code == 404
    assert client.post(f"{BASE}/members").status_code == 405
    assert client.get(f"/v4{BASE}/members").status_code == 404


def test_scope_is_required():
    data = business()
    data["token_scopes"] = ["pins:read"]
    app, prefix = create_emulator(data, TOKEN)
    with serve(app) as handle, httpx.Client(base_url=handle.url + prefix, headers=HEADERS) as client:
        denied = client.get(f"{BASE}/members")
    assert denied.status_code == 403 and "biz_access:read" in denied.json()["message"]


def test_faults_use_pinterest_signals(served):
    app, client = served
    app.faults.add("429", "/members")
    throttled = client.get(f"{BASE}/members")
    assert throttled.status_code == 429 and "Retry-After" not in throttled.headers
    assert throttled.json()["message"] == "You have exceeded your rate limit. Try again later."
    app.faults.add("truncated", "/invites")
    with pytest.raises(ValueError):
        client.get(f"{BASE}/invites").json()
    app.faults.add("missing_data", "/assets")
    assert client.get(f"{BASE}/assets").json() == {"bookmark": None}
    app.faults.add("malformed", "/assets")
    with pytest.raises(ValueError):
        client.get(f"{BASE}/assets").json()
    assert client.get(f"{BASE}/members").status_code == 200


def test_requests_are_recorded_without_the_token(served):
    app, client = served
    client.get(f"{BASE}/members", params={"page_size": 2})
    (recorded,) = app.requests
    assert (recorded.path, recorded.params, recorded.bearer) == (f"{BASE}/members", {"page_size": "2"}, True)
    assert TOKEN not in repr(recorded)
