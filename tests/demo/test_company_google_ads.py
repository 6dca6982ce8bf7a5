"""The fictional shop's Google Ads: its data, and that the REAL scan finds exactly what is planted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import auditor.connectors.google_ads  # noqa: F401 - registers the connector (the lead adds it to _load_builtin)
from auditor.demo.company import Company, build_company
from auditor.demo.google_ads.company import (
    CAST,
    DEVELOPER_TOKEN_ENV,
    MANAGER_ID,
    PLATFORM,
    PMAX_ID,
    SEARCH_ID,
    VIDEO_ID,
    build,
)
from auditor.demo.platforms import SandboxPlatform, demo_platform
from tests.support.sandbox_scan import SandboxScan, keys, planted_rules, unverified_rules

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


@pytest.fixture(scope="module")
def gads(company) -> SandboxPlatform:
    return build(company)


@pytest.fixture
def sandbox_scan(tmp_path, company, gads):
    scan = SandboxScan(tmp_path, company, gads, {DEVELOPER_TOKEN_ENV: "sandbox-developer-token"})
    yield scan
    scan.close()


def _email(company: Company, key: str) -> str:
    return next(e for e in company.people if e["uid"][0] == CAST[key])["mail"][0]


def test_build_is_deterministic(company, gads):
    again = build(build_company(7, now=NOW))
    assert again.data == gads.data and again.planted == gads.planted and again.token == gads.token
    assert (gads.kind, gads.name, gads.tenant_id, gads.token_variable) == (
        "google_ads", PLATFORM, MANAGER_ID, "AUDITOR_GOOGLE_ADS_TOKEN")
    # no customer list: the clients are found through the manager hierarchy
    assert gads.settings["options"] == {"login_customer_id": MANAGER_ID, "developer_token_env": DEVELOPER_TOKEN_ENV}
    assert demo_platform("google_ads").build is build


def test_traps_are_in_the_data(company, gads):
    search = gads.data["customers"][SEARCH_ID]
    leaver = next(u for u in search["users"] if u["email_address"] == _email(company, "d0"))
    assert (leaver["access_role"], leaver["passkey_enabled"]) == ("ADMIN", True)
    scripted = [e for e in search["change_events"] if e["user_email"] == leaver["email_address"]]
    assert {e["client_type"] for e in scripted} == {"GOOGLE_ADS_SCRIPTS"} and len(scripted) == 2
    statuses = {i["email_address"]: i["invitation_status"] for i in search["invitations"]}
    assert statuses[_email(company, "d3")] == "PENDING" and statuses[_email(company, "oliwia")] == "EXPIRED"
    users = [u for c in gads.data["customers"].values() for u in c["users"]]
    assert any(u["passkey_enabled"] for u in users) and not all(u["passkey_enabled"] for u in users)
    for customer in gads.data["customers"].values():  # never more than 3 admins on one customer
        assert sum(u["access_role"] == "ADMIN" for u in customer["users"]) <= 3


def test_planted_accounts_exist(gads):
    users = {u["user_id"] for c in gads.data["customers"].values() for u in c["users"]}
    invitations = {f"invite:{cid}:{i['invitation_id']}" for cid, c in gads.data["customers"].items()
                   for i in c["invitations"]}
    for planted in gads.planted:
        assert planted.platform == PLATFORM
        assert planted.account is None or planted.account in users | invitations, planted
    assert planted_rules(gads.planted) == {"missing-2fa", "tenant-2fa-not-enforced", "dormant-access"}


def test_the_scaled_company_plants_the_same_cases(gads):
    big = build(build_company(7, now=NOW, size=2000))
    assert big.planted == gads.planted
    assert len(big.data["customers"][SEARCH_ID]["users"]) > 3 * len(gads.data["customers"][SEARCH_ID]["users"])


def test_the_real_scan_finds_exactly_the_planted_cases(sandbox_scan, gads):
    summary = sandbox_scan.scan()
    assert summary.status == "complete", summary.platforms
    findings = sandbox_scan.findings()
    assert keys(findings) == keys(gads.planted)
    assert unverified_rules(findings) == planted_rules(gads.planted)
    post = next(f for f in findings if f["category"] == "post_departure_activity")
    assert post["person"] == CAST["d0"]
    assert {e["raw_action"] for e in post["evidence"]["facts"]["event.events"]} == {"UPDATE AD_GROUP_CRITERION"}
    two_factor = next(f for f in findings if f["rule"] == "missing-2fa")
    assert two_factor["severity"] == "info" and "per-user 2FA" in two_factor["message"]


def test_a_partial_scan_resolves_nothing(sandbox_scan):
    sandbox_scan.scan()
    before = {f["fingerprint"] for f in sandbox_scan.findings()}
    original = sandbox_scan.app._check_change_query

    def exhausted(query, parse):
        from auditor.demo.google_ads.emulator import AdsError
        original(query, parse)
        raise AdsError(429, "quotaError", "RESOURCE_EXHAUSTED", "Too many requests.")

    sandbox_scan.app._check_change_query = exhausted
    summary = sandbox_scan.scan()
    assert summary.status == "partial" and summary.resolved == 0
    after = sandbox_scan.findings()
    assert before <= {f["fingerprint"] for f in after}
    assert any(f["rule"] == "platform-not-verified" and "RESOURCE_EXHAUSTED" in f["message"] for f in after)


def test_the_performance_max_client_is_reached_only_through_the_manager(gads):
    assert PMAX_ID not in gads.data["accessible"] and "customer_ids" not in gads.settings["options"]
    assert gads.data["customers"][PMAX_ID]["via_manager"] and not gads.data["customers"][VIDEO_ID]["manager"]
