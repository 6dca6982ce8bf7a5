"""Google Ads role tables, GAQL queries and the pure mapping of search rows to the model (platform-apis.md 5).

Rows arrive in proto3 JSON: camelCase names, int64 as strings, and default values (``false``, ``""``) left
out, so ``passkeyEnabled`` absent and ``false`` read the same. Date-times are in the customer's time zone
(``customer.time_zone``) and are converted to UTC here.

2FA: Google Ads exposes none; ``passkey_enabled`` (API v24+) is the only strong-authentication signal. A
user with a passkey counts as two-factor (True); any other user is unknown (None), never False, because
Google does not report other second factors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditor.connectors.values import any_text as _text
from auditor.connectors.values import utc_time
from auditor.model import Account, AccountKind, Asset, AuditEvent, Grant

ACCESS_ROLES: dict[str, bool] = {"ADMIN": True, "STANDARD": False, "READ_ONLY": False, "EMAIL_ONLY": False}
"""``access_role`` -> privileged (an admin manages users, billing and linked accounts)."""
INVITATION_PENDING = "PENDING"
INVITATION_CLOSED = frozenset({"DECLINED", "EXPIRED"})
"""Invitation statuses that can no longer be accepted (not live access)."""
CHANGE_EVENT_LIMIT = 10_000
CHANGE_EVENT_DAYS = 30
PASSKEY_MIN_VERSION = 24

CUSTOMER_QUERY = ("SELECT customer.id, customer.descriptive_name, customer.manager, customer.time_zone, "
                  "customer.currency_code, customer.test_account FROM customer")
_USER_FIELDS = ("user_id", "email_address", "access_role", "access_creation_date_time",
                "inviter_user_email_address", "pending_multi_party_auth_review", "passkey_enabled")
INVITATION_QUERY = ("SELECT customer_user_access_invitation.invitation_id, "
                    "customer_user_access_invitation.access_role, customer_user_access_invitation.email_address, "
                    "customer_user_access_invitation.creation_date_time, "
                    "customer_user_access_invitation.invitation_status FROM customer_user_access_invitation")
_CHANGE_FIELDS = ("resource_name", "change_date_time", "change_resource_name", "user_email", "client_type",
                  "change_resource_type", "resource_change_operation", "changed_fields", "campaign")
_DIGITS = re.compile(r"\D")
_API_VERSION = re.compile(r"/v(\d+)(?:/|$)")


def user_access_query(api_version: int | None) -> str:
    """The customer_user_access query; ``passkey_enabled`` only where the API version has it (v24+)."""
    fields = [f for f in _USER_FIELDS if f != "passkey_enabled"
              or api_version is None or api_version >= PASSKEY_MIN_VERSION]
    selected = ", ".join(f"customer_user_access.{f}" for f in fields)
    return f"SELECT {selected} FROM customer_user_access"  # noqa: S608  # nosec B608: GAQL from constants, no user input


def change_event_query(start: str, end: str) -> str:
    """The change_event query over ``[start, end]`` (customer-local literals), newest first, at the limit."""
    fields = ", ".join(f"change_event.{f}" for f in _CHANGE_FIELDS)
    # GAQL from constants and strftime literals (local_literal), no user input
    query = (f"SELECT {fields} FROM change_event WHERE change_event.change_date_time >= '{start}' "  # noqa: S608  # nosec B608: GAQL from constants and strftime literals
             f"AND change_event.change_date_time <= '{end}' ORDER BY change_event.change_date_time DESC "
             f"LIMIT {CHANGE_EVENT_LIMIT}")
    return query


def api_version(base_url: str) -> int | None:
    """The ``vNN`` of a base URL, when it names one."""
    match = _API_VERSION.search(base_url)
    return int(match.group(1)) if match else None


def customer_id(value: Any) -> str:
    """A customer id without dashes ("123-456-7890" -> "1234567890"); ValueError when it has no digits."""
    digits = _DIGITS.sub("", str(value))
    if not digits:
        raise ValueError(f"not a customer id: {value!r}")
    return digits


def time_zone(name: Any) -> tzinfo | None:
    """The customer's time zone, or None when unknown."""
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_local(value: Any, zone: tzinfo | None) -> datetime | None:
    """A Google Ads date-time (``YYYY-MM-DD HH:MM:SS[.ffffff]`` in the customer's zone) as aware UTC."""
    return utc_time(value, zone or UTC)


def local_literal(moment: datetime, zone: tzinfo | None) -> str:
    """A GAQL date-time literal for ``moment`` in the customer's zone."""
    return moment.astimezone(zone or UTC).strftime("%Y-%m-%d %H:%M:%S")


def customer_asset(cid: str, customer: Mapping[str, Any] | None) -> Asset:
    """A customer (ad account, or manager account) as an Asset; unread details stay out of raw."""
    raw = dict(customer or {})
    kind = "manager_account" if raw.get("manager") else "ad_account"
    return Asset(asset_id=cid, kind=kind, name=_text(raw.get("descriptiveName")), raw=raw)


def user_account(row: Mapping[str, Any], cid: str, zone: tzinfo | None) -> Account | None:
    """A CustomerUserAccess as a USER account (id = ``user_id``); None without a user id."""
    user_id = _text(row.get("userId"))
    if user_id is None:
        return None
    email = _text(row.get("emailAddress"))
    return Account(
        account_id=user_id,
        kind=AccountKind.USER,
        name=email,
        emails=(email,) if email else (),
        two_factor=True if row.get("passkeyEnabled") is True else None,
        created_at=parse_local(row.get("accessCreationDateTime"), zone),
        created_by=_text(row.get("inviterUserEmailAddress")),
        raw={"customers": {cid: dict(row)}},
    )


def merge_user(account: Account, other: Account, cid: str, row: Mapping[str, Any]) -> None:
    """Fold the same user's access to another customer into ``account``."""
    account.raw.setdefault("customers", {})[cid] = dict(row)
    if other.two_factor:
        account.two_factor = True
    if other.created_at and (account.created_at is None or other.created_at < account.created_at):
        account.created_at, account.created_by = other.created_at, other.created_by


def _role_grant(account_id: str, cid: str, role: str | None, **extra: Any) -> Grant:
    raw: dict[str, Any] = {"access_role": role}
    if role not in ACCESS_ROLES:
        raw["unknown_role"] = role
    return Grant(account_id=account_id, asset_id=cid, role=role or "UNKNOWN",
                 privileged=ACCESS_ROLES.get(role or "", False), raw=raw, **extra)


def user_grant(account_id: str, cid: str, row: Mapping[str, Any], zone: tzinfo | None) -> Grant:
    """The user's ``access_role`` on one customer."""
    grant = _role_grant(account_id, cid, _text(row.get("accessRole")),
                        granted_at=parse_local(row.get("accessCreationDateTime"), zone),
                        granted_by=_text(row.get("inviterUserEmailAddress")))
    if row.get("pendingMultiPartyAuthReview"):
        grant.raw["pending_multi_party_auth_review"] = row["pendingMultiPartyAuthReview"]
    return grant


def invitation_status(row: Mapping[str, Any]) -> str:
    """The invitation's status, upper case ("" when absent)."""
    return str(row.get("invitationStatus") or "").strip().upper()


def invitation_account(row: Mapping[str, Any], cid: str, zone: tzinfo | None) -> Account | None:
    """A pending invitation as an INVITATION account ``invite:<customer>:<id>``; None when closed or unusable.

    An unknown status is kept (state ``unknown``): the invitation may still be accepted.
    """
    status = invitation_status(row)
    invitation = _text(row.get("invitationId"))
    if invitation is None or status in INVITATION_CLOSED:
        return None
    email = _text(row.get("emailAddress"))
    return Account(
        account_id=f"invite:{cid}:{invitation}",
        kind=AccountKind.INVITATION,
        name=email,
        emails=(email,) if email else (),
        created_at=parse_local(row.get("creationDateTime"), zone),
        state="pending" if status == INVITATION_PENDING else "unknown",
        role=_text(row.get("accessRole")),
        raw=dict(row),
    )


def invitation_grant(account: Account, cid: str) -> Grant:
    """The role an invitation would give on its customer."""
    return _role_grant(account.account_id, cid, account.role, granted_at=account.created_at)


def event_from(row: Mapping[str, Any], cid: str, zone: tzinfo | None,
               by_email: Mapping[str, str]) -> AuditEvent | None:
    """A ChangeEvent as an AuditEvent (actor matched by ``user_email``); None without a readable time."""
    when = parse_local(row.get("changeDateTime"), zone)
    name = _text(row.get("resourceName"))
    if when is None or name is None:
        return None
    email = _text(row.get("userEmail"))
    operation = str(row.get("resourceChangeOperation") or "UNKNOWN")
    resource_type = str(row.get("changeResourceType") or "UNKNOWN")
    return AuditEvent(
        event_id=name,
        time=when,
        action="activity",
        raw_action=f"{operation} {resource_type}",
        actor_id=by_email.get(email.lower()) if email else None,
        actor_name=email,
        target_name=_text(row.get("changeResourceName")),
        asset_id=cid,
        raw=dict(row),
    )
