"""Fixtures: the Google Ads emulator served over real HTTP on 127.0.0.1, and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.config import PlatformSettings
from auditor.connectors.google_ads import GoogleAdsConnector
from auditor.demo.google_ads.emulator import GoogleAdsEmulator
from auditor.errors import ConfigError
from tests.connectors.google_ads.fixtures import DEVELOPER_TOKEN, MANAGER_ID, SEARCH_ID, TOKEN, VIDEO_ID, customers
from tests.support.served import ServedEmulator, serving

PLATFORM = "kwiatek-google-ads"
SECRETS = {"GADS_TOKEN": TOKEN, "GADS_DEV_TOKEN": DEVELOPER_TOKEN}


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver over SECRETS (ConfigError naming the key when unset)."""
    if not env_name or env_name not in SECRETS:
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return SECRETS[env_name]


class GoogleAdsSandbox(ServedEmulator):
    """The Google Ads emulator on a free port plus a factory of connectors pointed at it."""

    prefix = "/v25"
    connector_class = GoogleAdsConnector
    resolve = staticmethod(resolve_secret)

    def settings(self, **changes: Any) -> PlatformSettings:
        options = {"customer_ids": [SEARCH_ID, VIDEO_ID], "login_customer_id": MANAGER_ID,
                   "developer_token_env": "GADS_DEV_TOKEN", "max_wait": 0.0, **changes.pop("options", {})}
        values: dict[str, Any] = {
            "kind": "google_ads", "name": PLATFORM, "base_url": self.base_url, "token_env": "GADS_TOKEN",
            "timeout": 5.0, "max_retries": 2, "backoff": 0.0, "options": {k: v for k, v in options.items()
                                                                          if v is not None},
        }
        values.update(changes)
        return PlatformSettings(**values)

    def queries(self, resource: str, customer: str | None = None) -> list[Any]:
        """Search requests whose query reads FROM ``resource`` (on ``customer``)."""
        return [r for r in self.emulator.requests if r.query and r.query.split(" FROM ")[1].split()[0] == resource
                and (customer is None or f"/customers/{customer}/" in r.path)]


@pytest.fixture
def gads_sandbox() -> Iterator[Any]:
    """``gads_sandbox(data=None, token=TOKEN, page_size=10_000)``; all are stopped after the test."""
    with serving(lambda data=None, token=TOKEN, page_size=10_000: GoogleAdsSandbox(GoogleAdsEmulator(
            data if data is not None else customers(), token, page_size=page_size))) as start:
        yield start


@pytest.fixture
def sandbox(gads_sandbox: Any) -> GoogleAdsSandbox:
    """The base customers served on a free port."""
    return gads_sandbox()
