"""The shop's admin exports (X Ads access list as CSV, YouTube channel permissions as JSON): data, and the
real scan pipeline finding exactly the planted cases, alone and paired with the X API tenant."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.file_import import ImportConnector, read_export
from auditor.demo.company import Company, build_company
from auditor.demo.file_import import company as company_import
from auditor.demo.x import company as company_x
from tests.demo.test_company_x import finding_keys, planted_rules, run_sandbox_scan, unverified_rules

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


def test_build_gives_both_exports_deterministically(company):
    first = company_import.build(company)
    again = company_import.build(build_company(7, now=NOW))
    assert [sp.name for sp in first] == [company_x.EXPORT_PLATFORM, company_import.YOUTUBE_PLATFORM]
    assert [(sp.files, sp.planted) for sp in first] == [(sp.files, sp.planted) for sp in again]
    assert all(sp.kind == "import" and sp.token == "" and sp.data == {} for sp in first)
    for sp in first:
        PlatformSettings(kind=sp.kind, name=sp.name, **sp.settings)  # the entry validates
        assert list(sp.files) == [sp.settings["options"]["path"]]


def test_the_x_export_lists_what_the_api_does_not(company):
    team = company_x.x_team(company)
    sp = company_import.x_export(company)
    text = sp.files[company_x.EXPORT_FILE]
    assert text.splitlines()[0] == "platform,tenant,account_id,email,name,role,asset,state"
    handles = {line.split(",")[2] for line in text.splitlines()[1:]}
    assert handles == {f"@{m.handle}" for m in team.members}
    assert sp.tenant_id == company_x.build(company).tenant_id  # the same ads account as the API tenant


def test_the_youtube_export_is_a_json_array_with_the_traps(company):
    sp = company_import.youtube_export(company)
    rows = json.loads(sp.files[company_import.YOUTUBE_FILE])
    by_email = {r["email"]: r for r in rows}
    assert by_email[company_import.PERSONAL_ADDRESS]["role"] == "Editor"
    assert by_email["rafal.zielinski@kwiatek.example"]["state"] == "invited"
    assert by_email["katarzyna.lewandowska@kwiatek.example"]["role"] == "Manager"
    assert {r["tenant"] for r in rows} == {sp.tenant_id} and sp.tenant_id.startswith("UC") and len(sp.tenant_id) == 24
    assert sp.links == [{"platform": sp.name, "email": company_import.PERSONAL_ADDRESS,
                         "uid": company_import.DESIGNER}]


def test_the_files_read_cleanly_with_their_hashes(tmp_path, company):
    for sp in company_import.build(company):
        for name, text in sp.files.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        options = {**sp.settings["options"], "base_dir": str(tmp_path)}
        settings = PlatformSettings(kind="import", name=sp.name, **{**sp.settings, "options": options})
        snap = ImportConnector(settings, lambda env, key: "").fetch(now=NOW)
        export = read_export(tmp_path / sp.settings["options"]["path"])
        assert snap.complete and snap.tenant.raw["sha256"] == export.sha256
        assert snap.capabilities.account_emails and not snap.capabilities.per_user_2fa


def test_scan_finds_exactly_the_planted_cases(tmp_path, company):
    platforms = company_import.build(company)
    summary, findings = run_sandbox_scan(tmp_path, company, platforms)
    assert sorted(summary.platforms) == sorted((sp.name, "complete", []) for sp in platforms)
    assert finding_keys(findings) == Counter(p.key for sp in platforms for p in sp.planted)
    for sp in platforms:
        assert unverified_rules(findings, sp.name) == planted_rules(sp.planted, sp.name)


def test_x_api_and_admin_export_pair_as_two_tenants(tmp_path, company):
    platforms = [company_x.build(company), company_import.x_export(company)]
    summary, findings = run_sandbox_scan(tmp_path, company, platforms)
    assert [status for _, status, _ in summary.platforms] == ["complete", "complete"]
    assert finding_keys(findings) == Counter(p.key for sp in platforms for p in sp.planted)
    # the leaver appears once per source: as the registered owner of the brand handle (API) and as an admin
    [admin] = [f for f in findings if f["person"] == company_x.LEAVER]
    assert (admin["platform"], admin["category"]) == (company_x.EXPORT_PLATFORM, "orphaned_access")
    [owner] = [f for f in findings if f["category"] == "ownerless_service_account"]
    assert owner["platform"] == company_x.PLATFORM
    assert owner["evidence"]["facts"]["account.service_owner"] == company_x.LEAVER


def test_a_bad_export_is_not_verified_and_resolves_nothing(tmp_path, company):
    sp = company_import.youtube_export(company)
    run_sandbox_scan(tmp_path, company, [sp])
    broken = sp.files[company_import.YOUTUBE_FILE].replace('"state": "invited"', '"state": "on hold"')
    bad = company_import.youtube_export(company)
    bad.files[company_import.YOUTUBE_FILE] = broken
    summary, findings = run_sandbox_scan(tmp_path, company, [bad])
    [(name, status, errors)] = summary.platforms
    assert (name, status) == (sp.name, "failed")
    assert f"{company_import.YOUTUBE_FILE}: line 7: state: unknown state 'on hold'" in errors[0]
    assert summary.resolved == 0
    still = finding_keys([f for f in findings if f["status"] == "open"])
    assert all(still[p.key] >= 1 for p in sp.planted)
    assert "platform-not-verified" in unverified_rules(findings, sp.name)
