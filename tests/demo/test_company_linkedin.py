"""The company's LinkedIn organization: shape, determinism, and the REAL scan pipeline finding exactly the planted list.

The scan runs ``auditor.services.scan.run_scan`` on a temporary SQLite database with the company's directory as
LDIF and the LinkedIn emulator served over real HTTP; only this platform is configured.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

import auditor.connectors.linkedin  # noqa: F401 - registers the connector (the lead adds it to _load_builtin)
from auditor.config import Settings
from auditor.demo.company import Company, build_company
from auditor.demo.linkedin.company import COULD_NOT_VERIFY_RULES, LEAVER, PLATFORM, build
from auditor.demo.linkedin.emulator import create_emulator
from tests.support.sandbox_scan import scan_findings as run_sandbox_scan

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


@pytest.fixture(scope="module")
def sandbox(company):
    return build(company)


def scan_findings(company, sandbox, tmp_path, *, data=None, app=None,
                  status: str = "open") -> list[dict]:
    """Serve the emulator, scan this platform alone through the real pipeline, return the findings."""
    emulator = (app, "/rest") if app is not None else None
    return run_sandbox_scan(tmp_path, company, sandbox, data=data, emulator=emulator, status=status)


def keys(findings) -> Counter:
    return Counter((f["category"], f["platform"], f["account"], f["asset"]) for f in findings)


def test_the_scan_finds_exactly_the_planted_list(company, sandbox, tmp_path):
    findings = scan_findings(company, sandbox, tmp_path)
    assert keys(findings) == Counter(p.key for p in sandbox.planted)
    unverified = sorted(f["rule"] for f in findings if f["category"] == "could_not_verify")
    assert unverified == sorted(COULD_NOT_VERIFY_RULES)
    assert {f["severity"] for f in findings if f["category"] == "could_not_verify"} == {"info"}
    orphaned = next(f for f in findings if f["category"] == "orphaned_access")
    leaver = next(e for e in company.people if e["displayName"][0] == LEAVER)
    assert (orphaned["person"], orphaned["severity"]) == (leaver["uid"][0], "critical")
    assert orphaned["evidence"]["facts"]["account.grants"] == [
        f"urn:li:organization:{sandbox.tenant_id}:ADMINISTRATOR"]


def test_counting_requested_and_revoked_rows_would_add_findings(company, sandbox, tmp_path):
    # the trap proves itself: approve the REQUESTED and REVOKED rows and the scan finds more
    data = {**sandbox.data, "organization_acls": [
        {**row, "state": "APPROVED"} if row["state"] in ("REQUESTED", "REVOKED") else row
        for row in sandbox.data["organization_acls"]]}
    findings = scan_findings(company, sandbox, tmp_path, data=data)
    extra = keys(findings) - Counter(p.key for p in sandbox.planted)
    assert set(extra) == {
        ("excess_admins", PLATFORM, None, f"urn:li:organization:{sandbox.tenant_id}"),
        ("orphaned_access", PLATFORM, next(r["roleAssignee"] for r in sandbox.data["organization_acls"]
                                           if r["state"] == "REVOKED"), None),
    }


def test_a_partial_scan_resolves_nothing(company, sandbox, tmp_path):
    first = scan_findings(company, sandbox, tmp_path)
    # the leaver's admin role is gone, but the ad-account read fails: nothing may be resolved
    data = {**sandbox.data, "organization_acls": [r for r in sandbox.data["organization_acls"]
                                                  if r["roleAssignee"] != next(p.account for p in sandbox.planted
                                                                               if p.account)]}
    app, _ = create_emulator(data, sandbox.token)
    app.faults.add("500", "/adAccountUsers", times=None)
    second = scan_findings(company, sandbox, tmp_path, app=app, status="all")
    assert {f["fingerprint"] for f in first} <= {f["fingerprint"] for f in second if f["status"] == "open"}
    assert "resolved" not in {f["status"] for f in second}
    partial = [f for f in second if f["rule"] == "platform-not-verified"]
    assert len(partial) == 1 and "server error 500" in partial[0]["message"]


def test_build_is_deterministic_and_seeded(company, sandbox):
    again = build(build_company(7, now=NOW))
    assert (again.data, again.links, again.planted, again.token) == (
        sandbox.data, sandbox.links, sandbox.planted, sandbox.token)
    other = build(build_company(8, now=NOW))
    assert other.tenant_id != sandbox.tenant_id


def test_planted_cases_are_the_same_for_a_bigger_company(sandbox):
    bigger = build(build_company(7, now=NOW, size=600))
    assert [p.key for p in bigger.planted] == [p.key for p in sandbox.planted]


def test_data_shapes_and_traps(company, sandbox):
    data = sandbox.data
    acls = data["organization_acls"]
    assert {r["state"] for r in acls} == {"APPROVED", "REQUESTED", "REVOKED", "REJECTED"}
    roles = {r["role"] for r in acls}
    assert roles == {"ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "RECRUITING_POSTER",
                     "LEAD_CAPTURE_ADMINISTRATOR", "LEAD_GEN_FORMS_MANAGER", "ANALYST", "CURATOR",
                     "CONTENT_ADMINISTRATOR"}
    live_admins = [r for r in acls if r["role"] == "ADMINISTRATOR" and r["state"] == "APPROVED"]
    assert len(live_admins) == 3 and data["token_member"] in {r["roleAssignee"] for r in live_admins}
    users = data["ad_accounts"][0]["users"]
    assert {u["role"] for u in users} == {"VIEWER", "CREATIVE_MANAGER", "CAMPAIGN_MANAGER", "ACCOUNT_MANAGER",
                                          "ACCOUNT_BILLING_ADMIN"}
    assert [u["role"] for u in users].count("ACCOUNT_BILLING_ADMIN") == 1
    linked = {link["account_id"] for link in sandbox.links}
    unlinked = {u["user"] for u in users} - linked
    assert len(unlinked) == 1  # the agency
    assert all(link["platform"] == PLATFORM for link in sandbox.links)
    people = {e["uid"][0]: e for e in company.people}
    for link in sandbox.links:
        entry = people[link["uid"]]
        holds_live = any(r["roleAssignee"] == link["account_id"] and r["state"] == "APPROVED" for r in acls) or any(
            u["user"] == link["account_id"] for u in users)
        departed = entry["dn"][0].endswith(company.leavers_ou)
        if holds_live and departed:
            assert entry["displayName"][0] == LEAVER  # the only leaver with live access
    stamps = [u["changeAuditStamps"]["created"]["time"] for u in users]
    assert max(stamps) < (NOW - timedelta(days=1)).timestamp() * 1000


def test_settings_validate(sandbox):
    settings = Settings.model_validate({"platform": [{"kind": "linkedin", "name": PLATFORM, **sandbox.settings}],
                                        "matching": {"links": sandbox.links}})
    assert settings.platform[0].tenant_id == sandbox.tenant_id
