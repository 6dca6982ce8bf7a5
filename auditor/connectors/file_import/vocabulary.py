"""The vocabulary of an admin export: column names and their aliases, yes/no values, states, and the role
tables that say which roles are privileged on each platform an export may come from.

Column names are matched after lower-casing and turning spaces and dashes into underscores, so
``Account ID``, ``account-id`` and ``account_id`` are the same column; ``2FA`` and ``MFA`` name the
``two_factor`` column. A column this vocabulary does not know is an error (a misspelt ``2fa`` column must not
silently turn into "the platform does not expose 2FA").
"""

from __future__ import annotations

import functools
import re

_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")

COLUMNS: tuple[str, ...] = (
    "platform", "tenant", "account_id", "email", "name", "role", "asset", "two_factor", "last_activity", "state",
    "privileged",
)
"""Every column an export may have, in documentation order."""

REQUIRED: frozenset[str] = frozenset({"account_id", "role"})
"""Always required; ``platform`` and ``tenant`` are required unless the platform entry names them."""

ALIASES: dict[str, str] = {
    "account": "account_id", "user_id": "account_id", "user": "account_id", "handle": "account_id",
    "e_mail": "email", "mail": "email",
    "display_name": "name", "full_name": "name",
    "access": "role", "permission": "role", "access_level": "role",
    "asset_id": "asset", "resource": "asset",
    "2fa": "two_factor", "mfa": "two_factor", "two_fa": "two_factor", "two_factor_auth": "two_factor",
    "2_step_verification": "two_factor",
    "last_active": "last_activity", "last_login": "last_activity", "last_seen": "last_activity",
    "status": "state",
    "tenant_id": "tenant",
    "admin": "privileged", "is_admin": "privileged",
}

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1", "on", "enabled", "enforced", "tak"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0", "off", "disabled", "nie"})
UNKNOWN_WORDS = frozenset({"", "unknown", "n/a", "na", "-", "?"})

STATES: dict[str, str] = {
    # export state -> normalised Account.state; "pending" makes the row an invitation
    "active": "active", "enabled": "active", "accepted": "active", "approved": "active", "current": "active",
    "pending": "pending", "invited": "pending", "invitation": "pending", "requested": "pending",
    "suspended": "suspended", "disabled": "suspended", "locked": "suspended", "deactivated": "suspended",
    "expired": "expired", "declined": "declined", "rejected": "declined",
}
INVITATION_STATES = frozenset({"pending", "expired", "declined"})

ROLE_TABLES: dict[str, dict[str, bool]] = {
    # platform kind -> role (normalised: upper case, spaces/dashes/brackets as underscores) -> privileged
    "x": {
        # Ads Manager labels ("Edit access to account"); the API's permission names join in ``role_table``
        "ACCOUNT_ADMINISTRATOR": True, "ADMIN": True, "CAN_COMPOSE_TWEETS": False, "CAN_COMPOSE_POSTS": False,
    },
    "youtube": {
        # YouTube Studio > Settings > Permissions
        "OWNER": True, "MANAGER": True, "EDITOR": False, "EDITOR_LIMITED": False, "SUBTITLE_EDITOR": False,
        "VIEWER": False, "VIEWER_LIMITED": False,
    },
    "shopify": {
        # Shopify admin > Settings > Users (account types)
        "STORE_OWNER": True, "OWNER": True, "ADMIN": True, "REGULAR": False, "RESTRICTED": False,
        "COLLABORATOR": False, "COLLABORATOR_TEAM_MEMBER": False, "STAFF": False,
    },
}



def role_table(kind: str | None) -> dict[str, bool]:
    """The role table of a platform kind (empty when none): X's adds the API's permission names, imported only
    for an X export (the X connector's package is not needed to read any other)."""
    table = dict(ROLE_TABLES.get(kind or "", {}))
    if kind == "x":
        from auditor.connectors.x.mapping import PERMISSIONS

        table = {**PERMISSIONS, **table}
    return table


ASSET_KINDS: dict[str, str] = {"x": "ad_account", "youtube": "channel", "shopify": "store"}
"""Default asset kind per platform kind (``options.asset_kind`` overrides; otherwise "asset")."""


def column_key(header: str) -> str:
    """The normalised name of a header cell (aliases resolved); may be a name that is not a column."""
    key = "_".join(header.strip().lower().replace("-", " ").split())
    return ALIASES.get(key, key)


@functools.lru_cache(maxsize=4096)
def role_key(role: str) -> str:
    """A role as looked up in ``ROLE_TABLES``: ``Editor (limited)`` -> ``EDITOR_LIMITED``."""
    return "_".join(_NOT_ALNUM.sub(" ", role.upper()).split())
