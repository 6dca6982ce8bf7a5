"""The company's WooCommerce site: determinism, and the REAL scan pipeline finding exactly the planted list."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from auditor.demo.company import Company, build_company
from auditor.demo.woocommerce.company import COULD_NOT_VERIFY_RULES, build
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


def test_the_scan_finds_exactly_the_planted_list(company, sandbox, tmp_path):
    findings = run_sandbox_scan(tmp_path, company, sandbox, page_size=2)
    assert keys(findings) == Counter(p.key for p in sandbox.planted)
    assert sorted(f["rule"] for f in findings if f["category"] == "could_not_verify") == sorted(COULD_NOT_VERIFY_RULES)
    zapier = next(f for f in findings if ":app-password:" in (f["account"] or "") and f["rule"] == "orphaned-access")
    assert "Zapier connection" in zapier["message"] and zapier["severity"] == "critical"
    dormant = next(f for f in findings if f["category"] == "dormant_access")
    assert "Make connection" in dormant["message"]
