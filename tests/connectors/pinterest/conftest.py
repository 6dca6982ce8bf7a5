"""Fixtures: a small Pinterest business in the API v5 shapes, served by the emulator over real HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.connectors.pinterest import PinterestConnector
from auditor.demo.pinterest.emulator import PinterestEmulator
from auditor.errors import ConfigError
from tests.support.served import ServedEmulator, serving

PLATFORM = "kwiatek-pinterest"
TOKEN = "pina_TESTtoken0123456789abcdefghij"
BUSINESS_ID = "729090764583391194"
PROFILE, ADS, CATALOG, GROUP = "549755885175", "549755885176", "549755885177", "549755885178"
SHARED = "549755885179"  # an ad account another business shared with us


def _member(uid: str, username: str, email: str | None, roles: list[str], created: int, **extra: Any) -> dict:
    return {"id": uid, "user": {"id": uid, "username": username, "email": email}, "business_roles": roles,
            "created_time": created, "is_shared_partner": False, **extra}


def _invite(iid: str, email: str, status: str, sent_ms: int, kind: str = "MEMBER_INVITE") -> dict:
    return {"id": iid, "is_received_invite": False, "business_roles": ["EMPLOYEE"], "created_time": sent_ms,
            "user": {"id": None, "username": None, "email": email},
            "created_by_user": {"id": "1001", "username": "anna", "email": None},
            "invite_data": {"invite_status": status, "invite_type": kind, "sent_at": sent_ms,
                            "last_updated_time": sent_ms, "invite_expiration": sent_ms + 2_592_000_000}}


BASE: dict[str, Any] = {
    "business": {"id": BUSINESS_ID, "name": "kwiatek"},
    "members": [
        _member("1001", "anna", "anna@kwiatek.example", ["BIZ_ADMIN"], 1_672_531_200_000),
        _member("1002", "ben", "ben@kwiatek.example", ["EMPLOYEE"], 1_680_000_000_000,
                created_by_user={"id": "1001", "username": "anna", "email": "anna@kwiatek.example"},
                assets_summary={"ad_accounts": [{"id": ADS, "permissions": ["ANALYST"]}], "profiles": []}),
        _member("1003", "cara.pins", "cara.pins@gmail.example", ["EMPLOYEE"], 1_690_000_000_000),
        _member("1004", "dan", "dan@kwiatek.example", ["EMPLOYEE", "SUPERVISOR"], 1_695_000_000_000),
        _member("1005", "eve", "eve@kwiatek.example", ["EMPLOYEE"], 1_696_000_000_000),
        _member("1006", "fred", "fred@kwiatek.example", ["EMPLOYEE"], 1_697_000_000_000),
        _member("1007", "gina", "gina@kwiatek.example", ["EMPLOYEE"], 1_698_000_000_000),
    ],
    "system_users": [
        _member("2001", "catalog_feed", None, ["EMPLOYEE"], 1_700_000_000_000,
                created_by_user={"id": "1001", "username": "anna", "email": None}),
    ],
    "assets": [
        {"asset_id": PROFILE, "asset_type": "PROFILE", "members": [
            {"user_id": "1001", "permissions": ["ADMIN"]},
            {"user_id": "1002", "permissions": ["PROFILE_PUBLISHER", "ANALYST"]},
            {"user_id": "1003", "permissions": ["PROFILE_PUBLISHER"]},
            {"user_id": "9001", "permissions": ["ANALYST"], "user": {"id": "9001", "username": "partner.person",
                                                                      "email": "p@agency.example"}},
        ]},
        {"asset_id": ADS, "asset_type": "AD_ACCOUNT", "members": [
            {"user_id": "1001", "permissions": ["ADMIN", "FINANCE_MANAGER"]},
            {"user_id": "1002", "permissions": ["ANALYST"]},
            {"user_id": "1004", "permissions": ["CAMPAIGN_MANAGER", "BUDGET_TSAR"]},
            {"user_id": "1005", "permissions": ["AUDIENCE_MANAGER"]},
            {"user_id": "1006", "permissions": ["FINANCE_VIEW", "FINANCE_EDIT"]},
        ]},
        {"asset_id": CATALOG, "asset_type": "CATALOG",
         "catalog_info": {"catalog_id": CATALOG, "name": "Flowers"}, "members": [
             {"user_id": "1007", "permissions": ["CATALOGS_MANAGER"]},
             {"user_id": "1005", "permissions": ["CATALOGS_VIEWER"]},
             {"user_id": "2001", "permissions": ["CATALOGS_MANAGER"]},
         ]},
        {"asset_id": GROUP, "asset_type": "ASSET_GROUP", "asset_group_info": {
            "asset_group_name": "Spring", "asset_group_types": ["BRAND"]}, "members": [
            {"user_id": "1001", "permissions": ["OWNER"]},
        ]},
        {"asset_id": SHARED, "asset_type": "AD_ACCOUNT", "shared_with_us": True, "members": []},
    ],
    "partners": [
        {"id": "8001", "user": {"id": "8001", "username": "pixel_agency", "email": None},
         "business_roles": ["PARTNER"], "created_time": 1_700_000_000_000, "is_shared_partner": False,
         "partner_type": "INTERNAL", "assets": [
             {"asset_id": ADS, "permissions": ["CAMPAIGN_MANAGER"]}, {"asset_id": PROFILE, "permissions": ["ADMIN"]},
             {"asset_id": SHARED, "permissions": ["ANALYST"]}]},
        {"id": "8002", "user": {"id": "8002", "username": "client_co", "email": None},
         "business_roles": ["PARTNER"], "created_time": 1_700_000_000_000, "is_shared_partner": True,
         "partner_type": "EXTERNAL", "assets": [{"asset_id": "777", "asset_type": "AD_ACCOUNT",
                                                  "permissions": ["ANALYST"]}]},
    ],
    "invites": [
        _invite("3001", "oli@kwiatek.example", "PENDING", 1_700_000_000_000),
        _invite("3002", "jan@kwiatek.example", "EXPIRED", 1_690_000_000_000),
        _invite("3003", "kai@kwiatek.example", "ACCEPTED", 1_690_000_000_000),
        _invite("3004", "lea@kwiatek.example", "DECLINED", 1_690_000_000_000),
        _invite("3005", "max@kwiatek.example", "CANCELLED", 1_690_000_000_000),
        _invite("3006", "nia@kwiatek.example", "ON_HOLD", 1_710_000_000_000),
        _invite("3007", "partner@agency.example", "PENDING", 1_700_000_000_000, kind="PARTNER_INVITE"),
    ],
    "token_scopes": ["biz_access:read"],
}


def business() -> dict[str, Any]:
    """A fresh copy of the base business."""
    return copy.deepcopy(BASE)


def many_members(count: int) -> dict[str, Any]:
    """The base business with ``count`` extra employees (for paging)."""
    data = business()
    data["members"] += [_member(str(5000 + i), f"u{i}", f"u{i}@kwiatek.example", ["EMPLOYEE"], 1_700_000_000_000)
                        for i in range(count)]
    return data


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver knowing only PINTEREST_TOKEN."""
    if env_name != "PINTEREST_TOKEN":
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return TOKEN


class PinterestSandbox(ServedEmulator):
    """The Pinterest emulator on a free port and a factory of connectors pointed at it."""

    prefix = "/v5"
    connector_class = PinterestConnector
    resolve = staticmethod(resolve_secret)
    defaults = {
        "kind": "pinterest", "name": PLATFORM, "tenant_id": BUSINESS_ID, "token_env": "PINTEREST_TOKEN",
        "page_size": 3, "timeout": 5.0, "max_retries": 2, "backoff": 0.0, "options": {"max_wait": 0.0},
    }


@pytest.fixture
def pinterest_sandbox() -> Iterator[Any]:
    """``pinterest_sandbox(data=None, token=TOKEN)`` starts an emulator; all are stopped after the test."""
    with serving(lambda data=None, token=TOKEN: PinterestSandbox(
            PinterestEmulator(data if data is not None else business(), token))) as start:
        yield start


@pytest.fixture
def sandbox(pinterest_sandbox: Any) -> PinterestSandbox:
    """The base business served on a free port."""
    return pinterest_sandbox()
