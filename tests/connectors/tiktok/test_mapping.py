"""The TikTok role tables and the pure mapping of API items (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.connectors.tiktok.mapping import (
    ADVERTISER_ROLES,
    ASSET_KINDS,
    CATALOG_ROLES,
    FINANCE_ROLES,
    FORM_LIBRARY_ROLES,
    MEMBER_ROLE_FIELDS,
    USER_ROLES,
    asset_from,
    asset_grant,
    event_from,
    member_account,
    member_grants,
    member_key,
    normalised_action,
    parse_time,
    partner_account,
    shared_asset_grant,
    tenant_from,
)
from auditor.model import AccountKind


def test_role_tables_match_the_documented_enums():
    assert USER_ROLES == {"ADMIN": True, "STANDARD": False}
    assert FINANCE_ROLES == {"MANAGER": True, "ANALYST": False}
    assert ADVERTISER_ROLES == {"ADMIN": True, "OPERATOR": False, "ANALYST": False}
    assert CATALOG_ROLES == {"ADMIN": True, "AD_PROMOTE": False}
    assert FORM_LIBRARY_ROLES == {"ADMIN": True}
    assert set(MEMBER_ROLE_FIELDS) == {"ADVERTISER", "CATALOG", "LEAD"}  # what /bc/asset/member/get/ accepts
    assert set(ASSET_KINDS) >= {"ADVERTISER", "CATALOG", "DOMAIN", "LEAD", "PIXEL", "STOREFRONT", "TIKTOK_SHOP",
                                "TT_ACCOUNT"}


@pytest.mark.parametrize(("status", "kind", "state"), [
    ("BOUND", AccountKind.USER, "active"),
    ("PENDING", AccountKind.INVITATION, "pending"),
    ("SOMETHING_NEW", AccountKind.USER, "unknown"),
    (None, AccountKind.USER, "unknown"),
])
def test_member_account_by_relation_status(status, kind, state):
    item = {"user_id": "1", "user_name": "Ada", "user_email": "ada@x.example", "user_role": "ADMIN",
            "relation_status": status}
    account = member_account(item)
    assert (account.kind, account.state, account.account_id, account.emails) == (kind, state, "1",
                                                                                    ("ada@x.example",))
    assert account.two_factor is None and account.raw == item


@pytest.mark.parametrize("status", ["REJECTED", "UNBOUND", "unbound"])
def test_members_without_access_are_no_accounts(status):
    assert member_account({"user_id": "1", "relation_status": status}) is None


def test_member_key_uses_the_email_of_an_invitee_without_user_id():
    assert member_key({"user_id": "7", "user_email": "A@x.example"}) == "7"
    assert member_key({"user_email": " Eve@X.example "}) == "invite:eve@x.example"
    assert member_key({"user_id": "", "user_email": ""}) is None
    assert member_account({"relation_status": "BOUND"}) is None


@pytest.mark.parametrize(("role", "privileged", "unknown"), [
    ("ADMIN", True, False), ("STANDARD", False, False), ("OWNER", False, True)])
def test_member_grants_business_center_role(role, privileged, unknown):
    (grant,) = member_grants(member_account({"user_id": "1", "user_role": role, "relation_status": "BOUND"}))
    assert (grant.asset_id, grant.role, grant.privileged) == (None, role, privileged)
    assert ("unknown_role" in grant.raw) is unknown


@pytest.mark.parametrize(("finance", "role", "privileged"), [
    ("MANAGER", "FINANCE_MANAGER", True), ("ANALYST", "FINANCE_ANALYST", False),
    ("AUDITOR", "FINANCE_AUDITOR", False)])
def test_member_grants_finance_role(finance, role, privileged):
    account = member_account({"user_id": "1", "user_role": "STANDARD", "relation_status": "BOUND",
                              "ext_user_role": {"finance_role": finance}})
    _, grant = member_grants(account)
    assert (grant.role, grant.privileged) == (role, privileged)


def test_missing_role_is_unknown_not_privileged():
    (grant,) = member_grants(member_account({"user_id": "1", "relation_status": "BOUND"}))
    assert (grant.role, grant.privileged, grant.raw) == ("UNKNOWN", False, {"unknown_role": None})


@pytest.mark.parametrize(("asset_type", "field", "table"), [
    ("ADVERTISER", "advertiser_role", ADVERTISER_ROLES), ("CATALOG", "catalog_role", CATALOG_ROLES),
    ("LEAD", "form_library_role", FORM_LIBRARY_ROLES)])
def test_every_single_asset_role(asset_type, field, table):
    for role, privileged in table.items():
        grant = asset_grant(asset_type, "a1", "u1", {field: role})
        assert (grant.asset_id, grant.role, grant.privileged) == ("a1", role, privileged)
        assert "unknown_role" not in grant.raw
    strange = asset_grant(asset_type, "a1", "u1", {field: "EMPEROR"})
    assert (strange.role, strange.privileged, strange.raw["unknown_role"]) == ("EMPEROR", False, "EMPEROR")


def test_partner_business_center_is_a_partner_account():
    account = partner_account({"bc_id": "77", "bc_name": "Pixel Agency"})
    assert (account.account_id, account.kind, account.name) == ("77", AccountKind.PARTNER, "Pixel Agency")
    assert partner_account({"bc_name": "no id"}) is None
    grant = shared_asset_grant("px1", "77")
    assert (grant.account_id, grant.asset_id, grant.role, grant.privileged) == ("77", "px1", "UNKNOWN", False)


def test_tenant_and_assets():
    tenant = tenant_from("p", {"bc_info": {"bc_id": "9", "name": "Shop"}, "user_role": "ADMIN"}, "9")
    assert (tenant.tenant_id, tenant.name, tenant.two_factor_required) == ("9", "Shop", None)
    assert tenant.raw == {"bc_info": {"bc_id": "9", "name": "Shop"}, "caller_user_role": "ADMIN"}
    assert tenant_from("p", None, "9").name == "9"
    asset = asset_from({"asset_id": 5, "asset_name": "Ads", "asset_type": "ADVERTISER"}, "ADVERTISER")
    assert (asset.asset_id, asset.kind, asset.name) == ("5", "ad_account", "Ads")
    assert asset_from({"asset_id": "6"}, "HOLOGRAM").kind == "hologram"


def test_times_and_events():
    assert parse_time("2026-03-14 09:30:00") == datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    assert parse_time("yesterday") is None and parse_time(None) is None
    item = {"time": "2026-03-14 09:30:00", "activity_type": "account", "operator_id": 7001,
            "activity_log": "Ada assigned Admin permission on ad account X to Ben"}
    event = event_from(item, {"7001": "Ada"})
    assert (event.actor_id, event.actor_name, event.action, event.raw_action) == (
        "7001", "Ada", "role_granted", "ACCOUNT")
    assert event.event_id == event_from(dict(item), {}).event_id
    assert event_from({**item, "time": ""}, {}) is None


@pytest.mark.parametrize(("kind", "text", "action"), [
    ("USER", "Ada removed Ben from the Business Center", "role_revoked"),
    ("ACCOUNT", "Ada unassigned Operator permission", "role_revoked"),
    ("USER", "Ada invited ben@x.example", "role_granted"),
    ("BUSINESS", "Ada added a payment method", "activity"),
    ("ASSET", "Ada updated catalog X", "activity")])
def test_normalised_actions(kind, text, action):
    assert normalised_action(kind, text) == action
