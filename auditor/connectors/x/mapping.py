"""X Ads vocabulary and the pure mapping of Ads API objects to the normalised model (no I/O).

Sources: docs/platforms/x.md (authenticated_user_access permissions, promotable users; the SDK's
Account resource for the ads account node). Unknown values are kept as evidence in ``raw`` and never read
as "safe": an unknown permission or promotable-user type is a non-privileged grant flagged ``unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditor.connectors.values import utc_time as parse_time
from auditor.model import Account, AccountKind, Asset, Grant

PERMISSIONS: dict[str, bool] = {
    # authenticated_user_access permission -> privileged (controls who else has access, billing, settings)?
    "ACCOUNT_ADMIN": True,
    "AD_MANAGER": False,
    "CREATIVE_MANAGER": False,
    "CAMPAIGN_ANALYST": False,
    "ANALYST": False,
    "PARTNER_AUDIENCE_MANAGER": False,
    "TWEET_COMPOSER": False,  # add-on: compose promoted-only posts on behalf of the account's handle
}

READ_ONLY_PERMISSIONS = frozenset({"ANALYST", "CAMPAIGN_ANALYST"})
"""Permissions that are enough for the auditor; anything else on the auditor's own user is more than needed."""

OWNER_TYPE = "FULL"
"""``promotable_user_type`` of the ads account's owner (an ads account has exactly one)."""

PROMOTABLE_TYPES: dict[str, bool] = {
    # promotable_user_type -> is it access to the ads account?
    "FULL": True,  # the owner handle of the ads account: whoever controls the handle controls the account
    "RETWEETS_ONLY": False,  # another handle that allowed its posts to be promoted: not access
}

ASSET_KIND = "ad_account"


def user_id(value: Any) -> str | None:
    """A user id as text (the API sends numbers or strings); None when absent."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    return str(value)


def ad_account_asset(account_id: str, node: Mapping[str, Any] | None) -> Asset:
    """The ads account (``GET accounts/:id``) as an asset; without the node only the id is known."""
    raw = dict(node or {})
    name = raw.get("name")
    return Asset(asset_id=account_id, kind=ASSET_KIND, name=str(name) if name else None, raw=raw)


def caller_account(uid: str, ad_account_ids: list[str]) -> Account:
    """The X user whose token the auditor uses (the only user whose permissions the API lists)."""
    return Account(
        account_id=uid,
        kind=AccountKind.USER,
        raw={"source": "authenticated_user_access", "token": "self", "ad_accounts": list(ad_account_ids)},
    )


def permission_grants(uid: str, ad_account_id: str, permissions: Any) -> list[Grant]:
    """One grant per permission of ``authenticated_user_access``; unknown ones are non-privileged unknown."""
    values = permissions if isinstance(permissions, list) else []
    grants = []
    for value in dict.fromkeys(str(p) for p in values):
        known = value in PERMISSIONS
        grants.append(Grant(
            account_id=uid,
            asset_id=ad_account_id,
            role=value,
            privileged=PERMISSIONS.get(value, False),
            raw={"source": "authenticated_user_access", "permission": value, "unknown": not known},
        ))
    return grants


def promotable_holder(item: Mapping[str, Any]) -> bool:
    """Whether a promotable user is an access holder: FULL (the owner) or an unknown type (kept, unknown)."""
    kind = str(item.get("promotable_user_type") or "")
    return PROMOTABLE_TYPES.get(kind, True)


def promotable_account(item: Mapping[str, Any]) -> Account | None:
    """The owner handle (or an unknown-type promotable user) as an account; None without a user id."""
    uid = user_id(item.get("user_id"))
    if uid is None:
        return None
    return Account(
        account_id=uid,
        kind=AccountKind.USER,
        created_at=parse_time(item.get("created_at")),
        raw={"source": "promotable_users", **dict(item)},
    )


def promotable_grant(ad_account_id: str, item: Mapping[str, Any]) -> Grant | None:
    """FULL -> the privileged owner grant; an unknown type -> a non-privileged unknown grant."""
    uid = user_id(item.get("user_id"))
    if uid is None:
        return None
    kind = str(item.get("promotable_user_type") or "UNKNOWN")
    known = kind in PROMOTABLE_TYPES
    return Grant(
        account_id=uid,
        asset_id=ad_account_id,
        role=kind,
        privileged=kind == OWNER_TYPE,
        granted_at=parse_time(item.get("created_at")),
        raw={"source": "promotable_users", "promotable_user_type": kind, "unknown": not known,
             "id": item.get("id")},
    )


def promotable_evidence(item: Mapping[str, Any]) -> dict[str, Any]:
    """What the ad account's raw keeps of each promotable user (all types, for the record)."""
    return {key: item.get(key) for key in ("id", "user_id", "promotable_user_type", "created_at", "deleted")}
