"""Meta vocabulary and the pure mapping of Graph API objects to the normalised model (no I/O).

Tables first (role/task privilege, 2FA values, event actions), then one function per object type.
Unknown values are kept as evidence in ``raw`` and never read as "safe": an unknown task is a
non-privileged unknown role listed in ``grant.raw["unknown_tasks"]``, an unknown 2FA value is ``None``.
Sources: docs/platforms/meta.md (facebook-python-business-sdk v25.0 enums).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from auditor.connectors.values import utc_time
from auditor.model import Account, AccountKind, App, Asset, AuditEvent, Grant, Tenant

# -- tables ------------------------------------------------------------------------------------------------

BUSINESS_ROLES: dict[str, bool] = {
    # BusinessUser / SystemUser / BusinessRoleRequest role and tasks -> privileged?
    "ADMIN": True,
    "MANAGE": True,
    "FINANCE_EDIT": True,
    "FINANCE_EDITOR": True,
    "ADS_RIGHTS_REVIEWER": False,
    "DEFAULT": False,
    "DEVELOPER": False,
    "EMPLOYEE": False,
    "FINANCE_ANALYST": False,
    "FINANCE_VIEW": False,
    "PARTNER_CENTER_ADMIN": False,
    "PARTNER_CENTER_ANALYST": False,
    "PARTNER_CENTER_EDUCATION": False,
    "PARTNER_CENTER_MARKETING": False,
    "PARTNER_CENTER_OPERATIONS": False,
}

PRIVILEGED_ASSET_TASKS = frozenset(
    {"MANAGE", "FULL_CONTROL", "PROFILE_PLUS_FULL_CONTROL", "PROFILE_PLUS_MANAGE", "ADMIN"}
)
"""Asset tasks that give control of an asset (people, settings); known for every asset kind."""

ASSET_TASKS: dict[str, frozenset[str]] = {
    # the documented non-privileged tasks per asset kind (the privileged ones are PRIVILEGED_ASSET_TASKS)
    "page": frozenset({
        "ADVERTISE", "ANALYZE", "CASHIER_ROLE", "CREATE_CONTENT", "GLOBAL_STRUCTURE_MANAGEMENT",
        "MANAGE_JOBS", "MANAGE_LEADS", "MESSAGING", "MODERATE", "MODERATE_COMMUNITY", "PAGES_MESSAGING",
        "PAGES_MESSAGING_SUBSCRIPTIONS", "PROFILE_PLUS_ADVERTISE", "PROFILE_PLUS_ANALYZE",
        "PROFILE_PLUS_CREATE_CONTENT", "PROFILE_PLUS_CREATIVE_MANAGEMENT", "PROFILE_PLUS_CREATOR_MANAGEMENT",
        "PROFILE_PLUS_FACEBOOK_ACCESS", "PROFILE_PLUS_GLOBAL_STRUCTURE_MANAGEMENT",
        "PROFILE_PLUS_MANAGE_LEADS",
        "PROFILE_PLUS_MESSAGING", "PROFILE_PLUS_MODERATE", "PROFILE_PLUS_MODERATE_DELEGATE_COMMUNITY",
        "PROFILE_PLUS_REVENUE", "READ_PAGE_MAILBOXES", "VIEW_MONETIZATION_INSIGHTS",
    }),
    "ad_account": frozenset({"AA_ANALYZE", "ADVERTISE", "ANALYZE", "DRAFT"}),
    "instagram_account": frozenset({"ADVERTISE", "ANALYZE", "COMMUNITY_ACTIVITY", "CONTENT", "MESSAGES"}),
    "whatsapp_business_account": frozenset({
        "DEVELOP", "MANAGE_TEMPLATES", "MANAGE_PHONE", "VIEW_COST", "MANAGE_EXTENSIONS", "VIEW_PHONE_ASSETS",
        "MANAGE_PHONE_ASSETS", "VIEW_TEMPLATES", "MESSAGING", "VIEW_INSIGHTS",
    }),
    "pixel": frozenset({"AA_ANALYZE", "ADVERTISE", "ANALYZE", "UPLOAD"}),  # AdsPixel.Tasks (EDIT below)
    "catalog": frozenset({"AA_ANALYZE", "ADVERTISE", "MANAGE_AR"}),  # ProductCatalog.Tasks (MANAGE above)
}

PRIVILEGED_KIND_TASKS: dict[str, frozenset[str]] = {
    # admin-level tasks of asset kinds whose vocabulary has no MANAGE: a pixel's EDIT changes its settings
    # and who may use it (Business Manager's "Manage pixel"); an agency's pixel tasks use the same enum
    "pixel": frozenset({"EDIT"}),
}

TWO_FACTOR_TYPE: dict[str, str] = {"all_required": "all", "admin_required": "admins", "none": "none"}

# two_fac_status values are UNCONFIRMED (no enum in SDK or docs): map the plausible spellings only.
TWO_FAC_STATUS: dict[str, bool] = {
    "enabled": True, "on": True, "true": True, "fully_enabled": True,
    "not_enabled": False, "disabled": False, "off": False, "false": False, "none": False,
}

EVENT_ACTIONS: dict[str, str] = {
    "ad_account_add_user_to_role": "role_granted",
    "ad_account_remove_user_from_role": "role_revoked",
}
"""AdActivity ``event_type`` -> normalised action; everything else is "activity"."""

BUSINESS_EDGES: dict[str, tuple[str, bool]] = {
    # business edge -> (asset kind, owned)
    "owned_pages": ("page", True),
    "client_pages": ("page", False),
    "owned_ad_accounts": ("ad_account", True),
    "client_ad_accounts": ("ad_account", False),
    "owned_instagram_assets": ("instagram_account", True),
    "client_instagram_assets": ("instagram_account", False),
    "owned_whatsapp_business_accounts": ("whatsapp_business_account", True),
    "client_whatsapp_business_accounts": ("whatsapp_business_account", False),
}

USER_ASSET_EDGES: dict[str, str] = {
    # per-user asset views (section 1.2) -> asset kind
    "assigned_pages": "page",
    "assigned_ad_accounts": "ad_account",
    "assigned_whatsapp_business_accounts": "whatsapp_business_account",
}

FIELDS: dict[str, str] = {
    "business": "id,name,two_factor_type",
    "business_users": "id,name,email,first_name,last_name,title,role,tasks,two_fac_status,finance_permission,"
                      "pending_email,marked_for_removal,invited_user_type",
    "system_users": "id,name,role,system_user_id,created_by{id,name},created_time,finance_permission",
    "pending_users": "id,email,role,tasks,status,created_by{id,name},created_time,expiration_time,"
                     "invited_user_type",
    "page": "id,name,category",
    "ad_account": "id,account_id,name,account_status",
    "instagram_account": "id,ig_user_id,ig_username",
    "whatsapp_business_account": "id,name",
    "apps": "id,name,link,namespace",
    "assigned_users": "id,name,user_type,tasks,permitted_tasks",
    "assigned_users_waba": "id,name,user_type,tasks",  # WABA edges document no permitted_tasks (S20, S25)
    "activities": "actor_id,actor_name,application_id,application_name,date_time_in_timezone,event_time,"
                  "event_type,extra_data,object_id,object_name,object_type,translated_event_type",
}

# -- small helpers -----------------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """A Graph time (ISO 8601 such as ``2024-01-01T10:00:00+0000``, or unix seconds) as aware UTC."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC) if value > 0 else None
    return utc_time(str(value))


def _ref_id(value: Any) -> str | None:
    """The id of a ``{"id", "name"}`` reference (or a bare id)."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return str(value) if value not in (None, "") else None


def _tasks(value: Any) -> list[str]:
    return [str(t) for t in value] if isinstance(value, list) else []


def _emails(*values: Any) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        if isinstance(value, str) and value.strip():
            seen.setdefault(value.strip().lower(), value.strip())
    return tuple(seen.values())


def act_id(ad_account_id: str) -> str:
    """The ``act_<digits>`` node id of an ad account (never doubled)."""
    return ad_account_id if ad_account_id.startswith("act_") else f"act_{ad_account_id}"


def two_factor_status(value: Any) -> bool | None:
    """Map ``two_fac_status`` case-insensitively; unknown values are None (unknown, not false)."""
    if not isinstance(value, str):
        return None
    return TWO_FAC_STATUS.get(value.strip().lower())


# -- objects -------------------------------------------------------------------------------------------------


def tenant_from(platform: str, business: Mapping[str, Any], business_id: str) -> Tenant:
    """The business node as a Tenant; an unknown ``two_factor_type`` is None, kept in raw."""
    raw = dict(business)
    value = business.get("two_factor_type")
    return Tenant(
        platform=platform,
        tenant_id=str(business.get("id") or business_id),
        name=str(business.get("name") or business_id),
        two_factor_required=TWO_FACTOR_TYPE.get(str(value).lower()) if value is not None else None,
        raw=raw,
    )


def business_user_account(item: Mapping[str, Any]) -> Account:
    """A BusinessUser (human) as an Account."""
    return Account(
        account_id=str(item["id"]),
        kind=AccountKind.USER,
        name=item.get("name"),
        emails=_emails(item.get("email"), item.get("pending_email")),
        two_factor=two_factor_status(item.get("two_fac_status")),
        state="marked_for_removal" if item.get("marked_for_removal") else "active",
        role=item.get("role"),
        raw=dict(item),
    )


def system_user_account(item: Mapping[str, Any]) -> Account:
    """A SystemUser (machine identity) as an Account; Meta has no 2FA for it (None)."""
    return Account(
        account_id=str(item["id"]),
        kind=AccountKind.SYSTEM_USER,
        name=item.get("name"),
        created_at=parse_time(item.get("created_time")),
        created_by=_ref_id(item.get("created_by")),
        role=item.get("role"),
        raw=dict(item),
    )


def invitation_account(item: Mapping[str, Any]) -> Account:
    """A pending BusinessRoleRequest as an INVITATION account ``invite:<id>``."""
    status = str(item.get("status") or "pending").lower()
    return Account(
        account_id=f"invite:{item['id']}",
        kind=AccountKind.INVITATION,
        name=item.get("email"),
        emails=_emails(item.get("email")),
        created_at=parse_time(item.get("created_time")),
        created_by=_ref_id(item.get("created_by")),
        state=status,
        role=item.get("role"),
        raw=dict(item),
    )


def assignee_account(item: Mapping[str, Any]) -> Account:
    """An asset assignee that is neither a business user nor a system user of this business."""
    user_type = str(item.get("user_type") or "").upper()  # BUSINESS_USER, SYSTEM_USER, PERSONAL_USER
    kind = AccountKind.SYSTEM_USER if user_type == "SYSTEM_USER" else AccountKind.USER
    raw = {k: v for k, v in item.items() if k not in ("tasks", "permitted_tasks")}
    raw["source"] = "assigned_users"
    return Account(account_id=str(item["id"]), kind=kind, name=item.get("name"), raw=raw)


def business_grant(account: Account) -> Grant:
    """The business-level role of a user, system user or invitation (``asset_id`` None)."""
    role = account.role or "UNKNOWN"
    tasks = _tasks(account.raw.get("tasks"))
    known = [t for t in [role, *tasks] if t in BUSINESS_ROLES]
    unknown = sorted({t for t in [role, *tasks] if t not in BUSINESS_ROLES})
    raw: dict[str, Any] = {"tasks": tasks}
    if unknown:
        raw["unknown_tasks"] = unknown
    return Grant(
        account_id=account.account_id,
        asset_id=None,
        role=role,
        privileged=any(BUSINESS_ROLES[t] for t in known),
        granted_at=account.created_at if account.kind == AccountKind.INVITATION else None,
        granted_by=account.created_by if account.kind == AccountKind.INVITATION else None,
        raw=raw,
    )


def asset_grant(kind: str, asset_id: str, account_id: str, item: Mapping[str, Any]) -> Grant:
    """One (user, asset) grant: role is the sorted tasks joined by ``+``; unknown tasks kept in raw."""
    tasks = sorted(set(_tasks(item.get("tasks"))))
    privileged = PRIVILEGED_ASSET_TASKS | PRIVILEGED_KIND_TASKS.get(kind, frozenset())
    known = ASSET_TASKS.get(kind, frozenset()) | privileged
    unknown = [t for t in tasks if t not in known]
    raw: dict[str, Any] = {"tasks": tasks, "permitted_tasks": _tasks(item.get("permitted_tasks"))}
    if item.get("user_type"):
        raw["user_type"] = item["user_type"]
    if unknown:
        raw["unknown_tasks"] = unknown
    return Grant(
        account_id=account_id,
        asset_id=asset_id,
        role="+".join(tasks) or "NO_TASKS",
        privileged=any(t in privileged for t in tasks),
        raw=raw,
    )


_ASSET_NAME_KEYS = ("name", "ig_username")
_NOT_ASSET_KEYS = frozenset({"assigned_users", "activities", "tasks", "permitted_tasks"})


def asset_from(kind: str, item: Mapping[str, Any], owned: bool | None) -> Asset:
    """An asset node (page, ad account, Instagram asset, WABA) without its nested edges."""
    raw = {k: v for k, v in item.items() if k not in _NOT_ASSET_KEYS}
    if owned is not None:
        raw["owned"] = owned
    name = next((item[k] for k in _ASSET_NAME_KEYS if item.get(k)), None)
    return Asset(asset_id=str(item["id"]), kind=kind, name=name, raw=raw)


def app_from_node(item: Mapping[str, Any], owned: bool) -> App:
    """An owned or client Application; Meta does not reveal its scopes here (None)."""
    raw = dict(item)
    raw["owned"] = owned
    return App(app_id=str(item["id"]), name=item.get("name"), scopes=None, raw=raw)


def app_from_token(data: Mapping[str, Any], token_ref: str, user_ids: Mapping[str, str]) -> App:
    """A debug_token answer as an App; ``granted_by`` is the business-scoped id of the token's user."""
    scopes = data.get("scopes")
    user_id = data.get("user_id")
    raw_keys = ("type", "application", "expires_at", "data_access_expires_at", "issued_at", "is_valid",
                "granular_scopes", "user_id", "error")
    return App(
        app_id=str(data.get("app_id") or ""),
        name=data.get("application"),
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else None,
        granted_by=user_ids.get(str(user_id)) if user_id is not None else None,
        token_ref=token_ref,
        raw={k: data[k] for k in raw_keys if k in data},
    )


def event_id(asset_id: str, item: Mapping[str, Any]) -> str:
    """A stable id for an AdActivity (the API gives none): a hash of its identifying fields."""
    key = [asset_id, item.get("event_time"), item.get("event_type"), item.get("actor_id"),
           item.get("object_id"), item.get("extra_data")]
    return hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:32]


def event_from(asset_id: str, item: Mapping[str, Any]) -> AuditEvent | None:
    """An AdActivity as an AuditEvent; None when its time cannot be read."""
    when = parse_time(item.get("event_time"))
    if when is None:
        return None
    raw_action = str(item.get("event_type") or "")
    return AuditEvent(
        event_id=event_id(asset_id, item),
        time=when,
        action=EVENT_ACTIONS.get(raw_action, "activity"),
        raw_action=raw_action,
        actor_id=_ref_id(item.get("actor_id")),
        actor_name=item.get("actor_name"),
        target_id=_ref_id(item.get("object_id")),
        target_name=item.get("object_name"),
        asset_id=asset_id,
        raw=dict(item),
    )


def user_id_index(accounts: Iterable[Account]) -> dict[str, str]:
    """Map every id a token's ``user_id`` may carry (id, system_user_id) to the business-scoped account id."""
    index: dict[str, str] = {}
    for account in accounts:
        if account.kind in (AccountKind.USER, AccountKind.SYSTEM_USER):
            index[account.account_id] = account.account_id
            other = account.raw.get("system_user_id")
            if other is not None:
                index.setdefault(str(other), account.account_id)
    return index
