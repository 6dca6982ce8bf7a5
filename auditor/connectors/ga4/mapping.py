"""Google Analytics 4 Admin API vocabulary and the pure mapping of access bindings and access-report rows.

Sources: contract.yaml. A binding's ``user`` is an email address; the same person has one binding per level
(account, property), so accounts are keyed by the lower-cased email. Roles are ``predefinedRoles/<name>``;
``admin`` and ``editor`` are privileged. An unknown role is kept in ``raw["unknown_roles"]`` as evidence and
never counted as privileged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from auditor.model import Account, AccountKind, Asset, AuditEvent, Grant, Tenant

ROLE_PREFIX = "predefinedRoles/"
ROLES: dict[str, bool] = {"viewer": False, "analyst": False, "editor": True, "admin": True,
                          "no-cost-data": False, "no-revenue-data": False}
"""predefinedRoles/<name> -> privileged (``no-cost-data`` / ``no-revenue-data`` restrict, they grant nothing)."""


def binding_email(item: Any) -> str | None:
    """The lower-cased ``user`` of a binding (None for an unreadable one)."""
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        return None
    user = item.get("user")
    return user.strip().lower() if isinstance(user, str) and "@" in user else None


def tenant_from(platform: str, account_id: str, name: str | None) -> Tenant:
    """The Analytics account as the tenant (no 2FA policy to read)."""
    return Tenant(platform=platform, tenant_id=account_id, name=name or account_id, raw={"account": account_id})


def account_from(email: str) -> Account:
    """A user holding bindings, identified by its email."""
    return Account(account_id=email, kind=AccountKind.USER, name=email, emails=(email,))


def property_asset(item: Mapping[str, Any]) -> Asset | None:
    """A property (``name`` = ``properties/{id}``) as an asset with its display name."""
    name = item.get("name")
    if not isinstance(name, str) or not name.startswith("properties/") or not name[len("properties/"):]:
        return None
    raw = {k: item.get(k) for k in ("name", "parent", "propertyType", "serviceLevel") if k in item}
    return Asset(asset_id=name[len("properties/"):], kind="property",
                 name=item.get("displayName") if isinstance(item.get("displayName"), str) else None, raw=raw)


def binding_grant(item: Mapping[str, Any], asset_id: str | None) -> Grant | None:
    """One binding as a grant on the property (``asset_id``) or on the account (None); no roles, no grant."""
    roles = [str(r) for r in item.get("roles") or [] if isinstance(r, str) and r] if isinstance(
        item.get("roles"), list) else []
    if not roles:
        return None
    short = sorted({r[len(ROLE_PREFIX):] if r.startswith(ROLE_PREFIX) else r for r in roles})
    raw: dict[str, Any] = {"binding": item.get("name"), "roles": roles}
    unknown = [r for r in short if r not in ROLES]
    if unknown:
        raw["unknown_roles"] = unknown
    return Grant(account_id=str(binding_email(item)), asset_id=asset_id, role="+".join(short),
                 privileged=any(ROLES.get(r, False) for r in short), raw=raw)


def access_event(row: Mapping[str, Any], headers: list[str]) -> AuditEvent | None:
    """One access-report row (dimensions userEmail, accessedPropertyId, epochTimeMicros) as an activity event."""
    values = row.get("dimensionValues") if isinstance(row, Mapping) else None
    if not isinstance(values, list) or len(values) != len(headers):
        return None
    cells = {h: v.get("value") if isinstance(v, Mapping) else None for h, v in zip(headers, values, strict=True)}
    email, micros = cells.get("userEmail"), cells.get("epochTimeMicros")
    if not isinstance(email, str) or "@" not in email or not isinstance(micros, str) or not micros.isdigit():
        return None
    when = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
    prop = cells.get("accessedPropertyId") if isinstance(cells.get("accessedPropertyId"), str) else None
    metrics = row.get("metricValues") if isinstance(row.get("metricValues"), list) else []
    return AuditEvent(event_id=f"{email.lower()}:{prop}:{micros}", time=when, action="activity",
                      raw_action="data_access", actor_id=email.strip().lower(), asset_id=prop,
                      raw={"dimensions": cells, "metrics": metrics})
