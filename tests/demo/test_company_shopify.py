"""The company's Shopify shop: determinism, and the REAL scan pipeline finding exactly the planted list."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime

import pytest

from auditor.demo.company import Company, build_company
from auditor.demo.shopify.company import COULD_NOT_VERIFY_RULES, build
from tests.support.sandbox_scan import scan_findings as run_sandbox_scan

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


@pytest.fixture(scope="module")
def sandbox(company):
    return build(company)


def keys(findings) -> Counter:
    return Counter((f["category"], f["platform"], f["account"], f["asset"]) for f in findings)


def test_the_build_is_deterministic(company, sandbox):
    assert build(company).data == sandbox.data
    assert build(company).token == sandbox.token


def test_the_scan_finds_exactly_the_planted_list(company, sandbox, tmp_path):
    findings = run_sandbox_scan(tmp_path, company, sandbox, page_size=3)
    assert keys(findings) == Counter(p.key for p in sandbox.planted)
    assert sorted(f["rule"] for f in findings if f["category"] == "could_not_verify") == sorted(COULD_NOT_VERIFY_RULES)
    by_rule = {f["rule"]: f for f in findings}
    assert by_rule["orphaned-access"]["severity"] == "critical"
    assert "Paweł Kamiński" in by_rule["orphaned-access"]["message"]
    assert "Ola Kurek" in by_rule["collaborator-without-owner"]["message"]


def test_without_read_users_the_staff_list_is_not_verified_never_empty(company, sandbox, tmp_path):
    data = copy.deepcopy(sandbox.data)
    data["installation"]["accessScopes"] = [{"handle": "read_products"}]
    findings = run_sandbox_scan(tmp_path, company, sandbox, data=data)
    rules = Counter(f["rule"] for f in findings)
    assert rules["platform-not-verified"] == 1
    message = next(f["message"] for f in findings if f["rule"] == "platform-not-verified")
    assert "read_users" in message and "file_import" in message
    assert not any(f["category"] in ("orphaned_access", "unmatched_account") for f in findings)
