"""The company's Tag Manager account: the REAL scan pipeline finds exactly the planted list, the group trap proves
itself, a partial read resolves nothing, and the build is deterministic."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime

import pytest

from auditor.demo.company import Company, build_company
from auditor.demo.gtm.company import COULD_NOT_VERIFY_RULES, OUTSIDER, PLATFORM, build
from auditor.demo.gtm.emulator import create_emulator
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
    findings = scan_findings(tmp_path, company, sandbox, page_size=3)
    assert keys(findings) == Counter(p.key for p in sandbox.planted)
    assert sorted(f["rule"] for f in findings if f["category"] == "could_not_verify") == sorted(COULD_NOT_VERIFY_RULES)
    (outside,) = [f for f in findings if f["rule"] == "privileged-outside-groups"]
    assert outside["person"] == next(e["uid"][0] for e in company.people if e["displayName"] == [OUTSIDER])
    assert "publish" in outside["message"]


def test_publish_inside_the_groups_is_quiet_and_outside_is_not(company, sandbox, tmp_path):
    data = copy.deepcopy(sandbox.data)
    for item in data["user_permissions"]:  # everyone publishes the web container now
        item["containerAccess"][0]["permission"] = "publish"
    findings = scan_findings(tmp_path, company, sandbox, data=data)
    outside = {f["account"] for f in findings if f["rule"] == "privileged-outside-groups"}
    emails = {i["path"].rsplit("/", 1)[1]: i["emailAddress"] for i in data["user_permissions"]}
    names = {e["mail"][0]: e["displayName"][0] for e in company.people}
    assert sorted(names[emails[a]] for a in outside) == ["Adam Nowicki", "Björn Andersson"]


def test_a_partial_scan_resolves_nothing(company, sandbox, tmp_path):
    first = scan_findings(tmp_path, company, sandbox)
    app, prefix = create_emulator(copy.deepcopy(sandbox.data), sandbox.token)
    app.faults.add("500", "/user_permissions", times=None)
    second = scan_findings(tmp_path, company, sandbox, emulator=(app, prefix), status="all")
    assert {f["fingerprint"] for f in first} <= {f["fingerprint"] for f in second if f["status"] == "open"}
    assert "resolved" not in {f["status"] for f in second}


def test_build_is_deterministic_and_the_same_for_a_bigger_company(company, sandbox):
    again = build(build_company(7, now=NOW))
    assert (again.data, again.planted, again.token) == (sandbox.data, sandbox.planted, sandbox.token)
    assert [p.key for p in build(build_company(7, now=NOW, size=600)).planted] == [p.key for p in sandbox.planted]
    assert build(build_company(8, now=NOW)).tenant_id != sandbox.tenant_id
    assert sandbox.name == PLATFORM
