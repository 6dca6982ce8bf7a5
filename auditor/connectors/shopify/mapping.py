"""Shopify staff vocabulary and the pure mapping of Admin GraphQL objects to the model (no I/O).

Sources: platform-apis.md section 7 and ``contract.yaml``. ``accountType`` decides what a staff member is:
``INVITED`` / ``INVITED_STORE_OWNER`` (invitation not accepted) and ``REQUESTED`` (a collaborator request not
yet accepted) are invitations; ``COLLABORATOR`` / ``COLLABORATOR_TEAM_MEMBER`` are people of a Shopify Partner
(agency, developer); ``SAML`` signs in through the company's identity provider (counted as SSO: ``two_factor``
True, the sign-in is the identity provider's). An unknown value is kept as the account's ``role`` and in
``raw["unknown_account_type"]`` and judged as unknown (2FA unknown, privileged only by the signals below).

Privileged: the shop owner, or a staff member whose (deprecated but still served) ``privateData.permissions``
holds an admin-level permission (``APPLICATIONS``: installs apps and grants them scopes; ``DOMAINS``;
``PREFERENCES``; ``FULL`` where an old store still reports it). Unknown permissions are kept in raw and are
not privileged. A deactivated member (``active: false``) holds no grant.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.connectors.automation import recognise
from auditor.connectors.values import utc_time
from auditor.model import Account, AccountKind, App, Grant, Tenant

ACCOUNT_TYPES = ("COLLABORATOR", "COLLABORATOR_TEAM_MEMBER", "INVITED", "INVITED_STORE_OWNER", "REGULAR",
                 "REQUESTED", "RESTRICTED", "SAML")
INVITATION_TYPES = frozenset({"INVITED", "INVITED_STORE_OWNER", "REQUESTED"})
COLLABORATOR_TYPES = frozenset({"COLLABORATOR", "COLLABORATOR_TEAM_MEMBER"})
PERMISSIONS = frozenset({
    "APPLICATIONS", "BULK_DATA_EXPORT", "BULK_DATA_IMPORT", "CHANNELS", "CREATE_AND_EDIT_CUSTOMERS",
    "CREATE_AND_EDIT_GIFT_CARDS", "CREATE_AND_EDIT_MARKETS", "CUSTOMERS", "DASHBOARD", "DEACTIVATE_GIFT_CARDS",
    "DELETE_CUSTOMERS", "DELETE_MARKETS", "DOMAINS", "DRAFT_ORDERS", "EDIT_ORDERS", "ERASE_CUSTOMER_DATA",
    "EXPORT_CUSTOMERS", "EXPORT_GIFT_CARDS", "GIFT_CARDS", "LINKS", "LOCATIONS", "MARKETING", "MARKETING_SECTION",
    "MARKETS", "MERGE_CUSTOMERS", "ORDERS", "OVERVIEWS", "PAGES", "PAY_ORDERS_BY_VAULTED_CARD",
    "PREFERENCES", "PRODUCTS", "REPORTS", "THEMES", "VIEW_PRICE_LISTS", "FULL",
})
"""StaffMemberPermission values known to the connector (the documented list is long and grows)."""
PRIVILEGED_PERMISSIONS = frozenset({"APPLICATIONS", "DOMAINS", "PREFERENCES", "FULL"})


def _private(node: Mapping[str, Any]) -> Mapping[str, Any]:
    value = node.get("privateData")
    return value if isinstance(value, Mapping) else {}


def permissions_of(node: Mapping[str, Any]) -> list[str]:
    """The staff member's permissions, sorted (``privateData.permissions``; [] when absent)."""
    value = _private(node).get("permissions")
    return sorted({str(v) for v in value if isinstance(v, str) and v}) if isinstance(value, list) else []


def tenant_from(platform: str, shop: Mapping[str, Any], fallback_id: str) -> Tenant:
    """The shop as the tenant (Shopify exposes no 2FA policy: None)."""
    plan = shop.get("plan") if isinstance(shop.get("plan"), Mapping) else {}
    return Tenant(platform=platform, tenant_id=str(shop.get("myshopifyDomain") or fallback_id),
                  name=str(shop.get("name") or fallback_id),
                  raw={"shop_id": shop.get("id"), "plan": plan.get("displayName"),
                       "shopify_plus": plan.get("shopifyPlus")})


def staff_account(node: Mapping[str, Any]) -> Account:
    """One ``StaffMember`` as an Account (an invitation for INVITED / INVITED_STORE_OWNER / REQUESTED)."""
    account_type = str(node.get("accountType") or "")
    raw = {k: v for k, v in node.items() if k != "privateData"}
    raw["permissions"] = permissions_of(node)
    if account_type not in ACCOUNT_TYPES:
        raw["unknown_account_type"] = account_type or None
    unknown = [p for p in raw["permissions"] if p not in PERMISSIONS]
    if unknown:
        raw["unknown_permissions"] = unknown
    invitation = account_type in INVITATION_TYPES
    if invitation:
        state = "pending"
    elif node.get("active") is False:
        state = "deactivated"
    elif account_type == "RESTRICTED":
        state = "restricted"
    elif account_type not in ACCOUNT_TYPES:
        state = "unknown"
    else:
        state = "active"
    email = node.get("email")
    return Account(
        account_id=str(node["id"]),
        kind=AccountKind.INVITATION if invitation else AccountKind.USER,
        name=node.get("name") if isinstance(node.get("name"), str) else None,
        emails=(email.strip(),) if isinstance(email, str) and email.strip() else (),
        two_factor=True if account_type == "SAML" else None,
        created_at=utc_time(_private(node).get("createdAt")),
        state=state,
        role=account_type or None,
        raw=raw,
    )


def staff_grant(account: Account) -> Grant | None:
    """The staff member's access to the shop (on the tenant); None for a deactivated member."""
    if account.state == "deactivated":
        return None
    permissions = list(account.raw.get("permissions") or [])
    owner = account.raw.get("isShopOwner") is True
    if owner:
        role = "shop_owner"
    elif account.state == "restricted":
        role = "restricted"
    else:
        role = "+".join(permissions) or "staff"
    raw = {"account_type": account.role, "is_shop_owner": owner, "permissions": permissions}
    return Grant(account_id=account.account_id, asset_id=None, role=role,
                 privileged=owner or bool(PRIVILEGED_PERMISSIONS & set(permissions)),
                 granted_at=account.created_at if account.kind == AccountKind.INVITATION else None, raw=raw)


def app_from(installation: Mapping[str, Any], *, token_ref: str | None = None) -> App:
    """An ``AppInstallation`` (the auditor's own with ``token_ref="self"``) with its access scopes.

    A known automation tool (Zapier, Make, ...) is named in ``raw["automation_tool"]`` and in the app's name.
    """
    app = installation.get("app") if isinstance(installation.get("app"), Mapping) else {}
    scopes = installation.get("accessScopes")
    handles = tuple(sorted({str(s["handle"]) for s in scopes if isinstance(s, Mapping) and s.get("handle")})) \
        if isinstance(scopes, list) else None
    title = app.get("title") if isinstance(app.get("title"), str) else None
    tool = recognise(title, app.get("developerName") if isinstance(app.get("developerName"), str) else None)
    raw = {"installation_id": installation.get("id"), "app": dict(app)}
    if tool:
        raw["automation_tool"] = tool
    name = f"{tool} app “{title}”" if tool and title else title
    return App(app_id=str(app.get("id") or installation.get("id")), name=name, scopes=handles,
               token_ref=token_ref, raw=raw)
