"""Fixtures: the X Ads emulator served over real HTTP on 127.0.0.1, and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.connectors.x import XConnector
from auditor.demo.x.emulator import XEmulator
from auditor.errors import ConfigError
from tests.connectors.x.fixtures import AD_ACCOUNT, CREDENTIALS, OTHER_ACCOUNT, ads_data
from tests.support.served import ServedEmulator, serving

PLATFORM = "kwiatek-x"
SECRETS = {"X_CREDENTIALS": CREDENTIALS}


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver over SECRETS (ConfigError naming the key when unset)."""
    if not env_name or env_name not in SECRETS:
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return SECRETS[env_name]


class XSandbox(ServedEmulator):
    """The X Ads emulator on a free port, plus a factory of connectors pointed at it (sleeps are recorded)."""

    prefix = "/12"
    connector_class = XConnector
    resolve = staticmethod(resolve_secret)
    defaults = {
        "kind": "x", "name": PLATFORM, "token_env": "X_CREDENTIALS", "page_size": 200, "timeout": 5.0,
        "max_retries": 2, "backoff": 0.0,
        "options": {"ad_account_ids": [AD_ACCOUNT, OTHER_ACCOUNT], "max_wait": 120.0},
    }

    def __init__(self, emulator: Any):
        super().__init__(emulator)
        self.sleeps: list[float] = []

    def connector(self, **changes: Any) -> XConnector:
        return XConnector(self.settings(**changes), resolve_secret, sleep=self.sleeps.append)


@pytest.fixture
def x_sandbox() -> Iterator[Any]:
    """``x_sandbox(data=None, token=CREDENTIALS)`` starts an emulator; all are stopped after the test."""
    with serving(lambda data=None, token=CREDENTIALS: XSandbox(
            XEmulator(data if data is not None else ads_data(), token))) as start:
        yield start


@pytest.fixture
def sandbox(x_sandbox: Any) -> XSandbox:
    """The base data served on a free port."""
    return x_sandbox()
