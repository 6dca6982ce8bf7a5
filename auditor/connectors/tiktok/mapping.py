"""TikTok Business Center role tables and the pure mapping of API items to the model (platform-apis.md 3.2-3.6).

A role name the tables do not know is kept in the grant's raw (``unknown_role``) and treated as not
privileged *and* unknown: it never grants or removes anything by itself. Members whose ``relation_status``
is REJECTED or UNBOUND hold no access and become no account; PENDING members are invitations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from auditor.connectors.values import any_text as _text
from auditor.connectors.values import utc_time as parse_time
from auditor.model import Account, AccountKind, Asset, AuditEvent, Grant, Tenant

USER_ROLES: dict[str, bool] = {"ADMIN": True, "STANDARD": False}
"""Business Center role -> privileged (an admin manages members, assets and partners)."""
FINANCE_ROLES: dict[str, bool] = {"MANAGER": True, "ANALYST": False}
"""``ext_user_role.finance_role`` -> privileged (a finance manager manages payment and budgets)."""
ADVERTISER_ROLES: dict[str, bool] = {"ADMIN": True, "OPERATOR": False, "ANALYST": False}
CATALOG_ROLES: dict[str, bool] = {"ADMIN": True, "AD_PROMOTE": False}
FORM_LIBRARY_ROLES: dict[str, bool] = {"ADMIN": True}
"""Lead (form library) roles: ``form_library_role`` of /bc/asset/assign/; the member field is unconfirmed."""

RELATION_LIVE = "BOUND"
RELATION_PENDING = "PENDING"
RELATION_NOT_LIVE = frozenset({"REJECTED", "UNBOUND"})
"""``relation_status`` values without access: the invitation was rejected, or the member was removed."""

ASSET_KINDS: dict[str, str] = {
    "ADVERTISER": "ad_account",
    "CATALOG": "catalog",
    "TIKTOK_SHOP": "tiktok_shop",
    "PIXEL": "pixel",
    "LEAD": "lead_library",
    "TT_ACCOUNT": "tiktok_account",
    "DOMAIN": "domain",
    "STOREFRONT": "storefront",
    "MANAGED_BUSINESS_ACCOUNT": "managed_business_account",
}
"""``asset_type`` -> the model's asset kind."""

MEMBER_ROLE_FIELDS: dict[str, tuple[str, Mapping[str, bool]]] = {
    "ADVERTISER": ("advertiser_role", ADVERTISER_ROLES),
    "CATALOG": ("catalog_role", CATALOG_ROLES),
    "LEAD": ("form_library_role", FORM_LIBRARY_ROLES),
}
"""Asset types ``/bc/asset/member/get/`` accepts (contract: asset_member_asset_type) -> (role field, role
table). Shop, TikTok-account and pixel members cannot be listed by the API."""
PARTNER_ASSET_TYPES: tuple[str, ...] = ("ADVERTISER", "CATALOG")
"""Our asset types ``/bc/partner/asset/get/`` lists per partner (DOMAIN is not read)."""
ASSET_PARTNER_TYPES: tuple[str, ...] = ("PIXEL", "LEAD")
"""Asset types whose partners are read per asset (``/bc/asset/partner/get/``): the only way for pixels."""

DEFAULT_ASSET_TYPES: tuple[str, ...] = ("ADVERTISER", "CATALOG", "TIKTOK_SHOP", "TT_ACCOUNT", "PIXEL", "LEAD")
"""Asset types listed by default (``/bc/asset/admin/get/`` needs one ``asset_type`` per call)."""

_GRANT_WORDS = ("assigned", "granted", "added", "invited", "shared")
_REVOKE_WORDS = ("removed", "revoked", "unassigned", "cancelled", "canceled", "unbound")


def member_key(item: Mapping[str, Any]) -> str | None:
    """The account id of a member: its ``user_id``, or ``invite:<email>`` for an invitee without one."""
    user_id = _text(item.get("user_id"))
    if user_id:
        return user_id
    email = _text(item.get("user_email"))
    return f"invite:{email.lower()}" if email else None


def relation(item: Mapping[str, Any]) -> str:
    """The member's ``relation_status`` (upper case; "" when absent)."""
    return str(item.get("relation_status") or "").strip().upper()


def finance_role(item: Mapping[str, Any]) -> str | None:
    """``ext_user_role.finance_role`` when present."""
    ext = item.get("ext_user_role")
    return _text(ext.get("finance_role")) if isinstance(ext, Mapping) else None


def member_account(item: Mapping[str, Any]) -> Account | None:
    """A Business Center member as an Account; None for members without access (rejected, unbound).

    PENDING is an invitation (state "pending"); BOUND is an active user; an unknown status is kept in raw and
    the account counts as a user in state "unknown" (it may hold access).
    """
    status = relation(item)
    key = member_key(item)
    if key is None or status in RELATION_NOT_LIVE:
        return None
    pending = status == RELATION_PENDING
    state = "pending" if pending else "active" if status == RELATION_LIVE else "unknown"
    email = _text(item.get("user_email"))
    return Account(
        account_id=key,
        kind=AccountKind.INVITATION if pending else AccountKind.USER,
        name=_text(item.get("user_name")) or email,
        emails=(email,) if email else (),
        two_factor=None,  # TikTok does not expose 2FA
        state=state,
        role=_text(item.get("user_role")),
        raw=dict(item),
    )


def _role_grant(account_id: str, asset_id: str | None, role: str | None, table: Mapping[str, bool],
                prefix: str = "") -> Grant:
    raw: dict[str, Any] = {}
    if role is None:
        raw["unknown_role"] = None
        name = f"{prefix}UNKNOWN"
    else:
        name = f"{prefix}{role}"
        if role not in table:
            raw["unknown_role"] = role
    return Grant(account_id=account_id, asset_id=asset_id, role=name,
                 privileged=bool(role is not None and table.get(role, False)), raw=raw)


def member_grants(account: Account) -> list[Grant]:
    """The Business Center role (and finance role) of a member, as grants on the tenant."""
    grants = [_role_grant(account.account_id, None, account.role, USER_ROLES)]
    finance = finance_role(account.raw)
    if finance is not None:
        grants.append(_role_grant(account.account_id, None, finance, FINANCE_ROLES, "FINANCE_"))
    return grants


def tenant_from(platform: str, entry: Mapping[str, Any] | None, bc_id: str) -> Tenant:
    """The Business Center as a Tenant; TikTok exposes no 2FA policy (None)."""
    info = entry.get("bc_info") if isinstance(entry, Mapping) else None
    info = info if isinstance(info, Mapping) else {}
    raw = {"bc_info": dict(info)}
    for key in ("user_role", "ext_user_role", "binding_status"):
        if isinstance(entry, Mapping) and key in entry:
            raw[f"caller_{key}"] = entry[key]
    return Tenant(platform=platform, tenant_id=bc_id, name=_text(info.get("name")) or bc_id,
                  two_factor_required=None, raw=raw)


def asset_from(item: Mapping[str, Any], asset_type: str) -> Asset:
    """An asset of ``/bc/asset/admin/get/``; an unknown type keeps its name in lower case."""
    kind_name = str(item.get("asset_type") or asset_type).upper()
    raw = dict(item)
    raw.setdefault("asset_type", kind_name)
    return Asset(asset_id=str(item["asset_id"]), kind=ASSET_KINDS.get(kind_name, kind_name.lower()),
                 name=_text(item.get("asset_name")), raw=raw)


def asset_grant(asset_type: str, asset_id: str, account_id: str, item: Mapping[str, Any]) -> Grant:
    """One member's (or partner's) role on one asset, from the asset type's role field."""
    field, table = MEMBER_ROLE_FIELDS[asset_type]
    value = item.get(field)
    grant = _role_grant(account_id, asset_id, _text(value), table)
    grant.raw[field] = value
    return grant


def partner_account(item: Mapping[str, Any]) -> Account | None:
    """A partner Business Center (``bc_id``, ``bc_name``) as a PARTNER account; None without a ``bc_id``."""
    bc_id = _text(item.get("bc_id"))
    if bc_id is None:
        return None
    return Account(account_id=bc_id, kind=AccountKind.PARTNER, name=_text(item.get("bc_name")) or bc_id,
                   raw=dict(item))


def shared_asset_grant(asset_id: str, partner_id: str) -> Grant:
    """A partner holding a pixel or lead library (``/bc/asset/partner/get/``): its role is not reported."""
    grant = _role_grant(partner_id, asset_id, None, {})
    grant.raw["source"] = "/bc/asset/partner/get/"
    return grant


def normalised_action(activity_type: str, text: str) -> str:
    """A best-effort action from the English free text of a changelog entry (``lang=en``)."""
    lowered = text.lower()
    if any(word in lowered for word in _REVOKE_WORDS):
        return "role_revoked"
    if activity_type in ("USER", "ACCOUNT", "ASSET") and any(word in lowered for word in _GRANT_WORDS):
        return "role_granted"
    return "activity"


def event_id(item: Mapping[str, Any]) -> str:
    """A stable id for a changelog entry (the API gives none)."""
    key = [item.get("time"), item.get("activity_type"), item.get("operator_id"), item.get("activity_log")]
    return hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:32]


def event_from(item: Mapping[str, Any], names: Mapping[str, str | None]) -> AuditEvent | None:
    """A changelog entry as an AuditEvent (actor = ``operator_id``); None when its time is unreadable.

    The member acted upon appears only in the free text ``activity_log``: it is kept in raw, not matched.
    """
    when = parse_time(item.get("time"))
    if when is None:
        return None
    activity_type = str(item.get("activity_type") or "").upper()
    text = str(item.get("activity_log") or "")
    operator = _text(item.get("operator_id"))
    return AuditEvent(
        event_id=event_id(item),
        time=when,
        action=normalised_action(activity_type, text),
        raw_action=activity_type or "UNKNOWN",
        actor_id=operator,
        actor_name=names.get(operator) if operator else None,
        raw=dict(item),
    )


def name_index(accounts: Iterable[Account]) -> dict[str, str | None]:
    """Account id -> display name."""
    return {a.account_id: a.name for a in accounts}
