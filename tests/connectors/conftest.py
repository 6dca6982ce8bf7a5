"""Fixtures: the Meta emulator served over real HTTP on 127.0.0.1, and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.connectors.meta import MetaConnector
from auditor.demo.meta.emulator import MetaEmulator
from auditor.errors import ConfigError
from tests.connectors.meta_fixtures import (
    APP_ID,
    APP_SECRET,
    APP_SECRET_ENV,
    BUSINESS_ID,
    EXTRA_ENV,
    EXTRA_TOKEN,
    TOKEN,
    business,
)
from tests.support.served import ServedEmulator, serving

PLATFORM = "kwiatek-meta"
SECRETS = {"META_TOKEN": TOKEN, EXTRA_ENV: EXTRA_TOKEN, APP_SECRET_ENV: APP_SECRET}


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver over SECRETS (ConfigError naming the key when unset)."""
    if not env_name or env_name not in SECRETS:
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return SECRETS[env_name]


class MetaSandbox(ServedEmulator):
    """The Meta emulator served on a free port, plus a factory of connectors pointed at it."""

    prefix = "/v25.0"
    connector_class = MetaConnector
    resolve = staticmethod(resolve_secret)
    defaults = {
        "kind": "meta", "name": PLATFORM, "business_id": BUSINESS_ID, "token_env": "META_TOKEN", "page_size": 25,
        "timeout": 5.0, "max_retries": 2, "backoff": 0.0, "inspect_tokens": [EXTRA_ENV],
        "options": {"max_wait": 0.0, "app_id": APP_ID, "app_secret_env": APP_SECRET_ENV},
    }


@pytest.fixture
def meta_sandbox() -> Iterator[Any]:
    """``meta_sandbox(data=None, token=TOKEN)`` starts an emulator; all are stopped after the test."""
    with serving(lambda data=None, token=TOKEN: MetaSandbox(
            MetaEmulator(data if data is not None else business(), token))) as start:
        yield start


@pytest.fixture
def sandbox(meta_sandbox: Any) -> MetaSandbox:
    """The base business served on a free port."""
    return meta_sandbox()
