"""Tables of HR offboarding (cases, their items and checks, webhook event ids, revocations) and of the
scheduler (the run ledger, the SQLite job lock, and APScheduler's own job table).

Created by migration ``0004_offboarding`` (a branch off ``0001``; the database upgrades to "heads"). Importing
this module registers the tables in ``SQLModel.metadata``, which is what the autogenerate drift check compares.

``apscheduler_jobs`` is declared here exactly as APScheduler 3's ``SQLAlchemyJobStore`` declares it, so the
schema stays under Alembic (the job store's own ``CREATE TABLE IF NOT EXISTS`` then finds it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, Float, Index, LargeBinary, Table, Text, Unicode, UniqueConstraint
from sqlmodel import Field, SQLModel

from auditor.storage.tables import UTCDateTime

OFFBOARDING_TABLES = (
    "offboarding_case", "offboarding_event", "offboarding_item", "offboarding_check", "offboarding_revocation",
    "offboarding_revocation_call", "scheduler_run", "scheduler_lock", "apscheduler_jobs",
)
"""The names of the tables this module (and migration 0004_offboarding) defines."""


class OffboardingCase(SQLModel, table=True):
    """One leaver's case: opened by HR, checked until every item is gone, then closed as clean.

    ``open_key`` is the uid while the case is open and NULL once closed: its unique constraint allows one
    open case per person (NULLs never collide). ``deadline`` is when access must be gone; ``escalated_at``
    is set once, when a check found access past it.
    """

    __tablename__ = "offboarding_case"
    __table_args__ = (
        UniqueConstraint("open_key", name="uq_offboarding_case_open_key"),
        Index("ix_offboarding_case_uid", "uid"),
        Index("ix_offboarding_case_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str
    open_key: str | None = None
    display_name: str | None = None
    emails: list[str] = Field(default_factory=list, sa_type=JSON)
    last_working_day: date = Field(sa_type=Date)
    manager: str | None = None
    source: str  # webhook | cli | web
    opened_by: str
    opened_at: datetime = Field(sa_type=UTCDateTime)
    deadline: datetime = Field(sa_type=UTCDateTime)
    status: str = "open"  # open | closed
    resolution: str | None = None  # clean
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalation_finding: str | None = None  # fingerprint of the critical finding
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checks: int = 0
    evidence_report_id: str | None = None
    evidence_path: str | None = Field(default=None, sa_type=Text)
    evidence_error: str | None = Field(default=None, sa_type=Text)


class OffboardingEvent(SQLModel, table=True):
    """A webhook event id already accepted (a replay answers with its case and changes nothing)."""

    __tablename__ = "offboarding_event"
    __table_args__ = (Index("ix_offboarding_event_received_at", "received_at"),)

    event_id: str = Field(primary_key=True)
    case_id: int = Field(foreign_key="offboarding_case.id")
    received_at: datetime = Field(sa_type=UTCDateTime)
    body_sha256: str


class OffboardingItem(SQLModel, table=True):
    """One thing the leaver holds on a platform: an account, an invitation, a grant or an app.

    ``state`` is ``present`` (seen in the latest check, or in the last scan until the first check), ``gone``
    (``gone_at``: the first check that no longer saw it) or ``unverified`` (its platform could not be read
    completely in the latest check). ``object_id`` is the asset id of a grant ('' for a tenant role) or
    ``app_id|token_ref`` of an app ('' for accounts and invitations).
    """

    __tablename__ = "offboarding_item"
    __table_args__ = (
        UniqueConstraint("case_id", "platform", "tenant", "kind", "account_id", "object_id", "role",
                         name="uq_offboarding_item_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="offboarding_case.id")
    platform: str
    tenant: str
    kind: str  # account | invitation | grant | app
    account_id: str
    object_id: str = ""
    role: str = ""
    label: str = Field(sa_type=Text)
    privileged: bool = False
    state: str  # present | gone | unverified
    source: str = "check"  # inventory | check
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    gone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class OffboardingCheck(SQLModel, table=True):
    """How one platform answered one targeted check of one case (the history of checks is the evidence)."""

    __tablename__ = "offboarding_check"
    __table_args__ = (Index("ix_offboarding_check_case", "case_id", "checked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="offboarding_case.id")
    platform: str
    tenant: str | None = None
    checked_at: datetime = Field(sa_type=UTCDateTime)
    status: str  # complete | partial | failed
    errors: list[str] = Field(default_factory=list, sa_type=JSON)
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    seconds: float | None = None


class OffboardingRevocation(SQLModel, table=True):
    """A revocation the tool proposed; it runs only after a security officer (not the case's opener) approved.

    ``status``: proposed -> approved -> executed | failed, or proposed -> rejected.
    """

    __tablename__ = "offboarding_revocation"
    __table_args__ = (
        UniqueConstraint("case_id", "platform", "action", "target", name="uq_offboarding_revocation_key"),
        Index("ix_offboarding_revocation_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="offboarding_case.id")
    platform: str
    tenant: str
    action: str  # e.g. remove_business_user, cancel_invitation
    target: str  # the platform's id of what the call removes
    label: str = Field(sa_type=Text)
    status: str = "proposed"
    proposed_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: str | None = None
    decided_role: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, sa_type=Text)
    executed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=Text)


class OffboardingRevocationCall(SQLModel, table=True):
    """One platform API call made to carry out a revocation (method, path without query, outcome)."""

    __tablename__ = "offboarding_revocation_call"
    __table_args__ = (Index("ix_offboarding_revocation_call_revocation", "revocation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    revocation_id: int = Field(foreign_key="offboarding_revocation.id")
    at: datetime = Field(sa_type=UTCDateTime)
    method: str
    path: str = Field(sa_type=Text)
    status: int | None = None
    outcome: str  # ok | error
    detail: str | None = Field(default=None, sa_type=Text)


class SchedulerRun(SQLModel, table=True):
    """One claimed run of one scheduled job: the unique (job, scheduled time) is what stops a second
    scheduler from running the same run again."""

    __tablename__ = "scheduler_run"
    __table_args__ = (
        UniqueConstraint("job_id", "scheduled_for", name="uq_scheduler_run_slot"),
        Index("ix_scheduler_run_started_at", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job_id: str
    scheduled_for: datetime = Field(sa_type=UTCDateTime)
    owner: str
    status: str  # running | done | failed | skipped | abandoned
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, sa_type=Text)


class SchedulerLock(SQLModel, table=True):
    """A job lock on SQLite (PostgreSQL uses advisory locks): held while ``heartbeat_at`` stays fresh."""

    __tablename__ = "scheduler_lock"

    name: str = Field(primary_key=True)
    owner: str
    acquired_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)


APSCHEDULER_JOBS = Table(
    "apscheduler_jobs",
    SQLModel.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
"""APScheduler 3's job table, column for column (``SQLAlchemyJobStore`` default ``tablename``)."""
