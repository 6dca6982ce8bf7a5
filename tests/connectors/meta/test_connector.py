"""MetaConnector.fetch / check against the Meta emulator over real HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.base import create_connector
from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError
from auditor.connectors.meta import MetaConnector
from auditor.connectors.meta.tokens import appsecret_proof
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind
from tests.connectors.conftest import PLATFORM, resolve_secret
from tests.connectors.meta_fixtures import (
    APP_SECRET,
    BUSINESS_ID,
    EXTRA_ENV,
    EXTRA_TOKEN,
    TOKEN,
    business,
    many_users,
)

NOW = datetime(2024, 4, 1, tzinfo=UTC)


def by_id(items, attr):
    return {getattr(i, attr): i for i in items}


def grant_map(snap):
    return {(g.account_id, g.asset_id): g for g in snap.grants}


def test_registry_creates_the_meta_connector():
    settings = PlatformSettings(kind="meta", name="m", business_id="1", token_env="META_TOKEN")
    assert isinstance(create_connector(settings, resolve_secret), MetaConnector)


@pytest.mark.constraint("meta", "two_fac_status_opaque")
def test_fetch_tenant_accounts_and_two_factor(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and snap.errors == []
    assert (snap.platform, snap.kind) == (PLATFORM, "meta")
    assert (snap.tenant.tenant_id, snap.tenant.name, snap.tenant.two_factor_required) == (
        BUSINESS_ID, "Kwiatek Test Shop", "admins")
    accounts = by_id(snap.accounts, "account_id")
    assert list(accounts) == ["2001", "2002", "2003", "2004", "3001", "invite:4001", "invite:4002", "7777"]
    assert [accounts[i].two_factor for i in ("2001", "2002", "2003", "2004")] == [True, False, True, None]
    assert accounts["2004"].raw["two_fac_status"] == "sms_pending"
    assert accounts["2002"].emails == ("ben@kwiatek.example", "ben.new@kwiatek.example")
    system = accounts["3001"]
    assert (system.kind, system.created_by, system.role) == (AccountKind.SYSTEM_USER, "2001", "ADMIN")
    assert system.created_at == datetime(2023, 5, 1, 8, tzinfo=UTC)
    invite = accounts["invite:4001"]
    assert (invite.kind, invite.state, invite.emails, invite.created_by) == (
        AccountKind.INVITATION, "pending", ("eve@kwiatek.example",), "2001")
    assert accounts["invite:4002"].state == "expired"
    outsider = accounts["7777"]  # holds a client page but is not one of our business users
    assert (outsider.kind, outsider.raw["source"]) == (AccountKind.USER, "assigned_users")
    assert snap.capabilities.per_user_2fa and snap.capabilities.audit_log


def test_fetch_business_role_grants(sandbox):
    grants = grant_map(sandbox.connector().fetch(now=NOW))
    expected = {"2001": ("ADMIN", True), "2002": ("EMPLOYEE", False), "2003": ("EMPLOYEE", True),
                "2004": ("DEVELOPER", False), "3001": ("ADMIN", True), "invite:4001": ("EMPLOYEE", False),
                "invite:4002": ("ADMIN", True)}
    for account_id, (role, privileged) in expected.items():
        grant = grants[(account_id, None)]
        assert (grant.role, grant.privileged) == (role, privileged), account_id
    assert grants[("2004", None)].raw["unknown_tasks"] == ["SUPER_POWER"]
    assert ("7777", None) not in grants


def test_fetch_assets_and_asset_grants(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert [(a.asset_id, a.kind, a.raw["owned"]) for a in snap.assets] == [
        ("5001", "page", True), ("5002", "page", False), ("act_6001", "ad_account", True),
        ("act_6002", "ad_account", False), ("8001", "instagram_account", True),
        ("8501", "whatsapp_business_account", True)]
    assert by_id(snap.assets, "asset_id")["8001"].name == "kwiatek.shop"
    assert "assigned_users" not in snap.assets[0].raw
    grants = grant_map(snap)
    expected = {
        ("2001", "5001"): ("ADVERTISE+ANALYZE+CREATE_CONTENT+MANAGE+MODERATE", True),
        ("2002", "5001"): ("CREATE_CONTENT+MODERATE", False),
        ("2004", "5001"): ("PROFILE_PLUS_FULL_CONTROL", True),
        ("3001", "5001"): ("ANALYZE+TELEPORT", False),
        ("2003", "5002"): ("PROFILE_PLUS_MANAGE", True),
        ("2001", "5002"): ("MANAGE", True),
        ("7777", "5002"): ("ADVERTISE", False),
        ("2001", "act_6001"): ("ADVERTISE+ANALYZE+MANAGE", True),
        ("2002", "act_6001"): ("ADVERTISE+ANALYZE+DRAFT", False),
        ("2003", "act_6002"): ("AA_ANALYZE", False),
        ("2002", "8001"): ("COMMUNITY_ACTIVITY+CONTENT+MESSAGES", False),
        ("2001", "8001"): ("ADVERTISE+ANALYZE+CONTENT", False),
        ("2001", "8501"): ("FULL_CONTROL", True),
        ("2002", "8501"): ("MESSAGING+VIEW_TEMPLATES", False),
    }
    asset_grants = {k: (g.role, g.privileged) for k, g in grants.items() if k[1] is not None}
    assert asset_grants == expected
    assert grants[("3001", "5001")].raw["unknown_tasks"] == ["TELEPORT"]
    assert grants[("3001", "5001")].raw["user_type"] == "SYSTEM_USER"
    # every assigned_users call carried business=
    assigned = [r for r in sandbox.emulator.requests if r.path.endswith("/assigned_users")]
    assert len(assigned) == 6 and all(r.params.get("business") == BUSINESS_ID for r in assigned)


@pytest.mark.constraint("meta", "debug_token_user_id_is_app_scoped")
def test_fetch_apps_and_inspected_tokens(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    apps = [(a.app_id, a.name, a.token_ref, a.scopes, a.granted_by) for a in snap.apps]
    assert apps == [
        ("9901", "Kwiatek Shop Sync", None, None, None),
        ("9902", "Zapier", None, None, None),
        ("9901", "Kwiatek Audit", "self",
         ("business_management", "ads_read", "pages_show_list", "pages_read_engagement",
          "pages_manage_metadata"), "2001"),
        ("9902", "Zapier", EXTRA_ENV,
         ("ads_management", "business_management", "pages_manage_metadata"), "3001"),
    ]
    assert snap.apps[0].raw["owned"] is True and snap.apps[1].raw["owned"] is False
    extra = snap.apps[3].raw
    assert extra["granular_scopes"] == [{"scope": "ads_management", "target_ids": ["6001"]}]
    assert (extra["type"], extra["is_valid"], extra["expires_at"]) == ("USER", True, 0)


def test_fetch_activities_default_window_and_last_activity(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.activity_since == NOW - timedelta(days=90)
    assert [(e.action, e.raw_action, e.actor_id, e.target_id) for e in snap.events] == [
        ("role_revoked", "ad_account_remove_user_from_role", "2001", "2004"),
        ("activity", "update_campaign_budget", "2002", "9001"),
        ("role_granted", "ad_account_add_user_to_role", "2001", "2002"),
    ]
    assert all(e.asset_id == "act_6001" for e in snap.events)
    accounts = by_id(snap.accounts, "account_id")
    assert accounts["2001"].last_activity == datetime(2024, 3, 20, 8, tzinfo=UTC)
    assert accounts["2002"].last_activity == datetime(2024, 3, 5, 12, 30, tzinfo=UTC)
    assert accounts["2003"].last_activity is None
    calls = sorted((r for r in sandbox.emulator.requests if r.path.endswith("/activities")),
                   key=lambda r: r.path)
    assert [r.path for r in calls] == ["/act_6001/activities", "/act_6002/activities"]  # sorted
    assert calls[0].params["since"] == str(int((NOW - timedelta(days=90)).timestamp()))
    assert calls[0].params["until"] == str(int(NOW.timestamp()))


def test_fetch_activities_since_cursor(sandbox):
    since = datetime(2024, 3, 4, tzinfo=UTC)
    snap = sandbox.connector().fetch(now=NOW, events_since=since)
    assert snap.activity_since == since
    assert [e.time for e in snap.events] == [datetime(2024, 3, 20, 8, tzinfo=UTC),
                                             datetime(2024, 3, 5, 12, 30, tzinfo=UTC)]


def test_fetch_pages_through_many_business_users(meta_sandbox):
    sandbox = meta_sandbox(business(business_users=many_users(230)))
    snap = sandbox.connector(page_size=25).fetch(now=NOW)
    users = [a for a in snap.accounts if a.kind == AccountKind.USER and "source" not in a.raw]
    assert len(users) == 230 and len({u.account_id for u in users}) == 230
    assert len(sandbox.paths("/business_users")) == 10
    assert all(r.params.get("limit") == "25" for r in sandbox.emulator.requests if r.path.endswith("users")
               and "after" not in r.params)


def test_fetch_order_is_deterministic(sandbox):
    connector = sandbox.connector(options={"max_wait": 0.0, "workers": 4})
    first, second = connector.fetch(now=NOW), connector.fetch(now=NOW)
    key = lambda s: [(g.account_id, g.asset_id, g.role) for g in s.grants]  # noqa: E731
    assert key(first) == key(second)
    assert [a.account_id for a in first.accounts] == [a.account_id for a in second.accounts]


def test_401_fails_the_whole_fetch_naming_the_platform(sandbox):
    sandbox.faults.add("401", "/act_6001/assigned_users")
    with pytest.raises(ConnectorAuthError) as caught:
        sandbox.connector().fetch(now=NOW)
    assert str(caught.value).startswith(f"{PLATFORM}: token rejected (401)")


def test_wrong_token_fails_the_fetch(meta_sandbox):
    data = business()
    del data["tokens"][TOKEN]  # the emulator knows another token only
    sandbox = meta_sandbox(data, token="EAAsomeoneelse000000")
    with pytest.raises(ConnectorAuthError) as caught:
        sandbox.connector().fetch(now=NOW)
    assert PLATFORM in str(caught.value) and TOKEN not in str(caught.value)
    assert len(sandbox.emulator.requests) == 1  # nothing else was tried


def test_missing_business_management_names_the_permission(meta_sandbox):
    data = business()
    data["tokens"][TOKEN]["scopes"] = ["ads_read", "pages_show_list", "pages_read_engagement"]
    sandbox = meta_sandbox(data)
    with pytest.raises(ConnectorPermissionError) as caught:
        sandbox.connector().fetch(now=NOW)
    assert "business_management" in str(caught.value) and str(caught.value).startswith(PLATFORM)
    problems = sandbox.connector().check()
    assert any("missing permission" in p and "business_management" in p for p in problems)
    assert any(p == f"{PLATFORM}: the token lacks permission(s): business_management" for p in problems)


@pytest.mark.parametrize(("kind", "edge", "expected"), [
    ("malformed", "/act_6001/assigned_users", "malformed JSON from GET /act_6001/assigned_users"),
    ("truncated", "/8001/assigned_users", "malformed JSON from GET /8001/assigned_users"),
    ("missing_data", "/8501/assigned_users", "truncated page from GET /8501/assigned_users"),
])
def test_bad_page_on_one_asset_edge_marks_the_snapshot_incomplete(sandbox, kind, edge, expected):
    sandbox.faults.add(kind, edge)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete
    assert len(snap.errors) == 1 and snap.errors[0].startswith(f"{PLATFORM}: ") and expected in snap.errors[0]
    asset = edge.split("/")[1]
    grants = grant_map(snap)
    assert not [k for k in grants if k[1] == asset]
    assert ("2001", "5001") in grants and len(snap.events) == 3  # the rest was still read


def test_failed_asset_list_keeps_the_rest(sandbox):
    sandbox.faults.add("missing_data", f"/{BUSINESS_ID}/owned_pages")
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and "owned_pages" in snap.errors[0]
    assert "5001" not in by_id(snap.assets, "asset_id") and "5002" in by_id(snap.assets, "asset_id")


def test_failed_system_users_keeps_the_rest(sandbox):
    sandbox.faults.add("500", "/system_users", times=None)
    snap = sandbox.connector(max_retries=1).fetch(now=NOW)
    assert not snap.complete
    assert snap.errors == [f"{PLATFORM}: server error 500 after 2 attempts: GET /{BUSINESS_ID}/system_users: "
                           "An unknown error occurred (code 1)"]
    accounts = by_id(snap.accounts, "account_id")
    assert "2001" in accounts
    assert accounts["3001"].raw["source"] == "assigned_users"  # still seen on the page, as an assignee


def test_failed_business_users_fails_the_fetch(sandbox):
    sandbox.faults.add("500", "/business_users", times=None)
    with pytest.raises(ConnectorError) as caught:
        sandbox.connector(max_retries=1).fetch(now=NOW)
    assert f"GET /{BUSINESS_ID}/business_users" in str(caught.value) and caught.value.retryable


@pytest.mark.constraint("meta", "rate_limit_codes")
def test_transient_rate_limit_on_an_edge_is_absorbed(sandbox):
    sandbox.faults.add("rate_limit", "/act_6001/", times=2, code=80004)
    sandbox.faults.add("429", "/pending_users", times=1)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(snap.events) == 3
    assert ("2001", "act_6001") in grant_map(snap)


def test_timeout_on_activities_is_retried(sandbox):
    sandbox.faults.add("timeout", "/act_6001/activities", times=1, delay=2.0)
    snap = sandbox.connector(timeout=0.5).fetch(now=NOW)
    assert snap.complete and len(snap.events) == 3


def test_unset_inspect_token_env_is_recorded(sandbox):
    snap = sandbox.connector(inspect_tokens=["META_NOT_SET"]).fetch(now=NOW)
    assert not snap.complete
    assert snap.errors == [f"{PLATFORM}: test config: platform.inspect_tokens names environment variable "
                           "META_NOT_SET, which is not set"]
    assert [a.token_ref for a in snap.apps if a.token_ref] == ["self"]


def test_token_never_in_logs_or_errors(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.faults.add("malformed", "/act_6001/activities", times=None)
    sandbox.faults.add("malformed", "/debug_token", times=None)  # every inspection falls back
    sandbox.faults.add("429", "/business_users", times=1)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and "GET /act_6001/activities" in snap.errors[0]
    text = caplog.text + "\n".join(snap.errors) + "\n".join(snap.capabilities.notes)
    assert "auditor.http" in {r.name for r in caplog.records}
    page_tokens = list(sandbox.emulator.callers.page_tokens)
    secrets = [TOKEN, EXTRA_TOKEN, APP_SECRET, appsecret_proof(APP_SECRET, TOKEN), *page_tokens]
    assert len(secrets) > 4 and not [s for s in secrets if s in text]


def test_token_sent_as_bearer_header_not_in_urls(sandbox):
    sandbox.connector().fetch(now=NOW)
    sources = {r.token_source for r in sandbox.emulator.requests}
    assert sources == {"header"} and len(sandbox.emulator.requests) > 20


def test_check_is_clean_for_a_good_token(sandbox):
    assert sandbox.connector().check() == []
    assert sandbox.paths()[:3] == ["/me", f"/{BUSINESS_ID}", "/debug_token"]


def test_check_reports_a_rejected_token_once(meta_sandbox):
    data = business()
    del data["tokens"][TOKEN]
    sandbox = meta_sandbox(data, token="EAAsomeoneelse000000")
    problems = sandbox.connector().check()
    assert len(problems) == 1 and "token rejected" in problems[0] and TOKEN not in problems[0]


def test_check_reports_missing_scopes_and_expiry(meta_sandbox):
    data = business()
    soon = int((datetime.now(UTC) + timedelta(days=2)).timestamp())
    data["tokens"][TOKEN].update(scopes=["business_management", "ads_management"], expires_at=soon)
    problems = meta_sandbox(data).connector().check()
    assert problems[0] == f"{PLATFORM}: the token lacks permission(s): pages_show_list, pages_read_engagement"
    assert problems[1].startswith(f"{PLATFORM}: the token lacks pages_manage_metadata: Page assignees")
    assert problems[2].startswith(f"{PLATFORM}: token self expires on ")


def test_check_wants_pages_manage_metadata_unless_page_roles_are_declared_unread(meta_sandbox):
    data = business()
    data["tokens"][TOKEN]["scopes"].remove("pages_manage_metadata")
    sandbox = meta_sandbox(data)
    (problem,) = sandbox.connector().check()
    assert "pages_manage_metadata" in problem and "options.page_roles" in problem
    declared = sandbox.connector(options={"page_roles": False}).check()
    assert not [p for p in declared if "pages_manage_metadata" in p]


def test_page_tokens_are_listed_once_per_fetch_for_assignees_roles_and_agencies(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert sandbox.paths().count("/me/accounts") == 1
    assert {"/5001/assigned_users", "/5001/roles", "/5001/agencies"} <= set(sandbox.paths())
    assert snap.complete, snap.incomplete_scopes


def test_page_roles_option_is_typed(meta_sandbox):
    with pytest.raises(ConfigError, match="page_roles"):
        meta_sandbox(business()).connector(options={"page_roles": "sometimes"})


def test_check_without_business_id_is_a_config_problem(sandbox):
    assert sandbox.connector(business_id=None).check() == [f"platform {PLATFORM!r}: business_id is not set"]
