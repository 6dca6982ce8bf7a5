"""Fixtures: a small LinkedIn organization in the documented shapes, served by the emulator over real HTTP."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from auditor.connectors.linkedin import LinkedInConnector
from auditor.demo.linkedin.emulator import LinkedInEmulator
from auditor.errors import ConfigError
from tests.support.served import ServedEmulator, serving

PLATFORM = "kwiatek-linkedin"
TOKEN = "AQVlinkedinTESTtoken0123456789abcdef"
ORG_ID = "2414183"
ORG = f"urn:li:organization:{ORG_ID}"
ADS = "urn:li:sponsoredAccount:500001"
BRAND = "urn:li:sponsoredAccount:500002"
ANNA, BEN, CARA, DAN, EVE, FRED, GINA, HUGO, IDA, JAN, KAI = (
    f"urn:li:person:{name}" for name in ("Anna000001", "Ben0000002", "Cara000003", "Dan0000004", "Eve0000005",
                                         "Fred000006", "Gina000007", "Hugo000008", "Ida0000009", "Jan0000010",
                                         "Kai0000011"))


def _acl(person: str, role: str, state: str = "APPROVED") -> dict[str, Any]:
    return {"roleAssignee": person, "role": role, "organization": ORG, "state": state}


def _user(account: str, person: str, role: str, created: int, actor: str | None = None,
          modified: int | None = None, modifier: str | None = None) -> dict[str, Any]:
    first: dict[str, Any] = {"time": created, **({"actor": actor} if actor else {})}
    last: dict[str, Any] = {"time": modified, "actor": modifier} if modified else dict(first)
    return {"account": account, "user": person, "role": role,
            "changeAuditStamps": {"created": first, "lastModified": last}, "version": {"versionTag": "1"}}


BASE: dict[str, Any] = {
    "organization": {"id": ORG_ID},
    "organization_acls": [
        _acl(ANNA, "ADMINISTRATOR"),
        _acl(BEN, "CONTENT_ADMINISTRATOR"),
        _acl(BEN, "ADMINISTRATOR", "REQUESTED"),
        _acl(CARA, "CURATOR"),
        _acl(DAN, "DIRECT_SPONSORED_CONTENT_POSTER"),
        _acl(EVE, "RECRUITING_POSTER"),
        _acl(FRED, "LEAD_CAPTURE_ADMINISTRATOR"),
        _acl(GINA, "LEAD_GEN_FORMS_MANAGER"),
        _acl(HUGO, "ANALYST"),
        _acl(IDA, "ADMINISTRATOR", "REVOKED"),
        _acl(JAN, "CURATOR", "REJECTED"),
        _acl(KAI, "SUPER_ADMINISTRATOR"),  # an unknown role
        _acl(HUGO, "ADMINISTRATOR", "PENDING_REVIEW"),  # an unknown state
    ],
    "ad_accounts": [
        {"id": "500001", "name": "Ads", "users": [
            _user(ADS, ANNA, "ACCOUNT_MANAGER", 1_700_000_000_000),
            _user(ADS, BEN, "ACCOUNT_BILLING_ADMIN", 1_700_000_100_000, ANNA),
            _user(ADS, CARA, "CAMPAIGN_MANAGER", 1_700_000_200_000, ANNA, 1_705_000_000_000, BEN),
            _user(ADS, DAN, "CREATIVE_MANAGER", 1_700_000_300_000, ANNA),
            _user(ADS, EVE, "VIEWER", 1_700_000_400_000),
            _user(ADS, KAI, "BUDGET_WIZARD", 1_700_000_500_000, ANNA),  # an unknown role
        ]},
        {"id": "500002", "name": "Brand", "users": [
            _user(BRAND, ANNA, "VIEWER", 1_700_000_000_000),
            _user(BRAND, FRED, "ACCOUNT_MANAGER", 1_700_000_000_000),
        ]},
    ],
    "token_member": ANNA,
    "token_scopes": ["r_organization_admin", "r_ads"],
}


def organization() -> dict[str, Any]:
    """A fresh copy of the base organization."""
    return copy.deepcopy(BASE)


def resolve_secret(env_name: str | None, key: str) -> str:
    """A SecretResolver knowing only LINKEDIN_TOKEN."""
    if env_name != "LINKEDIN_TOKEN":
        raise ConfigError(f"test config: {key} names environment variable {env_name}, which is not set")
    return TOKEN


class LinkedInSandbox(ServedEmulator):
    """The LinkedIn emulator on a free port and a factory of connectors pointed at it."""

    prefix = "/rest"
    connector_class = LinkedInConnector
    resolve = staticmethod(resolve_secret)
    defaults = {
        "kind": "linkedin", "name": PLATFORM, "tenant_id": ORG_ID, "token_env": "LINKEDIN_TOKEN", "page_size": 4,
        "timeout": 5.0, "max_retries": 2, "backoff": 0.0, "options": {"max_wait": 0.0, "ad_account_ids": ["500001"]},
    }


@pytest.fixture
def linkedin_sandbox() -> Iterator[Any]:
    """``linkedin_sandbox(data=None, token=TOKEN)`` starts an emulator; all are stopped after the test."""
    with serving(lambda data=None, token=TOKEN: LinkedInSandbox(
            LinkedInEmulator(data if data is not None else organization(), token))) as start:
        yield start


@pytest.fixture
def sandbox(linkedin_sandbox: Any) -> LinkedInSandbox:
    """The base organization served on a free port."""
    return linkedin_sandbox()
