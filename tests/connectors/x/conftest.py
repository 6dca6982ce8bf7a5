"""Fixtures: the X Ads emulator served over real HTTP on 127.0.0.1, and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.x import XConnector
from auditor.errors import ConfigError
from auditor.sandbox.server import ServerHandle, serve
from auditor.sandbox.x_api import XEmulator
from tests.connectors.x.fixtures import AD_ACCOUNT, CREDENTIALS, OTHER_ACCOUNT, ads_data

PLATFORM = "kwiatek-x"
SECRETS = {"X_CREDENTIALS": CREDENTIALS}


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver over SECRETS (ConfigError naming the key when unset)."""
    if not env_name or env_name not in SECRETS:
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return SECRETS[env_name]


class XSandbox:
    """One emulator on a free port, plus a factory of connectors pointed at it (sleeps are recorded)."""

    def __init__(self, data: dict[str, Any], token: str):
        self.emulator = XEmulator(data, token)
        self.handle: ServerHandle = serve(self.emulator)
        self.base_url = f"{self.handle.url}/12"
        self.sleeps: list[float] = []

    @property
    def faults(self):
        return self.emulator.faults

    def settings(self, **changes: Any) -> PlatformSettings:
        values: dict[str, Any] = {
            "kind": "x", "name": PLATFORM, "base_url": self.base_url, "token_env": "X_CREDENTIALS",
            "page_size": 200, "timeout": 5.0, "max_retries": 2, "backoff": 0.0,
            "options": {"ad_account_ids": [AD_ACCOUNT, OTHER_ACCOUNT], "max_wait": 120.0},
        }
        values.update(changes)
        return PlatformSettings(**values)

    def connector(self, **changes: Any) -> XConnector:
        return XConnector(self.settings(**changes), resolve_secret, sleep=self.sleeps.append)

    def paths(self, contains: str = "") -> list[str]:
        return [r.path for r in self.emulator.requests if contains in r.path]


@pytest.fixture
def x_sandbox() -> Iterator[Any]:
    """``x_sandbox(data=None, token=CREDENTIALS)`` starts an emulator; all are stopped after the test."""
    started: list[XSandbox] = []

    def start(data: dict[str, Any] | None = None, token: str = CREDENTIALS) -> XSandbox:
        sandbox = XSandbox(data if data is not None else ads_data(), token)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.handle.stop()


@pytest.fixture
def sandbox(x_sandbox: Any) -> XSandbox:
    """The base data served on a free port."""
    return x_sandbox()
