"""LinkedInConnector.fetch / check against the LinkedIn emulator over real HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.base import create_connector
from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError
from auditor.connectors.linkedin import LinkedInConnector
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind
from tests.connectors.linkedin.conftest import (
    ADS,
    ANNA,
    BEN,
    BRAND,
    CARA,
    DAN,
    EVE,
    FRED,
    GINA,
    HUGO,
    IDA,
    JAN,
    KAI,
    ORG,
    ORG_ID,
    PLATFORM,
    TOKEN,
    organization,
    resolve_secret,
)

NOW = datetime(2024, 4, 1, tzinfo=UTC)


def grants(snap) -> dict[tuple[str, str | None, str], bool]:
    return {(g.account_id, g.asset_id, g.role): g.privileged for g in snap.grants}


def test_registry_creates_the_linkedin_connector():
    settings = PlatformSettings(kind="linkedin", name="l", tenant_id="1", token_env="LINKEDIN_TOKEN")
    assert isinstance(create_connector(settings, resolve_secret), LinkedInConnector)


def test_fetch_page_roles_live_rows_only(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and snap.errors == []
    assert (snap.platform, snap.kind, snap.tenant.tenant_id, snap.tenant.two_factor_required) == (
        PLATFORM, "linkedin", ORG_ID, None)
    page = {k: v for k, v in grants(snap).items() if k[1] == ORG}
    assert page == {
        (ANNA, ORG, "ADMINISTRATOR"): True, (BEN, ORG, "CONTENT_ADMINISTRATOR"): False,
        (CARA, ORG, "CURATOR"): False, (DAN, ORG, "DIRECT_SPONSORED_CONTENT_POSTER"): False,
        (EVE, ORG, "RECRUITING_POSTER"): False, (FRED, ORG, "LEAD_CAPTURE_ADMINISTRATOR"): False,
        (GINA, ORG, "LEAD_GEN_FORMS_MANAGER"): False, (HUGO, ORG, "ANALYST"): False,
        (KAI, ORG, "SUPER_ADMINISTRATOR"): False, (HUGO, ORG, "ADMINISTRATOR"): False,
    }
    by_key = {(g.account_id, g.role): g for g in snap.grants if g.asset_id == ORG}
    assert by_key[(KAI, "SUPER_ADMINISTRATOR")].raw["unknown_role"] == "SUPER_ADMINISTRATOR"
    assert by_key[(HUGO, "ADMINISTRATOR")].raw["unknown_state"] == "PENDING_REVIEW"
    page_asset = next(a for a in snap.assets if a.asset_id == ORG)
    assert page_asset.kind == "organization_page"
    assert [(r["roleAssignee"], r["state"]) for r in page_asset.raw["inactive_roles"]] == [
        (BEN, "REQUESTED"), (IDA, "REVOKED"), (JAN, "REJECTED")]
    accounts = {a.account_id: a for a in snap.accounts}
    assert IDA not in accounts and JAN not in accounts  # revoked / rejected only: no live access
    assert all(a.kind == AccountKind.USER and a.emails == () and a.two_factor is None for a in accounts.values())
    assert not snap.capabilities.per_user_2fa and not snap.capabilities.account_emails
    assert any("REVOKED" in note for note in snap.capabilities.notes)


def test_fetch_ad_account_users_with_stamps_and_events(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    ads = {k: v for k, v in grants(snap).items() if k[1] == ADS}
    assert ads == {(ANNA, ADS, "ACCOUNT_MANAGER"): True, (BEN, ADS, "ACCOUNT_BILLING_ADMIN"): True,
                   (CARA, ADS, "CAMPAIGN_MANAGER"): False, (DAN, ADS, "CREATIVE_MANAGER"): False,
                   (EVE, ADS, "VIEWER"): False, (KAI, ADS, "BUDGET_WIZARD"): False}
    cara = next(g for g in snap.grants if g.account_id == CARA and g.asset_id == ADS)
    assert (cara.granted_at, cara.granted_by) == (datetime(2023, 11, 14, 22, 16, 40, tzinfo=UTC), ANNA)
    assert next(a for a in snap.assets if a.asset_id == ADS).raw["caller_role"] == "ACCOUNT_MANAGER"
    assert BRAND not in {a.asset_id for a in snap.assets}  # not configured
    events = [(e.action, e.actor_id, e.target_id) for e in snap.events]
    assert ("role_changed", BEN, CARA) in events and ("role_granted", ANNA, CARA) in events
    assert ("role_granted", None, EVE) in events and len(events) == 7
    assert snap.activity_since is None and not snap.capabilities.audit_log
    accounts = {a.account_id: a for a in snap.accounts}
    assert accounts[CARA].raw["sources"] == [ORG, ADS]


def test_fetch_pages_with_start_and_count_and_sends_the_version_headers(sandbox):
    sandbox.connector(page_size=4, options={"ad_account_ids": ["500001"], "version": "202511"}).fetch(now=NOW)
    acl = sandbox.requests("/organizationAcls")
    assert [(r.params["start"], r.params["count"]) for r in acl] == [("0", "4"), ("4", "4"), ("8", "4"),
                                                                      ("12", "4")]
    assert acl[0].params["organization"] == ORG and acl[0].params["q"] == "organization"
    assert {(r.version, r.restli, r.bearer) for r in sandbox.emulator.requests} == {("202511", "2.0.0", True)}
    assert all(TOKEN not in str(r.params) for r in sandbox.emulator.requests)


def test_discovers_ad_accounts_and_flags_a_non_manager_view(sandbox):
    snap = sandbox.connector(options={}).fetch(now=NOW)
    assert {a.asset_id for a in snap.assets} == {ORG, ADS, BRAND}
    assert not snap.complete
    assert snap.errors == [f"{PLATFORM}: the token's member is VIEWER on ad account {BRAND}; LinkedIn shows a "
                           "non-manager only its own binding, so the user list is incomplete (needs ACCOUNT_MANAGER "
                           "or ACCOUNT_BILLING_ADMIN)"]
    assert [k for k in grants(snap) if k[1] == BRAND] == [(ANNA, BRAND, "VIEWER")]  # FRED is hidden from a viewer


def test_configured_account_without_a_caller_role_is_recorded(sandbox):
    snap = sandbox.connector(options={"ad_account_ids": ["urn:li:sponsoredAccount:999"]}).fetch(now=NOW)
    assert not snap.complete and len(snap.errors) == 2
    assert "holds no role on ad account urn:li:sponsoredAccount:999" in snap.errors[0]
    assert "missing permission" in snap.errors[1] and "r_ads" in snap.errors[1]
    assert {k[1] for k in grants(snap)} == {ORG}


def test_401_fails_the_whole_fetch_naming_the_platform(sandbox):
    sandbox.faults.add("401", "/adAccountUsers")
    with pytest.raises(ConnectorAuthError) as caught:
        sandbox.connector().fetch(now=NOW)
    assert str(caught.value).startswith(f"{PLATFORM}: token rejected (401)")
    assert "EXPIRED_ACCESS_TOKEN" in str(caught.value) and TOKEN not in str(caught.value)


def test_wrong_token_is_rejected(linkedin_sandbox):
    sandbox = linkedin_sandbox(token="someone-else-token-000")
    with pytest.raises(ConnectorAuthError) as caught:
        sandbox.connector().fetch(now=NOW)
    assert "Invalid access token (INVALID_ACCESS_TOKEN)" in str(caught.value)


def test_missing_organization_scope_names_the_permission(linkedin_sandbox):
    data = organization()
    data["token_scopes"] = ["r_ads"]
    sandbox = linkedin_sandbox(data)
    with pytest.raises(ConnectorPermissionError) as caught:
        sandbox.connector().fetch(now=NOW)
    message = str(caught.value)
    assert message.startswith(f"{PLATFORM}: missing permission") and "r_organization_admin" in message
    problems = sandbox.connector().check()
    assert any("r_organization_admin" in p for p in problems)


def test_a_member_who_is_not_page_admin_cannot_list_roles(linkedin_sandbox):
    data = organization()
    data["token_member"] = CARA
    sandbox = linkedin_sandbox(data)
    with pytest.raises(ConnectorPermissionError) as caught:
        sandbox.connector().fetch(now=NOW)
    assert "ADMINISTRATOR of the organization" in str(caught.value)
    problems = sandbox.connector().check()
    assert f"{PLATFORM}: the token's member is not an APPROVED ADMINISTRATOR of {ORG}; LinkedIn lists a Page's " \
           "roles to its administrators only" in problems


def test_missing_ads_scope_keeps_the_page_and_marks_the_snapshot_partial(linkedin_sandbox):
    data = organization()
    data["token_scopes"] = ["r_organization_admin"]
    snap = linkedin_sandbox(data).connector().fetch(now=NOW)
    assert not snap.complete
    assert all("missing permission" in e and "r_ads" in e for e in snap.errors) and len(snap.errors) == 2
    assert {k[1] for k in grants(snap)} == {ORG}


def test_transient_429_and_500_are_absorbed(sandbox):
    sandbox.faults.add("429", "/organizationAcls", times=2)
    sandbox.faults.add("500", "/adAccountUsers", times=1)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(snap.grants) == 16
    assert sum(1 for r in sandbox.requests("/organizationAcls")) == 6  # 4 pages + 2 throttled


def test_persistent_429_on_the_core_read_fails_the_fetch(sandbox):
    sandbox.faults.add("429", "/organizationAcls", times=None)
    with pytest.raises(ConnectorError) as caught:
        sandbox.connector(max_retries=1).fetch(now=NOW)
    assert caught.value.retryable and "rate limited after 2 attempts: GET /organizationAcls" in str(caught.value)
    assert "APPLICATION DAY limit" in str(caught.value)


def test_persistent_5xx_on_ad_users_is_recorded(sandbox):
    sandbox.faults.add("503", "/adAccountUsers", times=None)
    snap = sandbox.connector(max_retries=1).fetch(now=NOW)
    assert not snap.complete and len(snap.errors) == 2
    assert all("server error 503 after 2 attempts: GET /adAccountUsers" in e for e in snap.errors)
    assert {k[1] for k in grants(snap)} == {ORG}


@pytest.mark.parametrize(("kind", "expected"), [
    ("malformed", "malformed JSON from GET /adAccountUsers"),
    ("truncated", "malformed JSON from GET /adAccountUsers"),
    ("missing_data", "truncated page from GET /adAccountUsers: no 'elements' list"),
])
def test_bad_answer_on_ad_users_marks_the_snapshot_partial(sandbox, kind, expected):
    sandbox.faults.add(kind, "/adAccountUsers", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and snap.errors and all(e.startswith(f"{PLATFORM}: ") for e in snap.errors)
    assert expected in snap.errors[-1]
    assert {k[1] for k in grants(snap)} == {ORG}


@pytest.mark.parametrize("kind", ["malformed", "truncated", "missing_data"])
def test_bad_answer_on_the_page_acl_fails_the_fetch(sandbox, kind):
    sandbox.faults.add(kind, "/organizationAcls", times=1)
    with pytest.raises(ConnectorError) as caught:
        sandbox.connector().fetch(now=NOW)
    assert "GET /organizationAcls" in str(caught.value)


def test_timeout_is_retried(sandbox):
    sandbox.faults.add("timeout", "/adAccountUsers", times=1, delay=2.0)
    snap = sandbox.connector(timeout=0.5).fetch(now=NOW)
    assert snap.complete and len(snap.grants) == 16


def test_malformed_elements_are_skipped_and_recorded(linkedin_sandbox):
    data = organization()
    data["organization_acls"].append({"roleAssignee": "urn:li:person:x", "organization": ORG, "state": "APPROVED"})
    data["ad_accounts"][0]["users"].append({"account": ADS, "role": "VIEWER"})
    snap = linkedin_sandbox(data).connector().fetch(now=NOW)
    assert snap.errors == [f"{PLATFORM}: 1 malformed element(s) skipped in GET /organizationAcls",
                           f"{PLATFORM}: 1 malformed element(s) skipped in GET /adAccountUsers for {ADS}"]
    assert len(snap.grants) == 16


def test_config_problems_name_the_key(sandbox):
    with pytest.raises(ConfigError, match="tenant_id"):
        sandbox.connector(tenant_id=None).fetch(now=NOW)
    with pytest.raises(ConfigError, match="ad_account_ids"):
        sandbox.connector(options={"ad_account_ids": "500001"}).fetch(now=NOW)
    assert sandbox.connector(token_env="NOPE").check() == [
        "test config: platform.token_env names environment variable NOPE, which is not set"]


def test_check_is_clean_for_a_good_token(sandbox):
    assert sandbox.connector().check() == []


def test_check_reports_a_rejected_token_once(linkedin_sandbox):
    problems = linkedin_sandbox(token="other-token-000000").connector().check()
    assert len(problems) == 1 and "token rejected (401)" in problems[0]


def test_lookup_by_account_id(sandbox):
    snap = sandbox.connector().lookup(now=NOW, account_ids=[CARA])
    assert [a.account_id for a in snap.accounts] == [CARA]
    assert sorted((g.asset_id, g.role) for g in snap.grants) == [(ORG, "CURATOR"), (ADS, "CAMPAIGN_MANAGER")]


def test_token_never_in_logs_or_errors(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.faults.add("429", "/organizationAcls", times=1)
    sandbox.faults.add("500", "/adAccountUsers", times=None)
    snap = sandbox.connector(max_retries=1).fetch(now=NOW)
    assert TOKEN not in caplog.text and TOKEN not in " ".join(snap.errors)
    assert "429" in caplog.text
