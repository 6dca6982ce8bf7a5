"""Fixtures: a small Tag Manager account in the API v2 shapes, served by the emulator over real HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.connectors.gtm import GtmConnector
from auditor.demo.gtm.emulator import GtmEmulator
from auditor.errors import ConfigError
from tests.support.served import ServedEmulator, serving

TOKEN = "ya29.TESTgtmtoken0123456789"
ACCOUNT = "6012345678"
WEB, SERVER = "30111111", "30222222"


def permission(pid: str, email: str, account: str, containers: dict[str, str]) -> dict[str, Any]:
    """One UserPermission in the v2 shape (single-string permissions)."""
    return {"path": f"accounts/{ACCOUNT}/user_permissions/{pid}", "accountId": ACCOUNT, "emailAddress": email,
            "accountAccess": {"permission": account},
            "containerAccess": [{"accountId": ACCOUNT, "containerId": c, "permission": p}
                                for c, p in containers.items()]}


BASE: dict[str, Any] = {
    "account": {"accountId": ACCOUNT, "name": "Kwiatek"},
    "user_permissions": [
        permission("101", "anna@kwiatek.example", "admin", {WEB: "publish", SERVER: "publish"}),
        permission("102", "ben@kwiatek.example", "user", {WEB: "publish"}),
        permission("103", "cara@kwiatek.example", "user", {WEB: "edit", SERVER: "read"}),
        permission("104", "dan@kwiatek.example", "user", {WEB: "approve", SERVER: "noAccess"}),
        permission("105", "eve@kwiatek.example", "accountPermissionUnspecified", {WEB: "superPublish"}),
    ],
    "token_scopes": ["https://www.googleapis.com/auth/tagmanager.manage.users"],
}


def account(extra: int = 0) -> dict[str, Any]:
    """A fresh copy of the base account with ``extra`` more read-only users."""
    data = copy.deepcopy(BASE)
    data["user_permissions"] += [permission(str(500 + i), f"u{i}@kwiatek.example", "user", {WEB: "read"})
                                 for i in range(extra)]
    return data


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver knowing only GTM_TOKEN."""
    if env_name != "GTM_TOKEN":
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return TOKEN


class GtmSandbox(ServedEmulator):
    """The Tag Manager emulator on a free port and a factory of connectors pointed at it."""

    prefix = "/tagmanager/v2"
    connector_class = GtmConnector
    resolve = staticmethod(resolve_secret)
    defaults = {"kind": "gtm", "name": "kwiatek-gtm", "tenant_id": ACCOUNT, "token_env": "GTM_TOKEN",
                "timeout": 5.0, "max_retries": 2, "backoff": 0.0,
                "options": {"max_wait": 0.0, "account_name": "Kwiatek"}}


@pytest.fixture
def gtm_sandbox() -> Iterator[Any]:
    """``gtm_sandbox(data=None, page_size=2)`` starts an emulator; all are stopped after the test."""
    with serving(lambda data=None, page_size=2: GtmSandbox(
            GtmEmulator(data if data is not None else account(), TOKEN, page_size=page_size))) as start:
        yield start


@pytest.fixture
def sandbox(gtm_sandbox: Any) -> GtmSandbox:
    """The base account served on a free port (two permissions per page)."""
    return gtm_sandbox()
