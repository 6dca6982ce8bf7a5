"""Pinterest Business Access vocabulary and the pure mapping of API v5 objects to the model (no I/O).

Sources: docs/platforms/pinterest.md (pinterest/api-description OpenAPI 5.23). Business roles and asset
permissions come from the enums there; the response ``permissions`` is a free ``string[]``, so unknown values
are kept in ``raw`` and treated as non-privileged unknowns. Only PENDING invites (and invites in an unknown
status, which might still be accepted) become invitation accounts; ACCEPTED, DECLINED, CANCELLED and EXPIRED
ones are not live.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.connectors.values import ms_time as epoch_time
from auditor.model import Account, AccountKind, Asset, Grant, Tenant

# -- tables --------------------------------------------------------------------------------------------------

BUSINESS_ROLES: dict[str, bool] = {"BIZ_ADMIN": True, "EMPLOYEE": False, "PARTNER": False}
"""business_roles (BusinessRoleResponse) -> privileged?"""

ASSET_PERMISSIONS: dict[str, bool] = {
    # Permissions / PermissionsWithOwner / BusinessAccessRole values -> privileged (controls the asset)?
    "OWNER": True,
    "ADMIN": True,
    "RESTRICTED_OWNER": True,
    "ANALYST": False,
    "FINANCE_MANAGER": False,
    "FINANCE_EDIT": False,
    "FINANCE_VIEW": False,
    "AUDIENCE_MANAGER": False,
    "CAMPAIGN_MANAGER": False,
    "CATALOGS_MANAGER": False,
    "CATALOGS_VIEWER": False,
    "PROFILE_PUBLISHER": False,
    "PROFILE_MANAGER": False,
    "CONSUMER_USER": False,
    "SOS_READER": False,
    "RESOURCE_PINNER_LIST_OWNER": False,
    "RESOURCE_PINNER_LIST_READER": False,
    "BIZ_PINNER_LIST_SHARER": False,
    "RESOURCE_CONVERSION_TAGS_READER": False,
}

ASSET_KINDS: dict[str, str] = {
    "AD_ACCOUNT": "ad_account", "PROFILE": "profile", "CATALOG": "catalog", "ASSET_GROUP": "asset_group",
    "CONSUMER": "consumer",
}

LIVE_INVITE_STATUSES = frozenset({"PENDING"})
CLOSED_INVITE_STATUSES = frozenset({"ACCEPTED", "DECLINED", "CANCELLED", "EXPIRED"})


# -- helpers -----------------------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


def _ref(value: Any) -> str | None:
    if isinstance(value, Mapping) and value.get("id") not in (None, ""):
        return str(value["id"])
    return None


def user_of(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``user`` summary of a member / asset member / invite ({} when absent)."""
    user = item.get("user")
    return user if isinstance(user, Mapping) else {}


def member_id(item: Any) -> str | None:
    """The id of a member item (``id``, else ``user.id``); None for an unreadable item."""
    if not isinstance(item, Mapping):
        return None
    value = item.get("id") if item.get("id") not in (None, "") else user_of(item).get("id")
    return str(value) if value not in (None, "") else None


def _emails(user: Mapping[str, Any]) -> tuple[str, ...]:
    email = user.get("email")
    return (email.strip(),) if isinstance(email, str) and email.strip() else ()


def invite_status(item: Mapping[str, Any]) -> str:
    """The upper-cased ``invite_data.invite_status`` ("" when absent)."""
    data = item.get("invite_data")
    return str(data.get("invite_status") or "").strip().upper() if isinstance(data, Mapping) else ""


def is_live_invite(item: Mapping[str, Any]) -> bool:
    """PENDING and unknown statuses may still be accepted; closed statuses are not live."""
    return invite_status(item) not in CLOSED_INVITE_STATUSES


# -- objects ---------------------------------------------------------------------------------------------


def tenant_from(platform: str, business_id: str, name: str | None) -> Tenant:
    """The business as the tenant; Pinterest has no 2FA policy to read (None)."""
    return Tenant(platform=platform, tenant_id=business_id, name=name or business_id,
                  raw={"business_id": business_id})


def member_account(item: Mapping[str, Any], *, system: bool) -> Account:
    """A business member (or, with ``system``, a system user) as an Account."""
    user = user_of(item)
    roles = _strings(item.get("business_roles"))
    return Account(
        account_id=str(member_id(item)),
        kind=AccountKind.SYSTEM_USER if system else AccountKind.USER,
        name=user.get("username") if isinstance(user.get("username"), str) else None,
        emails=_emails(user),
        created_at=epoch_time(item.get("created_time")),
        created_by=_ref(item.get("created_by_user")) or _ref(item.get("created_by_business")),
        role="+".join(roles) or None,
        raw={k: v for k, v in item.items() if k != "assets_summary"},
    )


def asset_member_account(item: Mapping[str, Any], *, system: bool) -> Account:
    """An asset member that is not among the business's members (kept, with ``raw["source"]``)."""
    user = user_of(item)
    return Account(
        account_id=str(user.get("id")),
        kind=AccountKind.SYSTEM_USER if system else AccountKind.USER,
        name=user.get("username") if isinstance(user.get("username"), str) else None,
        emails=_emails(user),
        raw={"user": dict(user), "source": "asset_members"},
    )


def partner_account(item: Mapping[str, Any]) -> Account:
    """A partner business (``/partners`` item or an asset partner's ``user``) as a PARTNER account."""
    user = user_of(item)
    return Account(
        account_id=str(member_id(item)),
        kind=AccountKind.PARTNER,
        name=user.get("username") if isinstance(user.get("username"), str) else None,
        emails=_emails(user),
        created_at=epoch_time(item.get("created_time")),
        created_by=_ref(item.get("created_by_user")) or _ref(item.get("created_by_business")),
        raw={k: v for k, v in item.items() if k != "assets_summary"},
    )


def invitation_account(item: Mapping[str, Any]) -> Account:
    """A membership invite as an INVITATION account ``invite:<id>``; the state is its status, lower-cased."""
    data = item.get("invite_data") if isinstance(item.get("invite_data"), Mapping) else {}
    user = user_of(item)
    roles = _strings(item.get("business_roles"))
    return Account(
        account_id=f"invite:{item['id']}",
        kind=AccountKind.INVITATION,
        name=user.get("username") if isinstance(user.get("username"), str) else None,
        emails=_emails(user),
        created_at=epoch_time(data.get("sent_at")) or epoch_time(item.get("created_time")),
        created_by=_ref(item.get("created_by_user")) or _ref(item.get("created_by_business")),
        state=(invite_status(item) or "unknown").lower(),
        role="+".join(roles) or None,
        raw=dict(item),
    )


def business_grant(account: Account) -> Grant:
    """The business role(s) of a member, system user or invitation (on the tenant, ``asset_id`` None)."""
    roles = _strings(account.raw.get("business_roles"))
    raw: dict[str, Any] = {"business_roles": roles}
    unknown = sorted({r for r in roles if r not in BUSINESS_ROLES})
    if unknown:
        raw["unknown_roles"] = unknown
    invitation = account.kind == AccountKind.INVITATION
    return Grant(
        account_id=account.account_id, asset_id=None, role="+".join(sorted(roles)) or "NO_ROLE",
        privileged=any(BUSINESS_ROLES.get(r, False) for r in roles),
        granted_at=account.created_at if invitation else None,
        granted_by=account.created_by if invitation else None, raw=raw,
    )


def asset_from(item: Mapping[str, Any]) -> Asset:
    """A business asset; an unknown ``asset_type`` becomes its lower-cased value, kept in raw."""
    asset_type = str(item.get("asset_type") or "").strip()
    raw = dict(item)
    kind = ASSET_KINDS.get(asset_type.upper())
    if kind is None:
        raw["unknown_asset_type"] = asset_type or None
        kind = asset_type.lower() or "unknown"
    name = None
    for key, field in (("catalog_info", "name"), ("asset_group_info", "asset_group_name")):
        info = item.get(key)
        if isinstance(info, Mapping) and isinstance(info.get(field), str):
            name = info[field]
    return Asset(asset_id=str(item["asset_id"]), kind=kind, name=name, raw=raw)


def asset_grant(asset_id: str, account_id: str, item: Mapping[str, Any]) -> Grant:
    """One (member, asset) grant: role is the sorted permissions joined by ``+``; unknown ones kept in raw."""
    permissions = sorted(set(_strings(item.get("permissions"))))
    raw: dict[str, Any] = {"permissions": permissions}
    unknown = [p for p in permissions if p not in ASSET_PERMISSIONS]
    if unknown:
        raw["unknown_permissions"] = unknown
    return Grant(account_id=account_id, asset_id=asset_id, role="+".join(permissions) or "NO_PERMISSIONS",
                 privileged=any(ASSET_PERMISSIONS.get(p, False) for p in permissions), raw=raw)
