"""Tables of the identities area: markings of platform accounts made in the web UI, and saved views.

Links of an account to a person made in the web UI are stored in the scan's own ``manual_link`` table
(``storage.tables.ManualLinkRow``), which every scan already reads; this module adds what that table cannot
say. Created by migration ``0009_identities`` (a branch off ``0001``; the database upgrades to "heads").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from auditor.storage.tables import UTCDateTime

IDENTITY_TABLES = ("identity_marking", "saved_view")
"""The names of the tables this module (and migration 0009_identities) defines."""

AGENCY = "agency"
SERVICE = "service"
MARKING_KINDS = (AGENCY, SERVICE)


class IdentityMarking(SQLModel, table=True):
    """A platform account marked as an agency / external person's account or as a service account.

    Both name the ``owner`` (a directory uid) who answers for it; an agency marking ends on ``expires_on``
    (from that day the account is judged as unmatched again). One marking per account.
    """

    __tablename__ = "identity_marking"
    __table_args__ = (
        UniqueConstraint("platform", "account_id", name="uq_identity_marking_account"),
        Index("ix_identity_marking_owner", "owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    account_id: str
    kind: str  # agency | service
    owner: str
    agency: str | None = None  # the outside company, for agency accounts
    expires_on: date | None = Field(default=None, sa_type=Date)
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str


class SavedView(SQLModel, table=True):
    """A user's named findings filter (the list's query string)."""

    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("username", "name", name="uq_saved_view_name"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str
    name: str
    query: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
