"""The X permission tables and the pure mapping of Ads API objects."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from auditor.connectors.x import dialect
from auditor.connectors.x.mapping import (
    PERMISSIONS,
    PROMOTABLE_TYPES,
    ad_account_asset,
    parse_time,
    permission_grants,
    promotable_account,
    promotable_grant,
    promotable_holder,
)
from auditor.model import AccountKind


@pytest.mark.parametrize(("permission", "privileged"), [
    ("ACCOUNT_ADMIN", True), ("AD_MANAGER", False), ("CREATIVE_MANAGER", False), ("CAMPAIGN_ANALYST", False),
    ("ANALYST", False), ("PARTNER_AUDIENCE_MANAGER", False), ("TWEET_COMPOSER", False),
])
def test_every_documented_permission_is_mapped(permission, privileged):
    assert PERMISSIONS[permission] is privileged
    [grant] = permission_grants("1", "acc", [permission])
    assert (grant.role, grant.privileged, grant.raw["unknown"]) == (permission, privileged, False)


def test_the_permission_table_is_exactly_the_documented_enum():
    assert set(PERMISSIONS) == {"ACCOUNT_ADMIN", "AD_MANAGER", "CREATIVE_MANAGER", "CAMPAIGN_ANALYST", "ANALYST",
                                "PARTNER_AUDIENCE_MANAGER", "TWEET_COMPOSER"}
    assert set(PROMOTABLE_TYPES) == {"FULL", "RETWEETS_ONLY"}


def test_unknown_permissions_are_non_privileged_unknown_and_duplicates_collapse():
    grants = permission_grants("1", "acc", ["ACCOUNT_ADMIN", "SUPER_ADMIN_2030", "ACCOUNT_ADMIN"])
    assert [(g.role, g.privileged, g.raw["unknown"]) for g in grants] == [
        ("ACCOUNT_ADMIN", True, False), ("SUPER_ADMIN_2030", False, True)]
    assert permission_grants("1", "acc", None) == []


def test_promotable_full_is_the_privileged_owner():
    item = {"id": "l310s", "user_id": 756201191, "promotable_user_type": "FULL",
            "created_at": "2023-01-10T09:00:00Z", "deleted": False}
    assert promotable_holder(item)
    account = promotable_account(item)
    grant = promotable_grant("acc", item)
    assert (account.account_id, account.kind, account.created_at) == (
        "756201191", AccountKind.USER, datetime(2023, 1, 10, 9, tzinfo=UTC))
    assert (grant.role, grant.privileged, grant.granted_at.year, grant.raw["unknown"]) == ("FULL", True, 2023, False)


def test_retweets_only_is_not_access_and_unknown_types_are_kept_as_unknown():
    assert not promotable_holder({"promotable_user_type": "RETWEETS_ONLY"})
    odd = {"id": "z", "user_id": "5", "promotable_user_type": "CO_OWNER"}
    assert promotable_holder(odd)
    grant = promotable_grant("acc", odd)
    assert (grant.role, grant.privileged, grant.raw["unknown"]) == ("CO_OWNER", False, True)
    assert promotable_account({"promotable_user_type": "FULL"}) is None


def test_ad_account_asset_with_and_without_node():
    asset = ad_account_asset("acc", {"id": "acc", "name": "Shop", "approval_status": "ACCEPTED"})
    assert (asset.asset_id, asset.kind, asset.name, asset.raw["approval_status"]) == (
        "acc", "ad_account", "Shop", "ACCEPTED")
    assert ad_account_asset("acc", None).name is None


def test_parse_time_is_aware_utc_or_none():
    assert parse_time("2017-05-05T17:02:50Z") == datetime(2017, 5, 5, 17, 2, 50, tzinfo=UTC)
    assert parse_time("yesterday") is None and parse_time(None) is None


def _response(status: int, body=None, headers=None, text=None) -> httpx.Response:
    request = httpx.Request("GET", "https://ads-api.x.com/12/accounts/a")
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


def test_error_info_kinds_and_hints():
    auth = dialect.error_info(_response(401, {"errors": [{"code": "UNAUTHORIZED_ACCESS", "message": "nope"}]}))
    assert auth.kind == "auth" and auth.message.startswith("UNAUTHORIZED_ACCESS: nope") and "OAuth 1.0a" in auth.message
    perm = dialect.error_info(_response(403, {"errors": [{"code": "INSUFFICIENT_USER_AUTHORIZED_PERMISSION",
                                                          "message": "User 1 is not authorized"}]}))
    assert perm.kind == "permission" and "ANALYST" in perm.message
    app = dialect.error_info(_response(403, {"errors": [{"code": "UNAUTHORIZED_CLIENT_APPLICATION",
                                                         "message": "x"}]}))
    assert "not approved for the Ads API" in app.message
    html = dialect.error_info(_response(503, text="<html>Over capacity</html>"))
    assert html.kind is None and "Over capacity" in html.message


def test_retry_hint_prefers_the_account_level_reset():
    both = _response(429, {}, {"x-account-rate-limit-reset": "1000", "x-rate-limit-reset": "2000"})
    assert dialect.retry_hint(both, clock=lambda: 990.0) == 10.0
    user = _response(429, {}, {"x-rate-limit-reset": "1030"})
    assert dialect.retry_hint(user, clock=lambda: 1000.0) == 30.0
    assert dialect.retry_hint(_response(429, {}, {"x-rate-limit-reset": "soon"})) is None
    assert dialect.retry_hint(_response(429, {}, {"x-rate-limit-reset": "5"}), clock=lambda: 10.0) == 0.0
    # every answer carries the headers: a server error must not wait for the rate-limit window
    assert dialect.retry_hint(_response(500, {}, {"x-account-rate-limit-reset": "1000"}), clock=lambda: 1.0) is None
