"""The scan use-case end to end: real directory (LDIF and slapd), the Meta emulator over HTTP, SQLite and
PostgreSQL; failures of every input leave the database as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.demo.ldif_writer import ldif_text
from auditor.errors import ConfigError, DirectoryError, PolicyError
from auditor.services.scan import run_scan
from auditor.storage.db import open_database
from auditor.storage.queries import latest_scans
from tests.services.conftest import NOW, Workspace, findings, keys
from tests.support.slapd import start_slapd


def scans(settings) -> list:
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            return latest_scans(session, 50)
    finally:
        db.dispose()


def test_scan_finds_exactly_the_planted_cases(workspace: Workspace, company) -> None:
    summary = run_scan(workspace.settings, now=NOW)
    assert summary.status == "complete"
    assert keys(workspace.settings) == {p.key for p in company.expected(synced_earlier=False)}
    severities = {row["account"]: row["severity"] for row in findings(workspace.settings)
                  if row["category"] == "missing_2fa"}
    planted = {p.account: p.severity for p in company.planted if p.category == "missing_2fa"}
    assert severities == planted


def test_rescan_is_stable_and_removed_access_resolves(workspace: Workspace, company) -> None:
    first = run_scan(workspace.settings, now=NOW)
    second = run_scan(workspace.settings, now=NOW)
    assert (second.opened, second.resolved, second.reopened) == (0, 0, 0)
    assert second.still_open == first.opened
    # the contractor's access is removed on the platform: the next complete scan resolves that finding
    zoe = next(p for p in company.planted if p.category == "contract_expired")
    data = workspace.emulator.data
    for edge in ("owned_pages", "client_pages", "owned_ad_accounts", "client_ad_accounts",
                 "owned_instagram_assets", "owned_whatsapp_business_accounts"):
        for asset in data.get(edge, []):
            asset["assigned_users"] = [u for u in asset["assigned_users"] if u["id"] != zoe.account]
    data["business_users"] = [u for u in data["business_users"] if u["id"] != zoe.account]
    third = run_scan(workspace.settings, now=NOW)
    assert third.resolved >= 1
    resolved = keys(workspace.settings, "resolved")
    assert zoe.key in resolved
    assert zoe.key not in keys(workspace.settings)


def test_platform_failing_mid_scan_resolves_nothing(workspace: Workspace) -> None:
    run_scan(workspace.settings, now=NOW)
    before = keys(workspace.settings)
    # every ad-account edge now fails with 500: the fetch is partial
    workspace.faults.add("500", path_contains="act_", times=None)
    summary = run_scan(workspace.settings, now=NOW)
    assert [status for _n, status, _e in summary.platforms] == ["partial"]
    assert summary.resolved == 0
    after = keys(workspace.settings)
    assert before <= after  # nothing resolved, even findings whose evidence came from the failed edges
    unverified = [f for f in findings(workspace.settings) if f["rule"] == "platform-not-verified"]
    assert len(unverified) == 1 and "500" in unverified[0]["message"]


def test_rejected_token_keeps_previous_findings(workspace: Workspace) -> None:
    run_scan(workspace.settings, now=NOW)
    before = keys(workspace.settings)
    workspace.faults.add("401", times=None)
    summary = run_scan(workspace.settings, now=NOW)
    assert [status for _n, status, _e in summary.platforms] == ["failed"]
    assert "401" in summary.platforms[0][2][0] and "Kwiatek on Meta" in summary.platforms[0][2][0]
    assert before <= keys(workspace.settings) and summary.resolved == 0


def test_garbage_answer_is_partial_not_clean(workspace: Workspace) -> None:
    run_scan(workspace.settings, now=NOW)
    workspace.faults.add("malformed", path_contains="owned_pages", times=None)
    summary = run_scan(workspace.settings, now=NOW)
    assert summary.platforms[0][1] == "partial" and summary.resolved == 0
    assert any("malformed JSON" in error for error in summary.platforms[0][2])


def test_rate_limited_then_recovers(workspace: Workspace, company) -> None:
    workspace.faults.add("429", path_contains="business_users", times=1)
    workspace.faults.add("rate_limit", path_contains="system_users", times=1)
    summary = run_scan(workspace.settings, now=NOW)
    assert summary.platforms[0][1] == "complete"
    assert keys(workspace.settings) == {p.key for p in company.expected(synced_earlier=False)}


def test_malformed_ldif_writes_nothing(workspace: Workspace) -> None:
    run_scan(workspace.settings, now=NOW)
    before = (keys(workspace.settings), len(scans(workspace.settings)))
    ldif = workspace.settings.resolve_path(workspace.settings.directory.path)
    ldif.write_text(ldif.read_text(encoding="utf-8") + "\nthis is not ldif\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"people\.ldif: line \d+"):
        run_scan(workspace.settings, now=NOW)
    assert (keys(workspace.settings), len(scans(workspace.settings))) == before


def test_malformed_policy_writes_nothing(workspace: Workspace, tmp_path: Path) -> None:
    run_scan(workspace.settings, now=NOW)
    before = len(scans(workspace.settings))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    settings = workspace.settings.model_copy(update={"policies": workspace.settings.policies.model_copy(
        update={"path": str(rules), "parameters_file": None})})
    with pytest.raises(PolicyError, match="broken.yaml"):
        run_scan(settings, now=NOW)
    assert len(scans(workspace.settings)) == before


def test_unknown_platform_name_is_a_config_error(workspace: Workspace) -> None:
    with pytest.raises(ConfigError, match="no platform named 'Nope'"):
        run_scan(workspace.settings, platform="Nope", now=NOW)


def test_directory_history_makes_a_deleted_person_departed(workspace: Workspace, company) -> None:
    from auditor.services.directory_sync import sync_directory

    earlier = workspace.settings.resolve_path("people-earlier.ldif")
    settings_then = workspace.settings.model_copy(update={"directory": workspace.settings.directory.model_copy(
        update={"path": str(earlier)})})
    sync_directory(settings_then, now=NOW.replace(month=10))
    run_scan(workspace.settings, now=NOW)
    assert keys(workspace.settings) == {p.key for p in company.planted}
    ghost = next(p for p in company.planted if p.person == company.ghost_uid)
    row = next(f for f in findings(workspace.settings) if f["account"] == ghost.account)
    assert row["category"] == "orphaned_access" and row["person"] == company.ghost_uid


@pytest.fixture
def slapd_directory(tmp_path: Path, company):
    handle = start_slapd(tmp_path / "slapd", company.base_dn, ldif_text(company))
    try:
        yield handle
    finally:
        handle.stop()


def ldap_settings(workspace: Workspace, handle, monkeypatch, password: str | None = None):
    monkeypatch.setenv("TEST_LDAP_PASSWORD", password or handle.password)
    directory = workspace.settings.directory.model_copy(update={
        "kind": "ldap", "url": handle.url, "bind_dn": handle.bind_dn, "password_env": "TEST_LDAP_PASSWORD",
        "base_dn": handle.base_dn, "path": None, "page_size": 50, "connect_timeout": 2, "receive_timeout": 5,
    })
    return workspace.settings.model_copy(update={"directory": directory})


def test_scan_against_real_slapd_equals_the_ldif_scan(workspace: Workspace, company, slapd_directory,
                                                       monkeypatch) -> None:
    settings = ldap_settings(workspace, slapd_directory, monkeypatch)
    summary = run_scan(settings, now=NOW)
    assert summary.status == "complete"
    assert keys(settings) == {p.key for p in company.expected(synced_earlier=False)}


def test_wrong_bind_password_writes_nothing(workspace: Workspace, slapd_directory, monkeypatch) -> None:
    settings = ldap_settings(workspace, slapd_directory, monkeypatch, password="wrong")
    with pytest.raises(DirectoryError, match="invalid credentials"):
        run_scan(settings, now=NOW)
    assert scans(settings) == []


def test_unreachable_directory_writes_nothing(workspace: Workspace, slapd_directory, monkeypatch) -> None:
    settings = ldap_settings(workspace, slapd_directory, monkeypatch)
    slapd_directory.stop()
    with pytest.raises(DirectoryError, match=slapd_directory.url):
        run_scan(settings, now=NOW)
    assert scans(settings) == []


def test_scan_on_postgresql(workspace: Workspace, company, postgres_cluster) -> None:
    url = postgres_cluster.create_database()
    settings = workspace.settings.model_copy(update={"storage": workspace.settings.storage.model_copy(
        update={"url": url})})
    run_scan(settings, now=NOW)
    second = run_scan(settings, now=NOW)
    assert (second.opened, second.resolved) == (0, 0)
    assert keys(settings) == {p.key for p in company.expected(synced_earlier=False)}



def test_manual_link_in_the_database_matches_an_account(workspace: Workspace, company) -> None:
    from auditor.storage.tables import ManualLinkRow

    run_scan(workspace.settings, now=NOW)
    typo = next(p for p in company.planted if p.category == "unmatched_account" and "old address" in p.note)
    owner = company.people[0]["uid"][0]
    db = open_database(workspace.settings.storage_url)
    try:
        with db.session() as session:
            session.add(ManualLinkRow(platform=typo.platform, account_id=typo.account, uid=owner,
                                      note="old address of this person", created_at=NOW))
    finally:
        db.dispose()
    summary = run_scan(workspace.settings, now=NOW)
    assert summary.resolved == 1
    assert typo.key in keys(workspace.settings, "resolved")
