"""Every constraint of auditor/connectors/tiktok/contract.yaml, enforced by the emulator (one test each)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from auditor.connectors.tiktok.dialect import http_status_for
from auditor.demo.tiktok.emulator import PREFIX, TikTokEmulator
from tests.connectors.tiktok.fixtures import BC_ID, TOKEN, business_center

AUTH = {"Access-Token": TOKEN}
LISTS_OF_50 = {
    "/bc/get/": {},
    "/bc/asset/admin/get/": {"asset_type": "ADVERTISER"},
    "/bc/asset/get/": {"asset_type": "ADVERTISER"},
    "/bc/partner/get/": {},
    "/bc/partner/asset/get/": {"partner_id": "7900", "asset_type": "ADVERTISER", "share_type": "SHARING"},
    "/bc/asset/partner/get/": {"asset_type": "PIXEL", "asset_id": "8401"},
}


def call(path: str, headers: dict[str, str] | None = None, data: dict[str, Any] | None = None,
         **params: Any) -> tuple[int, dict[str, Any]]:
    """HTTP status and JSON body of one GET (``bc_id`` defaults to the test BC; None leaves it out)."""
    params = {"bc_id": BC_ID, **params}
    query = {k: v for k, v in params.items() if v is not None}
    emulator = TikTokEmulator(data or business_center(), TOKEN)
    response = Client(emulator).get(PREFIX + path, query_string=query, headers=AUTH if headers is None else headers)
    return response.status_code, json.loads(response.get_data(as_text=True))


def code(path: str, **params: Any) -> int:
    """The envelope code of one GET."""
    return call(path, **params)[1]["code"]


@pytest.mark.constraint("tiktok", "access_token_header")
def test_the_token_travels_in_the_access_token_header():
    assert code("/bc/get/", headers={}) == 40104
    assert code("/bc/get/", headers={"Authorization": f"Bearer {TOKEN}"}) == 40104
    assert code("/bc/get/", headers={"Access-Token": "revoked"}) == 40105
    assert code("/bc/get/") == 0


@pytest.mark.constraint("tiktok", "envelope_code")
def test_every_answer_is_an_envelope_with_code_0_on_success():
    _, body = call("/bc/member/get/")
    assert set(body) == {"code", "message", "request_id", "data"} and body["code"] == 0
    _, error = call("/bc/member/get/", bc_id=None)
    assert set(error) == {"code", "message", "request_id", "data"} and error["code"] != 0


@pytest.mark.constraint("tiktok", "admin_asset_list_needs_bc_admin")
def test_the_admin_asset_list_needs_a_bc_admin():
    data = business_center()
    data["caller"] = {"user_role": "STANDARD"}
    assert code("/bc/asset/admin/get/", data=data, asset_type="ADVERTISER") == 40001
    assert code("/bc/asset/get/", data=data, asset_type="ADVERTISER") == 0
    assert code("/bc/asset/admin/get/", asset_type="ADVERTISER") == 0


@pytest.mark.constraint("tiktok", "error_http_status")
def test_errors_come_with_http_200():
    assert call("/bc/member/get/", bc_id=None)[0] == 200
    assert call("/bc/member/get/", headers={})[0] == 200


@pytest.mark.constraint("tiktok", "rate_limit_code")
def test_rate_limit_answers_code_40100_which_the_client_retries():
    emulator = TikTokEmulator(business_center(), TOKEN)
    emulator.faults.add("rate_limit", "/bc/member/get/")
    response = Client(emulator).get(PREFIX + "/bc/member/get/", query_string={"bc_id": BC_ID}, headers=AUTH)
    assert (response.status_code, response.json["code"]) == (200, 40100)
    assert http_status_for(40100) == 429  # what makes HttpClient retry with backoff


@pytest.mark.constraint("tiktok", "permission_code")
def test_a_forbidden_call_answers_40001():
    data = business_center()
    data["denied"] = ["/changelog/get/"]
    assert code("/changelog/get/", data=data) == 40001
    assert code("/bc/member/get/", bc_id="999") == 40001


@pytest.mark.constraint("tiktok", "bad_parameter_code")
def test_a_bad_parameter_answers_40002():
    assert code("/bc/member/get/", page_size="many") == 40002
    assert code("/bc/member/get/", page_size=0) == 40002


@pytest.mark.constraint("tiktok", "asset_member_page_size_max")
def test_asset_members_page_at_most_20():
    params = {"asset_type": "ADVERTISER", "asset_id": "8001"}
    assert code("/bc/asset/member/get/", page_size=20, **params) == 0
    assert code("/bc/asset/member/get/", page_size=21, **params) == 40002
    assert code("/bc/asset/member/get/", page_size=50, **params) == 40002
    assert code("/bc/asset/member/get/", page_size=0, **params) == 40002


@pytest.mark.constraint("tiktok", "asset_member_asset_type")
def test_asset_members_only_for_advertiser_catalog_and_lead():
    for asset_type, asset_id in (("ADVERTISER", "8001"), ("CATALOG", "8101"), ("LEAD", "8501")):
        assert code("/bc/asset/member/get/", asset_type=asset_type, asset_id=asset_id) == 0
    for asset_type, asset_id in (("TIKTOK_SHOP", "8301"), ("TT_ACCOUNT", "8201"), ("PIXEL", "8401"),
                                 ("STOREFRONT", "1"), ("DOMAIN", "1")):
        assert code("/bc/asset/member/get/", asset_type=asset_type, asset_id=asset_id) == 40002


@pytest.mark.constraint("tiktok", "asset_member_required")
def test_asset_members_need_bc_asset_type_and_asset_id():
    full = {"bc_id": BC_ID, "asset_type": "ADVERTISER", "asset_id": "8001"}
    assert code("/bc/asset/member/get/", **full) == 0
    for missing in full:
        assert code("/bc/asset/member/get/", **{**full, missing: None}) == 40002, missing


@pytest.mark.constraint("tiktok", "member_page_size_max")
def test_members_page_at_most_20():
    assert code("/bc/member/get/", page_size=20) == 0
    assert code("/bc/member/get/", page_size=21) == 40002


@pytest.mark.constraint("tiktok", "list_page_size_max_50")
@pytest.mark.parametrize("path", sorted(LISTS_OF_50))
def test_lists_page_at_most_50(path):
    params = LISTS_OF_50[path]
    assert code(path, page_size=50, **params) == 0
    assert code(path, page_size=51, **params) == 40002
    assert code(path, page_size=0, **params) == 40002
    assert code(path, page=0, **params) == 40002


@pytest.mark.constraint("tiktok", "changelog_page_size_max_50")
def test_changelog_pages_at_most_50():
    assert code("/changelog/get/", page_size=50) == 0
    assert code("/changelog/get/", page_size=51) == 40002


@pytest.mark.constraint("tiktok", "asset_list_asset_type")
@pytest.mark.parametrize("path", ["/bc/asset/admin/get/", "/bc/asset/get/"])
def test_asset_lists_need_one_valid_asset_type(path):
    for asset_type in ("ADVERTISER", "CATALOG", "LEAD", "PIXEL", "STOREFRONT", "TIKTOK_SHOP", "TT_ACCOUNT"):
        assert code(path, asset_type=asset_type) == 0, asset_type
    assert code(path, asset_type="DOMAIN") == 40002
    assert code(path) == 40002


@pytest.mark.constraint("tiktok", "partner_asset_params")
def test_partner_assets_need_partner_type_and_share_type():
    full = {"partner_id": "7900", "asset_type": "ADVERTISER", "share_type": "SHARING"}
    assert code("/bc/partner/asset/get/", **full) == 0
    for missing in full:
        assert code("/bc/partner/asset/get/", **{**full, missing: None}) == 40002, missing
    for asset_type in ("PIXEL", "LEAD", "TT_ACCOUNT", "TIKTOK_SHOP", "STOREFRONT"):
        assert code("/bc/partner/asset/get/", **{**full, "asset_type": asset_type}) == 40002, asset_type
    assert code("/bc/partner/asset/get/", **{**full, "asset_type": "DOMAIN"}) == 0


@pytest.mark.constraint("tiktok", "asset_partner_params")
def test_asset_partners_need_type_and_id_and_take_every_asset_type():
    (partner,) = call("/bc/asset/partner/get/", asset_type="PIXEL", asset_id="8401")[1]["data"]["list"]
    assert partner == {"bc_id": "7900", "bc_name": "Pixel Agency BC"}
    assert code("/bc/asset/partner/get/", asset_type="PIXEL") == 40002
    assert code("/bc/asset/partner/get/", asset_id="8401") == 40002
    for asset_type in ("DOMAIN", "STOREFRONT", "TT_ACCOUNT"):  # valid types: an unknown asset, not a bad type
        assert code("/bc/asset/partner/get/", asset_type=asset_type, asset_id="1") == 40001
    assert code("/bc/asset/partner/get/", asset_type="HOLOGRAM", asset_id="1") == 40002


@pytest.mark.constraint("tiktok", "bc_id_required")
@pytest.mark.parametrize("path", ["/bc/member/get/", "/changelog/get/", "/bc/partner/get/"])
def test_bc_id_is_required_except_on_bc_get(path):
    assert code(path, bc_id=None) == 40002
    assert code(path, bc_id="123") == 40001
    assert code("/bc/get/", bc_id=None) == 0


@pytest.mark.constraint("tiktok", "strict_enums")
def test_enums_are_strict_also_inside_filtering():
    assert code("/bc/member/get/", filtering='{"user_role":"SUPER_ADMIN"}') == 40002
    assert code("/bc/member/get/", filtering='{"relation_status":"bound"}') == 40002
    assert code("/bc/member/get/", filtering='{"user_role":"ADMIN"}') == 0
    assert code("/bc/asset/admin/get/", asset_type="ADVERTISER", filtering='{"relation_type":"OWNER"}') == 40002
    assert code("/bc/asset/admin/get/", asset_type="advertiser") == 40002
    assert code("/bc/partner/asset/get/", partner_id="7900", asset_type="ADVERTISER", share_type="BOTH") == 40002


@pytest.mark.constraint("tiktok", "filtering_json")
def test_filtering_is_one_json_parameter():
    assert code("/bc/member/get/", filtering="user_role=ADMIN") == 40002
    _, body = call("/bc/member/get/", filtering=json.dumps({"keyword": "ada"}))
    assert [m["user_id"] for m in body["data"]["list"]] == ["7001"]


@pytest.mark.constraint("tiktok", "page_info")
def test_lists_answer_page_info():
    _, body = call("/bc/member/get/", page=2, page_size=3)
    assert body["data"]["page_info"] == {"page": 2, "page_size": 3, "total_number": 8, "total_page": 3}
    assert len(body["data"]["list"]) == 3


@pytest.mark.constraint("tiktok", "changelog_dates")
def test_changelog_dates_types_and_sort():
    assert code("/changelog/get/", filtering='{"start_date":"2026-01-01"}') == 40002
    assert code("/changelog/get/", filtering='{"activity_type":"LOGIN"}') == 40002
    assert code("/changelog/get/", sort_type="NEWEST") == 40002
    _, body = call("/changelog/get/")
    assert [e["time"][:10] for e in body["data"]["changelog_list"]] == ["2026-03-14", "2026-03-10"]  # 7 days
