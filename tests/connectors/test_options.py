"""Typed connector options: each kind's model is applied when the config loads, so a typo or a wrong type
stops the command with one line naming the file, the platform and the key (exit 2 from the CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.config import PlatformSettings, load_settings
from auditor.connectors.base import ConnectorOptions, connector_kinds, platform_options
from auditor.errors import ConfigError

X_PLATFORM = """
[[platform]]
kind = "x"
name = "Kwiatek on X"
token_env = "X_TOKEN"
options = {{ {options} }}
"""


def write(tmp_path: Path, options: str) -> Path:
    path = tmp_path / "auditor.toml"
    path.write_text(X_PLATFORM.format(options=options), encoding="utf-8")
    return path


def test_a_typo_in_an_option_stops_the_scan_with_one_line_naming_the_key(tmp_path: Path) -> None:
    config = write(tmp_path, 'ad_acount_ids = ["18ce54d4x5t"]')
    result = CliRunner().invoke(main, ["scan", "--config", str(config)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"auditor: error: {config}: platform 'Kwiatek on X': options: "
                                     "unknown key 'ad_acount_ids'")


def test_a_wrongly_typed_option_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, 'ad_account_ids = "18ce54d4x5t"'), environ={})
    assert str(info.value) == (f"{tmp_path / 'auditor.toml'}: platform 'Kwiatek on X': options: ad_account_ids: "
                               "Input should be a valid list")


def test_a_good_option_loads_and_the_connector_reads_it_typed(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, 'ad_account_ids = ["18ce54d4x5t"], max_wait = 5'), environ={})
    options = platform_options(settings.platform[0])
    assert options.ad_account_ids == ["18ce54d4x5t"] and options.max_wait == 5.0 and options.workers == 4


def test_an_unknown_kind_names_the_platform(tmp_path: Path) -> None:
    config = tmp_path / "auditor.toml"
    config.write_text('[[platform]]\nkind = "myspace"\nname = "Old shop"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"auditor.toml: platform 'Old shop': unknown kind 'myspace' \(known: "):
        load_settings(config, environ={})


@pytest.mark.parametrize("kind", connector_kinds())
def test_every_kind_declares_options_that_refuse_unknown_keys(kind: str) -> None:
    from auditor.connectors.base import connector_class

    platform = PlatformSettings(kind=kind, name="p", options={"colour": "blue"})
    assert issubclass(connector_class(platform).Options, ConnectorOptions)
    with pytest.raises(ConfigError, match="platform 'p': options: unknown key 'colour'"):
        platform_options(platform)


def test_common_options_are_checked_for_every_kind() -> None:
    with pytest.raises(ConfigError, match="options: workers: Input should be greater than or equal to 1"):
        platform_options(PlatformSettings(kind="meta", name="p", options={"workers": 0}))
