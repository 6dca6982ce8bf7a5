"""WordPress / WooCommerce vocabulary and the pure mapping of REST objects to the model (no I/O).

Users: the role slugs (``administrator``, ``shop_manager``, ``editor``, ...) become the account's role and one
grant on the site; roles are plugin-extensible, so an unknown slug is kept (``raw["unknown_roles"]``) and judged
by the user's capabilities: administrative capabilities (``manage_options``, ``edit_users``, ``promote_users``,
``install_plugins``, ``manage_woocommerce``) make the grant privileged whatever the role is called.

Application passwords are credentials that act with all of their user's rights, forever, without the user.
They are modelled as accounts of their own (kind ``user``, id ``<user id>:app-password:<uuid>``, the owner's
email, ``last_activity`` = last use, or creation when never used, the owner's grant). That way the existing
account rules judge them: orphaned-access (a leaver's password), dormant-access (unused for ``days``),
unmatched-account (an owner nobody knows). Modelled as ``App`` they would be judged only by the app rules, which
see neither the owner's person nor activity. A known automation tool (Zapier, Make, ...) is named in the
account's name and ``raw["automation_tool"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.connectors.automation import recognise
from auditor.connectors.values import utc_time
from auditor.model import Account, AccountKind, Grant, Tenant

ROLES: dict[str, bool] = {
    "administrator": True, "shop_manager": True, "editor": False, "author": False, "contributor": False,
    "subscriber": False, "customer": False,
}
"""Known role slug -> privileged (admin-level: the site, its users, its shop settings)."""
ADMIN_CAPABILITIES = frozenset({"manage_options", "edit_users", "promote_users", "install_plugins",
                                "manage_woocommerce"})
APP_PASSWORD = "app-password"  # noqa: S105 - the id infix of application password accounts
NO_ACCESS_ROLES = frozenset({"customer", "subscriber"})
"""Roles of shop customers and readers: no back-office access."""


def _roles(user: Mapping[str, Any]) -> list[str]:
    value = user.get("roles")
    return sorted({str(r) for r in value if isinstance(r, str) and r}) if isinstance(value, list) else []


def _capabilities(user: Mapping[str, Any]) -> set[str]:
    value = user.get("capabilities")
    return {str(k) for k, v in value.items() if v} if isinstance(value, Mapping) else set()


def tenant_from(platform: str, site: str, name: str | None) -> Tenant:
    """The site as the tenant (WordPress has no 2FA policy in core: None)."""
    return Tenant(platform=platform, tenant_id=site, name=name or site, raw={"site": site})


def user_account(user: Mapping[str, Any]) -> Account:
    """A WordPress user (``context=edit``) as an Account; unknown role slugs kept in raw."""
    roles = _roles(user)
    raw = {k: user[k] for k in ("id", "username", "name", "slug", "registered_date") if k in user}
    raw["roles"] = roles  # the readable role slugs (anything else in the answer is not a role)
    raw["admin_capabilities"] = sorted(_capabilities(user) & ADMIN_CAPABILITIES)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raw["unknown_roles"] = unknown
    email = user.get("email")
    name = user.get("name") if isinstance(user.get("name"), str) and user.get("name") else user.get("username")
    return Account(account_id=str(user["id"]), kind=AccountKind.USER, name=name if isinstance(name, str) else None,
                   emails=(email.strip(),) if isinstance(email, str) and email.strip() else (),
                   created_at=utc_time(user.get("registered_date")), role="+".join(roles) or None, raw=raw)


def is_customer(account: Account) -> bool:
    """A user whose roles are all customer / subscriber and who holds no administrative capability."""
    roles = set(account.raw.get("roles") or [])
    return bool(roles) and roles <= NO_ACCESS_ROLES and not account.raw.get("admin_capabilities")


def user_grant(account: Account) -> Grant:
    """The user's roles on the site; privileged by a known admin role or an administrative capability."""
    roles = list(account.raw.get("roles") or [])
    caps = list(account.raw.get("admin_capabilities") or [])
    raw: dict[str, Any] = {"roles": roles, "admin_capabilities": caps}
    if account.raw.get("unknown_roles"):
        raw["unknown_roles"] = account.raw["unknown_roles"]
    return Grant(account_id=account.account_id, asset_id=None, role="+".join(sorted(roles)) or "no_role",
                 privileged=any(ROLES.get(r, False) for r in roles) or bool(caps), raw=raw)


def password_account(owner: Account, item: Mapping[str, Any]) -> Account:
    """One application password of ``owner`` as a credential account (see the module docstring)."""
    label = str(item.get("name") or "").strip()
    tool = recognise(label, str(item.get("app_id") or ""))
    owner_name = owner.raw.get("username") or owner.name or owner.account_id
    what = f"{tool} connection" if tool else "application password"
    created, used = utc_time(item.get("created")), utc_time(item.get("last_used"))
    raw = {"credential": "application_password", "owner": owner.account_id, "owner_username": owner_name,
           **{k: item.get(k) for k in ("uuid", "app_id", "name", "created", "last_used", "last_ip")}}
    if tool:
        raw["automation_tool"] = tool
    return Account(account_id=f"{owner.account_id}:{APP_PASSWORD}:{item['uuid']}", kind=AccountKind.USER,
                   name=f"{what} “{label}” (application password of {owner_name})", emails=owner.emails,
                   last_activity=used or created, created_at=created, created_by=owner.account_id,
                   role=owner.role, raw=raw)


def password_grant(owner_grant: Grant, account: Account) -> Grant:
    """The password acts with its owner's rights: the owner's role, on the site."""
    return Grant(account_id=account.account_id, asset_id=None, role=f"{owner_grant.role} (application password)",
                 privileged=owner_grant.privileged, granted_at=account.created_at,
                 granted_by=account.created_by, raw={"owner_roles": owner_grant.raw.get("roles")})
