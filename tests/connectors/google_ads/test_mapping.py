"""Google Ads role tables, queries and the pure mapping of search rows (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from auditor.connectors.google_ads.mapping import (
    ACCESS_ROLES,
    api_version,
    change_event_query,
    customer_asset,
    customer_id,
    event_from,
    invitation_account,
    invitation_grant,
    local_literal,
    merge_user,
    parse_local,
    time_zone,
    user_access_query,
    user_account,
    user_grant,
)
from auditor.model import AccountKind

WARSAW = ZoneInfo("Europe/Warsaw")


def test_access_roles_match_the_documented_enum():
    assert ACCESS_ROLES == {"ADMIN": True, "STANDARD": False, "READ_ONLY": False, "EMAIL_ONLY": False}


@pytest.mark.parametrize(("role", "privileged", "unknown"), [
    ("ADMIN", True, False), ("STANDARD", False, False), ("READ_ONLY", False, False), ("EMAIL_ONLY", False, False),
    ("UNSPECIFIED", False, True), ("UNKNOWN", False, True), ("OWNER", False, True), (None, False, True)])
def test_every_access_role(role, privileged, unknown):
    row = {"userId": "1", "accessRole": role} if role else {"userId": "1"}
    grant = user_grant("1", "42", row, None)
    assert (grant.asset_id, grant.role, grant.privileged) == ("42", role or "UNKNOWN", privileged)
    assert ("unknown_role" in grant.raw) is unknown and grant.raw["access_role"] == role


@pytest.mark.parametrize(("value", "two_factor"), [(True, True), (False, None), (None, None), ("true", None)])
def test_passkey_true_is_two_factor_anything_else_is_unknown(value, two_factor):
    row = {"userId": "7", "emailAddress": "a@x.example"}
    if value is not None:
        row["passkeyEnabled"] = value
    assert user_account(row, "42", None).two_factor is two_factor


def test_user_account_and_merge():
    first = {"userId": "7", "emailAddress": "a@x.example", "accessCreationDateTime": "2025-01-01 10:00:00",
             "inviterUserEmailAddress": "boss@x.example"}
    account = user_account(first, "1", WARSAW)
    assert (account.kind, account.account_id, account.name, account.emails) == (
        AccountKind.USER, "7", "a@x.example", ("a@x.example",))
    assert (account.created_at, account.created_by) == (datetime(2025, 1, 1, 9, tzinfo=UTC), "boss@x.example")
    older = {"userId": "7", "emailAddress": "a@x.example", "accessCreationDateTime": "2024-01-01 10:00:00",
             "passkeyEnabled": True}
    merge_user(account, user_account(older, "2", WARSAW), "2", older)
    assert (account.two_factor, account.created_at, account.created_by) == (
        True, datetime(2024, 1, 1, 9, tzinfo=UTC), None)
    assert sorted(account.raw["customers"]) == ["1", "2"]
    assert user_account({"emailAddress": "x@y.example"}, "1", None) is None


@pytest.mark.parametrize(("status", "state"), [("PENDING", "pending"), ("SOMETHING", "unknown"), (None, "unknown")])
def test_live_invitations(status, state):
    row = {"invitationId": "9", "emailAddress": "e@x.example", "accessRole": "ADMIN",
           "creationDateTime": "2026-03-01 10:00:00", "invitationStatus": status}
    account = invitation_account(row, "42", WARSAW)
    assert (account.account_id, account.kind, account.state, account.role) == (
        "invite:42:9", AccountKind.INVITATION, state, "ADMIN")
    grant = invitation_grant(account, "42")
    assert (grant.asset_id, grant.privileged, grant.granted_at) == ("42", True, datetime(2026, 3, 1, 9, tzinfo=UTC))


@pytest.mark.parametrize("status", ["DECLINED", "EXPIRED", "expired"])
def test_closed_invitations_are_no_accounts(status):
    assert invitation_account({"invitationId": "9", "invitationStatus": status}, "42", None) is None


def test_times_in_the_customers_zone():
    assert parse_local("2026-07-01 12:00:00", WARSAW) == datetime(2026, 7, 1, 10, tzinfo=UTC)  # summer: UTC+2
    assert parse_local("2026-01-01 12:00:00.250000", WARSAW) == datetime(2026, 1, 1, 11, 0, 0, 250000, tzinfo=UTC)
    assert parse_local("2026-01-01 12:00:00", None) == datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert parse_local("soon", WARSAW) is None and parse_local(None, WARSAW) is None
    assert local_literal(datetime(2026, 1, 1, 11, tzinfo=UTC), WARSAW) == "2026-01-01 12:00:00"
    assert time_zone("Europe/Warsaw") == WARSAW and time_zone("Mars/Olympus") is None and time_zone(None) is None


def test_ids_versions_and_queries():
    assert customer_id("123-456-7890") == "1234567890" and customer_id(1234567890) == "1234567890"
    with pytest.raises(ValueError):
        customer_id("mcc")
    assert api_version("https://googleads.googleapis.com/v25") == 25
    assert api_version("https://googleads.googleapis.com/v9/") == 9 and api_version("http://x") is None
    assert "passkey_enabled" in user_access_query(24) and "passkey_enabled" in user_access_query(None)
    assert "passkey_enabled" not in user_access_query(23)
    query = change_event_query("2026-02-13 14:00:00", "2026-03-15 13:00:00")
    assert query.startswith("SELECT change_event.resource_name, change_event.change_date_time")
    assert query.endswith("WHERE change_event.change_date_time >= '2026-02-13 14:00:00' AND "
                          "change_event.change_date_time <= '2026-03-15 13:00:00' ORDER BY "
                          "change_event.change_date_time DESC LIMIT 10000")


def test_assets_and_events():
    assert customer_asset("1", {"descriptiveName": "MCC", "manager": True}).kind == "manager_account"
    asset = customer_asset("2", None)
    assert (asset.kind, asset.name, asset.raw) == ("ad_account", None, {})
    row = {"resourceName": "customers/2/changeEvents/1~0~0", "changeDateTime": "2026-03-01 10:00:00.000000",
           "userEmail": "Ben@X.example", "resourceChangeOperation": "UPDATE", "changeResourceType": "CAMPAIGN",
           "changeResourceName": "customers/2/campaigns/5"}
    event = event_from(row, "2", WARSAW, {"ben@x.example": "502"})
    assert (event.event_id, event.time, event.actor_id, event.actor_name, event.action, event.raw_action) == (
        "customers/2/changeEvents/1~0~0", datetime(2026, 3, 1, 9, tzinfo=UTC), "502", "Ben@X.example", "activity",
        "UPDATE CAMPAIGN")
    assert (event.asset_id, event.target_id, event.target_name) == ("2", None, "customers/2/campaigns/5")
    assert event_from({**row, "changeDateTime": None}, "2", WARSAW, {}) is None
    assert event_from({**row, "userEmail": None}, "2", WARSAW, {}).actor_id is None
