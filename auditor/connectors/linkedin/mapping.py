"""LinkedIn vocabulary and the pure mapping of organizationAcls / adAccountUsers elements to the model (no I/O).

Sources: docs/platforms/linkedin.md Page (organization) roles come from ``organizationAcls`` with a
``state``: only APPROVED is live access; REQUESTED, REJECTED and REVOKED rows are kept as evidence on the
Page asset and give no grant. An unknown role or state is never read as "safe" or "no access": the row
becomes a non-privileged grant whose ``raw`` carries the unknown value. LinkedIn identifies people by person
URN only (no email, no name), so accounts carry no emails; matching relies on manual links.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auditor.connectors.values import ms_time
from auditor.connectors.values import text as _text
from auditor.model import Account, AccountKind, Asset, AuditEvent, Grant, Tenant

# -- tables --------------------------------------------------------------------------------------------------

ORGANIZATION_ROLES: dict[str, bool] = {
    # organizationAcls role -> privileged? Only ADMINISTRATOR manages the Page's admins and settings.
    "ADMINISTRATOR": True,
    "CONTENT_ADMINISTRATOR": False,
    "CURATOR": False,
    "DIRECT_SPONSORED_CONTENT_POSTER": False,
    "RECRUITING_POSTER": False,
    "LEAD_CAPTURE_ADMINISTRATOR": False,
    "LEAD_GEN_FORMS_MANAGER": False,
    "ANALYST": False,
}

AD_ACCOUNT_ROLES: dict[str, bool] = {
    # adAccountUsers role -> privileged? Managers and the billing admin manage the account's users.
    "ACCOUNT_BILLING_ADMIN": True,
    "ACCOUNT_MANAGER": True,
    "CAMPAIGN_MANAGER": False,
    "CREATIVE_MANAGER": False,
    "VIEWER": False,
}

MANAGER_AD_ROLES = frozenset({"ACCOUNT_BILLING_ADMIN", "ACCOUNT_MANAGER"})
"""Ad-account roles that see every user of the account (a non-manager caller only sees itself)."""

LIVE_STATES = frozenset({"APPROVED"})
INACTIVE_STATES = frozenset({"REQUESTED", "REJECTED", "REVOKED"})
"""organizationAcls states that are not live access (evidence only)."""

ORGANIZATION_KIND = "organization_page"
AD_ACCOUNT_KIND = "ad_account"
ORGANIZATION_PREFIX = "urn:li:organization:"
AD_ACCOUNT_PREFIX = "urn:li:sponsoredAccount:"

EVENT_ACTIONS: dict[str, str] = {"created": "role_granted", "lastModified": "role_changed"}
"""changeAuditStamps entry -> normalised action of the derived event."""


# -- small helpers ---------------------------------------------------------------------------------------


def urn(prefix: str, value: str | int) -> str:
    """``value`` as a URN with ``prefix`` (a value that already is such a URN is kept)."""
    text = str(value).strip()
    return text if text.startswith(prefix) else f"{prefix}{text}"


def urn_id(value: str) -> str:
    """The last part of a URN (``urn:li:organization:123`` -> ``123``)."""
    return value.rsplit(":", 1)[-1]


def acl_state(item: Mapping[str, Any]) -> str:
    """The upper-cased ``state`` of an organizationAcls element ("" when absent)."""
    return str(item.get("state") or "").strip().upper()


def is_live(item: Mapping[str, Any]) -> bool:
    """True unless the element's state is a known non-live one (unknown states are treated as live)."""
    return acl_state(item) not in INACTIVE_STATES


def valid_acl(item: Any) -> bool:
    """An organizationAcls element the connector can read (object with roleAssignee and role)."""
    return isinstance(item, Mapping) and bool(_text(item.get("roleAssignee"))) and bool(_text(item.get("role")))


def valid_ad_user(item: Any) -> bool:
    """An adAccountUsers element the connector can read (object with user and role)."""
    return isinstance(item, Mapping) and bool(_text(item.get("user"))) and bool(_text(item.get("role")))


# -- objects ---------------------------------------------------------------------------------------------


def tenant_from(platform: str, organization: str, name: str | None) -> Tenant:
    """The organization as the tenant; LinkedIn has no tenant-wide 2FA policy (None)."""
    return Tenant(platform=platform, tenant_id=urn_id(organization), name=name or organization,
                  raw={"organization": organization})


def member_account(person: str, sources: list[str]) -> Account:
    """A LinkedIn member (person URN) holding live roles; no email or name is exposed."""
    return Account(account_id=person, kind=AccountKind.USER, raw={"urn": person, "sources": sources})


def organization_asset(organization: str, name: str | None, inactive: list[dict[str, Any]]) -> Asset:
    """The Page; REQUESTED / REJECTED / REVOKED rows are kept in ``raw["inactive_roles"]`` as evidence."""
    return Asset(asset_id=organization, kind=ORGANIZATION_KIND, name=name,
                 raw={"organization": organization, "inactive_roles": inactive})


def ad_account_asset(account: str, caller_role: str | None) -> Asset:
    """An ad account; ``raw["caller_role"]`` is the auditor's own role on it (None: unknown)."""
    return Asset(asset_id=account, kind=AD_ACCOUNT_KIND, raw={"account": account, "caller_role": caller_role})


def acl_grant(organization: str, item: Mapping[str, Any]) -> Grant:
    """A live Page role; an unknown role or state is a non-privileged grant flagged in ``raw``."""
    role = str(item["role"]).strip()
    state = acl_state(item)
    raw: dict[str, Any] = {"role": role, "state": state or None}
    if item.get("organization") not in (None, organization):
        raw["organization"] = item.get("organization")
    if role not in ORGANIZATION_ROLES:
        raw["unknown_role"] = role
    if state not in LIVE_STATES:
        raw["unknown_state"] = state or None
    privileged = ORGANIZATION_ROLES.get(role, False) and state in LIVE_STATES
    return Grant(account_id=str(item["roleAssignee"]).strip(), asset_id=organization, role=role,
                 privileged=privileged, raw=raw)


def _stamp(item: Mapping[str, Any], which: str) -> tuple[datetime | None, str | None]:
    stamps = item.get("changeAuditStamps")
    entry = stamps.get(which) if isinstance(stamps, Mapping) else None
    if not isinstance(entry, Mapping):
        return None, None
    return ms_time(entry.get("time")), _text(entry.get("actor"))


def ad_user_grant(account: str, item: Mapping[str, Any]) -> Grant:
    """An ad-account role; ``granted_at`` / ``granted_by`` come from ``changeAuditStamps.created``."""
    role = str(item["role"]).strip()
    created, actor = _stamp(item, "created")
    raw: dict[str, Any] = {"role": role}
    for key in ("changeAuditStamps", "version"):
        if key in item:
            raw[key] = item[key]
    if item.get("account") not in (None, account):
        raw["account"] = item.get("account")
    if role not in AD_ACCOUNT_ROLES:
        raw["unknown_role"] = role
    return Grant(account_id=str(item["user"]).strip(), asset_id=account, role=role,
                 privileged=AD_ACCOUNT_ROLES.get(role, False), granted_at=created, granted_by=actor, raw=raw)


def stamp_events(account: str, item: Mapping[str, Any]) -> list[AuditEvent]:
    """Events derived from an ad-account user's ``changeAuditStamps`` (the only change history LinkedIn has).

    ``created`` -> role_granted; ``lastModified`` -> role_changed when it differs from ``created``. The
    target is the user, the actor the stamp's actor (often absent).
    """
    user = str(item["user"]).strip()
    created = _stamp(item, "created")
    events = []
    for which in ("created", "lastModified"):
        when, actor = _stamp(item, which)
        if when is None or (which == "lastModified" and (when, actor) == created):
            continue
        key = json.dumps([account, user, which, when.isoformat(), actor])
        events.append(AuditEvent(
            event_id=hashlib.sha256(key.encode()).hexdigest()[:32], time=when, action=EVENT_ACTIONS[which],
            raw_action=f"adAccountUsers.changeAuditStamps.{which}", actor_id=actor, target_id=user,
            asset_id=account, raw={"role": item.get("role"), "stamp": which},
        ))
    return events
