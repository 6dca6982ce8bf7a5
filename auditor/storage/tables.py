"""The SQLModel tables: scans, directory history, inventory, audit events, findings and risk acceptances.

Every datetime column is ``UTCDateTime``: values are stored in UTC and always come back timezone-aware.
Inventory tables are keyed by (platform, tenant, natural id) and keep ``first_seen`` / ``last_seen`` /
``gone_at`` (None while present). Migration ``0001_initial`` creates exactly these tables; a test checks
that autogenerate against a migrated database finds no difference.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index, MetaData, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC (naive UTC on SQLite, ``timestamptz`` on PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; convert aware ones to UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} (timezone-aware UTC expected)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def metadata() -> MetaData:
    """The metadata holding every table of the project (what migrations are compared with).

    Each workflow area keeps its tables in its own ``auditor/<area>/tables.py`` (and its own migration
    branch); every such module is found and imported here, so the set is complete wherever the metadata is
    used and a new area needs no line in storage.
    """
    import auditor

    for area in pkgutil.iter_modules(auditor.__path__):
        name = f"auditor.{area.name}.tables"
        if area.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return SQLModel.metadata


# --------------------------------------------------------------------------------------------------- scans


class Scan(SQLModel, table=True):
    """One scan run: when, why, how it ended, and summary counts."""

    __tablename__ = "scan"
    __table_args__ = (Index("ix_scan_started_at", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: str  # running | complete | partial | failed
    trigger: str = "manual"
    error: str | None = Field(default=None, sa_type=Text)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    policy_hashes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ScanPlatform(SQLModel, table=True):
    """How one platform tenant fared in one scan."""

    __tablename__ = "scan_platform"
    __table_args__ = (Index("ix_scan_platform_scan", "scan_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scan_id: int = Field(foreign_key="scan.id")
    platform: str
    kind: str
    tenant: str
    tenant_name: str | None = None
    two_factor_required: str | None = None
    status: str  # complete | partial | failed
    errors: list[str] = Field(default_factory=list, sa_type=JSON)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    capabilities: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    activity_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    incomplete_scopes: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    """The scopes read incompletely (``tenant``, ``asset:<id>``, ``account:<id>``, ``events``) -> why."""
    events_through: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The audit log is complete from ``activity_since`` to this time (None: not read completely)."""
    input_key: str | None = Field(default=None, max_length=64)
    """Digest of everything this platform's findings were judged on (``services.scan_inputs``)."""
    unchanged_since: int | None = None
    """The scan whose reading this row carries over (its input key had not moved); None: read and judged."""


# ----------------------------------------------------------------------------------------------- directory


class DirectoryPerson(SQLModel, table=True):
    """A person as last read from the directory; people who vanished stay, as departed."""

    __tablename__ = "directory_person"
    __table_args__ = (Index("ix_directory_person_status", "status"),)

    uid: str = Field(primary_key=True)
    display_name: str
    emails: list[str] = Field(default_factory=list, sa_type=JSON)
    department: str | None = None
    manager: str | None = None
    kind: str = "employee"
    status: str = "active"
    status_changed: datetime | None = Field(default=None, sa_type=UTCDateTime)
    end_date: date | None = Field(default=None, sa_type=Date)
    dn: str | None = Field(default=None, sa_type=Text)
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    vanished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PeopleSync(SQLModel, table=True):
    """The last directory sync (one row): the digest of the people it was given, so a scan handed the same
    people can tell the stored directory is already exactly theirs (``storage.people``)."""

    __tablename__ = "people_sync"

    id: int | None = Field(default=None, primary_key=True)
    read_digest: str = Field(max_length=64)
    synced_at: datetime = Field(sa_type=UTCDateTime)


class PersonChange(SQLModel, table=True):
    """One changed directory field of one person (the directory's history)."""

    __tablename__ = "person_change"
    __table_args__ = (Index("ix_person_change_uid_at", "uid", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    uid: str
    at: datetime = Field(sa_type=UTCDateTime)
    field: str
    old: str | None = Field(default=None, sa_type=Text)
    new: str | None = Field(default=None, sa_type=Text)
    scan_id: int | None = None


# ----------------------------------------------------------------------------------------------- inventory


class InvAccount(SQLModel, table=True):
    """A platform account (user, system user, invitation, app) with its linked directory person."""

    __tablename__ = "inv_account"
    __table_args__ = (
        UniqueConstraint("platform", "tenant", "account_id", name="uq_inv_account_key"),
        Index("ix_inv_account_person", "person_uid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    tenant: str
    account_id: str
    kind: str
    name: str | None = None
    emails: list[str] = Field(default_factory=list, sa_type=JSON)
    two_factor: bool | None = None
    last_activity: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str | None = None
    state: str = "active"
    role: str | None = None
    person_uid: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    gone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest: str | None = None  # hash of the compared columns (a rescan writes only rows whose digest moved)


class InvAsset(SQLModel, table=True):
    """A page, ad account, Instagram account, catalog ... on a platform."""

    __tablename__ = "inv_asset"
    __table_args__ = (UniqueConstraint("platform", "tenant", "asset_id", name="uq_inv_asset_key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    tenant: str
    asset_id: str
    kind: str
    name: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    gone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest: str | None = None  # hash of the compared columns (a rescan writes only rows whose digest moved)


class InvGrant(SQLModel, table=True):
    """Account holds role on an asset (``asset_id`` is '' for a tenant-level role)."""

    __tablename__ = "inv_grant"
    __table_args__ = (
        UniqueConstraint("platform", "tenant", "account_id", "asset_id", "role", name="uq_inv_grant_key"),
        Index("ix_inv_grant_asset", "platform", "tenant", "asset_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    tenant: str
    account_id: str
    asset_id: str = ""
    role: str
    privileged: bool = False
    granted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    granted_by: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    gone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest: str | None = None  # hash of the compared columns (a rescan writes only rows whose digest moved)


class InvApp(SQLModel, table=True):
    """A connected app or inspected token (``token_ref`` '' when the app was listed, not inspected)."""

    __tablename__ = "inv_app"
    __table_args__ = (
        UniqueConstraint("platform", "tenant", "app_id", "token_ref", name="uq_inv_app_key"),
        Index("ix_inv_app_granted_by", "platform", "tenant", "granted_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    tenant: str
    app_id: str
    token_ref: str = ""
    name: str | None = None
    scopes: list[str] | None = Field(default=None, sa_type=JSON)
    granted_by: str | None = None
    last_used: datetime | None = Field(default=None, sa_type=UTCDateTime)
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    gone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    digest: str | None = None  # hash of the compared columns (a rescan writes only rows whose digest moved)


class AuditEventRow(SQLModel, table=True):
    """One platform audit-log entry (append-only, unique per platform + tenant + event id)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        UniqueConstraint("platform", "tenant", "event_id", name="uq_audit_event_key"),
        Index("ix_audit_event_time", "platform", "tenant", "time"),
        Index("ix_audit_event_actor", "actor_id"),
        Index("ix_audit_event_target", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    tenant: str
    event_id: str
    time: datetime = Field(sa_type=UTCDateTime)
    action: str
    raw_action: str
    actor_id: str | None = None
    actor_name: str | None = None
    target_id: str | None = None
    target_name: str | None = None
    asset_id: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    scan_id: int | None = None


# ------------------------------------------------------------------------------------------------ findings


class Finding(SQLModel, table=True):
    """A finding with a stable fingerprint, its lifecycle status and the evidence it was last judged on."""

    __tablename__ = "finding"
    __table_args__ = (
        UniqueConstraint("fingerprint", name="uq_finding_fingerprint"),
        Index("ix_finding_status_severity", "status", "severity_rank"),
        Index("ix_finding_category", "category"),
        Index("ix_finding_platform", "platform"),
        Index("ix_finding_person", "person"),
        Index("ix_finding_rule", "rule"),
    )

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str
    rule: str
    category: str
    severity: str
    severity_rank: int = 0
    outcome: str = "fail"  # fail | unknown
    status: str  # open | resolved | accepted
    subject: str
    platform: str | None = None
    tenant: str | None = None
    account: str | None = None
    account_email: str | None = None
    person: str | None = None
    asset: str | None = None
    role: str | None = None
    message: str = Field(sa_type=Text)
    evidence: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    first_scan_id: int | None = None
    last_scan_id: int | None = None
    exception_id: str | None = None


class FindingEvent(SQLModel, table=True):
    """One lifecycle change of one finding in one scan."""

    __tablename__ = "finding_event"
    __table_args__ = (
        Index("ix_finding_event_finding", "finding_id"),
        Index("ix_finding_event_scan", "scan_id", "change"),
    )

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id")
    scan_id: int | None = Field(default=None, foreign_key="scan.id")
    at: datetime = Field(sa_type=UTCDateTime)
    change: str  # opened | reopened | resolved | still_open | muted | unmuted | exception_expired


class RiskExceptionRow(SQLModel, table=True):
    """A risk acceptance added from the web UI (the YAML file holds the others)."""

    __tablename__ = "risk_exception"
    __table_args__ = (Index("ix_risk_exception_rule", "rule"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str
    fingerprint: str | None = None
    platform: str | None = None
    account: str | None = None
    asset: str | None = None
    person: str | None = None
    reason: str = Field(sa_type=Text)
    approved_by: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_on: date = Field(sa_type=Date)


class ManualLinkRow(SQLModel, table=True):
    """A platform account linked to a directory person by hand (from the web UI)."""

    __tablename__ = "manual_link"
    __table_args__ = (
        Index("ix_manual_link_uid", "uid"),
        Index("ix_manual_link_account", "platform", "account_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    account_id: str | None = None
    email: str | None = None
    uid: str
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
