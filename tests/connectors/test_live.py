"""``auditor.connectors.live``: real platforms pass through untouched; ``sandbox://`` ones get running emulators."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from auditor.config import PlatformSettings, Settings
from auditor.connectors.live import live_settings, sandbox_kind, sandbox_url
from auditor.errors import ConfigError

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def test_sandbox_urls_name_their_kind() -> None:
    assert sandbox_kind(PlatformSettings(kind="meta", name="M", base_url=sandbox_url("meta"))) == "meta"
    assert sandbox_kind(PlatformSettings(kind="meta", name="M", base_url="https://graph.facebook.com")) is None
    assert sandbox_kind(PlatformSettings(kind="meta", name="M")) is None


def test_real_platforms_are_yielded_unchanged() -> None:
    settings = Settings(platform=[PlatformSettings(kind="meta", name="M", base_url="https://graph.facebook.com")])
    with live_settings(settings, now=NOW) as live:
        assert live is settings


def test_a_sandbox_platform_points_at_a_running_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVE_TEST_TOKEN", "sandbox-live-test")
    settings = Settings(platform=[PlatformSettings(kind="linkedin", name="Kwiatek on LinkedIn",
                                                   base_url=sandbox_url("linkedin"), token_env="LIVE_TEST_TOKEN")])
    with live_settings(settings, now=NOW) as live:
        url = live.platform[0].base_url
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(url + "/organizationAcls", headers={"Authorization": "Bearer wrong"})
        assert answer.status_code == 401


def test_a_sandbox_url_must_match_the_kind() -> None:
    settings = Settings(platform=[PlatformSettings(kind="meta", name="M", base_url=sandbox_url("x"))])
    with pytest.raises(ConfigError, match="does not match kind"), live_settings(settings, now=NOW):
        pass
