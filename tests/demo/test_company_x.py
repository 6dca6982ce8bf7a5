"""The shop on X: deterministic data, and the real scan pipeline finding exactly the planted cases.

``run_sandbox_scan`` (shared with test_company_import) scans sandbox platforms through the real pipeline:
an LDIF directory, the X emulator over real HTTP, import files in a folder, SQLite storage.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.config import DirectorySettings, MatchingSettings, PlatformSettings, Settings, StorageSettings
from auditor.connectors.x import XConnector
from auditor.demo.company import Company, build_company
from auditor.demo.faults import FaultPlan
from auditor.demo.ldif_writer import write_ldif
from auditor.demo.platforms import SandboxPlatform
from auditor.demo.server import serve
from auditor.demo.x import company as company_x
from auditor.demo.x.emulator import XEmulator
from auditor.services.scan import run_scan
from auditor.storage.db import open_database
from auditor.storage.queries import list_findings

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TOKEN_ENV = "AUDITOR_X_TOKEN"


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


def sandbox_settings(tmp_path: Path, company: Company, platforms: list[SandboxPlatform], x_url: str | None) -> Settings:
    """Settings scanning ``platforms`` (the X one at ``x_url``; import files written into ``tmp_path``)."""
    entries = []
    secrets = []
    for sp in platforms:
        if sp.kind == "x":
            entries.append(PlatformSettings(kind="x", name=sp.name, base_url=x_url, token_env=TOKEN_ENV, backoff=0,
                                            max_retries=1, **sp.settings))
            secrets.append(f"{TOKEN_ENV}={sp.token}\n")
        else:
            for name, text in sp.files.items():
                (tmp_path / name).write_text(text, encoding="utf-8")
            options = {**sp.settings["options"], "path": str(tmp_path / sp.settings["options"]["path"])}
            entries.append(PlatformSettings(kind=sp.kind, name=sp.name, **{**sp.settings, "options": options}))
    (tmp_path / "secrets.env").write_text("".join(secrets), encoding="utf-8")
    (tmp_path / "secrets.env").chmod(0o600)  # a secrets file others can read is refused
    return Settings(
        storage=StorageSettings(url=f"sqlite:///{tmp_path / 'auditor.db'}"),
        directory=DirectorySettings(kind="ldif", path=str(write_ldif(company, tmp_path / "people.ldif")),
                                    **company.directory_settings),
        platform=entries,
        secrets_file=str(tmp_path / "secrets.env"),
        matching=MatchingSettings(
            company_domains=company.company_domains,
            links=[link for sp in platforms for link in sp.links],
            service_accounts=[entry for sp in platforms for entry in sp.service_accounts],
        ),
    )


def run_sandbox_scan(tmp_path: Path, company: Company, platforms: list[SandboxPlatform],
                     faults: FaultPlan | None = None) -> tuple[Any, list[dict[str, Any]]]:
    """Scan ``platforms`` for real; return (summary, every finding)."""
    x = [sp for sp in platforms if sp.kind == "x"]
    if x:
        emulator = XEmulator(x[0].data, x[0].token, faults=faults)
        with serve(emulator) as handle:
            settings = sandbox_settings(tmp_path, company, platforms, f"{handle.url}/12")
            summary = run_scan(settings, now=NOW)
    else:
        settings = sandbox_settings(tmp_path, company, platforms, None)
        summary = run_scan(settings, now=NOW)
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            return summary, list_findings(session, status="all")
    finally:
        db.dispose()


def finding_keys(findings: list[dict[str, Any]]) -> Counter:
    return Counter((f["category"], f["platform"], f["account"], f["asset"]) for f in findings)


def unverified_rules(findings: list[dict[str, Any]], platform: str) -> list[str]:
    return sorted(f["rule"] for f in findings if f["category"] == "could_not_verify" and f["platform"] == platform)


def planted_rules(planted, platform: str) -> list[str]:
    """The rule ids leading the notes of the planted could_not_verify findings ("[rule] why")."""
    return sorted(p.note[1:p.note.index("]")] for p in planted
                  if p.category == "could_not_verify" and p.platform == platform)


# --- the data ------------------------------------------------------------------------------------------


def test_build_is_deterministic_and_seeded(company):
    again = company_x.build(build_company(7, now=NOW))
    first = company_x.build(company)
    assert (again.data, again.planted, again.token) == (first.data, first.planted, first.token)
    other = company_x.build(build_company(8, now=NOW))
    assert other.tenant_id != first.tenant_id and other.token != first.token


def test_the_platform_entry_validates_and_names_the_gap(company):
    sp = company_x.build(company)
    settings = PlatformSettings(kind="x", name=sp.name, base_url="sandbox://x", token_env=TOKEN_ENV, **sp.settings)
    assert settings.options["ad_account_ids"] == [sp.tenant_id]
    assert sp.token_variable == TOKEN_ENV and sp.files == {}
    assert "no API lists every user" in XConnector.capabilities.notes[0]


def test_the_truth_holds_the_traps_and_the_api_shows_only_the_caller(company):
    team = company_x.x_team(company)
    by_uid = {m.uid: m for m in team.members}
    assert by_uid[company_x.LEAVER].permissions == ("ACCOUNT_ADMIN",)
    assert by_uid[company_x.EXPIRED].permissions == ("CREATIVE_MANAGER",)
    assert by_uid[None].email.endswith("@pixel-agency.example")
    assert team.caller.permissions == ("ANALYST",)  # the auditor's token is read-only
    leaver = next(e for e in company.people if e["uid"] == [company_x.LEAVER])
    assert company.leavers_ou in leaver["dn"][0]
    data = company_x.build(company).data
    assert data["caller_user_id"] == team.caller.user_id
    owners = [p for p in data["accounts"][0]["promotable_users"] if p["promotable_user_type"] == "FULL"]
    assert [p["user_id"] for p in owners] == [team.brand_user_id]


def test_planted_findings_name_real_accounts(company):
    sp = company_x.build(company)
    assert [p.key for p in sp.planted if p.category != "could_not_verify"] == [
        ("ownerless_service_account", company_x.PLATFORM, company_x.x_team(company).brand_user_id, None)]
    assert sp.service_accounts[0]["owner"] == company_x.LEAVER


# --- the real scan -----------------------------------------------------------------------------------


def test_scan_finds_exactly_the_planted_cases(tmp_path, company):
    sp = company_x.build(company)
    summary, findings = run_sandbox_scan(tmp_path, company, [sp])
    assert summary.platforms == [(company_x.PLATFORM, "complete", [])]
    assert finding_keys(findings) == Counter(p.key for p in sp.planted)
    assert unverified_rules(findings, sp.name) == planted_rules(sp.planted, sp.name)


def test_a_partial_fetch_is_recorded_and_resolves_nothing(tmp_path, company):
    sp = company_x.build(company)
    run_sandbox_scan(tmp_path, company, [sp])
    faults = FaultPlan()
    faults.add("500", "/promotable_users", times=None)
    summary, findings = run_sandbox_scan(tmp_path, company, [sp], faults)
    [(name, status, errors)] = summary.platforms
    assert (name, status) == (company_x.PLATFORM, "partial") and "server error 500" in errors[0]
    assert summary.resolved == 0
    open_keys = finding_keys([f for f in findings if f["status"] == "open"])
    ownerless = ("ownerless_service_account", company_x.PLATFORM, company_x.x_team(company).brand_user_id, None)
    assert open_keys[ownerless] == 1  # the owner was not read this time, and its finding stays open
    assert "platform-not-verified" in unverified_rules(findings, company_x.PLATFORM)
