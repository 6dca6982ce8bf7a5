"""The company's Google Analytics account: the REAL scan pipeline finds exactly the planted list (the
administrator who left), a partial read resolves nothing, and the build is deterministic."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime

import pytest

from auditor.demo.company import Company, build_company
from auditor.demo.ga4.company import COULD_NOT_VERIFY_RULES, LEAVER, PLATFORM, build
from auditor.demo.ga4.emulator import create_emulator
from tests.support.sandbox_scan import scan_findings

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


@pytest.fixture(scope="module")
def sandbox(company):
    return build(company)


def keys(findings) -> Counter:
    return Counter((f["category"], f["platform"], f["account"], f["asset"]) for f in findings)


def test_the_scan_finds_exactly_the_planted_list(company, sandbox, tmp_path):
    findings = scan_findings(tmp_path, company, sandbox, page_size=2)
    assert keys(findings) == Counter(p.key for p in sandbox.planted)
    assert sorted(f["rule"] for f in findings if f["category"] == "could_not_verify") == sorted(COULD_NOT_VERIFY_RULES)
    (orphan,) = [f for f in findings if f["category"] == "orphaned_access"]
    assert orphan["person"] == next(e["uid"][0] for e in company.people if e["displayName"] == [LEAVER])


def test_an_admin_outside_the_groups_is_found(company, sandbox, tmp_path):
    data = copy.deepcopy(sandbox.data)
    shop = f"properties/{data['properties'][0]['id']}"
    bjorn = next(b for b in data["bindings"][shop] if b["user"].startswith("bjorn"))
    bjorn["roles"] = ["predefinedRoles/admin"]
    findings = scan_findings(tmp_path, company, sandbox, data=data)
    extra = keys(findings) - Counter(p.key for p in sandbox.planted)
    assert extra == Counter({("excess_admins", PLATFORM, bjorn["user"], data["properties"][0]["id"]): 1})


def test_a_partial_scan_resolves_nothing(company, sandbox, tmp_path):
    first = scan_findings(tmp_path, company, sandbox)
    data = copy.deepcopy(sandbox.data)
    data["bindings"][f"accounts/{data['account']['id']}"] = [
        b for b in data["bindings"][f"accounts/{data['account']['id']}"] if not b["user"].startswith("marek")]
    app, prefix = create_emulator(data, sandbox.token)
    app.faults.add("500", "/v1beta/properties", times=None)  # the properties (and so the tenant) are unknown
    second = scan_findings(tmp_path, company, sandbox, emulator=(app, prefix), status="all")
    assert {f["fingerprint"] for f in first} <= {f["fingerprint"] for f in second if f["status"] == "open"}
    assert "resolved" not in {f["status"] for f in second}


def test_build_is_deterministic_and_the_same_for_a_bigger_company(company, sandbox):
    again = build(build_company(7, now=NOW))
    assert (again.data, again.planted, again.token) == (sandbox.data, sandbox.planted, sandbox.token)
    assert [p.key for p in build(build_company(7, now=NOW, size=600)).planted] == [p.key for p in sandbox.planted]
