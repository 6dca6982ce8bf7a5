"""ImportConnector: options, the snapshot of an export, evidence, capabilities from columns, bad files."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.base import create_connector
from auditor.connectors.file_import import ImportConnector
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)
NAME = "Kwiatek on X (admin export)"
X_EXPORT = """platform,tenant,account_id,email,name,role,asset,two_factor,last_activity,state
x,18ce54d4x5t,@ann,ann@kwiatek.example,Ann,ACCOUNT_ADMIN,18ce54d4x5t,yes,2026-03-10,active
x,18ce54d4x5t,@ann,ann@kwiatek.example,Ann,TWEET_COMPOSER,18ce54d4x5t,yes,2026-03-10,active
x,18ce54d4x5t,@bob,bob@kwiatek.example,Bob,Ad manager,18ce54d4x5t,no,never,active
x,18ce54d4x5t,@eve,eve@kwiatek.example,Eve,ANALYST,18ce54d4x5t,,,invited
x,18ce54d4x5t,@zed,zed@kwiatek.example,Zed,GALAXY_BRAIN,18ce54d4x5t,,,suspended
"""


def no_secret(env: str | None, key: str) -> str:
    raise AssertionError("the import needs no secret")


def connector(path: Path | str, *, tenant_id: str | None = None, **options) -> ImportConnector:
    settings = PlatformSettings(kind="import", name=NAME, tenant_id=tenant_id,
                                options={"path": str(path), **options})
    return ImportConnector(settings, no_secret)


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "x-users.csv"
    path.write_text(X_EXPORT, encoding="utf-8")
    return path


def test_registry_creates_the_import_connector(export):
    settings = PlatformSettings(kind="import", name="i", options={"path": str(export)})
    assert isinstance(create_connector(settings, no_secret), ImportConnector)


def test_accounts_with_kinds_states_and_account_level_values(export):
    snap = connector(export, platform_kind="x").fetch(now=NOW)
    assert snap.complete and (snap.platform, snap.kind) == (NAME, "import")
    accounts = {a.account_id: a for a in snap.accounts}
    assert list(accounts) == ["@ann", "@bob", "@eve", "@zed"]
    ann, bob, eve, zed = accounts.values()
    assert (ann.kind, ann.emails, ann.two_factor, ann.last_activity, ann.state) == (
        AccountKind.USER, ("ann@kwiatek.example",), True, datetime(2026, 3, 10, tzinfo=UTC), "active")
    assert (bob.two_factor, bob.last_activity, bob.raw["never_active"]) == (False, None, True)
    assert (eve.kind, eve.state, eve.two_factor, eve.role) == (AccountKind.INVITATION, "pending", None, "ANALYST")
    assert (zed.kind, zed.state) == (AccountKind.USER, "suspended")
    assert ann.raw["lines"] == [2, 3] and "never_active" not in ann.raw


def test_grants_privileged_from_the_platform_table_and_unknown_roles(export):
    snap = connector(export, platform_kind="x").fetch(now=NOW)
    grants = {(g.account_id, g.role): g for g in snap.grants}
    assert {k: g.privileged for k, g in grants.items()} == {
        ("@ann", "ACCOUNT_ADMIN"): True, ("@ann", "TWEET_COMPOSER"): False, ("@bob", "Ad manager"): False,
        ("@eve", "ANALYST"): False, ("@zed", "GALAXY_BRAIN"): False}
    assert grants[("@bob", "Ad manager")].raw["privileged_from"] == "role table"
    unknown = grants[("@zed", "GALAXY_BRAIN")].raw
    assert unknown["unknown_role"] is True and unknown["privileged_from"] == "unknown role"
    assert grants[("@ann", "ACCOUNT_ADMIN")].raw["line"] == 2
    assert [(a.asset_id, a.kind) for a in snap.assets] == [("18ce54d4x5t", "ad_account")]


def test_the_privileged_column_and_role_privileges_option_win(tmp_path):
    path = tmp_path / "shop.csv"
    path.write_text("platform,tenant,account_id,role,privileged\nmagento,store1,admin1,Administrators,\n"
                    "magento,store1,ops,Warehouse,yes\nmagento,store1,intern,Administrators,no\n", encoding="utf-8")
    snap = connector(path, role_privileges={"administrators": True}).fetch(now=NOW)
    grants = {g.account_id: (g.privileged, g.raw["privileged_from"], g.asset_id) for g in snap.grants}
    assert grants == {"admin1": (True, "role table", None), "ops": (True, "column", None),
                      "intern": (False, "column", None)}
    assert snap.assets == [] and snap.accounts[0].role == "Administrators"  # tenant-level role


def test_capabilities_follow_the_columns(export, tmp_path):
    full = connector(export, platform_kind="x").fetch(now=NOW).capabilities
    assert (full.per_user_2fa, full.audit_log, full.account_emails, full.tenant_2fa, full.app_scopes) == (
        True, True, True, False, False)
    bare = tmp_path / "bare.csv"
    bare.write_text("platform,tenant,account_id,role\nx,t,@a,ANALYST\n", encoding="utf-8")
    caps = connector(bare).fetch(now=NOW).capabilities
    assert (caps.per_user_2fa, caps.audit_log, caps.account_emails) == (False, False, False)
    assert any("no two_factor column" in n for n in caps.notes)
    assert any("no email column" in n for n in caps.notes)


def test_the_file_hash_is_kept_as_evidence(export):
    digest = hashlib.sha256(export.read_bytes()).hexdigest()
    snap = connector(export, platform_kind="x").fetch(now=NOW)
    raw = snap.tenant.raw
    assert (raw["sha256"], raw["file"], raw["format"], raw["rows"], raw["size"]) == (
        digest, str(export), "csv", 5, export.stat().st_size)
    assert snap.tenant.tenant_id == "18ce54d4x5t" and raw["platform_kind"] == "x"
    assert all(a.raw["sha256"] == digest for a in snap.accounts)
    assert all(g.raw["sha256"] == digest for g in snap.grants)
    assert any(digest in note for note in snap.capabilities.notes)


def test_a_relative_path_is_resolved_against_base_dir(export):
    snap = connector("x-users.csv", base_dir=str(export.parent), platform_kind="x").fetch(now=NOW)
    assert snap.tenant.raw["file"] == str(export)


def test_tenant_id_picks_rows_and_replaces_the_tenant_column(tmp_path):
    path = tmp_path / "two.json"
    path.write_text('[{"platform": "youtube", "tenant": "UC1", "account_id": "a@x.example", "role": "Owner"},\n'
                    ' {"platform": "youtube", "tenant": "UC2", "account_id": "b@x.example", "role": "Manager"}]\n',
                    encoding="utf-8")
    snap = connector(path, tenant_id="UC2", tenant_name="Garden channel").fetch(now=NOW)
    assert [a.account_id for a in snap.accounts] == ["b@x.example"]
    assert (snap.tenant.tenant_id, snap.tenant.name, snap.tenant.raw["rows_other_tenants"]) == (
        "UC2", "Garden channel", 1)
    assert snap.grants[0].privileged is True  # youtube Manager
    with pytest.raises(ConnectorError, match="no account rows for tenant 'UC3'"):
        connector(path, tenant_id="UC3").fetch(now=NOW)


def test_a_bad_file_raises_naming_file_and_lines_and_nothing_is_used(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(X_EXPORT + "x,18ce54d4x5t,@kim,kim(at)kwiatek,Kim,ANALYST,18ce54d4x5t,yes,,active\n"
                    "x,18ce54d4x5t,@lee,lee@kwiatek.example,Lee,ANALYST,18ce54d4x5t,perhaps,,active\n",
                    encoding="utf-8")
    with pytest.raises(ConnectorError) as info:
        connector(path, platform_kind="x").fetch(now=NOW)
    assert str(info.value) == (f"{NAME}: {path}: line 7: email: 'kim(at)kwiatek' is not an email address; "
                               "line 8: two_factor: expected yes or no (or empty for unknown), found 'perhaps'")
    assert info.value.platform == NAME


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("account_id,email\n@a,a@x.example\n", encoding="utf-8")
    with pytest.raises(ConnectorError, match="line 1: missing column\\(s\\) platform, role, tenant"):
        connector(path).fetch(now=NOW)
    assert connector(path, platform_kind="x", tenant_id="t").check()[0].endswith(
        "line 1: missing column(s) role (platform_kind and tenant_id in the platform entry can stand in for the "
        "platform and tenant columns)")


def test_options_are_validated(tmp_path):
    settings = PlatformSettings(kind="import", name=NAME, options={"platform_kind": "x"})
    with pytest.raises(ConfigError, match=re.escape(f"platform '{NAME}': options: missing key 'path'")):
        ImportConnector(settings, no_secret)
    with pytest.raises(ConfigError, match="options: unknown key 'pth'"):
        connector(tmp_path / "a.csv", pth="typo")
    with pytest.raises(ConfigError, match="options: format: Input should be 'csv' or 'json'"):
        connector(tmp_path / "a.csv", format="xlsx")


def test_check_reports_a_missing_file_and_passes_a_good_one(export, tmp_path):
    assert connector(export, platform_kind="x").check() == []
    assert connector(tmp_path / "gone.csv").check() == [f"{NAME}: {tmp_path / 'gone.csv'}: export file not found"]


def test_lookup_filters_by_email(export):
    snap = connector(export, platform_kind="x").lookup(now=NOW, emails=["BOB@kwiatek.example"])
    assert [a.account_id for a in snap.accounts] == ["@bob"] and len(snap.grants) == 1
