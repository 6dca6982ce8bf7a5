"""Pinterest role / permission tables and the pure mapping of API v5 objects."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from auditor.connectors.http import HttpClient
from auditor.connectors.pinterest import dialect
from auditor.connectors.pinterest.mapping import (
    ASSET_PERMISSIONS,
    BUSINESS_ROLES,
    asset_from,
    asset_grant,
    business_grant,
    epoch_time,
    invitation_account,
    is_live_invite,
    member_account,
    member_id,
)
from auditor.errors import ConnectorError
from auditor.model import AccountKind
from tests.connectors.pinterest.conftest import BASE

DOCUMENTED_PERMISSIONS = {
    "ADMIN", "ANALYST", "FINANCE_MANAGER", "FINANCE_EDIT", "FINANCE_VIEW", "AUDIENCE_MANAGER", "CAMPAIGN_MANAGER",
    "CATALOGS_MANAGER", "CATALOGS_VIEWER", "PROFILE_PUBLISHER", "CONSUMER_USER", "OWNER", "SOS_READER",
    "RESTRICTED_OWNER", "PROFILE_MANAGER", "RESOURCE_PINNER_LIST_OWNER", "RESOURCE_PINNER_LIST_READER",
    "BIZ_PINNER_LIST_SHARER", "RESOURCE_CONVERSION_TAGS_READER",
}


def test_tables_cover_the_documented_enums_and_privilege():
    assert BUSINESS_ROLES == {"BIZ_ADMIN": True, "EMPLOYEE": False, "PARTNER": False}
    assert set(ASSET_PERMISSIONS) == DOCUMENTED_PERMISSIONS
    assert {p for p, privileged in ASSET_PERMISSIONS.items() if privileged} == {"OWNER", "ADMIN",
                                                                                 "RESTRICTED_OWNER"}


@pytest.mark.parametrize("permission", sorted(DOCUMENTED_PERMISSIONS))
def test_asset_grant_for_every_permission(permission):
    grant = asset_grant("a1", "u1", {"user": {"id": "u1"}, "permissions": [permission]})
    assert (grant.account_id, grant.asset_id, grant.role) == ("u1", "a1", permission)
    assert grant.privileged is ASSET_PERMISSIONS[permission] and "unknown_permissions" not in grant.raw


def test_asset_grant_joins_permissions_and_keeps_unknown_ones():
    grant = asset_grant("a1", "u1", {"permissions": ["ANALYST", "WIZARD", "ANALYST"]})
    assert (grant.role, grant.privileged, grant.raw["unknown_permissions"]) == ("ANALYST+WIZARD", False, ["WIZARD"])
    assert asset_grant("a1", "u1", {}).role == "NO_PERMISSIONS"


@pytest.mark.parametrize(("roles", "role", "privileged"), [
    (["BIZ_ADMIN"], "BIZ_ADMIN", True), (["EMPLOYEE"], "EMPLOYEE", False), (["PARTNER"], "PARTNER", False),
    (["EMPLOYEE", "BIZ_ADMIN"], "BIZ_ADMIN+EMPLOYEE", True), ([], "NO_ROLE", False),
])
def test_business_grant_for_every_role(roles, role, privileged):
    account = member_account({"id": "1", "user": {"id": "1"}, "business_roles": roles}, system=False)
    grant = business_grant(account)
    assert (grant.asset_id, grant.role, grant.privileged) == (None, role, privileged)


def test_unknown_business_role_is_evidence_and_not_privileged():
    grant = business_grant(member_account(BASE["members"][3], system=False))
    assert (grant.role, grant.privileged, grant.raw["unknown_roles"]) == ("EMPLOYEE+SUPERVISOR", False,
                                                                          ["SUPERVISOR"])


def test_member_and_system_user_accounts():
    ben = member_account(BASE["members"][1], system=False)
    assert (ben.account_id, ben.kind, ben.name, ben.emails, ben.created_by, ben.role) == (
        "1002", AccountKind.USER, "ben", ("ben@kwiatek.example",), "1001", "EMPLOYEE")
    assert ben.created_at == datetime(2023, 3, 28, 10, 40, tzinfo=UTC)
    assert "assets_summary" not in ben.raw and ben.two_factor is None
    system = member_account(BASE["system_users"][0], system=True)
    assert (system.kind, system.emails) == (AccountKind.SYSTEM_USER, ())


@pytest.mark.parametrize(("status", "live"), [
    ("PENDING", True), ("ACCEPTED", False), ("DECLINED", False), ("CANCELLED", False), ("EXPIRED", False),
    ("ON_HOLD", True), ("", True),
])
def test_invite_liveness(status, live):
    assert is_live_invite({"invite_data": {"invite_status": status}}) is live


def test_invitation_account_uses_milliseconds():
    invite = invitation_account(BASE["invites"][0])
    assert (invite.account_id, invite.kind, invite.state, invite.emails, invite.created_by) == (
        "invite:3001", AccountKind.INVITATION, "pending", ("oli@kwiatek.example",), "1001")
    assert invite.created_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    grant = business_grant(invite)
    assert (grant.granted_at, grant.granted_by, grant.role) == (invite.created_at, "1001", "EMPLOYEE")
    assert invitation_account(BASE["invites"][5]).state == "on_hold"


def test_assets_and_unknown_types():
    catalog = asset_from(BASE["assets"][2])
    assert (catalog.kind, catalog.name) == ("catalog", "Flowers")
    group = asset_from(BASE["assets"][3])
    assert (group.kind, group.name) == ("asset_group", "Spring")  # the name field is asset_group_name
    odd = asset_from({"asset_id": "1", "asset_type": "HOLOGRAM"})
    assert (odd.kind, odd.raw["unknown_asset_type"]) == ("hologram", "HOLOGRAM")


@pytest.mark.parametrize(("value", "expected"), [
    (1_672_531_200_000, datetime(2023, 1, 1, tzinfo=UTC)), (1_672_531_200, datetime(1970, 1, 20, 8, 35, 31, 200000,
                                                                                  tzinfo=UTC)),
    (0, None), (None, None), ("1672531200", None), (True, None),
])
def test_epoch_time_is_milliseconds(value, expected):
    assert epoch_time(value) == expected


def test_member_id():
    assert member_id({"id": "5"}) == "5" and member_id({"user": {"id": 6}}) == "6"
    assert member_id({"user": {}}) is None and member_id("x") is None


def _client(handler) -> HttpClient:
    return HttpClient("pin", "http://pinterest.test/v5", transport=httpx.MockTransport(handler), max_retries=0,
                      error_info=dialect.error_info)


def test_read_items_follows_bookmarks_and_caps_the_page_size():
    sizes = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(request.url.params["page_size"])
        bookmark = request.url.params.get("bookmark")
        return httpx.Response(200, json={"items": [bookmark or "first"], "bookmark": None if bookmark else "b1"})

    with _client(handler) as client:
        assert [i for page in dialect.read_items(client, "x", {}, 999) for i in page] == ["first", "b1"]
    assert sizes == ["250", "250"]


def test_read_items_detects_a_bookmark_loop():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": [1], "bookmark": "same"})

    with _client(handler) as client, pytest.raises(ConnectorError, match="paging loop at GET /x"):
        list(dialect.read_items(client, "x", {}, 10))


def test_error_info():
    request = httpx.Request("GET", "http://pinterest.test/v5/businesses/1/members")
    denied = dialect.error_info(httpx.Response(403, json={"code": 3, "message": "nope"}, request=request))
    assert denied.kind == "permission" and "biz_access:read" in denied.message and "(code 3)" in denied.message
    assert dialect.error_info(httpx.Response(401, json={"code": 2, "message": "Authentication failed."})).kind == (
        "auth")
    assert dialect.error_info(httpx.Response(500, text="<html>")).kind is None
