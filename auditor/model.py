"""The normalised model: plain dataclasses shared by the directory, connectors, policy engine and storage.

Unknown is not false: anything a platform may not expose is ``None`` (tri-state), never a default.
All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class PersonKind(enum.StrEnum):
    """What a directory entry stands for."""

    EMPLOYEE = "employee"
    CONTRACTOR = "contractor"
    SERVICE = "service"


class PersonStatus(enum.StrEnum):
    """Directory status of a person; ``departed`` also covers entries that vanished from the directory."""

    ACTIVE = "active"
    DISABLED = "disabled"
    DEPARTED = "departed"


class AccountKind(enum.StrEnum):
    """What kind of principal a platform account is."""

    USER = "user"
    SYSTEM_USER = "system_user"
    INVITATION = "invitation"
    APP = "app"
    PARTNER = "partner"  # another business (agency, client) holding assets through a partnership


class Severity(enum.StrEnum):
    """Finding severity, ordered by ``rank``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return _SEVERITY_RANKS[self]


_SEVERITY_RANKS = {severity: rank for rank, severity in enumerate(Severity)}

CATEGORIES: tuple[str, ...] = (
    "orphaned_access",
    "post_departure_activity",
    "unmatched_account",
    "personal_email",
    "missing_2fa",
    "tenant_2fa_not_enforced",
    "excess_app_scope",
    "unapproved_app",
    "dormant_access",
    "excess_admins",
    "contract_expired",
    "ownerless_service_account",
    "stale_invitation",
    "partner_access",
    "could_not_verify",
    "duplicate_identity",
)
"""The fixed vocabulary of finding categories (a public contract)."""


@dataclass(slots=True)
class Person:
    """A person from the company directory."""

    uid: str
    display_name: str
    emails: tuple[str, ...] = ()
    department: str | None = None
    manager: str | None = None
    kind: PersonKind = PersonKind.EMPLOYEE
    status: PersonStatus = PersonStatus.ACTIVE
    status_changed: datetime | None = None
    end_date: date | None = None
    dn: str | None = None
    duplicates: tuple[str, ...] = ()  # DNs of every entry holding this uid, when the directory holds several
    groups: tuple[str, ...] | None = None  # DNs of the directory groups held, nested ones included; None: not read


@dataclass(slots=True)
class Capabilities:
    """What a platform exposes; ``False`` means the platform does not tell (not that the fetch failed)."""

    per_user_2fa: bool = False
    tenant_2fa: bool = False
    app_scopes: bool = False
    audit_log: bool = False
    account_emails: bool = False
    audit_log_asset_kinds: tuple[str, ...] | None = None  # asset kinds the log covers; None: the whole tenant
    invitation_dates: bool = True  # the platform tells when a pending invitation was sent
    activity_from_log: bool = False  # the connector sets ``Account.last_activity`` from the log's events
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class Tenant:
    """One business / organisation / shop on one platform."""

    platform: str
    tenant_id: str
    name: str
    two_factor_required: str | None = None  # "all" | "admins" | "none" | None (unknown)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Account:
    """A principal on a platform: human user, system user, pending invitation or app."""

    account_id: str
    kind: AccountKind
    name: str | None = None
    emails: tuple[str, ...] = ()
    two_factor: bool | None = None
    last_activity: datetime | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    state: str = "active"  # active | pending | ...
    role: str | None = None  # tenant-level role, when the platform has one
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Asset:
    """What can be held: page, ad account, Instagram account, WhatsApp business account, ..."""

    asset_id: str
    kind: str
    name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Grant:
    """Account holds ``role`` on an asset (``asset_id`` None means on the tenant itself)."""

    account_id: str
    asset_id: str | None
    role: str
    privileged: bool
    granted_at: datetime | None = None
    granted_by: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class App:
    """A connected application or token with its scopes."""

    app_id: str
    name: str | None = None
    scopes: tuple[str, ...] | None = None  # None: the platform does not tell
    granted_by: str | None = None  # account id of the authorising user, when known
    last_used: datetime | None = None
    token_ref: str | None = None  # config name of the inspected token ("self" for the auditor's own)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AuditEvent:
    """One audit-log entry, with a small normalised ``action`` and the platform's raw action."""

    event_id: str
    time: datetime
    action: str  # role_granted, role_revoked, login, mfa_disabled, app_authorized, activity, ...
    raw_action: str
    actor_id: str | None = None
    actor_name: str | None = None
    target_id: str | None = None
    target_name: str | None = None
    asset_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class TenantSnapshot:
    """Everything one connector read about one tenant in one fetch.

    ``complete`` is False when any part of the fetch failed; ``errors`` then says what. A partial snapshot
    may still carry what was read, but reconciliation resolves nothing in its scope.
    """

    platform: str  # the configured platform name
    kind: str  # connector kind, e.g. "meta"
    tenant: Tenant
    capabilities: Capabilities
    accounts: list[Account] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    apps: list[App] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)
    activity_since: datetime | None = None  # the audit log is complete from this time on
    complete: bool = True
    errors: list[str] = field(default_factory=list)
    incomplete_scopes: dict[str, str] = field(default_factory=dict)
    """The parts read incompletely, each with its reason: ``tenant`` (tenant-level lists: users, invitations,
    apps, partners), ``asset:<id>`` (that asset's holders), ``account:<id>`` (that principal's assignments),
    ``events`` (the audit log). A snapshot that is not ``complete`` and names no scope failed as a whole."""

    def scope_failed(self, scope: str, reason: str) -> None:
        """Record that ``scope`` could not be read completely (the snapshot is then not complete). Several
        readers may fail the same scope: every reason is kept, joined with "; "."""
        self.complete = False
        known = self.incomplete_scopes.get(scope)
        if known is None:
            self.incomplete_scopes[scope] = reason
        elif reason not in known:
            self.incomplete_scopes[scope] = f"{known}; {reason}"
        if reason not in self.errors:
            self.errors.append(reason)


def failures_confined_to_scopes(incomplete_scopes: Mapping[str, str], errors: Iterable[str]) -> bool:
    """True when scopes are named and every error is one of their reasons (the tenant failed only in part);
    False when nothing is named or some error stands outside every scope (the tenant failed as a whole)."""
    if not incomplete_scopes:
        return False
    reasons = " | ".join(incomplete_scopes.values())
    return all(error in reasons for error in errors)


@dataclass(slots=True)
class Verdict:
    """The policy engine's judgement of one subject by one rule.

    ``outcome`` is "fail", "pass" or "unknown"; only "fail" and "unknown" are kept by the engine.
    ``subject`` is the stable key of what was judged (with rule, platform and tenant it makes the fingerprint).
    """

    rule: str
    category: str
    severity: Severity
    outcome: str
    subject: str
    platform: str | None
    tenant: str | None
    message: str
    account: str | None = None
    account_email: str | None = None
    person: str | None = None
    asset: str | None = None
    role: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
