"""Fixtures: a small Analytics account (two properties) in the Admin API shapes, served over real HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.connectors.ga4 import Ga4Connector
from auditor.demo.ga4.emulator import Ga4Emulator
from auditor.errors import ConfigError
from tests.support.served import ServedEmulator, serving

TOKEN = "ya29.TESTga4token0123456789"
ACCOUNT, SHOP, BLOG = "100200", "3001", "3002"
MICROS = 1_748_779_200_000_000  # 2025-06-01T12:00Z


def binding(parent: str, bid: str, user: str, *roles: str) -> dict[str, Any]:
    """One AccessBinding."""
    return {"name": f"{parent}/accessBindings/{bid}", "user": user, "roles": [f"predefinedRoles/{r}" for r in roles]}


BASE: dict[str, Any] = {
    "account": {"id": ACCOUNT, "name": "Kwiatek", "ga360": True},
    "properties": [{"id": SHOP, "displayName": "Shop"}, {"id": BLOG, "displayName": "Blog"}],
    "bindings": {
        f"accounts/{ACCOUNT}": [binding(f"accounts/{ACCOUNT}", "1", "anna@kwiatek.example", "admin"),
                                binding(f"accounts/{ACCOUNT}", "2", "ben@kwiatek.example", "viewer")],
        f"properties/{SHOP}": [binding(f"properties/{SHOP}", "3", "Ben@kwiatek.example", "editor", "no-cost-data"),
                               binding(f"properties/{SHOP}", "4", "cara@kwiatek.example", "analyst"),
                               binding(f"properties/{SHOP}", "5", "dan@kwiatek.example", "superuser")],
        f"properties/{BLOG}": [binding(f"properties/{BLOG}", "6", "cara@kwiatek.example", "viewer")],
    },
    "access_rows": [
        {"userEmail": "anna@kwiatek.example", "accessedPropertyId": SHOP,
         "epochTimeMicros": str(MICROS - 86_400 * 10**6), "accessCount": 3},
        {"userEmail": "cara@kwiatek.example", "accessedPropertyId": BLOG,
         "epochTimeMicros": str(MICROS - 3600 * 10**6), "accessCount": 1},
    ],
}


def account(extra: int = 0, rows: int = 0) -> dict[str, Any]:
    """A fresh copy of the base account with ``extra`` more account viewers and ``rows`` more report rows."""
    data = copy.deepcopy(BASE)
    parent = f"accounts/{ACCOUNT}"
    data["bindings"][parent] += [binding(parent, str(100 + i), f"u{i}@kwiatek.example", "viewer") for i in range(extra)]
    data["access_rows"] += [{"userEmail": f"u{i}@kwiatek.example", "accessedPropertyId": SHOP,
                             "epochTimeMicros": str(MICROS - i * 10**6), "accessCount": 1} for i in range(rows)]
    return data


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver knowing only GA4_TOKEN."""
    if env_name != "GA4_TOKEN":
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return TOKEN


class Ga4Sandbox(ServedEmulator):
    """The GA4 emulator on a free port and a factory of connectors pointed at it."""

    prefix = ""
    connector_class = Ga4Connector
    resolve = staticmethod(resolve_secret)
    defaults = {"kind": "ga4", "name": "kwiatek-ga4", "tenant_id": ACCOUNT, "token_env": "GA4_TOKEN",
                "page_size": 2, "timeout": 5.0, "max_retries": 2, "backoff": 0.0, "activity_days": 30,
                "options": {"max_wait": 0.0, "account_name": "Kwiatek"}}


@pytest.fixture
def ga4_sandbox() -> Iterator[Any]:
    """``ga4_sandbox(data=None)`` starts an emulator; all are stopped after the test."""
    with serving(lambda data=None: Ga4Sandbox(Ga4Emulator(data if data is not None else account(), TOKEN))) as start:
        yield start


@pytest.fixture
def sandbox(ga4_sandbox: Any) -> Ga4Sandbox:
    """The base account served on a free port."""
    return ga4_sandbox()
