"""XConnector.fetch / check against the X Ads emulator over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.base import create_connector
from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError
from auditor.connectors.x import GAP_NOTE, XConnector
from auditor.demo.faults import Fault, FaultPlan
from auditor.errors import ConfigError
from auditor.model import AccountKind
from tests.connectors.x.conftest import PLATFORM, SECRETS, resolve_secret
from tests.connectors.x.fixtures import AD_ACCOUNT, CALLER, CREDENTIALS, OTHER_ACCOUNT, OWNER, many_promotable

NOW = datetime(2024, 4, 1, tzinfo=UTC)


def grants_of(snap):
    return {(g.account_id, g.asset_id, g.role): g.privileged for g in snap.grants}


def test_registry_creates_the_x_connector():
    settings = PlatformSettings(kind="x", name="x", tenant_id="a", token_env="X_CREDENTIALS")
    assert isinstance(create_connector(settings, resolve_secret), XConnector)


def test_fetch_reads_the_caller_and_the_owner_and_declares_the_gap(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and snap.errors == []
    assert (snap.platform, snap.kind, snap.tenant.tenant_id) == (PLATFORM, "x", AD_ACCOUNT)
    assert snap.tenant.two_factor_required is None and snap.tenant.raw["caller_user_ids"] == [CALLER]
    assert [a.account_id for a in snap.accounts] == [CALLER, OWNER]
    assert all(a.kind == AccountKind.USER and a.emails == () and a.two_factor is None for a in snap.accounts)
    assert grants_of(snap) == {
        (CALLER, AD_ACCOUNT, "ACCOUNT_ADMIN"): True, (CALLER, AD_ACCOUNT, "TWEET_COMPOSER"): False,
        (CALLER, OTHER_ACCOUNT, "ANALYST"): False,
        (OWNER, AD_ACCOUNT, "FULL"): True, (OWNER, OTHER_ACCOUNT, "FULL"): True,
    }
    caps = snap.capabilities
    assert not (caps.per_user_2fa or caps.tenant_2fa or caps.app_scopes or caps.audit_log or caps.account_emails)
    assert GAP_NOTE in caps.notes and snap.apps == [] and snap.events == []


def test_users_other_than_the_caller_are_never_listed(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert "111" not in {a.account_id for a in snap.accounts}


def test_assets_keep_the_node_and_every_promotable_user_as_evidence(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assets = {a.asset_id: a for a in snap.assets}
    assert [(a.asset_id, a.kind, a.name) for a in snap.assets] == [
        (AD_ACCOUNT, "ad_account", "Kwiatek Test Shop"), (OTHER_ACCOUNT, "ad_account", "Kwiatek Garden")]
    evidence = assets[AD_ACCOUNT].raw["promotable_users"]
    assert [(p["user_id"], p["promotable_user_type"]) for p in evidence] == [
        (OWNER, "FULL"), ("8880001", "RETWEETS_ONLY")]
    assert "8880001" not in {a.account_id for a in snap.accounts}  # RETWEETS_ONLY is not access
    assert "8880002" not in str(evidence)  # deleted: the connector does not ask for deleted users


def test_promotable_users_are_paged_by_cursor(x_sandbox):
    sandbox = x_sandbox(many_promotable(7))
    snap = sandbox.connector(page_size=3).fetch(now=NOW)
    assert snap.complete
    evidence = {a.asset_id: a for a in snap.assets}[AD_ACCOUNT].raw["promotable_users"]
    assert len(evidence) == 9  # FULL + RETWEETS_ONLY + 7 more, the deleted one left out
    pages = [r for r in sandbox.emulator.requests if r.path == f"/accounts/{AD_ACCOUNT}/promotable_users"]
    assert len(pages) == 3
    assert [r.params.get("count") for r in pages] == ["3", "3", "3"]
    assert "cursor" not in pages[0].params and all("cursor" in r.params for r in pages[1:])
    assert all(r.signed for r in sandbox.emulator.requests)


def test_unknown_enum_values_are_kept_and_not_privileged(x_sandbox):
    data = many_promotable(0)
    data["accounts"][0]["users"][0]["permissions"] = ["SUPER_ADMIN_2030"]
    data["accounts"][0]["promotable_users"].append(
        {"id": "q", "user_id": "4242", "promotable_user_type": "CO_OWNER", "deleted": False})
    snap = x_sandbox(data).connector().fetch(now=NOW)
    grants = {(g.account_id, g.asset_id, g.role): g for g in snap.grants}
    odd = grants[(CALLER, AD_ACCOUNT, "SUPER_ADMIN_2030")]
    assert (odd.privileged, odd.raw["unknown"]) == (False, True)
    co = grants[("4242", AD_ACCOUNT, "CO_OWNER")]
    assert (co.privileged, co.raw["unknown"]) == (False, True)


def test_rejected_credentials_raise_an_auth_error_without_secrets(x_sandbox):
    sandbox = x_sandbox(token="ck:cs:at:ts-other")
    with pytest.raises(ConnectorAuthError) as info:
        sandbox.connector().fetch(now=NOW)
    message = str(info.value)
    assert message.startswith(f"{PLATFORM}: token rejected (401): UNAUTHORIZED_ACCESS") and "OAuth 1.0a" in message
    assert not any(part in message for part in CREDENTIALS.split(":"))


def test_a_401_fault_raises_auth_error(sandbox):
    sandbox.faults.add("401", "authenticated_user_access", times=None)
    with pytest.raises(ConnectorAuthError):
        sandbox.connector().fetch(now=NOW)


def test_a_missing_permission_names_what_to_grant(sandbox):
    sandbox.faults.add("permission", "/accounts/", times=None)  # no ads account can be read at all
    with pytest.raises(ConnectorPermissionError) as info:
        sandbox.connector().fetch(now=NOW)
    message = str(info.value)
    assert "missing permission: INSUFFICIENT_USER_AUTHORIZED_PERMISSION" in message and "ANALYST" in message
    assert "/accounts/" in message


def test_an_ads_account_the_caller_cannot_see_fails_its_scope_and_check_says_what_to_grant(sandbox):
    sandbox.emulator.accounts[OTHER_ACCOUNT]["users"] = []
    snap = sandbox.connector().fetch(now=NOW)
    assert list(snap.incomplete_scopes) == [f"asset:{OTHER_ACCOUNT}"] and len(snap.errors) == 3  # its three reads
    assert (OWNER, AD_ACCOUNT, "FULL") in grants_of(snap)
    problems = sandbox.connector(options={"ad_account_ids": [OTHER_ACCOUNT]}).check()
    assert len(problems) == 1 and "ANALYST" in problems[0] and OTHER_ACCOUNT in problems[0]


def test_429_backs_off_by_the_account_reset_header_then_succeeds(sandbox):
    sandbox.faults.add("429", "authenticated_user_access", times=1, retry_after=30)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete
    assert len(sandbox.sleeps) == 1 and 25 <= sandbox.sleeps[0] <= 31  # the hint of x-account-rate-limit-reset


def test_429_with_user_level_headers_only_uses_them(sandbox):
    sandbox.faults.add("rate_limit", f"/accounts/{AD_ACCOUNT}/promotable_users", times=1, regain_minutes=1)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(sandbox.sleeps) == 1 and 55 <= sandbox.sleeps[0] <= 61


def test_429_that_does_not_stop_makes_the_snapshot_incomplete(sandbox):
    sandbox.faults.add("429", f"/accounts/{AD_ACCOUNT}/promotable_users", times=None)
    snap = sandbox.connector(max_retries=1).fetch(now=NOW)
    assert not snap.complete
    assert len(snap.errors) == 1 and "rate limited after 2 attempts" in snap.errors[0]
    assert (OWNER, OTHER_ACCOUNT, "FULL") in grants_of(snap)  # the other reads went on


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors_are_retried(sandbox, kind):
    sandbox.faults.add(kind, "authenticated_user_access", times=2)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(sandbox.paths("authenticated_user_access")) == 4
    assert sandbox.sleeps == []  # the rate-limit reset header on a 5xx is no reason to wait for the window


def test_server_errors_that_persist_are_recorded(sandbox):
    sandbox.faults.add("500", f"/accounts/{OTHER_ACCOUNT}/authenticated_user_access", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and "server error 500 after 3 attempts" in snap.errors[0]
    assert (CALLER, OTHER_ACCOUNT, "ANALYST") not in grants_of(snap)


@pytest.mark.parametrize(("kind", "text"), [
    ("malformed", "malformed JSON"), ("truncated", "malformed JSON"), ("missing_data", "no 'data' list"),
])
def test_malformed_and_truncated_pages_make_the_snapshot_incomplete(x_sandbox, kind, text):
    sandbox = x_sandbox(many_promotable(5))
    sandbox.faults.add(kind, f"/accounts/{AD_ACCOUNT}/promotable_users", times=None)
    snap = sandbox.connector(page_size=3).fetch(now=NOW)
    assert not snap.complete and any(text in e for e in snap.errors)
    assert "promotable_users" not in {a.asset_id: a for a in snap.assets}[AD_ACCOUNT].raw


class _LaterPagesTruncated(FaultPlan):
    """Serves the first promotable_users page of AD_ACCOUNT, then truncates every later request for it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def take(self, path: str) -> Fault | None:
        if path == f"/accounts/{AD_ACCOUNT}/promotable_users":
            self.seen += 1
            if self.seen > 1:
                return Fault("truncated")
        return None


def test_a_truncated_later_page_loses_the_whole_edge(x_sandbox):
    sandbox = x_sandbox(many_promotable(5))
    sandbox.emulator.faults = plan = _LaterPagesTruncated()
    snap = sandbox.connector(page_size=3).fetch(now=NOW)
    assert plan.seen == 2  # the first page, then the truncated second one (a 200 answer is not retried)
    assert not snap.complete and "malformed JSON" in snap.errors[0]
    assert (OWNER, AD_ACCOUNT, "FULL") not in grants_of(snap)  # the first page's owner is not used alone


def test_timeouts_are_retried(sandbox):
    sandbox.faults.add("timeout", f"/accounts/{AD_ACCOUNT}", times=1, delay=0.6)
    snap = sandbox.connector(timeout=0.2).fetch(now=NOW)
    assert snap.complete


def test_settings_errors_are_config_errors(sandbox):
    with pytest.raises(ConfigError, match="ad_account_ids"):
        sandbox.connector(options={}).fetch(now=NOW)
    SECRETS["X_SINGLE"] = "just-a-bearer-token"
    try:
        with pytest.raises(ConfigError, match="consumer_key:consumer_secret:access_token:access_token_secret"):
            sandbox.connector(token_env="X_SINGLE").fetch(now=NOW)
    finally:
        del SECRETS["X_SINGLE"]


def test_tenant_id_alone_names_the_single_ads_account_and_split_secrets_work(sandbox):
    key, secret, token, token_secret = CREDENTIALS.split(":")
    SECRETS.update({"X_CK": key, "X_CS": secret, "X_AT": token, "X_TS": token_secret})
    try:
        options = {"consumer_key_env": "X_CK", "consumer_secret_env": "X_CS", "access_token_secret_env": "X_TS"}
        snap = sandbox.connector(tenant_id=OTHER_ACCOUNT, token_env="X_AT", options=options).fetch(now=NOW)
    finally:
        for name in ("X_CK", "X_CS", "X_AT", "X_TS"):
            del SECRETS[name]
    assert snap.complete and [a.asset_id for a in snap.assets] == [OTHER_ACCOUNT]
    assert snap.tenant.name == "Kwiatek Garden"


def test_lookup_by_account_id(sandbox):
    snap = sandbox.connector().lookup(now=NOW, account_ids=[OWNER])
    assert [a.account_id for a in snap.accounts] == [OWNER]
    assert {g.role for g in snap.grants} == {"FULL"}


def test_check_flags_write_permissions_of_the_auditor(sandbox):
    problems = sandbox.connector().check()
    assert problems == [f"{PLATFORM}: the auditor's X user holds ACCOUNT_ADMIN, TWEET_COMPOSER on ads account "
                        f"{AD_ACCOUNT}; read-only access (ANALYST) is enough"]
    assert sandbox.connector(options={"ad_account_ids": [OTHER_ACCOUNT]}).check() == []


def test_check_reports_rejected_credentials(x_sandbox):
    problems = x_sandbox(token="a:b:c:d").connector().check()
    assert len(problems) == 1 and "token rejected (401)" in problems[0]
