"""connector_for: every use-case gets its connectors the same way (secrets, config-relative import paths)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from auditor.config import load_settings
from auditor.connectors.base import connector_for
from auditor.errors import ConfigError

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
    assert connector.settings.options["path"] == str(tmp_path / "exports" / "staff.csv")
    snapshot = connector.fetch(now=datetime.now(UTC))
    assert snapshot.complete and [a.account_id for a in snapshot.accounts] == ["u1"]


def test_secrets_are_read_through_the_settings_and_name_the_key(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "auditor.toml").write_text(CONFIG, encoding="utf-8")
    settings = load_settings(tmp_path / "auditor.toml", environ={})
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    connector = connector_for(settings, settings.platform[1])
    with pytest.raises(ConfigError, match=r"platform\.token_env names environment variable NOT_SET_ANYWHERE"):
        connector.secret(connector.settings.token_env, "token_env")
