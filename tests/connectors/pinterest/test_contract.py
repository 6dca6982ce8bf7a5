"""Every constraint of auditor/connectors/pinterest/contract.yaml, enforced by the emulator (one test each)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from auditor.demo.pinterest.emulator import PREFIX, PinterestEmulator
from tests.connectors.pinterest.conftest import ADS, BUSINESS_ID, CATALOG, GROUP, PROFILE, SHARED, TOKEN, business

BASE = f"/businesses/{BUSINESS_ID}"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LISTS = ["/members", "/invites", "/assets", "/partners", f"/assets/{ADS}/members", f"/assets/{ADS}/partners",
         "/partners/8001/assets", "/members/1001/assets"]


def call(path: str, headers: dict[str, str] | None = None, data: dict[str, Any] | None = None,
         **params: Any) -> tuple[int, Any]:
    """HTTP status and JSON body of one GET under the test business (``path`` starting with ``/`` is relative)."""
    emulator = PinterestEmulator(data or business(), TOKEN)
    response = Client(emulator).get(PREFIX + BASE + path, query_string=params,
                                    headers=AUTH if headers is None else headers)
    return response.status_code, json.loads(response.get_data(as_text=True))


def items(path: str, **params: Any) -> list[dict[str, Any]]:
    """The items of one successful page."""
    status, body = call(path, **params)
    assert status == 200, body
    return body["items"]


@pytest.mark.constraint("pinterest", "bearer_user_token")
def test_a_bearer_user_token_is_required():
    assert call("/members", headers={})[0] == 401
    assert call("/members", headers={"Authorization": "Bearer other"})[0] == 401
    assert call("/members", headers={"Authorization": TOKEN})[0] == 401  # no Bearer scheme
    assert call("/members")[0] == 200


@pytest.mark.constraint("pinterest", "scope_biz_access_read")
def test_the_token_needs_biz_access_read():
    data = business()
    data["token_scopes"] = ["ads:read", "pins:read"]
    status, body = call("/members", data=data)
    assert status == 403 and "biz_access:read" in body["message"]


@pytest.mark.constraint("pinterest", "no_conversion_token")
def test_a_conversion_token_is_refused():
    assert call("/assets", headers={"Authorization": "Bearer conversion-token-for-events"})[0] == 401


@pytest.mark.constraint("pinterest", "page_size_range")
@pytest.mark.parametrize("path", LISTS)
def test_page_size_is_1_to_250(path):
    assert call(path, page_size=250)[0] == 200
    assert call(path, page_size=251)[0] == 400
    assert call(path, page_size=0)[0] == 400


@pytest.mark.constraint("pinterest", "bookmark_paging")
def test_lists_page_with_a_bookmark_until_it_is_null():
    status, first = call("/members", page_size=4)
    assert status == 200 and len(first["items"]) == 4 and first["bookmark"]
    _, last = call("/members", page_size=4, bookmark=first["bookmark"])
    assert [m["id"] for m in last["items"]] == ["1005", "1006", "1007"] and last["bookmark"] is None
    assert call("/members", bookmark="not-a-bookmark")[0] == 400


@pytest.mark.constraint("pinterest", "start_index")
def test_start_index_where_declared_but_not_on_invites():
    assert [m["id"] for m in items("/members", start_index=5)] == ["1006", "1007"]
    assert call("/members", start_index=-1)[0] == 400
    assert len(items("/invites", start_index=5)) == 6  # not a parameter of /invites: no effect


@pytest.mark.constraint("pinterest", "assets_asset_type_default")
def test_asset_lists_default_to_ad_accounts():
    assert [a["asset_id"] for a in items("/assets")] == [ADS, SHARED]
    assert [a["asset_id"] for a in items("/assets", asset_type="PROFILE")] == [PROFILE]
    assert [a["asset_id"] for a in items("/partners/8001/assets")] == [ADS, SHARED]
    assert [a["asset_id"] for a in items("/partners/8001/assets", asset_type="PROFILE")] == [PROFILE]
    assert [a["asset_id"] for a in items("/members/1001/assets")] == [ADS]
    assert [a["asset_id"] for a in items("/members/1001/assets", asset_type="ASSET_GROUP")] == [GROUP]


@pytest.mark.constraint("pinterest", "asset_type_enum")
def test_asset_type_is_one_enum_value():
    for kind in ("AD_ACCOUNT", "PROFILE", "ASSET_GROUP", "CATALOG", "CONSUMER"):
        assert call("/assets", asset_type=kind)[0] == 200
    assert call("/assets", asset_type="HOLOGRAM")[0] == 400
    assert call("/assets", asset_type="profile")[0] == 400
    assert call("/assets", asset_type="PROFILE,CATALOG")[0] == 400  # a single value
    assert call("/partners/8001/assets", asset_type="PIXEL")[0] == 400


@pytest.mark.constraint("pinterest", "asset_list_no_permissions")
def test_asset_list_items_carry_no_permissions():
    (catalog,) = items("/assets", asset_type="CATALOG")
    assert catalog == {"asset_id": CATALOG, "asset_type": "CATALOG",
                       "catalog_info": {"catalog_id": CATALOG, "name": "Flowers"}}
    (group,) = items("/assets", asset_type="ASSET_GROUP")
    assert set(group) == {"asset_id", "asset_type", "asset_group_info"}
    assert group["asset_group_info"]["asset_group_name"] == "Spring"


@pytest.mark.constraint("pinterest", "fetch_system_users_split")
def test_system_users_and_members_are_listed_apart():
    assert "2001" not in {m["id"] for m in items("/members")}
    assert [m["id"] for m in items("/members", fetch_system_users="true")] == ["2001"]
    on_catalog = items(f"/assets/{CATALOG}/members")
    assert "2001" not in {m["user"]["id"] for m in on_catalog}
    assert [m["user"]["id"] for m in items(f"/assets/{CATALOG}/members", fetch_system_users="true")] == ["2001"]


@pytest.mark.constraint("pinterest", "business_roles_filter")
def test_business_roles_filter_takes_employee_and_biz_admin():
    assert [m["id"] for m in items("/members", business_roles="BIZ_ADMIN")] == ["1001"]
    assert call("/members", business_roles="PARTNER")[0] == 400
    assert call("/members", business_roles="biz_admin")[0] == 400


@pytest.mark.constraint("pinterest", "times_in_milliseconds")
def test_times_are_epoch_milliseconds():
    member = items("/members")[0]
    invite = items("/invites")[0]
    partner = items("/partners")[0]
    for value in (member["created_time"], invite["created_time"], invite["invite_data"]["sent_at"],
                  partner["created_time"]):
        assert value > 10**12  # milliseconds: seconds would be about 1.7e9


@pytest.mark.constraint("pinterest", "invites_filters")
def test_invite_filters():
    assert [i["id"] for i in items("/invites", is_member="false")] == ["3007"]
    assert "3007" not in {i["id"] for i in items("/invites")}  # is_member defaults to true
    assert [i["id"] for i in items("/invites", invite_status="EXPIRED")] == ["3002"]
    for status in ("ACCEPTED", "DECLINED", "CANCELLED"):
        assert call("/invites", invite_status=status)[0] == 400
    assert call("/invites", invite_type="FRIEND_INVITE")[0] == 400


@pytest.mark.constraint("pinterest", "partner_type_values")
def test_partner_type_values_and_defaults():
    assert [p["id"] for p in items("/partners", partner_type="INTERNAL")] == ["8001"]
    assert [p["id"] for p in items("/partners", partner_type="EXTERNAL")] == ["8002"]
    assert call("/partners", partner_type="AGENCY")[0] == 400
    assert items("/partners/8002/assets") == []  # INTERNAL by default: nothing of ours is shared with 8002
    assert [a["asset_id"] for a in items("/partners/8002/assets", partner_type="EXTERNAL")] == ["777"]


@pytest.mark.constraint("pinterest", "asset_partners_shared_with_you_empty")
def test_an_asset_shared_with_us_lists_no_partner():
    assert [(p["user"]["id"], p["permissions"]) for p in items(f"/assets/{ADS}/partners")] == [
        ("8001", ["CAMPAIGN_MANAGER"])]
    assert items(f"/assets/{SHARED}/partners") == []


@pytest.mark.constraint("pinterest", "assets_summary_opt_in")
def test_assets_summary_only_when_asked():
    assert all("assets_summary" not in m for m in items("/members"))
    ben = next(m for m in items("/members", assets_summary="true") if m["id"] == "1002")
    assert ben["assets_summary"]["ad_accounts"] == [{"id": ADS, "permissions": ["ANALYST"]}]
    assert all("assets_summary" not in p for p in items("/partners"))
    assert all("assets_summary" in p for p in items("/partners", assets_summary="true"))


@pytest.mark.constraint("pinterest", "id_lengths")
def test_ids_are_at_most_20_characters():
    assert call(f"/assets/{'9' * 21}/members")[0] == 400
    assert call(f"/partners/{'9' * 21}/assets")[0] == 400
    assert call(f"/assets/{'9' * 20}/members")[0] == 404  # a valid id, unknown
    assert call("/members", member_ids=",".join(["1001"] * 101))[0] == 400  # 504 characters
    assert call("/partners", partner_ids="8001")[0] == 200
    assert call("/partners", partner_ids="8" * 501)[0] == 400
    response = Client(PinterestEmulator(business(), TOKEN)).get(f"{PREFIX}/businesses/{'7' * 21}/members",
                                                                headers=AUTH)
    assert response.status_code == 400


@pytest.mark.constraint("pinterest", "rate_limit_429")
def test_rate_limit_is_http_429_with_an_error_body():
    emulator = PinterestEmulator(business(), TOKEN)
    emulator.faults.add("429", "/members")
    response = Client(emulator).get(f"{PREFIX}{BASE}/members", headers=AUTH)
    assert response.status_code == 429 and set(response.json) == {"code", "message"}
    assert "retry-after" not in {k.lower() for k, _ in response.headers}  # none documented


@pytest.mark.constraint("pinterest", "error_body")
@pytest.mark.parametrize(("path", "params", "headers"), [
    ("/members", {"page_size": 0}, None), ("/members", {}, {}), ("/nowhere", {}, None)])
def test_every_error_is_code_and_message(path, params, headers):
    status, body = call(path, headers=headers, **params)
    assert status >= 400 and set(body) == {"code", "message"}
    assert isinstance(body["code"], int) and isinstance(body["message"], str) and body["message"]
