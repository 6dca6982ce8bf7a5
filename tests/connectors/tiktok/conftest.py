"""Fixtures: the TikTok emulator served over real HTTP on 127.0.0.1, and connectors pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from auditor.connectors.tiktok import TikTokConnector
from auditor.demo.tiktok.emulator import PREFIX, TikTokEmulator
from auditor.errors import ConfigError
from tests.connectors.tiktok.fixtures import BC_ID, TOKEN, business_center
from tests.support.served import ServedEmulator, serving

PLATFORM = "kwiatek-tiktok"


def resolve_secret(env_name: str | None, key: str) -> str:
    """The test token for TIKTOK_TOKEN; ConfigError naming the key otherwise."""
    if env_name != "TIKTOK_TOKEN":
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return TOKEN


class TikTokSandbox(ServedEmulator):
    """The TikTok emulator on a free port plus a factory of connectors pointed at it."""

    prefix = PREFIX
    connector_class = TikTokConnector
    resolve = staticmethod(resolve_secret)
    defaults = {
        "kind": "tiktok", "name": PLATFORM, "tenant_id": BC_ID, "token_env": "TIKTOK_TOKEN", "page_size": 20,
        "timeout": 5.0, "max_retries": 2, "backoff": 0.0, "options": {"max_wait": 0.0},
    }


@pytest.fixture
def tiktok_sandbox() -> Iterator[Any]:
    """``tiktok_sandbox(data=None, token=TOKEN)`` starts an emulator; all are stopped after the test."""
    with serving(lambda data=None, token=TOKEN: TikTokSandbox(
            TikTokEmulator(data if data is not None else business_center(), token))) as start:
        yield start


@pytest.fixture
def sandbox(tiktok_sandbox: Any) -> TikTokSandbox:
    """The base Business Center served on a free port."""
    return tiktok_sandbox()
