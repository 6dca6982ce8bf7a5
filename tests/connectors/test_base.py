"""The registry (discovered packages and entry points), connector_for (secrets, config-relative import paths)
and the optional revocation ability."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from auditor.config import PlatformSettings, load_settings
from auditor.connectors import base
from auditor.connectors.base import Connector, connector_for, connector_kinds, create_connector
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Capabilities, TenantSnapshot

CONFIG = """
[[platform]]
kind = "import"
name = "Shop staff (export)"
options = { path = "exports/staff.csv", platform_kind = "shopify" }

[[platform]]
kind = "meta"
name = "Shop on Meta"
business_id = "1"
token_env = "NOT_SET_ANYWHERE"
"""


def test_an_import_path_is_relative_to_the_config_not_the_working_directory(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "staff.csv").write_text(
        "platform,tenant,account_id,email,name,role,asset,state\n"
        "shopify,shop-1,u1,anna@shop.example,Anna,owner,shop-1,active\n", encoding="utf-8")
    (tmp_path / "auditor.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path / "auditor.toml", environ={})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    connector = connector_for(settings, settings.platform[0])
    assert connector.options.path == str(tmp_path / "exports" / "staff.csv")
    snapshot = connector.fetch(now=datetime.now(UTC))
    assert snapshot.complete and [a.account_id for a in snapshot.accounts] == ["u1"]


def test_secrets_are_read_through_the_settings_and_name_the_key(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "auditor.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path / "auditor.toml", environ={})
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    connector = connector_for(settings, settings.platform[1])
    with pytest.raises(ConfigError, match=r"platform\.token_env names environment variable NOT_SET_ANYWHERE"):
        connector.token()


def test_the_registry_discovers_every_connector_package() -> None:
    import auditor.connectors as package

    packages = {p.name for p in Path(package.__path__[0]).iterdir() if (p / "__init__.py").exists()}
    assert {"google_ads", "file_import", "linkedin", "meta", "pinterest", "tiktok", "x", "ga4", "gtm"} <= packages
    assert connector_kinds() == sorted("import" if name == "file_import" else name for name in packages)


class _PluginConnector(Connector):
    """A third-party connector, as an entry point would name it."""

    kind = "plugin-shop"
    capabilities = Capabilities()

    def check(self) -> list[str]:
        return []

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        raise NotImplementedError


def _plugins(*entries: EntryPoint):
    return lambda *, group: [e for e in entries if e.group == group]


def test_third_party_connectors_register_through_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    monkeypatch.setattr(base, "_DISCOVERED", threading.Event())
    plugin = EntryPoint("shop", f"{__name__}:_PluginConnector", base.ENTRY_POINT_GROUP)
    monkeypatch.setattr(base, "entry_points", _plugins(plugin))
    assert "plugin-shop" in connector_kinds() and "meta" in connector_kinds()
    connector = create_connector(PlatformSettings(kind="plugin-shop", name="Shop"), lambda env, key: "")
    assert isinstance(connector, _PluginConnector) and connector.revoker() is None


def test_a_broken_plugin_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    monkeypatch.setattr(base, "_DISCOVERED", threading.Event())
    broken = EntryPoint("broken", "auditor_no_such_plugin:Connector", base.ENTRY_POINT_GROUP)
    monkeypatch.setattr(base, "entry_points", _plugins(broken))
    with pytest.raises(ConfigError, match="connector plugin 'broken' .* cannot be loaded"):
        connector_kinds()


def test_revocation_is_an_ability_only_some_connectors_have(tmp_path: Path) -> None:
    (tmp_path / "auditor.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path / "auditor.toml", environ={})
    assert connector_for(settings, settings.platform[0]).revoker() is None
    revoker = connector_for(settings, settings.platform[1]).revoker()
    assert revoker is not None
    items = [{"kind": "account", "account_id": "7", "label": "Anna", "detail": {"account_kind": "user"}},
             {"kind": "invitation", "account_id": "invite:8", "label": "Ben", "detail": {}},
             {"kind": "account", "account_id": "9", "label": "Bot", "detail": {"account_kind": "system_user"}}]
    assert [(p.action, p.target) for p in revoker.proposals(items)] == [
        ("remove_business_user", "7"), ("cancel_invitation", "8")]
    with pytest.raises(ConnectorError, match="Shop on Meta: cannot drop_table '7'"):
        revoker.execute("drop_table", "7", lambda *call: None)
