"""Fixtures: the TikTok emulator served over real HTTP on 127.0.0.1, and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.tiktok import TikTokConnector
from auditor.errors import ConfigError
from auditor.sandbox.server import ServerHandle, serve
from auditor.sandbox.tiktok_api import PREFIX, TikTokEmulator
from tests.connectors.tiktok.fixtures import BC_ID, TOKEN, business_center

PLATFORM = "kwiatek-tiktok"


def resolve_secret(env_name: str | None, key: str) -> str:
    """The test token for TIKTOK_TOKEN; ConfigError naming the key otherwise."""
    if env_name != "TIKTOK_TOKEN":
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return TOKEN


class TikTokSandbox:
    """One emulator on a free port plus a factory of connectors pointed at it."""

    def __init__(self, data: dict[str, Any], token: str):
        self.emulator = TikTokEmulator(data, token)
        self.handle: ServerHandle = serve(self.emulator)
        self.base_url = self.handle.url + PREFIX

    @property
    def faults(self):
        return self.emulator.faults

    def settings(self, **changes: Any) -> PlatformSettings:
        values: dict[str, Any] = {
            "kind": "tiktok", "name": PLATFORM, "base_url": self.base_url, "tenant_id": BC_ID,
            "token_env": "TIKTOK_TOKEN", "page_size": 20, "timeout": 5.0, "max_retries": 2, "backoff": 0.0,
            "options": {"max_wait": 0.0},
        }
        values.update(changes)
        return PlatformSettings(**values)

    def connector(self, **changes: Any) -> TikTokConnector:
        return TikTokConnector(self.settings(**changes), resolve_secret)

    def requests(self, path: str = ""):
        """Requests the emulator saw whose path contains ``path``, in arrival order."""
        return [r for r in self.emulator.requests if path in r.path]


@pytest.fixture
def tiktok_sandbox() -> Iterator[Any]:
    """``tiktok_sandbox(data=None, token=TOKEN)`` starts an emulator; all are stopped after the test."""
    started: list[TikTokSandbox] = []

    def start(data: dict[str, Any] | None = None, token: str = TOKEN) -> TikTokSandbox:
        sandbox = TikTokSandbox(data if data is not None else business_center(), token)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.handle.stop()


@pytest.fixture
def sandbox(tiktok_sandbox: Any) -> TikTokSandbox:
    """The base Business Center served on a free port."""
    return tiktok_sandbox()
