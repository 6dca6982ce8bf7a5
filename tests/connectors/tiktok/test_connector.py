"""TikTokConnector.fetch / check against the TikTok emulator over real HTTP."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.base import create_connector
from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError
from auditor.connectors.tiktok import TikTokConnector
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind
from tests.connectors.tiktok.conftest import PLATFORM, resolve_secret
from tests.connectors.tiktok.fixtures import BC_ID, TOKEN, business_center, many_members

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
SINCE = datetime(2025, 11, 1, tzinfo=UTC)


def grant_map(snap):
    return {(g.account_id, g.asset_id, g.role): g for g in snap.grants}


def test_registry_creates_the_tiktok_connector():
    settings = PlatformSettings(kind="tiktok", name="t", tenant_id=BC_ID, token_env="TIKTOK_TOKEN")
    assert isinstance(create_connector(settings, resolve_secret), TikTokConnector)


def test_missing_bc_id_is_a_config_error(sandbox):
    with pytest.raises(ConfigError, match="tenant_id"):
        sandbox.connector(tenant_id=None).fetch(now=NOW)


def test_fetch_tenant_members_and_invitations(sandbox):
    snap = sandbox.connector().fetch(now=NOW, events_since=SINCE)
    assert snap.complete and snap.errors == []
    assert (snap.platform, snap.kind, snap.tenant.tenant_id, snap.tenant.name) == (
        PLATFORM, "tiktok", BC_ID, "Kwiatek Test BC")
    assert snap.tenant.two_factor_required is None and snap.tenant.raw["caller_user_role"] == "ADMIN"
    accounts = {a.account_id: a for a in snap.accounts}
    assert list(accounts) == ["7001", "7002", "7003", "7004", "invite:eve@kwiatek.example", "7008", "7010", "7900",
                              "7901"]
    assert all(a.two_factor is None for a in snap.accounts)  # TikTok does not expose 2FA
    eve = accounts["invite:eve@kwiatek.example"]
    assert (eve.kind, eve.state, eve.emails, eve.created_at) == (
        AccountKind.INVITATION, "pending", ("eve@kwiatek.example",), None)
    hal = accounts["7008"]  # an unknown relation status may still be access: kept, state unknown
    assert (hal.kind, hal.state, hal.raw["relation_status"]) == (AccountKind.USER, "unknown", "SUSPENDED")
    assert accounts["7010"].raw["source"] == "asset_member"
    assert snap.tenant.raw["members_without_access"] == [
        {"account": "7006", "relation_status": "UNBOUND"}, {"account": "7007", "relation_status": "REJECTED"}]


def test_fetch_business_center_and_finance_roles(sandbox):
    grants = grant_map(sandbox.connector().fetch(now=NOW))
    tenant = {(a, r): g.privileged for (a, asset, r), g in grants.items() if asset is None}
    assert tenant == {
        ("7001", "ADMIN"): True, ("7001", "FINANCE_MANAGER"): True, ("7002", "STANDARD"): False,
        ("7002", "FINANCE_ANALYST"): False, ("7003", "STANDARD"): False, ("7004", "SUPER_ADMIN"): False,
        ("invite:eve@kwiatek.example", "STANDARD"): False, ("7008", "STANDARD"): False,
    }
    assert grants[("7004", None, "SUPER_ADMIN")].raw == {"unknown_role": "SUPER_ADMIN"}


def test_fetch_assets_and_every_asset_role(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert [(a.asset_id, a.kind, a.name) for a in snap.assets] == [
        ("8001", "ad_account", "Test Ads"), ("8101", "catalog", "Test Catalog"),
        ("8301", "tiktok_shop", "Test Shop"), ("8201", "tiktok_account", "@kwiatek.test"),
        ("8401", "pixel", "Test Pixel"), ("8501", "lead_library", "Test Leads")]
    assert "members" not in snap.assets[0].raw
    on_assets = {(a, asset, r): g.privileged for (a, asset, r), g in grant_map(snap).items()
                 if asset and a.startswith("70")}
    assert on_assets == {
        ("7001", "8001", "ADMIN"): True, ("7002", "8001", "OPERATOR"): False, ("7003", "8001", "ANALYST"): False,
        ("7004", "8001", "SUPERVISOR"): False, ("7010", "8001", "OPERATOR"): False,
        ("7001", "8101", "ADMIN"): True, ("7002", "8101", "AD_PROMOTE"): False, ("7001", "8501", "ADMIN"): True,
    }
    assert grant_map(snap)[("7004", "8001", "SUPERVISOR")].raw["unknown_role"] == "SUPERVISOR"
    member_calls = sandbox.requests("/bc/asset/member/get/")
    assert sorted((r.params["asset_type"], r.params["asset_id"], r.params["page_size"]) for r in member_calls) == [
        ("ADVERTISER", "8001", "20"), ("CATALOG", "8101", "20"), ("LEAD", "8501", "20")]


def test_fetch_partners_and_the_assets_shared_with_them(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete, snap.errors
    partners = [(a.account_id, a.kind, a.name) for a in snap.accounts if a.kind == AccountKind.PARTNER]
    assert partners == [("7900", AccountKind.PARTNER, "Pixel Agency BC"), ("7901", AccountKind.PARTNER, "Client BC")]
    held = {(a, asset, r): g.privileged for (a, asset, r), g in grant_map(snap).items() if a.startswith("79")}
    assert held == {("7900", "8001", "OPERATOR"): False, ("7900", "8101", "ADMIN"): True,
                    ("7900", "8401", "UNKNOWN"): False}  # the client's own assets shared with us grant nothing
    shares = {(r.params["partner_id"], r.params["asset_type"], r.params["share_type"])
              for r in sandbox.requests("/bc/partner/asset/get/")}
    assert shares == {(p, t, "SHARING") for p in ("7900", "7901") for t in ("ADVERTISER", "CATALOG")}
    assert sorted(r.params["asset_type"] for r in sandbox.requests("/bc/asset/partner/get/")) == ["LEAD", "PIXEL"]


def test_failed_asset_members_fail_only_that_asset(sandbox):
    sandbox.faults.add("503", "/bc/asset/member/get/", times=None)
    sandbox.faults.add("503", "/bc/asset/partner/get/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete
    assert sorted(snap.incomplete_scopes) == ["asset:8001", "asset:8101", "asset:8401", "asset:8501"]
    assert "server error 503 after 3 attempts" in snap.incomplete_scopes["asset:8001"]
    assert len(snap.accounts) == 8  # 7010, known only as an asset member, is unread
    assert ("7900", "8001") in {(g.account_id, g.asset_id) for g in snap.grants}


def test_failed_partner_assets_fail_only_that_partner(sandbox):
    sandbox.faults.add("500", "/bc/partner/asset/get/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert set(snap.incomplete_scopes) == {"account:7900", "account:7901"}
    assert {a.account_id for a in snap.accounts} >= {"7900", "7901"}
    assert ("7900", "8401") in {(g.account_id, g.asset_id) for g in snap.grants}  # the pixel was still read


def test_failed_partner_list_fails_the_tenant_scope(sandbox):
    sandbox.faults.add("500", "/bc/partner/get/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert list(snap.incomplete_scopes) == ["tenant"]
    assert [a.account_id for a in snap.accounts][7:] == ["7900"]  # still found as the pixel's holder


def test_fetch_changelog_as_events(sandbox):
    snap = sandbox.connector().fetch(now=NOW, events_since=SINCE)
    assert snap.activity_since == SINCE
    assert [(e.time, e.actor_id, e.actor_name, e.action, e.raw_action) for e in snap.events] == [
        (datetime(2026, 3, 14, 9, 30, tzinfo=UTC), "7001", "Ada Admin", "role_granted", "ACCOUNT"),
        (datetime(2026, 3, 10, 8, 0, tzinfo=UTC), "7001", "Ada Admin", "role_revoked", "USER"),
        (datetime(2026, 2, 1, 10, 15, tzinfo=UTC), "7003", "Cleo Creator", "activity", "ASSET"),
        (datetime(2025, 12, 24, 18, 0, tzinfo=UTC), "7001", "Ada Admin", "activity", "BUSINESS"),
    ]
    assert all(e.target_id is None for e in snap.events)  # the target is free text only
    assert snap.events[0].raw["activity_log"].endswith("to Ben Standard")
    assert len({e.event_id for e in snap.events}) == 4
    (call,) = sandbox.requests("/changelog/get/")
    assert json.loads(call.params["filtering"]) == {"start_date": "2025-11-01", "end_date": "2026-03-15",
                                                    "activity_type": "ALL"}
    assert (call.params["sort_type"], call.params["lang"], call.token_sent) == ("DESC", "en", True)
    assert all(a.last_activity is None for a in snap.accounts)  # a management log does not date activity


def test_paging_reads_every_page_and_respects_page_limits(tiktok_sandbox):
    sandbox = tiktok_sandbox(many_members(45))
    snap = sandbox.connector(page_size=100).fetch(now=NOW)
    assert snap.complete
    assert sum(1 for a in snap.accounts if a.account_id.startswith("9")) == 45
    calls = sandbox.requests("/bc/member/get/")
    assert [(r.params["page"], r.params["page_size"]) for r in calls] == [("1", "20"), ("2", "20"), ("3", "20")]
    small = tiktok_sandbox(many_members(45)).connector(page_size=7).fetch(now=NOW)
    assert [a.account_id for a in small.accounts] == [a.account_id for a in snap.accounts]


def test_rejected_token_raises_without_leaking_it(tiktok_sandbox, caplog):
    sandbox = tiktok_sandbox(token="another-token-value")
    with caplog.at_level(logging.DEBUG), pytest.raises(ConnectorAuthError) as info:
        sandbox.connector().fetch(now=NOW)
    message = str(info.value)
    assert "Access token is incorrect or has been revoked" in message and "40105" in message
    assert "GET /bc/get/" in message and TOKEN not in message and TOKEN not in caplog.text
    assert len(sandbox.requests("/bc/get/")) == 1  # not retried


def test_revoked_token_mid_fetch_raises(sandbox):
    sandbox.faults.add("401", "/changelog/get/")
    with pytest.raises(ConnectorAuthError, match="40105"):
        sandbox.connector().fetch(now=NOW)


def test_missing_permission_on_members_names_the_permission(sandbox):
    sandbox.faults.add("permission", "/bc/member/get/")
    with pytest.raises(ConnectorPermissionError) as info:
        sandbox.connector().fetch(now=NOW)
    assert "Read Business Center" in str(info.value) and "40001" in str(info.value)


def test_missing_changelog_permission_is_recorded(tiktok_sandbox):
    data = business_center()
    data["denied"] = ["/changelog/get/"]
    snap = tiktok_sandbox(data).connector().fetch(now=NOW)
    assert not snap.complete and snap.events == [] and snap.activity_since is None
    (error,) = snap.errors
    assert error.startswith(f"{PLATFORM}: missing permission") and "'Ads Management > Change Log'" in error
    assert len(snap.accounts) == 9  # everything else was read


def test_business_center_the_token_cannot_see(sandbox):
    with pytest.raises(ConnectorPermissionError, match="not a member of Business Center 123"):
        sandbox.connector(tenant_id="123").fetch(now=NOW)


@pytest.mark.parametrize("kind", ["rate_limit", "429"])
def test_rate_limit_backs_off_then_succeeds(sandbox, kind):
    sandbox.faults.add(kind, "/bc/member/get/")
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(snap.accounts) == 9
    assert len(sandbox.requests("/bc/member/get/")) == 2


def test_rate_limit_code_with_http_200_is_retried_with_backoff(sandbox):
    sandbox.faults.add("rate_limit", "/bc/get/", times=2)
    waits: list[float] = []
    connector = sandbox.connector(backoff=0.5, options={"max_wait": 10.0})
    client = connector._client(TOKEN)
    client._sleep = waits.append
    with client:
        assert client.get_json("/bc/get/", {"bc_id": BC_ID})["code"] == 0
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


def test_persistent_rate_limit_on_a_side_read_is_could_not_verify(sandbox):
    sandbox.faults.add("rate_limit", "/changelog/get/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and snap.activity_since is None
    (error,) = snap.errors
    assert "rate limited after 3 attempts: GET /changelog/get/" in error and "40100" in error


def test_persistent_rate_limit_on_members_raises(sandbox):
    sandbox.faults.add("rate_limit", "/bc/member/get/", times=None)
    with pytest.raises(ConnectorError, match="rate limited after 3 attempts") as info:
        sandbox.connector().fetch(now=NOW)
    assert info.value.retryable


def test_server_errors_are_retried(sandbox):
    sandbox.faults.add("500", "/bc/asset/admin/get/", times=2)
    sandbox.faults.add("503", "/bc/asset/member/get/")
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(snap.assets) == 6


def test_persistent_server_error_on_asset_members_is_recorded(sandbox):
    sandbox.faults.add("503", "/bc/asset/member/get/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and set(snap.incomplete_scopes) == {"asset:8001", "asset:8101", "asset:8501"}
    assert all("server error 503 after 3 attempts: GET /bc/asset/member/get/" in e for e in snap.errors)
    assert not any(g.asset_id for g in snap.grants if g.account_id.startswith("70"))


def test_other_envelope_errors_fail_without_retry(sandbox):
    sandbox.faults.add("rate_limit", "/changelog/get/", code=40002)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.errors == [f"{PLATFORM}: request failed (400): Sandbox error 40002. (TikTok code 40002, request_id "
                           f"{snap.errors[0].split('request_id ')[1]}"]
    assert len(sandbox.requests("/changelog/get/")) == 1


def test_malformed_member_page_raises(sandbox):
    sandbox.faults.add("malformed", "/bc/member/get/", times=None)
    with pytest.raises(ConnectorError, match="malformed JSON from GET /bc/member/get/"):
        sandbox.connector().fetch(now=NOW)


def test_truncated_second_page_raises(tiktok_sandbox):
    sandbox = tiktok_sandbox(many_members(30))
    sandbox.faults.add("truncated", "/bc/member/get/", times=None)
    with pytest.raises(ConnectorError, match="malformed JSON"):
        sandbox.connector().fetch(now=NOW)


def test_answer_without_data_is_a_truncated_answer(sandbox):
    sandbox.faults.add("missing_data", "/bc/asset/admin/get/", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and len(snap.errors) == 6 and snap.assets == []
    assert "truncated answer from GET /bc/asset/admin/get/" in snap.errors[0]


def test_page_without_page_info_is_a_truncated_page(tiktok_sandbox, monkeypatch):
    sandbox = tiktok_sandbox()
    original = sandbox.emulator._page

    def no_info(request, path, items, list_key="list"):
        body = original(request, path, items, list_key)
        if path == "/changelog/get/":
            del body["page_info"]
        return body

    monkeypatch.setattr(sandbox.emulator, "_page", no_info)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.errors == [f"{PLATFORM}: truncated page from GET /changelog/get/ (page 1): no 'data.changelog_list' "
                           "list or no 'page_info.total_page'"]


def test_unreadable_changelog_time_is_reported(tiktok_sandbox):
    data = business_center()
    data["changelog"].append({"time": "2026-03-13 25:61:00", "activity_type": "USER", "operator_id": "7001",
                              "activity_log": "an impossible time"})
    snap = tiktok_sandbox(data).connector().fetch(now=NOW)
    assert len(snap.events) == 4 and not snap.complete
    assert snap.errors == [f"{PLATFORM}: 1 changelog entr(y/ies) without a readable time skipped"]


def test_timeout_is_reported(sandbox):
    sandbox.faults.add("timeout", "/changelog/get/", times=None, delay=1.2)
    snap = sandbox.connector(timeout=0.5, max_retries=0).fetch(now=NOW)
    assert snap.errors == [f"{PLATFORM}: timed out after 1 attempts: GET /changelog/get/"]


def test_check_passes_on_a_healthy_business_center(sandbox):
    assert sandbox.connector().check() == []
    assert {r.path for r in sandbox.emulator.requests} == {"/bc/get/", "/bc/member/get/", "/changelog/get/"}


def test_check_reports_a_caller_who_is_not_admin(tiktok_sandbox):
    data = business_center()
    data["caller"] = {"user_role": "STANDARD"}
    (problem,) = tiktok_sandbox(data).connector().check()
    assert "'STANDARD'" in problem and "needs a Business Center ADMIN" in problem


def test_check_reports_token_and_permission_problems(tiktok_sandbox):
    assert "token rejected" in tiktok_sandbox(token="other-token-1234").connector().check()[0]
    data = business_center()
    data["denied"] = ["/changelog/get/"]
    (problem,) = tiktok_sandbox(data).connector().check()
    assert "Ads Management > Change Log" in problem
    assert "tenant_id" in tiktok_sandbox().connector(tenant_id=None).check()[0]
