"""The Meta vocabulary: every documented role/task mapped to privileged or not; 2FA values; event actions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.connectors.meta import mapping
from auditor.model import Account, AccountKind

# Written out from docs/platforms/meta.md (not derived from the module under test).
PAGE_TASKS = [
    "ADVERTISE", "ANALYZE", "CASHIER_ROLE", "CREATE_CONTENT", "GLOBAL_STRUCTURE_MANAGEMENT", "MANAGE",
    "MANAGE_JOBS", "MANAGE_LEADS", "MESSAGING", "MODERATE", "MODERATE_COMMUNITY", "PAGES_MESSAGING",
    "PAGES_MESSAGING_SUBSCRIPTIONS", "PROFILE_PLUS_ADVERTISE", "PROFILE_PLUS_ANALYZE",
    "PROFILE_PLUS_CREATE_CONTENT",
    "PROFILE_PLUS_CREATIVE_MANAGEMENT", "PROFILE_PLUS_CREATOR_MANAGEMENT", "PROFILE_PLUS_FACEBOOK_ACCESS",
    "PROFILE_PLUS_FULL_CONTROL", "PROFILE_PLUS_GLOBAL_STRUCTURE_MANAGEMENT", "PROFILE_PLUS_MANAGE",
    "PROFILE_PLUS_MANAGE_LEADS", "PROFILE_PLUS_MESSAGING", "PROFILE_PLUS_MODERATE",
    "PROFILE_PLUS_MODERATE_DELEGATE_COMMUNITY", "PROFILE_PLUS_REVENUE", "READ_PAGE_MAILBOXES",
    "VIEW_MONETIZATION_INSIGHTS",
]
AD_ACCOUNT_TASKS = ["AA_ANALYZE", "ADVERTISE", "ANALYZE", "DRAFT", "MANAGE"]
INSTAGRAM_TASKS = ["ADVERTISE", "ANALYZE", "COMMUNITY_ACTIVITY", "CONTENT", "MESSAGES"]
WABA_TASKS = [
    "MANAGE", "DEVELOP", "MANAGE_TEMPLATES", "MANAGE_PHONE", "VIEW_COST", "MANAGE_EXTENSIONS",
    "VIEW_PHONE_ASSETS", "MANAGE_PHONE_ASSETS", "VIEW_TEMPLATES", "MESSAGING", "VIEW_INSIGHTS",
    "FULL_CONTROL",
]
PRIVILEGED_ASSET = {"MANAGE", "FULL_CONTROL", "PROFILE_PLUS_FULL_CONTROL", "PROFILE_PLUS_MANAGE", "ADMIN"}
BUSINESS_ROLES = [
    "ADMIN", "ADS_RIGHTS_REVIEWER", "DEFAULT", "DEVELOPER", "EMPLOYEE", "FINANCE_ANALYST", "FINANCE_EDIT",
    "FINANCE_EDITOR", "FINANCE_VIEW", "MANAGE", "PARTNER_CENTER_ADMIN", "PARTNER_CENTER_ANALYST",
    "PARTNER_CENTER_EDUCATION", "PARTNER_CENTER_MARKETING", "PARTNER_CENTER_OPERATIONS",
]
PRIVILEGED_BUSINESS = {"ADMIN", "MANAGE", "FINANCE_EDIT", "FINANCE_EDITOR"}

ASSET_CASES = [(kind, task) for kind, tasks in (
    ("page", PAGE_TASKS), ("ad_account", AD_ACCOUNT_TASKS), ("instagram_account", INSTAGRAM_TASKS),
    ("whatsapp_business_account", WABA_TASKS)) for task in tasks]


@pytest.mark.parametrize(("kind", "task"), ASSET_CASES)
def test_every_documented_asset_task(kind, task):
    grant = mapping.asset_grant(kind, "A1", "U1", {"id": "U1", "tasks": [task], "user_type": "business_user"})
    assert grant.role == task
    assert grant.privileged is (task in PRIVILEGED_ASSET)
    assert "unknown_tasks" not in grant.raw
    assert (grant.account_id, grant.asset_id, grant.raw["user_type"]) == ("U1", "A1", "business_user")


def test_asset_role_is_sorted_tasks_joined_and_any_privileged_task_counts():
    item = {"id": "U1", "tasks": ["MANAGE", "ANALYZE", "ADVERTISE"]}
    grant = mapping.asset_grant("ad_account", "act_1", "U1", item)
    assert grant.role == "ADVERTISE+ANALYZE+MANAGE" and grant.privileged


def test_unknown_asset_task_is_kept_in_raw_and_not_privileged():
    grant = mapping.asset_grant("page", "P1", "U1", {"id": "U1", "tasks": ["ANALYZE", "TELEPORT"]})
    assert grant.role == "ANALYZE+TELEPORT"
    assert grant.privileged is False
    assert grant.raw["unknown_tasks"] == ["TELEPORT"]


def test_page_task_is_unknown_on_an_ad_account():
    grant = mapping.asset_grant("ad_account", "act_1", "U1", {"id": "U1", "tasks": ["CREATE_CONTENT"]})
    assert grant.raw["unknown_tasks"] == ["CREATE_CONTENT"] and not grant.privileged


@pytest.mark.parametrize("role", BUSINESS_ROLES)
def test_every_business_role(role):
    account = Account(account_id="1", kind=AccountKind.USER, role=role, raw={"tasks": []})
    grant = mapping.business_grant(account)
    assert grant.role == role and grant.asset_id is None
    assert grant.privileged is (role in PRIVILEGED_BUSINESS)


@pytest.mark.parametrize("task", BUSINESS_ROLES)
def test_business_tasks_make_an_employee_privileged(task):
    account = Account(account_id="1", kind=AccountKind.USER, role="EMPLOYEE",
                      raw={"tasks": ["EMPLOYEE", task]})
    assert mapping.business_grant(account).privileged is (task in PRIVILEGED_BUSINESS)


def test_unknown_business_role_and_task_are_kept():
    account = Account(account_id="1", kind=AccountKind.USER, role="OVERLORD",
                      raw={"tasks": ["EMPLOYEE", "X"]})
    grant = mapping.business_grant(account)
    assert grant.role == "OVERLORD" and not grant.privileged
    assert grant.raw["unknown_tasks"] == ["OVERLORD", "X"]


@pytest.mark.parametrize(("value", "expected"), [
    ("enabled", True), ("ENABLED", True), ("on", True), ("true", True), ("fully_enabled", True),
    ("not_enabled", False), ("Disabled", False), ("off", False), ("false", False), ("none", False),
    ("sms_pending", None), ("", None), (None, None), (True, None),
])
def test_two_fac_status(value, expected):
    item = {"id": "1", "name": "X", "email": "x@y.example", "two_fac_status": value}
    account = mapping.business_user_account(item)
    assert account.two_factor is expected
    assert account.raw["two_fac_status"] == value


@pytest.mark.parametrize(("value", "expected"), [
    ("all_required", "all"), ("admin_required", "admins"), ("none", "none"), ("ALL_REQUIRED", "all"),
    ("optional_sometimes", None), (None, None),
])
def test_two_factor_type(value, expected):
    tenant = mapping.tenant_from("p", {"id": "1", "name": "Shop", "two_factor_type": value}, "1")
    assert tenant.two_factor_required == expected
    assert tenant.raw["two_factor_type"] == value


@pytest.mark.parametrize(("event_type", "action"), [
    ("ad_account_add_user_to_role", "role_granted"),
    ("ad_account_remove_user_from_role", "role_revoked"),
    ("ad_account_set_business_information", "activity"),
    ("update_campaign_budget", "activity"),
])
def test_event_actions(event_type, action):
    item = {"event_time": "2024-03-01T10:00:00+0000", "event_type": event_type, "actor_id": "7",
            "actor_name": "A", "object_id": "8", "object_name": "B"}
    event = mapping.event_from("act_1", item)
    assert event is not None
    assert (event.action, event.raw_action) == (action, event_type)
    assert event.time == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert (event.actor_id, event.target_id, event.target_name, event.asset_id) == ("7", "8", "B", "act_1")


def test_event_ids_are_stable_and_distinct():
    item = {"event_time": "2024-03-01T10:00:00+0000", "event_type": "x", "actor_id": "7", "object_id": "8"}
    first = mapping.event_id("act_1", item)
    assert first == mapping.event_id("act_1", dict(item))
    assert first != mapping.event_id("act_2", item)
    assert first != mapping.event_id("act_1", {**item, "event_time": "2024-03-01T10:00:01+0000"})


def test_event_without_readable_time_is_none():
    assert mapping.event_from("act_1", {"event_time": "yesterday", "event_type": "x"}) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-03-01T10:00:00+0000", datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ("2024-03-01T12:00:00+02:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
    (1709287200, datetime(2024, 3, 1, 10, tzinfo=UTC)),
    (0, None), ("", None), ("garbage", None),
])
def test_parse_time(value, expected):
    assert mapping.parse_time(value) == expected


def test_act_id_is_never_doubled():
    assert mapping.act_id("act_123") == "act_123"
    assert mapping.act_id("123") == "act_123"


def test_invitation_account_state_and_creator():
    account = mapping.invitation_account({
        "id": "9", "email": "e@x.example", "role": "EMPLOYEE", "status": "EXPIRED",
        "created_by": {"id": "1", "name": "A"}, "created_time": "2024-01-10T09:00:00+0000"})
    assert (account.account_id, account.kind, account.state) == ("invite:9", AccountKind.INVITATION,
                                                                 "expired")
    assert account.created_by == "1" and account.created_at == datetime(2024, 1, 10, 9, tzinfo=UTC)
    grant = mapping.business_grant(account)
    assert (grant.granted_by, grant.granted_at) == ("1", account.created_at)
