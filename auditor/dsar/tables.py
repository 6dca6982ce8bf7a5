"""Tables of the data-subject-request register: requests, clock stops, the request's history, answer packs.

Created by migration ``0005_dsar`` (a branch off ``0001``; the database upgrades to "heads"). Importing this
module registers the tables in ``SQLModel.metadata``, which is what the autogenerate drift check compares.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Text
from sqlmodel import Field, SQLModel

from auditor.storage.tables import UTCDateTime

DSAR_TABLES = ("dsar_request", "dsar_clock_stop", "dsar_event", "dsar_pack")
"""The names of the tables this module (and migration 0005_dsar) defines."""


class DsarRequest(SQLModel, table=True):
    """One request of a data subject (access, erasure or rectification) and where it stands.

    ``received_on`` is the calendar day of receipt in the controller's time zone (day one of the Art. 12(3)
    period); ``due_on`` caches the due date computed at the last change (the register recomputes it on read,
    because an open clock stop moves it every day). ``subject_handles`` maps a configured platform name to the
    subject's account ids or handles there. ``decision`` records an erasure decision and its legal basis.
    """

    __tablename__ = "dsar_request"
    __table_args__ = (
        Index("ix_dsar_request_status", "status"),
        Index("ix_dsar_request_due_on", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_type: str  # access | erasure | rectification
    subject_name: str = Field(sa_type=Text)
    subject_emails: list[str] = Field(default_factory=list, sa_type=JSON)
    subject_handles: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    subject_uid: str | None = None
    channel: str
    received_at: datetime = Field(sa_type=UTCDateTime)
    received_on: date = Field(sa_type=Date)
    status: str
    owner: str | None = None
    identity_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    identity_verified_by: str | None = None
    identity_method: str | None = Field(default=None, sa_type=Text)
    extension_reason: str | None = Field(default=None, sa_type=Text)
    extension_notice_on: date | None = Field(default=None, sa_type=Date)
    due_on: date = Field(sa_type=Date)
    language: str | None = None
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    close_reason: str | None = Field(default=None, sa_type=Text)
    response_channel: str | None = None
    pack_sha256: str | None = None
    decision: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DsarClockStop(SQLModel, table=True):
    """The Art. 12(3) clock stood still from ``stopped_on`` (the day the controller asked) to ``resumed_on``."""

    __tablename__ = "dsar_clock_stop"
    __table_args__ = (Index("ix_dsar_clock_stop_request", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="dsar_request.id")
    reason: str  # identity | clarification
    stopped_on: date = Field(sa_type=Date)
    resumed_on: date | None = Field(default=None, sa_type=Date)
    note: str | None = Field(default=None, sa_type=Text)
    created_by: str


class DsarEvent(SQLModel, table=True):
    """One entry of a request's history: opened, identity verified, clock stopped, extended, pack, closed ..."""

    __tablename__ = "dsar_event"
    __table_args__ = (Index("ix_dsar_event_request_at", "request_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="dsar_request.id")
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    kind: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    note: str | None = Field(default=None, sa_type=Text)


class DsarPack(SQLModel, table=True):
    """One answer pack handed out: its files with their SHA-256 and the SHA-256 of the whole pack."""

    __tablename__ = "dsar_pack"
    __table_args__ = (Index("ix_dsar_pack_request", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="dsar_request.id")
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str
    language: str
    sha256: str
    files: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    holds_data: bool = False
