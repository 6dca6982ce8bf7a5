"""The TikTok emulator on its own (WSGI test client): envelope, auth, paging, filters and faults."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from auditor.demo.tiktok.emulator import PREFIX, TikTokEmulator, create_emulator
from tests.connectors.tiktok.fixtures import BC_ID, TOKEN, business_center, many_members

AUTH = {"Access-Token": TOKEN}


@pytest.fixture
def emulator() -> TikTokEmulator:
    return TikTokEmulator(business_center(), TOKEN)


def get(emulator, path, headers=AUTH, **params):
    response = Client(emulator).get(PREFIX + path, query_string=params, headers=headers)
    return response.status_code, response.get_data(as_text=True)


def body(emulator, path, headers=AUTH, **params):
    status, text = get(emulator, path, headers, **params)
    assert status == 200, text
    return json.loads(text)


def test_create_emulator_returns_the_versioned_prefix():
    app, prefix = create_emulator(business_center(), TOKEN)
    assert isinstance(app, TikTokEmulator) and prefix == "/open_api/v1.3"


def test_envelope_and_member_page(emulator):
    answer = body(emulator, "/bc/member/get/", bc_id=BC_ID, page_size=3)
    assert (answer["code"], answer["message"]) == (0, "OK") and answer["request_id"]
    assert [m["user_name"] for m in answer["data"]["list"]] == ["Ada Admin", "Ben Standard", "Cleo Creator"]
    assert answer["data"]["page_info"] == {"page": 1, "page_size": 3, "total_number": 8, "total_page": 3}
    last = body(emulator, "/bc/member/get/", bc_id=BC_ID, page_size=3, page=3)["data"]
    assert len(last["list"]) == 2 and last["page_info"]["page"] == 3
    assert body(emulator, "/bc/member/get/", bc_id=BC_ID, page_size=3, page=9)["data"]["list"] == []


def test_errors_come_with_http_200_and_a_code(emulator):
    assert json.loads(get(emulator, "/bc/member/get/", headers={}, bc_id=BC_ID)[1])["code"] == 40104
    status, text = get(emulator, "/bc/member/get/", headers={"Access-Token": "wrong"}, bc_id=BC_ID)
    assert status == 200 and json.loads(text)["code"] == 40105 and json.loads(text)["data"] == {}
    assert body(emulator, "/bc/member/get/")["code"] == 40002  # bc_id missing
    assert body(emulator, "/bc/member/get/", bc_id="999")["code"] == 40001
    assert body(emulator, "/bc/member/get/", bc_id=BC_ID, page_size=21)["message"] == (
        "page_size: Must be between 1 and 20.")
    assert body(emulator, "/bc/member/get/", bc_id=BC_ID, page=0)["code"] == 40002
    assert body(emulator, "/bc/member/get/", bc_id=BC_ID, page="x")["code"] == 40002
    assert get(emulator, "/bc/unknown/")[0] == 404


def test_member_filtering_is_json(emulator):
    flt = json.dumps({"relation_status": "PENDING"})
    assert [m["user_email"] for m in body(emulator, "/bc/member/get/", bc_id=BC_ID, filtering=flt)["data"]["list"]] \
        == ["eve@kwiatek.example"]
    flt = json.dumps({"keyword": "cleo"})
    assert len(body(emulator, "/bc/member/get/", bc_id=BC_ID, filtering=flt)["data"]["list"]) == 1
    assert body(emulator, "/bc/member/get/", bc_id=BC_ID, filtering="{bad")["message"] == (
        "filtering: Not a valid JSON.")


def test_assets_need_a_type_and_hide_members(emulator):
    assert body(emulator, "/bc/asset/admin/get/", bc_id=BC_ID)["code"] == 40002
    assert body(emulator, "/bc/asset/admin/get/", bc_id=BC_ID, asset_type="HOLOGRAM")["code"] == 40002
    (ads,) = body(emulator, "/bc/asset/admin/get/", bc_id=BC_ID, asset_type="ADVERTISER")["data"]["list"]
    assert ads["asset_id"] == "8001" and "members" not in ads
    assert body(emulator, "/bc/asset/admin/get/", bc_id=BC_ID, asset_type="CATALOG", page_size=51)["code"] == 40002


def test_asset_members_carry_only_their_asset_role(emulator):
    members = body(emulator, "/bc/asset/member/get/", bc_id=BC_ID, asset_type="CATALOG",
                   asset_id="8101")["data"]["list"]
    assert members[1] == {"user_id": "7002", "user_name": "Ben Standard", "user_email": "ben@kwiatek.example",
                          "user_role": "STANDARD", "relation_status": "BOUND", "catalog_role": "AD_PROMOTE"}
    assert body(emulator, "/bc/asset/member/get/", bc_id=BC_ID, asset_type="CATALOG",
                asset_id="404")["code"] == 40001
    assert body(emulator, "/bc/asset/member/get/", bc_id=BC_ID, asset_type="ADVERTISER")["code"] == 40002


def test_changelog_window_filter_and_sort(emulator):
    default = body(emulator, "/changelog/get/", bc_id=BC_ID)["data"]["changelog_list"]
    assert [e["time"] for e in default] == ["2026-03-14 09:30:00", "2026-03-10 08:00:00"]  # the last 7 days
    flt = json.dumps({"start_date": "2025-12-01", "end_date": "2026-03-15", "activity_type": "ALL"})
    asc = body(emulator, "/changelog/get/", bc_id=BC_ID, filtering=flt, sort_type="ASC")["data"]["changelog_list"]
    assert [e["activity_type"] for e in asc] == ["BUSINESS", "ASSET", "USER", "ACCOUNT"]
    flt = json.dumps({"start_date": "2025-01-01", "end_date": "2026-03-15", "activity_type": "USER"})
    assert len(body(emulator, "/changelog/get/", bc_id=BC_ID, filtering=flt)["data"]["changelog_list"]) == 2
    for bad in ({"start_date": "2026-01-01"}, {"start_date": "2026-02-30", "end_date": "2026-03-01"},
                {"start_date": "2026-03-02", "end_date": "2026-03-01"}, {"activity_type": "EVERYTHING"}):
        assert body(emulator, "/changelog/get/", bc_id=BC_ID, filtering=json.dumps(bad))["code"] == 40002, bad
    assert body(emulator, "/changelog/get/", bc_id=BC_ID, sort_type="UP")["code"] == 40002


def test_bc_get_lists_the_business_center_with_the_callers_role(emulator):
    (entry,) = body(emulator, "/bc/get/")["data"]["list"]
    assert entry["bc_info"]["bc_id"] == BC_ID and entry["user_role"] == "ADMIN"
    assert body(emulator, "/bc/get/", bc_id="1")["data"]["list"] == []


def test_denied_endpoints_answer_no_permission():
    data = business_center()
    data["denied"] = ["/changelog/get/"]
    emulator = TikTokEmulator(data, TOKEN)
    assert body(emulator, "/changelog/get/", bc_id=BC_ID)["code"] == 40001
    assert body(emulator, "/bc/member/get/", bc_id=BC_ID)["code"] == 0


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("429", 429, 40100), ("rate_limit", 200, 40100), ("401", 200, 40105), ("permission", 200, 40001),
    ("500", 500, 50000)])
def test_faults_in_tiktok_shapes(emulator, kind, status, code):
    emulator.faults.add(kind, "/bc/member/get/")
    got_status, text = get(emulator, "/bc/member/get/", bc_id=BC_ID)
    assert (got_status, json.loads(text)["code"]) == (status, code)
    assert body(emulator, "/bc/member/get/", bc_id=BC_ID)["code"] == 0  # the fault is used up


def test_other_fault_shapes(emulator):
    emulator.faults.add("rate_limit", "/bc/get/", code=40002)
    assert body(emulator, "/bc/get/")["code"] == 40002
    emulator.faults.add("503", "/bc/get/")
    status, text = get(emulator, "/bc/get/")
    assert status == 503 and text.startswith("<html>")
    emulator.faults.add("malformed", "/bc/get/")
    with pytest.raises(ValueError):
        json.loads(get(emulator, "/bc/get/")[1])
    emulator.faults.add("missing_data", "/bc/get/")
    assert "data" not in json.loads(get(emulator, "/bc/get/")[1])
    emulator.faults.add("truncated", "/bc/get/")
    full = get(emulator, "/bc/get/")[1]
    assert full.startswith('{"code":0') and not full.endswith("}")


def test_requests_are_recorded_with_token_presence():
    emulator = TikTokEmulator(many_members(3), TOKEN)
    get(emulator, "/bc/member/get/", bc_id=BC_ID, page=2)
    get(emulator, "/bc/get/", headers={})
    assert [(r.path, r.params.get("page"), r.token_sent) for r in emulator.requests] == [
        ("/bc/member/get/", "2", True), ("/bc/get/", None, False)]
    assert all(TOKEN not in json.dumps(r.params) for r in emulator.requests)
