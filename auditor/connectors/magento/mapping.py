"""Magento's ACL and 2FA vocabulary and the pure mapping of database rows to the model (no I/O).

Sources: docs/platforms/magento.md (magento/magento2 and magento/security-package ``db_schema.xml``),
cited per fact in ``contract.yaml``.

- Roles: ``authorization_role`` holds role rows (``role_type`` ``G``) and the links of principals to them
  (``U``): a principal's row has its ``user_id`` and ``user_type`` (``2`` admin, ``1`` integration, as strings)
  and ``parent_id`` = its ``G`` role. Admin rules hang on the ``G`` role; an integration's rules hang on its own
  ``U`` row. Both are read (own row and parent) for every principal.
- Rules: ``permission`` ``allow`` grants ``resource_id``, ``deny`` does not; Magento's ACL loader ignores any other
  value, and so do we (kept as evidence). ``Magento_Backend::all`` allowed = full admin = privileged.
- 2FA: a ``tfa_user_config`` row whose ``encoded_providers`` (a JSON list of provider codes) is not empty =
  enrolled; no row or an empty list = not enrolled; a value that is not a JSON list = unknown (None).
- Admin users: ``is_active`` 1 active, 0 inactive (cannot sign in: not an account of the audit, listed in the
  tenant's raw), any other value kept as state "unknown"; ``lock_expires`` in the future = state "locked"
  (a temporary lock after failed logins). ``logdate`` (last login) is the last activity.
- Integrations act with their own resources through an OAuth access token: each integration with a live token
  (``oauth_token`` of its consumer, ``type`` access, not revoked) is a ``system_user`` account (id
  ``integration:<id>``) with its contact ``email``, so the account rules judge it: orphaned-access (a leaver's
  integration), ownerless-service-account (nobody registered it). Magento records no last use of a token, so
  its dormancy is unknown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from auditor.connectors.values import text, utc_time
from auditor.model import Account, AccountKind, Grant, Tenant

FULL_ADMIN = "Magento_Backend::all"
ROLE_GROUP, ROLE_USER = "G", "U"
USER_TYPE_INTEGRATION, USER_TYPE_ADMIN = "1", "2"
USER_TYPES = {"1": "integration", "2": "admin", "3": "customer", "4": "guest"}
ALLOW, DENY = "allow", "deny"
ACTIVE = {1: "active", 0: "inactive"}
TOKEN_ACCESS = "access"  # noqa: S105 - an oauth_token.type value


def db_time(value: Any) -> datetime | None:
    """A Magento timestamp (stored in UTC) as aware UTC; None for NULL, zero dates and anything malformed."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None if isinstance(value, str) and value.startswith("0000") else utc_time(value)


def integer(value: Any) -> int | None:
    """An id or flag as int (drivers give int, SQLite may give text); None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def evidence(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as JSON-safe evidence (times as ISO strings, bytes decoded)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, bytes):
            out[key] = value.decode("utf-8", "replace")
        elif value is None or isinstance(value, str | int | float | bool):
            out[key] = value
        else:
            out[key] = str(value)
    return out


def tenant_from(platform: str, shop: str, name: str | None, prefix: str) -> Tenant:
    """The shop's back office as the tenant (Magento's 2FA is per user; no tenant policy is read: None)."""
    return Tenant(platform=platform, tenant_id=shop, name=name or shop, raw={"table_prefix": prefix})


# -- roles and rules ---------------------------------------------------------------------------------------


class Acl:
    """The roles and rules of the shop, resolved per principal (admin or integration)."""

    def __init__(self, roles: list[Mapping[str, Any]], rules: list[Mapping[str, Any]]):
        self.roles = {rid: r for r in roles if (rid := integer(r.get("role_id"))) is not None}
        self.links: dict[tuple[str, int], Mapping[str, Any]] = {}
        self.unknown_roles: list[dict[str, Any]] = []
        for row in self.roles.values():
            role_type = str(row.get("role_type") or "")
            user_id, user_type = integer(row.get("user_id")), str(row.get("user_type") or "")
            if role_type == ROLE_USER and user_id is not None and user_type in USER_TYPES:
                self.links.setdefault((user_type, user_id), row)
            elif role_type not in (ROLE_GROUP, ROLE_USER) or (role_type == ROLE_USER and user_type not in USER_TYPES):
                self.unknown_roles.append(evidence(row))
        self.rules: dict[int, list[Mapping[str, Any]]] = {}
        for rule in rules:
            rid = integer(rule.get("role_id"))
            if rid is not None:
                self.rules.setdefault(rid, []).append(rule)

    def grant(self, account_id: str, user_type: str, user_id: int) -> Grant | None:
        """The principal's role on the shop (None without a role link): allowed resources, privileged when
        ``Magento_Backend::all`` is allowed; denied and unknown permissions kept in raw."""
        link = self.links.get((user_type, user_id))
        if link is None:
            return None
        link_id = integer(link.get("role_id"))
        parent_id = integer(link.get("parent_id"))
        parent = self.roles.get(parent_id) if parent_id else None
        group = parent if parent is not None and str(parent.get("role_type")) == ROLE_GROUP else None
        allowed: set[str] = set()
        denied: set[str] = set()
        unknown: list[dict[str, Any]] = []
        for rid in (link_id, integer(group.get("role_id")) if group else None):
            for rule in self.rules.get(rid, []) if rid is not None else []:
                resource, permission = text(rule.get("resource_id")), rule.get("permission")
                if resource is None:
                    unknown.append(evidence(rule))
                elif permission == ALLOW:
                    allowed.add(resource)
                elif permission == DENY:
                    denied.add(resource)
                else:
                    unknown.append(evidence(rule))
        name = text(group.get("role_name")) if group else None
        full = FULL_ADMIN in allowed
        role = name or ("integration resources" if user_type == USER_TYPE_INTEGRATION else f"role {parent_id}")
        raw: dict[str, Any] = {"role_id": integer(group.get("role_id")) if group else None, "link_role_id": link_id,
                               "role_name": name, "full_admin": full, "allowed_resources": sorted(allowed),
                               "denied_resources": sorted(denied - allowed)}
        if parent_id and group is None:
            raw["missing_parent_role"] = parent_id
        if unknown:
            raw["unknown_rules"] = unknown
        return Grant(account_id=account_id, asset_id=None, role=f"{role} (all resources)" if full else role,
                     privileged=full, raw=raw)


# -- admin users -------------------------------------------------------------------------------------------


def two_factor(row: Mapping[str, Any] | None) -> tuple[bool | None, dict[str, Any]]:
    """(enrolled?, evidence) from the user's ``tfa_user_config`` row (None: no row)."""
    if row is None:
        return False, {"tfa_config": None}
    raw_value = row.get("encoded_providers")
    info: dict[str, Any] = {"tfa_config": evidence(row)}
    if raw_value is None or (isinstance(raw_value, str) and not raw_value.strip()):
        return False, info
    try:
        providers = json.loads(raw_value)
    except (TypeError, ValueError):
        info["unknown_tfa_providers"] = raw_value if isinstance(raw_value, str) else str(raw_value)
        return None, info
    if not isinstance(providers, list):
        info["unknown_tfa_providers"] = raw_value
        return None, info
    info["tfa_providers"] = [str(p) for p in providers]
    return bool(providers), info


def admin_state(row: Mapping[str, Any], now: datetime) -> str:
    """active, inactive, locked (``lock_expires`` still to come) or unknown (an unknown ``is_active``)."""
    state = ACTIVE.get(integer(row.get("is_active")), "unknown")  # type: ignore[arg-type]
    lock = db_time(row.get("lock_expires"))
    return "locked" if state == "active" and lock is not None and lock > now else state


def admin_account(row: Mapping[str, Any], tfa: Mapping[str, Any] | None, *, now: datetime,
                  tfa_read: bool) -> Account:
    """One ``admin_user`` row as an Account (id ``admin:<user_id>``); 2FA None when the table was not read."""
    user_id = integer(row.get("user_id"))
    first, last, username = text(row.get("firstname")), text(row.get("lastname")), text(row.get("username"))
    full_name = " ".join(p for p in (first, last) if p) or None
    name = f"{full_name} ({username})" if full_name and username else full_name or username
    email = text(row.get("email"))
    raw = evidence(row)
    enrolled: bool | None = None
    if tfa_read:
        enrolled, info = two_factor(tfa)
        raw.update(info)
    state = admin_state(row, now)
    if state == "unknown":
        raw["unknown_is_active"] = row.get("is_active")
    return Account(account_id=f"admin:{user_id}", kind=AccountKind.USER, name=name,
                   emails=(email,) if email else (), two_factor=enrolled, last_activity=db_time(row.get("logdate")),
                   created_at=db_time(row.get("created")), state=state, raw=raw)


# -- integrations ------------------------------------------------------------------------------------------


def live_tokens(tokens: list[Mapping[str, Any]], consumer_id: int | None) -> list[dict[str, Any]]:
    """The consumer's access tokens that are not revoked (evidence rows; an unknown ``revoked`` counts as live)."""
    if consumer_id is None:
        return []
    return [evidence(t) for t in tokens if integer(t.get("consumer_id")) == consumer_id
            and t.get("type") == TOKEN_ACCESS and integer(t.get("revoked")) != 1]


def integration_account(row: Mapping[str, Any], tokens: list[dict[str, Any]]) -> Account:
    """An integration with a live access token as a system user (id ``integration:<id>``)."""
    integration_id = integer(row.get("integration_id"))
    email = text(row.get("email"))
    issued = [t for t in (db_time(t.get("created_at")) for t in tokens) if t is not None]
    raw = {**evidence(row), "access_tokens": tokens, "credential": "integration_access_token"}
    return Account(account_id=f"integration:{integration_id}", kind=AccountKind.SYSTEM_USER,
                   name=f"integration “{text(row.get('name')) or integration_id}”", emails=(email,) if email else (),
                   created_at=min(issued) if issued else db_time(row.get("created_at")), raw=raw)
