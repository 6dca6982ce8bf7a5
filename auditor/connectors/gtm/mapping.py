"""Tag Manager API v2 vocabulary and the pure mapping of UserPermission objects to the model (no I/O).

Sources: contract.yaml (tagmanager-api.json, schemas UserPermission, AccountAccess, ContainerAccess). In v2 each
permission is ONE string (v1 had lists). Account ``admin`` can manage users (privileged); container ``publish``
puts code on the site (privileged). ``noAccess`` is no grant. An unknown or unspecified value is kept in the
grant's ``raw["unknown_permission"]`` as evidence and never counted as privileged or as no access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.model import Account, AccountKind, Asset, Grant, Tenant

ACCOUNT_PERMISSIONS: dict[str, bool] = {"user": False, "admin": True}
"""AccountAccess.permission -> privileged (``noAccess`` gives no grant)."""
CONTAINER_PERMISSIONS: dict[str, bool] = {"read": False, "edit": False, "approve": False, "publish": True}
"""ContainerAccess.permission -> privileged (``noAccess`` gives no grant)."""
NO_ACCESS = "noAccess"


def permission_id(item: Any) -> str | None:
    """The user permission id, the last part of ``path`` (``accounts/{a}/user_permissions/{id}``)."""
    if not isinstance(item, Mapping) or not isinstance(item.get("path"), str):
        return None
    parts = item["path"].strip("/").split("/")
    if len(parts) != 4 or parts[2] != "user_permissions" or not parts[3]:
        return None
    return parts[3]


def tenant_from(platform: str, account_id: str, name: str | None) -> Tenant:
    """The Tag Manager account as the tenant (no 2FA policy to read)."""
    return Tenant(platform=platform, tenant_id=account_id, name=name or account_id, raw={"account_id": account_id})


def account_from(item: Mapping[str, Any]) -> Account:
    """A user permission as a USER account identified by its permission id."""
    email = item.get("emailAddress")
    emails = (email.strip(),) if isinstance(email, str) and email.strip() else ()
    access = item.get("accountAccess") if isinstance(item.get("accountAccess"), Mapping) else {}
    return Account(account_id=str(permission_id(item)), kind=AccountKind.USER, name=emails[0] if emails else None,
                   emails=emails, role=str(access.get("permission") or "") or None, raw=dict(item))


def _grant(account_id: str, asset_id: str | None, value: Any, table: Mapping[str, bool]) -> Grant | None:
    permission = value if isinstance(value, str) else ""
    if permission == NO_ACCESS:
        return None
    raw: dict[str, Any] = {"permission": value}
    if permission not in table:
        raw["unknown_permission"] = value
    return Grant(account_id=account_id, asset_id=asset_id, role=permission or "unspecified",
                 privileged=table.get(permission, False), raw=raw)


def grants_from(item: Mapping[str, Any]) -> tuple[list[Grant], list[Asset]]:
    """The account-level grant and one grant per container (``containerId`` is the asset id)."""
    account_id = str(permission_id(item))
    access = item.get("accountAccess") if isinstance(item.get("accountAccess"), Mapping) else {}
    grants = [g for g in [_grant(account_id, None, access.get("permission"), ACCOUNT_PERMISSIONS)] if g]
    assets: list[Asset] = []
    containers = item.get("containerAccess") if isinstance(item.get("containerAccess"), list) else []
    for entry in containers:
        if not isinstance(entry, Mapping) or entry.get("containerId") in (None, ""):
            continue
        container = str(entry["containerId"])
        assets.append(Asset(asset_id=container, kind="container", name=f"container {container}"))
        grant = _grant(account_id, container, entry.get("permission"), CONTAINER_PERMISSIONS)
        if grant is not None:
            grants.append(grant)
    return grants, assets
