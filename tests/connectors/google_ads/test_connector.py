"""GoogleAdsConnector.fetch / check against the Google Ads emulator over real HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.base import create_connector
from auditor.connectors.google_ads import GoogleAdsConnector, mapping
from auditor.connectors.google_ads import connector as connector_module
from auditor.connectors.http import ConnectorAuthError
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind
from tests.connectors.google_ads.conftest import PLATFORM, resolve_secret
from tests.connectors.google_ads.fixtures import (
    DEVELOPER_TOKEN,
    MANAGER_ID,
    SEARCH_ID,
    TOKEN,
    VIDEO_ID,
    many_users,
)

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
LOG_START = NOW - timedelta(days=30) + timedelta(hours=1)


def grant_map(snap):
    return {(g.account_id, g.asset_id): g for g in snap.grants}


def test_registry_creates_the_google_ads_connector():
    settings = PlatformSettings(kind="google_ads", name="g", token_env="GADS_TOKEN")
    assert isinstance(create_connector(settings, resolve_secret), GoogleAdsConnector)


@pytest.mark.parametrize(("options", "message"), [
    ({"developer_token_env": None}, "developer_token_env is not set"),
    ({"customer_ids": "123"}, "options: customer_ids: Input should be a valid list"),
    ({"customer_ids": []}, "options: customer_ids: List should have at least 1 item"),
    ({"customer_ids": ["abc"]}, "options: customer_ids.0: not a customer id: 'abc'"),
    ({"login_customer_id": "mcc"}, "options: login_customer_id: not a customer id"),
    ({"read_managr": False}, "options: unknown key 'read_managr'"),
])
def test_configuration_errors(sandbox, options, message):
    with pytest.raises(ConfigError, match=message):
        sandbox.connector(options=options).fetch(now=NOW)


def test_bad_tenant_id_fails_before_any_request(sandbox):
    with pytest.raises(ConfigError, match="tenant_id: not a customer id"):
        sandbox.connector(tenant_id="shop").fetch(now=NOW)
    assert sandbox.emulator.requests == []
    assert sandbox.connector(tenant_id="222-000-0002").fetch(now=NOW).tenant.name == "Test Search"


def test_fetch_tenant_assets_and_accounts(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and snap.errors == []
    assert (snap.platform, snap.kind, snap.tenant.tenant_id, snap.tenant.name) == (
        PLATFORM, "google_ads", MANAGER_ID, "Test MCC")
    assert snap.tenant.two_factor_required is None
    assert [(a.asset_id, a.kind, a.name) for a in snap.assets] == [
        (MANAGER_ID, "manager_account", "Test MCC"), (SEARCH_ID, "ad_account", "Test Search"),
        (VIDEO_ID, "ad_account", "Test Video")]
    assert snap.assets[2].raw["timeZone"] == "America/New_York"
    accounts = {a.account_id: a for a in snap.accounts}
    assert list(accounts) == ["501", "502", "503", "504", "505", f"invite:{SEARCH_ID}:701",
                              f"invite:{SEARCH_ID}:704", "506"]
    ada = accounts["501"]
    assert (ada.kind, ada.emails, ada.created_at) == (
        AccountKind.USER, ("ada@kwiatek.example",), datetime(2023, 6, 1, 7, 30, tzinfo=UTC))
    assert sorted(ada.raw["customers"]) == [MANAGER_ID, SEARCH_ID]
    assert accounts["506"].created_at == datetime(2025, 7, 4, 2, 0, tzinfo=UTC)  # served in New York time


def test_passkey_is_the_only_two_factor_signal(sandbox):
    accounts = {a.account_id: a for a in sandbox.connector().fetch(now=NOW).accounts}
    # 501: passkey on the manager row; 502: passkey on one customer; 503: false; 504: absent (proto3 default)
    assert [accounts[i].two_factor for i in ("501", "502", "503", "504", "505", "506")] == [
        True, True, None, None, None, None]


def test_fetch_every_access_role_and_invitation(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    grants = grant_map(snap)
    roles = {key: (g.role, g.privileged) for key, g in grants.items()}
    assert roles == {
        ("501", MANAGER_ID): ("ADMIN", True), ("501", SEARCH_ID): ("ADMIN", True),
        ("502", SEARCH_ID): ("STANDARD", False), ("503", SEARCH_ID): ("READ_ONLY", False),
        ("504", SEARCH_ID): ("EMAIL_ONLY", False), ("505", SEARCH_ID): ("SUPER_USER", False),
        (f"invite:{SEARCH_ID}:701", SEARCH_ID): ("STANDARD", False),
        (f"invite:{SEARCH_ID}:704", SEARCH_ID): ("ADMIN", True),
        ("502", VIDEO_ID): ("ADMIN", True), ("506", VIDEO_ID): ("STANDARD", False),
    }
    assert grants[("505", SEARCH_ID)].raw["unknown_role"] == "SUPER_USER"
    ben = grants[("502", SEARCH_ID)]
    assert (ben.granted_at, ben.granted_by) == (datetime(2025, 1, 15, 12, tzinfo=UTC), "ada@kwiatek.example")
    invitations = {a.account_id: a for a in snap.accounts if a.kind == AccountKind.INVITATION}
    pending = invitations[f"invite:{SEARCH_ID}:701"]
    assert (pending.state, pending.emails, pending.role, pending.created_at) == (
        "pending", ("fay@kwiatek.example",), "STANDARD", datetime(2026, 3, 5, 9, tzinfo=UTC))
    assert invitations[f"invite:{SEARCH_ID}:704"].state == "unknown"  # an unknown status may still be live
    assert snap.tenant.raw["closed_invitations"] == [
        {"customer": SEARCH_ID, "invitation_id": "702", "status": "EXPIRED"},
        {"customer": SEARCH_ID, "invitation_id": "703", "status": "DECLINED"}]


def test_change_events_of_the_last_30_days_are_activity(sandbox):
    snap = sandbox.connector().fetch(now=NOW, events_since=NOW - timedelta(days=180))
    assert snap.activity_since == LOG_START
    events = [(e.time, e.actor_id, e.actor_name, e.raw_action, e.asset_id) for e in snap.events]
    assert events == [
        (datetime(2026, 3, 14, 10, tzinfo=UTC), "502", "ben@kwiatek.example", "UPDATE CAMPAIGN_BUDGET", SEARCH_ID),
        (datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "501", "ada@kwiatek.example", "CREATE AD_GROUP_AD", SEARCH_ID),
        (datetime(2026, 2, 20, 8, tzinfo=UTC), "502", "ben@kwiatek.example", "UPDATE CAMPAIGN", SEARCH_ID),
        (datetime(2026, 2, 18, 8, tzinfo=UTC), None, "former@agency.example", "REMOVE AD", SEARCH_ID),
        (datetime(2026, 3, 10, 3, 30, tzinfo=UTC), "506", "jo@kwiatek.example", "CREATE ASSET", VIDEO_ID),
    ]
    assert snap.events[0].event_id.startswith(f"customers/{SEARCH_ID}/changeEvents/")
    assert snap.events[0].raw["clientType"] == "GOOGLE_ADS_WEB_CLIENT"
    accounts = {a.account_id: a for a in snap.accounts}
    assert accounts["502"].last_activity == datetime(2026, 3, 14, 10, tzinfo=UTC)
    assert accounts["503"].last_activity is None
    (search,) = sandbox.queries("change_event", SEARCH_ID)
    assert "change_event.change_date_time >= '2026-02-13 14:00:00'" in search.query  # Warsaw, UTC+1
    assert "<= '2026-03-15 13:00:00'" in search.query and search.query.endswith("LIMIT 10000")
    (video,) = sandbox.queries("change_event", VIDEO_ID)
    assert ">= '2026-02-13 08:00:00'" in video.query  # New York, UTC-5


def test_a_recent_events_since_narrows_the_window(sandbox):
    since = NOW - timedelta(days=3)
    snap = sandbox.connector().fetch(now=NOW, events_since=since)
    assert snap.activity_since == since and [e.actor_id for e in snap.events] == ["502"]


def test_headers_and_no_page_size(sandbox):
    sandbox.connector().fetch(now=NOW)
    searches = sandbox.requests("googleAds:search")
    assert len(searches) == 12  # 3 customers x (customer, users, invitations, changes)
    assert {r.login_customer_id for r in searches} == {MANAGER_ID}
    assert all(r.method == "POST" and r.page_token is None for r in searches)


def test_paging_follows_page_tokens(gads_sandbox):
    sandbox = gads_sandbox(many_users(7), page_size=2)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and sum(a.account_id.startswith("90") for a in snap.accounts) == 7
    pages = sandbox.queries("customer_user_access", SEARCH_ID)
    assert len(pages) == 6 and pages[0].page_token is None and all(p.page_token for p in pages[1:])
    whole = gads_sandbox(many_users(7)).connector().fetch(now=NOW)
    assert [a.account_id for a in whole.accounts] == [a.account_id for a in snap.accounts]


def test_customers_from_list_accessible_customers_and_the_manager_hierarchy(sandbox):
    snap = sandbox.connector(options={"customer_ids": None, "login_customer_id": None}).fetch(now=NOW)
    # listAccessibleCustomers gives only the manager; its clients come from customer_client
    assert [a.asset_id for a in snap.assets] == [MANAGER_ID, SEARCH_ID, VIDEO_ID] and snap.complete
    assert len(sandbox.requests("customers:listAccessibleCustomers")) == 1
    assert snap.tenant.raw["login_customer_ids"] == {MANAGER_ID: MANAGER_ID, SEARCH_ID: MANAGER_ID,
                                                     VIDEO_ID: MANAGER_ID}
    assert {r.login_customer_id for r in sandbox.requests(f"/customers/{VIDEO_ID}/")} == {MANAGER_ID}


def test_the_manager_is_read_unless_told_not_to(sandbox):
    snap = sandbox.connector(options={"read_manager": False}).fetch(now=NOW)
    assert [a.asset_id for a in snap.assets] == [SEARCH_ID, VIDEO_ID]
    assert snap.tenant.tenant_id == MANAGER_ID and snap.tenant.name == MANAGER_ID


def test_older_api_versions_are_not_asked_for_passkeys(gads_sandbox):
    sandbox = gads_sandbox()
    snap = sandbox.connector(base_url=sandbox.base_url.replace("/v25", "/v23")).fetch(now=NOW)
    assert snap.complete and all(a.two_factor is None for a in snap.accounts)
    assert all("passkey" not in q.query for q in sandbox.queries("customer_user_access"))


def test_without_login_customer_id_each_client_fails_alone_and_is_named(sandbox):
    snap = sandbox.connector(options={"login_customer_id": None, "customer_ids": [MANAGER_ID, SEARCH_ID,
                                                                                  VIDEO_ID]}).fetch(now=NOW)
    assert set(snap.incomplete_scopes) >= {f"asset:{SEARCH_ID}", f"asset:{VIDEO_ID}"}
    assert f"asset:{MANAGER_ID}" not in snap.incomplete_scopes
    message = snap.incomplete_scopes[f"asset:{SEARCH_ID}"]
    assert "USER_PERMISSION_DENIED" in message and "login_customer_id" in message
    assert "https://www.googleapis.com/auth/adwords" in message
    assert {g.asset_id for g in snap.grants} == {MANAGER_ID}  # the manager is still read
    with pytest.raises(ConnectorError, match="no customer.s users could be read.*USER_PERMISSION_DENIED"):
        sandbox.connector(options={"login_customer_id": None, "read_manager": False}).fetch(now=NOW)


def test_rejected_token_raises_without_leaking_secrets(gads_sandbox, caplog):
    sandbox = gads_sandbox(token="some-other-token")
    with caplog.at_level(logging.DEBUG), pytest.raises(ConnectorAuthError) as info:
        sandbox.connector().fetch(now=NOW)
    message = str(info.value)
    assert "OAUTH_TOKEN_INVALID" in message and "developer token" in message
    for secret in (TOKEN, DEVELOPER_TOKEN):
        assert secret not in message and secret not in caplog.text


def test_wrong_developer_token_is_an_auth_error(sandbox, monkeypatch):
    monkeypatch.setitem(sandbox.emulator.data, "developer_token", "another-developer-token")
    with pytest.raises(ConnectorAuthError, match="DEVELOPER_TOKEN_INVALID"):
        sandbox.connector().fetch(now=NOW)


def test_quota_error_backs_off_then_succeeds(sandbox):
    sandbox.faults.add("429", "googleAds:search", retry_after=30)
    sandbox.faults.add("rate_limit", "googleAds:search")
    waits: list[float] = []
    connector = sandbox.connector(options={"max_wait": 45.0})
    client = connector._client(TOKEN, DEVELOPER_TOKEN, MANAGER_ID)
    client._sleep = waits.append
    with client:
        pages = list(client.search(SEARCH_ID, mapping.CUSTOMER_QUERY))
    assert pages[0][0]["customer"]["id"] == SEARCH_ID
    assert waits == [30.0]  # the quota error's retryDelay; then a zero backoff (no sleep)
    assert len(sandbox.requests(f"/customers/{SEARCH_ID}/")) == 3


def test_quota_error_on_changes_is_could_not_verify(sandbox):
    sandbox.faults.add("429", f"/customers/{VIDEO_ID}/", times=None)
    partial = sandbox.connector().fetch(now=NOW)  # one customer failing leaves the others read
    assert "rate limited after 3 attempts" in partial.incomplete_scopes[f"asset:{VIDEO_ID}"]
    assert "events" in partial.incomplete_scopes and partial.activity_since is None
    assert {g.asset_id for g in partial.grants} >= {SEARCH_ID}
    sandbox.faults.clear()
    original = sandbox.emulator._check_change_query

    def exhausted(query, parse):
        original(query, parse)
        from auditor.demo.google_ads.emulator import AdsError
        raise AdsError(429, "quotaError", "RESOURCE_EXHAUSTED", "Too many requests.")

    sandbox.emulator._check_change_query = exhausted
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and snap.events == [] and snap.activity_since is None
    assert len(snap.errors) == 3 and all("rate limited after 3 attempts: POST /customers/" in e for e in snap.errors)
    assert len(snap.accounts) == 8


def test_server_errors_are_retried(sandbox):
    sandbox.faults.add("500", "googleAds:search", times=2)
    sandbox.faults.add("503", "googleAds:search")
    # reads run concurrently: any one of them may meet all three faults, so it gets a fourth attempt
    assert sandbox.connector(max_retries=3).fetch(now=NOW).complete
    assert sandbox.faults.pending == []


def test_a_customer_whose_users_cannot_be_read_is_a_failed_scope(sandbox):
    sandbox.faults.add("503", f"/customers/{SEARCH_ID}/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert "server error 503" in snap.incomplete_scopes[f"asset:{SEARCH_ID}"] and not snap.complete
    assert SEARCH_ID not in {g.asset_id for g in snap.grants} and VIDEO_ID in {g.asset_id for g in snap.grants}


def test_permission_error_on_one_read_is_recorded_with_the_hint(sandbox, monkeypatch):
    original = sandbox.emulator._select

    def deny_invitations(cid, customer, query):
        if query["resource"] == "customer_user_access_invitation":
            from auditor.demo.google_ads.emulator import AdsError
            raise AdsError(403, "authorizationError", "ACTION_NOT_PERMITTED", "Not permitted.")
        return original(cid, customer, query)

    monkeypatch.setattr(sandbox.emulator, "_select", deny_invitations)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and len(snap.errors) == 3
    assert "missing permission" in snap.errors[0] and "ACTION_NOT_PERMITTED" in snap.errors[0]
    assert not any(a.kind == AccountKind.INVITATION for a in snap.accounts)


def test_malformed_user_page_fails_that_customer(sandbox):
    sandbox.faults.add("malformed", f"/customers/{SEARCH_ID}/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert f"malformed JSON from POST /customers/{SEARCH_ID}/googleAds:search" in snap.incomplete_scopes[
        f"asset:{SEARCH_ID}"]


def test_truncated_and_empty_answers(gads_sandbox):
    sandbox = gads_sandbox(many_users(5), page_size=2)
    sandbox.faults.add("truncated", f"/customers/{SEARCH_ID}/", times=None)
    assert "malformed JSON" in sandbox.connector().fetch(now=NOW).incomplete_scopes[f"asset:{SEARCH_ID}"]
    sandbox.faults.clear()
    sandbox.faults.add("missing_data", f"/customers/{VIDEO_ID}/", times=None)
    scopes = sandbox.connector().fetch(now=NOW).incomplete_scopes
    assert "truncated page from POST /customers/3330000003/googleAds:search" in scopes[f"asset:{VIDEO_ID}"]


def test_change_events_beyond_the_row_limit_are_read_in_windows(sandbox, monkeypatch):
    monkeypatch.setattr(mapping, "CHANGE_EVENT_LIMIT", 2)
    monkeypatch.setattr(connector_module, "CHANGE_EVENT_LIMIT", 2)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete
    assert sorted(e.time for e in snap.events if e.asset_id == SEARCH_ID) == [
        datetime(2026, 2, 18, 8, tzinfo=UTC), datetime(2026, 2, 20, 8, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 30, tzinfo=UTC), datetime(2026, 3, 14, 10, tzinfo=UTC)]
    # windows end at the oldest time seen: [14 Mar, 1 Mar], [1 Mar, 20 Feb], [20 Feb, 18 Feb], [18 Feb]
    assert len(sandbox.queries("change_event", SEARCH_ID)) == 4


def test_check(gads_sandbox):
    sandbox = gads_sandbox()
    assert sandbox.connector().check() == []
    assert all(q.query.endswith("LIMIT 1") for q in sandbox.queries("customer_user_access"))
    problems = sandbox.connector(options={"login_customer_id": None}).check()
    assert len(problems) == 2 and all("USER_PERMISSION_DENIED" in p for p in problems)
    assert "token rejected" in gads_sandbox(token="x-other-token").connector().check()[0]
    assert "developer_token_env" in sandbox.connector(options={"developer_token_env": None}).check()[0]


def test_a_customer_whose_invitations_cannot_be_read_fails_the_tenant_scope(sandbox, monkeypatch):
    """Invitations are a tenant-level list (their findings depend on ``tenant``): a customer whose invitations
    cannot be read must not let its stale invitations resolve (found by bench/soak_faults.py)."""
    original = sandbox.emulator._select

    def fail_invitations(cid, customer, query):
        if query["resource"] == "customer_user_access_invitation" and cid == SEARCH_ID:
            from auditor.demo.google_ads.emulator import AdsError
            raise AdsError(500, "internalError", "INTERNAL_ERROR", "Internal error encountered.")
        return original(cid, customer, query)

    monkeypatch.setattr(sandbox.emulator, "_select", fail_invitations)
    snap = sandbox.connector().fetch(now=NOW)
    assert "tenant" in snap.incomplete_scopes and f"customer {SEARCH_ID}" in snap.incomplete_scopes["tenant"]
    assert f"asset:{SEARCH_ID}" in snap.incomplete_scopes
