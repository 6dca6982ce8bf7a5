"""The company's Pinterest business: shape, determinism, and the REAL scan pipeline finding exactly the planted list.

The scan runs ``auditor.services.scan.run_scan`` on a temporary SQLite database with the company's directory as
LDIF and the Pinterest emulator served over real HTTP; only this platform is configured.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from datetime import UTC, datetime

import pytest

import auditor.connectors.pinterest  # noqa: F401 - registers the connector (the lead adds it to _load_builtin)
from auditor.config import Settings
from auditor.demo.company import Company, build_company
from auditor.demo.pinterest.company import COULD_NOT_VERIFY_RULES, PLATFORM, build
from auditor.demo.pinterest.emulator import create_emulator
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
    emulator = (app, "/v5") if app is not None else None
    return run_sandbox_scan(tmp_path, company, sandbox, data=data, emulator=emulator, status=status, page_size=7)


def keys(findings) -> Counter:
    return Counter((f["category"], f["platform"], f["account"], f["asset"]) for f in findings)


def test_the_scan_finds_exactly_the_planted_list(company, sandbox, tmp_path):
    findings = scan_findings(company, sandbox, tmp_path)
    assert keys(findings) == Counter(p.key for p in sandbox.planted)
    unverified = sorted(f["rule"] for f in findings if f["category"] == "could_not_verify")
    assert unverified == sorted(COULD_NOT_VERIFY_RULES)
    assert {f["severity"] for f in findings if f["category"] == "could_not_verify"} == {"info"}
    by_category = {f["category"]: f for f in findings}
    assert by_category["personal_email"]["person"] == next(p.person for p in sandbox.planted
                                                           if p.category == "personal_email")
    assert by_category["personal_email"]["account_email"] == "jose.garcia.pins@gmail.com"
    assert by_category["stale_invitation"]["rule"] == "stale-invitation"


def test_closed_invites_and_registered_system_users_stay_quiet(company, sandbox, tmp_path):
    # the traps prove themselves: re-open the closed invites and forget the registration
    data = copy.deepcopy(sandbox.data)
    for invite in data["invites"]:
        invite["invite_data"]["invite_status"] = "PENDING"
    registered = sandbox.service_accounts[0]["account_id"]
    unregistered = dataclasses.replace(sandbox, service_accounts=[])
    findings = scan_findings(company, unregistered, tmp_path, data=data)
    extra = keys(findings) - Counter(p.key for p in sandbox.planted)
    stale = {k for k in extra if k[0] == "stale_invitation"}
    assert len(stale) == 3  # expired 100 days, declined 60 days, accepted 401 days ago (cancelled: 20 days)
    assert ("ownerless_service_account", PLATFORM, registered, None) in extra


def test_a_partial_scan_resolves_nothing(company, sandbox, tmp_path):
    first = scan_findings(company, sandbox, tmp_path)
    data = copy.deepcopy(sandbox.data)
    agency = next(p.account for p in sandbox.planted if p.category == "unmatched_account")
    data["members"] = [m for m in data["members"] if m["id"] != agency]
    for asset in data["assets"]:
        asset["members"] = [h for h in asset["members"] if h["user_id"] != agency]
    app, _ = create_emulator(data, sandbox.token)
    app.faults.add("429", "/invites", times=None)
    second = scan_findings(company, sandbox, tmp_path, app=app, status="all")
    assert {f["fingerprint"] for f in first} <= {f["fingerprint"] for f in second if f["status"] == "open"}
    assert "resolved" not in {f["status"] for f in second}
    partial = [f for f in second if f["rule"] == "platform-not-verified"]
    assert len(partial) == 1 and "rate limited after" in partial[0]["message"]


def test_build_is_deterministic_and_seeded(company, sandbox):
    again = build(build_company(7, now=NOW))
    assert (again.data, again.links, again.planted, again.token, again.service_accounts) == (
        sandbox.data, sandbox.links, sandbox.planted, sandbox.token, sandbox.service_accounts)
    assert build(build_company(8, now=NOW)).tenant_id != sandbox.tenant_id


def test_planted_cases_are_the_same_for_a_bigger_company(sandbox):
    bigger = build(build_company(7, now=NOW, size=600))
    assert [p.key for p in bigger.planted] == [p.key for p in sandbox.planted]


def test_data_shapes(company, sandbox):
    data = sandbox.data
    members, system = data["members"], data["system_users"]
    assert all(set(m) >= {"id", "user", "business_roles", "created_time"} for m in members + system)
    assert {r for m in members for r in m["business_roles"]} == {"BIZ_ADMIN", "EMPLOYEE"}
    assert all(m["user"]["email"] is None for m in system)
    domains = Counter(m["user"]["email"].rpartition("@")[2] for m in members)
    assert domains == Counter({company.domain: len(members) - 2, "gmail.com": 1, "pixel-agency.example": 1})
    for asset in data["assets"]:
        admins = [h for h in asset["members"] if "ADMIN" in h["permissions"]]
        assert len(admins) <= 3
    statuses = Counter(i["invite_data"]["invite_status"] for i in data["invites"])
    assert statuses == Counter({"PENDING": 2, "EXPIRED": 1, "DECLINED": 1, "CANCELLED": 1, "ACCEPTED": 1})
    assert all(m["created_time"] > 10**12 for m in members + system)  # epoch milliseconds
    assert all("permissions" not in a for a in data["assets"])  # the asset list carries none
    (partner,) = data["partners"]
    (held,) = partner["assets"]
    assert (partner["partner_type"], partner["business_roles"], held["permissions"]) == (
        "INTERNAL", ["PARTNER"], ["CAMPAIGN_MANAGER", "ANALYST"])  # not admin-level: partner-admin-tasks stays quiet
    planted = next(p for p in sandbox.planted if p.category == "partner_access")
    assert planted.account == partner["id"] and planted.note.startswith("partner-not-approved")
    people = {e["mail"][0]: e for e in company.people}
    for member in members:
        entry = people.get(member["user"]["email"])
        assert entry is None or not entry["dn"][0].endswith(company.leavers_ou)


def test_settings_validate(sandbox):
    settings = Settings.model_validate({"platform": [{"kind": "pinterest", "name": PLATFORM, **sandbox.settings}],
                                        "matching": {"links": sandbox.links,
                                                     "service_accounts": sandbox.service_accounts}})
    assert settings.platform[0].tenant_id == sandbox.tenant_id
