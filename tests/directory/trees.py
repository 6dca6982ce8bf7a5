"""The fixture trees of the directory tests: where their data lives, the scan time they are written
against, and the directory settings a company would write for them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from auditor.config import DirectorySettings, StatusRule
from tests.support.slapd import SlapdHandle

DATA = Path(__file__).parent / "data"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
"""The scan time the fixture trees are written against."""

OPENLDAP_SUFFIX = "dc=shop,dc=example"
AD_SUFFIX = "DC=corp,DC=example"
AUDITOR_DN = "cn=auditor,ou=services,dc=shop,dc=example"
AUDITOR_PASSWORD = "auditor-read-only"
AD_PERSON_FILTER = f"(&(objectCategory=CN=Person,CN=Schema,CN=Configuration,{AD_SUFFIX})(objectClass=user))"
"""slapd cannot expand AD's ``objectCategory=person`` shorthand, so the AD tests name the category DN."""
AUDITOR_LIMITS = f'limits dn.exact="{AUDITOR_DN}" size.soft=5 size.hard=5 size.pr=3 size.prtotal=unlimited'
"""The read-only account may read 5 entries per plain search and 3 per page: only a paged search reads all."""


def openldap_settings(server: SlapdHandle, **overrides: object) -> DirectorySettings:
    """Directory settings for the OpenLDAP tree as the company would write them."""
    values: dict[str, object] = {
        "kind": "ldap",
        "url": server.url,
        "bind_dn": server.bind_dn,
        "base_dn": server.base_dn,
        "flavor": "openldap",
        "connect_timeout": 3.0,
        "receive_timeout": 5.0,
        "alias_attributes": ["mailLocalAddress"],
        "end_date_attribute": "contractEndDate",
        "leavers_ou": "ou=Leavers, dc=shop, dc=example",
        "status_rules": [
            StatusRule(attribute="hrStatus", equals="suspended", status="disabled"),
            StatusRule(attribute="employeeType", equals="partner", kind="contractor"),
        ],
    }
    values.update(overrides)
    return DirectorySettings.model_validate(values)


def ad_settings(server: SlapdHandle, **overrides: object) -> DirectorySettings:
    """Directory settings for the AD-shaped tree."""
    values: dict[str, object] = {
        "kind": "ldap",
        "url": server.url,
        "bind_dn": server.bind_dn,
        "base_dn": server.base_dn,
        "flavor": "ad",
        "connect_timeout": 3.0,
        "receive_timeout": 5.0,
        "user_filter": AD_PERSON_FILTER,
    }
    values.update(overrides)
    return DirectorySettings.model_validate(values)
