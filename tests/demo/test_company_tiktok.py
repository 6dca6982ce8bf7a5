"""The fictional shop's TikTok Business Center: its data, and that the REAL scan finds exactly what is planted.

``SandboxScan`` runs ``auditor.services.scan.run_scan`` on one sandbox platform alone: an LDIF directory, the
company's policy parameters, a secrets file and the platform's emulator served over real HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import auditor.connectors.tiktok  # noqa: F401 - registers the connector (the lead adds it to _load_builtin)
from auditor.demo.company import Company, build_company
from auditor.demo.platforms import SandboxPlatform, demo_platform
from auditor.demo.tiktok.company import BC_ID, CAST, PARTNER_BC_ID, PLATFORM, build
from tests.support.sandbox_scan import SandboxScan, keys, planted_rules, unverified_rules

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


@pytest.fixture(scope="module")
def tiktok(company) -> SandboxPlatform:
    return build(company)


@pytest.fixture
def sandbox_scan(tmp_path, company, tiktok):
    scan = SandboxScan(tmp_path, company, tiktok, {})
    yield scan
    scan.close()


def _member(platform: SandboxPlatform, uid: str) -> dict[str, Any]:
    email = next(e for e in build_company(7, now=NOW).people if e["uid"][0] == uid)["mail"][0]
    return next(m for m in platform.data["members"] if m["user_email"] == email)


def test_build_is_deterministic_and_registered(company, tiktok):
    again = build(build_company(7, now=NOW))
    assert again.data == tiktok.data and again.planted == tiktok.planted and again.token == tiktok.token
    assert (tiktok.kind, tiktok.name, tiktok.tenant_id, tiktok.settings["tenant_id"]) == (
        "tiktok", PLATFORM, BC_ID, BC_ID)
    assert tiktok.token_variable == "AUDITOR_TIKTOK_TOKEN"
    assert demo_platform("tiktok").build is build


def test_traps_are_in_the_data(tiktok):
    assert _member(tiktok, CAST["d1"])["relation_status"] == "PENDING"
    assert "user_id" not in _member(tiktok, CAST["d1"])
    assert _member(tiktok, CAST["d0"])["relation_status"] == "UNBOUND"
    assert _member(tiktok, CAST["bjorn"])["relation_status"] == "REJECTED"
    agency = next(m for m in tiktok.data["members"] if m["user_email"].endswith("@pixel-agency.example"))
    d2 = _member(tiktok, CAST["d2"])["user_id"]
    after = [e for e in tiktok.data["changelog"] if e["operator_id"] == d2 and e["time"] > "2026-02-24"]
    assert len(after) == 2 and "Aleksandra Kurek" in after[1]["activity_log"]
    advertiser = next(a for a in tiktok.data["assets"] if a["asset_type"] == "ADVERTISER")
    assert sum(m["advertiser_role"] == "ADMIN" for m in advertiser["members"]) == 3  # at the limit, not over
    assert agency["user_id"] in {m["user_id"] for m in advertiser["members"]}


def test_the_partner_holds_the_ad_account_without_admin_tasks(tiktok):
    (partner,) = tiktok.data["partners"]
    assert partner["bc_id"] == PARTNER_BC_ID and "agreement" not in partner
    assert [(a["asset_type"], a["advertiser_role"]) for a in partner["assets"]] == [("ADVERTISER", "OPERATOR")]
    (planted,) = [p for p in tiktok.planted if p.category == "partner_access"]
    assert (planted.account, planted.note.split(":")[0]) == (PARTNER_BC_ID, "partner-not-approved")


def test_planted_accounts_exist(tiktok):
    ids = {m.get("user_id") for m in tiktok.data["members"]} | {
        f"invite:{m['user_email']}" for m in tiktok.data["members"] if m["relation_status"] == "PENDING"} | {
        p["bc_id"] for p in tiktok.data["partners"]}
    for planted in tiktok.planted:
        assert planted.platform == PLATFORM
        assert planted.account is None or planted.account in ids, planted
    assert planted_rules(tiktok.planted) == {"missing-2fa", "tenant-2fa-not-enforced", "dormant-access",
                                             "stale-invitation"}


def test_the_scaled_company_plants_the_same_cases(tiktok):
    big = build(build_company(7, now=NOW, size=2000))
    assert big.planted == tiktok.planted
    assert len(big.data["members"]) > 3 * len(tiktok.data["members"])


def test_the_real_scan_finds_exactly_the_planted_cases(sandbox_scan, tiktok):
    summary = sandbox_scan.scan()
    assert summary.status == "complete", summary.platforms
    findings = sandbox_scan.findings()
    assert keys(findings) == keys(tiktok.planted)
    assert unverified_rules(findings) == planted_rules(tiktok.planted)
    severities = {f["rule"]: f["severity"] for f in findings if f["category"] == "could_not_verify"}
    assert severities["missing-2fa"] == "info"  # a platform gap, not a problem of the shop
    post = next(f for f in findings if f["category"] == "post_departure_activity")
    assert post["person"] == CAST["d2"] and len(post["evidence"]["facts"]["event.events"]) == 2


def test_a_partial_scan_resolves_nothing(sandbox_scan):
    sandbox_scan.scan()
    before = {f["fingerprint"] for f in sandbox_scan.findings()}
    sandbox_scan.app.faults.add("rate_limit", "/changelog/get/", times=None)
    summary = sandbox_scan.scan()
    assert summary.status == "partial" and summary.resolved == 0
    after = sandbox_scan.findings()
    assert before <= {f["fingerprint"] for f in after}
    (unverified,) = [f for f in after if f["rule"] == "platform-not-verified"]
    assert "rate limited after 2 attempts: GET /changelog/get/" in unverified["message"]


def test_an_unreadable_platform_resolves_nothing(sandbox_scan):
    sandbox_scan.scan()
    before = {f["fingerprint"] for f in sandbox_scan.findings()}
    sandbox_scan.app.faults.add("malformed", "/bc/member/get/", times=None)
    summary = sandbox_scan.scan()
    assert summary.status == "partial" and summary.resolved == 0
    after = sandbox_scan.findings()
    assert before <= {f["fingerprint"] for f in after}
    assert any(f["rule"] == "platform-not-verified" and "malformed JSON" in f["message"] for f in after)
