"""The company's Magento shop: determinism, the connector reading the demo's SQLite copy (by file or by URL),
and the REAL scan pipeline finding exactly the planted list."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from auditor.config import PlatformSettings, Settings
from auditor.connectors.magento import MagentoConnector
from auditor.demo.company import Company, build_company
from auditor.demo.ldif_writer import write_ldif
from auditor.demo.magento.company import COULD_NOT_VERIFY_RULES, DATABASE_FILE, build
from auditor.services.scan import run_scan
from auditor.storage.db import open_database
from auditor.storage.queries import list_findings

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


@pytest.fixture(scope="module")
def sandbox(company):
    return build(company)


def write_database(sandbox, folder: Path) -> Path:
    path = folder / DATABASE_FILE
    path.write_bytes(sandbox.files[DATABASE_FILE])
    return path


def test_the_build_is_deterministic(company, sandbox):
    assert build(company).files == sandbox.files


def test_the_connector_reads_the_file_or_a_sqlite_url_alike(sandbox, tmp_path):
    path = write_database(sandbox, tmp_path)
    by_file = MagentoConnector(PlatformSettings(kind="magento", name="m", tenant_id="shop",
                                                options={"database_file": str(path)}), lambda *_: "")
    by_url = MagentoConnector(PlatformSettings(kind="magento", name="m", tenant_id="shop",
                                               options={"database_url_env": "URL"}), lambda *_: f"sqlite:///{path}")
    first, second = by_file.fetch(now=NOW), by_url.fetch(now=NOW)
    assert first.complete and second.complete
    assert [(a.account_id, a.two_factor, a.state) for a in first.accounts] == \
        [(a.account_id, a.two_factor, a.state) for a in second.accounts]
    assert {a.account_id for a in first.accounts} == {"admin:1", "admin:2", "admin:3", "admin:4", "integration:1"}
    assert path.read_bytes() == sandbox.files[DATABASE_FILE]  # read-only: the file is unchanged


def test_the_scan_finds_exactly_the_planted_list(company, sandbox, tmp_path):
    write_database(sandbox, tmp_path)
    ldif = write_ldif(company, tmp_path / "people.ldif")
    params = tmp_path / "policy-parameters.yaml"
    params.write_text(yaml.safe_dump({**company.policy_parameters, **sandbox.policy_parameters}), encoding="utf-8")
    settings = Settings.model_validate({
        "storage": {"url": f"sqlite:///{tmp_path / 'auditor.db'}"},
        "directory": {"kind": "ldif", "path": str(ldif), **company.directory_settings},
        "platform": [{**sandbox.settings, "kind": "magento", "name": sandbox.name,
                      "options": {**sandbox.settings["options"], "database_file": str(tmp_path / DATABASE_FILE)}}],
        "matching": {"company_domains": company.company_domains, "links": sandbox.links,
                     "service_accounts": sandbox.service_accounts},
        "policies": {"parameters_file": str(params)},
    })
    summary = run_scan(settings, now=company.now)
    assert summary.status == "complete"
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            findings = list_findings(session, status="open")
    finally:
        db.dispose()
    keys = Counter((f["category"], f["platform"], f["account"], f["asset"]) for f in findings)
    assert keys == Counter(p.key for p in sandbox.planted)
    assert sorted(f["rule"] for f in findings if f["category"] == "could_not_verify") == sorted(COULD_NOT_VERIFY_RULES)
    no_2fa = next(f for f in findings if f["category"] == "missing_2fa")
    assert no_2fa["severity"] == "high" and no_2fa["account"] == "admin:2"
