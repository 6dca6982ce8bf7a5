"""Fixtures: the Meta emulator served over real HTTP on 127.0.0.1, and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.meta import MetaConnector
from auditor.errors import ConfigError
from auditor.sandbox.meta_api import MetaEmulator
from auditor.sandbox.server import ServerHandle, serve
from tests.connectors.meta_fixtures import BUSINESS_ID, EXTRA_ENV, EXTRA_TOKEN, TOKEN, business

PLATFORM = "kwiatek-meta"
SECRETS = {"META_TOKEN": TOKEN, EXTRA_ENV: EXTRA_TOKEN}


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver over SECRETS (ConfigError naming the key when unset)."""
    if not env_name or env_name not in SECRETS:
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return SECRETS[env_name]


class MetaSandbox:
    """One emulator served on a free port, plus a factory of connectors pointed at it."""

    def __init__(self, data: dict[str, Any], token: str):
        self.emulator = MetaEmulator(data, token)
        self.handle: ServerHandle = serve(self.emulator)
        self.url = self.handle.url
        self.base_url = f"{self.url}/v25.0"

    @property
    def faults(self):
        return self.emulator.faults

    def settings(self, **changes: Any) -> PlatformSettings:
        values: dict[str, Any] = {
            "kind": "meta", "name": PLATFORM, "base_url": self.base_url, "business_id": BUSINESS_ID,
            "token_env": "META_TOKEN", "page_size": 25, "timeout": 5.0, "max_retries": 2, "backoff": 0.0,
            "inspect_tokens": [EXTRA_ENV], "options": {"max_wait": 0.0},
        }
        values.update(changes)
        return PlatformSettings(**values)

    def connector(self, **changes: Any) -> MetaConnector:
        return MetaConnector(self.settings(**changes), resolve_secret)

    def paths(self, contains: str = "") -> list[str]:
        """Paths the emulator saw (without version prefix), in arrival order."""
        return [r.path for r in self.emulator.requests if contains in r.path]


@pytest.fixture
def meta_sandbox() -> Iterator[Any]:
    """``meta_sandbox(data=None, token=TOKEN)`` starts an emulator; all are stopped after the test."""
    started: list[MetaSandbox] = []

    def start(data: dict[str, Any] | None = None, token: str = TOKEN) -> MetaSandbox:
        sandbox = MetaSandbox(data if data is not None else business(), token)
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.handle.stop()


@pytest.fixture
def sandbox(meta_sandbox: Any) -> MetaSandbox:
    """The base business served on a free port."""
    return meta_sandbox()
