"""Tables of the web UI: the tool's own users, sessions, login throttling, recovery codes, audit trail and
the triage state of findings (assignment, acknowledgement, comments); plus four indexes on ``finding`` that
keep the findings list and the dashboard fast at 100,000 findings.

Created by migration ``0002_web`` (a branch off ``0001``; the database upgrades to "heads"). Importing this
module registers the tables in ``SQLModel.metadata``, which is what the autogenerate drift check compares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from auditor.storage.tables import Finding, UTCDateTime

_F = Finding.__table__
FINDING_LIST_INDEXES = (
    Index("ix_finding_list_order", _F.c.status, _F.c.severity_rank, _F.c.last_seen, _F.c.id),
    Index("ix_finding_status_first_seen", _F.c.status, _F.c.first_seen, _F.c.id),
    Index("ix_finding_status_category", _F.c.status, _F.c.category),
    Index("ix_finding_status_platform", _F.c.status, _F.c.platform),
)
"""Indexes on ``finding`` for the web UI's list (default sort, newest first, deep pages) and the dashboard's
counts by category and platform; created by migration 0002_web (declared here, so the drift check knows them).
"""

WEB_TABLES = (
    "web_user",
    "web_session",
    "web_login_throttle",
    "web_recovery_code",
    "web_audit",
    "finding_triage",
    "finding_comment",
)
"""The names of the tables this module (and migration 0002_web) defines."""


class WebUser(SQLModel, table=True):
    """A user of the tool itself, with a role, an argon2 password hash and an encrypted TOTP seed.

    ``totp_last_step`` is the last accepted TOTP time step: a code is accepted only when its step is newer
    (compare-and-set in one UPDATE), so a code works once.
    """

    __tablename__ = "web_user"
    __table_args__ = (UniqueConstraint("username", name="uq_web_user_username"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str
    display_name: str
    role: str  # admin | security_officer | hr | auditor
    password_hash: str = Field(sa_type=Text)
    totp_secret_enc: str | None = Field(default=None, sa_type=Text)
    totp_pending_enc: str | None = Field(default=None, sa_type=Text)
    totp_enrolled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(sa_type=UTCDateTime)
    password_changed_at: datetime = Field(sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    language: str | None = None  # the UI language chosen on the account page (en | pl); None: the browser's


class WebSession(SQLModel, table=True):
    """A server-side session; the cookie carries a random token, the table only its SHA-256 (``id``).

    ``stage`` is ``totp`` (password accepted, code pending), ``enrol`` (password accepted, TOTP enrolment
    pending) or ``full``. Deleting the rows of a user ends all of that user's sessions at once.
    """

    __tablename__ = "web_session"
    __table_args__ = (Index("ix_web_session_user", "user_id"),)

    id: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="web_user.id")
    stage: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ip: str | None = None
    user_agent: str | None = None


class WebLoginThrottle(SQLModel, table=True):
    """Failed (and in-flight) sign-in attempts per username, across sessions; ``locked_until`` when locked."""

    __tablename__ = "web_login_throttle"

    username: str = Field(primary_key=True)
    failures: int = 0
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class WebRecoveryCode(SQLModel, table=True):
    """One single-use recovery code, stored as a SHA-256 digest (the codes carry 80 random bits)."""

    __tablename__ = "web_recovery_code"
    __table_args__ = (
        UniqueConstraint("user_id", "code_hash", name="uq_web_recovery_code"),
        Index("ix_web_recovery_code_user", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="web_user.id")
    code_hash: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebAudit(SQLModel, table=True):
    """One action of a tool user (append-only: the UI has no way to edit or delete these rows)."""

    __tablename__ = "web_audit"
    __table_args__ = (
        Index("ix_web_audit_at", "at"),
        Index("ix_web_audit_action", "action"),
        Index("ix_web_audit_actor", "actor"),
        Index("ix_web_audit_target", "target_kind", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str | None = None
    actor_role: str | None = None
    action: str
    outcome: str = "ok"  # ok | failed | denied
    target_kind: str | None = None
    target_id: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    ip: str | None = None


class FindingTriage(SQLModel, table=True):
    """The triage state of one finding: who it is assigned to and whether someone acknowledged it."""

    __tablename__ = "finding_triage"
    __table_args__ = (Index("ix_finding_triage_assignee", "assignee"),)

    finding_id: int = Field(primary_key=True, foreign_key="finding.id")
    assignee: str | None = None
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: str | None = None
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str


class FindingComment(SQLModel, table=True):
    """A comment on a finding."""

    __tablename__ = "finding_comment"
    __table_args__ = (Index("ix_finding_comment_finding", "finding_id"),)

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id")
    at: datetime = Field(sa_type=UTCDateTime)
    author: str
    body: str = Field(sa_type=Text)
