"""Configuration: validation errors name the file and key; env overrides; secrets never from the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import load_settings, shipped_dir
from auditor.errors import ConfigError

GOOD = """
[storage]
url = "sqlite:///data/auditor.db"

[directory]
kind = "ldif"
path = "people.ldif"

[[platform]]
kind = "meta"
name = "Shop on Meta"
business_id = "42"
token_env = "TEST_META_TOKEN"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "auditor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD), environ={})
    assert settings.storage_url == f"sqlite:///{tmp_path}/data/auditor.db"
    assert settings.resolve_path(settings.directory.path) == tmp_path / "people.ldif"
    assert settings.platform[0].business_id == "42"
    assert (settings.policies_dir / "..").exists()


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('kind = "ldif"', 'kind = "ldif"\ncolour = "blue"'))
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert str(path) in str(err.value) and "directory.colour" in str(err.value)


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + "page_size = 'many'\n")
    with pytest.raises(ConfigError, match=r"platform\.0\.page_size"):
        load_settings(path, environ={})


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[storage\nurl="), environ={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "auditor.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(folder, environ={})


def test_duplicate_platform_names_refused(tmp_path: Path) -> None:
    text = GOOD + '\n[[platform]]\nkind = "meta"\nname = "Shop on Meta"\n'
    with pytest.raises(ConfigError, match="duplicate name 'Shop on Meta'"):
        load_settings(write(tmp_path, text), environ={})


def test_environment_overrides_and_config_variable(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    settings = load_settings(None, environ={"AUDITOR_CONFIG": str(path), "AUDITOR_STORAGE_URL": "sqlite:////x.db"})
    assert settings.storage_url == "sqlite:////x.db"
    with pytest.raises(ConfigError, match="directory.page_size"):
        load_settings(path, environ={"AUDITOR_DIRECTORY_PAGE_SIZE": "5000"})


def test_secrets_come_from_environment_or_secrets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "secrets.env").write_text("# comment\nTEST_META_TOKEN = from-file\n", encoding="utf-8")
    settings = load_settings(write(tmp_path, 'secrets_file = "secrets.env"\n' + GOOD), environ={})
    monkeypatch.delenv("TEST_META_TOKEN", raising=False)
    assert settings.secret("TEST_META_TOKEN", key="platform.token_env") == "from-file"
    monkeypatch.setenv("TEST_META_TOKEN", "from-env")
    assert settings.secret("TEST_META_TOKEN", key="platform.token_env") == "from-env"
    with pytest.raises(ConfigError, match="MISSING_VAR, which is not set"):
        settings.secret("MISSING_VAR", key="platform.token_env")


def test_malformed_secrets_file_names_line(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("GOOD=1\nno equals here\n", encoding="utf-8")
    settings = load_settings(write(tmp_path, 'secrets_file = "secrets.env"\n' + GOOD), environ={})
    with pytest.raises(ConfigError, match="secrets.env: line 2"):
        settings.secret("OTHER", key="platform.token_env")


def test_shipped_folders_exist() -> None:
    for name in ("policies", "reports", "templates"):
        assert shipped_dir(name).is_dir(), name
