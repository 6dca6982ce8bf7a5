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


def private(path: Path, text: str) -> Path:
    """Write a secrets file readable by its owner only."""
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
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
    private(tmp_path / "secrets.env", "# comment\nTEST_META_TOKEN = from-file\n")
    settings = load_settings(write(tmp_path, 'secrets_file = "secrets.env"\n' + GOOD), environ={})
    monkeypatch.delenv("TEST_META_TOKEN", raising=False)
    assert settings.secret("TEST_META_TOKEN", key="platform.token_env") == "from-file"
    monkeypatch.setenv("TEST_META_TOKEN", "from-env")
    assert settings.secret("TEST_META_TOKEN", key="platform.token_env") == "from-env"
    with pytest.raises(ConfigError, match="MISSING_VAR, which is not set"):
        settings.secret("MISSING_VAR", key="platform.token_env")


def test_malformed_secrets_file_names_line(tmp_path: Path) -> None:
    private(tmp_path / "secrets.env", "GOOD=1\nno equals here\n")
    settings = load_settings(write(tmp_path, 'secrets_file = "secrets.env"\n' + GOOD), environ={})
    with pytest.raises(ConfigError, match="secrets.env: line 2"):
        settings.secret("OTHER", key="platform.token_env")


def test_shipped_folders_exist() -> None:
    for name in ("policies", "reports", "templates"):
        assert shipped_dir(name).is_dir(), name


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o660])
def test_a_secrets_file_others_can_read_or_write_is_refused(tmp_path: Path, mode: int,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = private(tmp_path / "secrets.env", "TEST_META_TOKEN=from-file\n")
    secrets.chmod(mode)
    monkeypatch.delenv("TEST_META_TOKEN", raising=False)
    settings = load_settings(write(tmp_path, 'secrets_file = "secrets.env"\n' + GOOD), environ={})
    with pytest.raises(ConfigError) as caught:
        settings.secret("TEST_META_TOKEN", key="platform.token_env")
    message = str(caught.value)
    assert str(secrets) in message and f"mode {mode:04o}" in message and "chmod 600" in message
    assert len(message.splitlines()) == 1
    secrets.chmod(0o400)
    assert settings.secret("TEST_META_TOKEN", key="platform.token_env") == "from-file"


def test_the_cli_refuses_a_readable_secrets_file_with_exit_2(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    private(tmp_path / "secrets.env", "TEST_META_TOKEN=from-file\n").chmod(0o644)
    config = write(tmp_path, 'secrets_file = "secrets.env"\n' + GOOD)
    monkeypatch.delenv("TEST_META_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["--config", str(config), "serve"])
    assert result.exit_code == 2, result.output
    assert "mode 0644" in result.stderr and "Traceback" not in result.output and "generate one" not in result.stderr
    assert [line for line in result.stderr.splitlines() if "error" in line] == [result.stderr.splitlines()[-1]]
