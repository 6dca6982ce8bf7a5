"""Tables of access-review campaigns: campaigns, their frozen items and decisions, recurring templates and
asset / platform owners.

Created by migration ``0006_reviews`` (a branch off ``0001``; the database upgrades to "heads"). Importing
this module registers the tables in ``SQLModel.metadata`` (``storage.tables.metadata()`` finds it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from auditor.storage.tables import UTCDateTime

REVIEW_TABLES = ("review_campaign", "review_item", "review_template", "review_owner")
"""The names of the tables this module (and migration 0006_reviews) defines."""


class ReviewCampaign(SQLModel, table=True):
    """One campaign: its scope, reviewer assignment, due date, the scan its items were frozen from.

    ``reminders`` maps a reminder stage (``start``, ``before``, ``after``) to when it was sent.
    """

    __tablename__ = "review_campaign"
    __table_args__ = (Index("ix_review_campaign_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    scope: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reviewer_mode: str  # manager | owner
    fallback_reviewer: str
    owner: str  # who started it (a tool user)
    status: str = "open"  # open | completed
    started_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scan_id: int | None = None
    template_id: int | None = None
    reminders: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    evidence_report_id: str | None = None
    evidence_path: str | None = Field(default=None, sa_type=Text)


class ReviewItem(SQLModel, table=True):
    """One frozen grant to review, its context at start, its reviewer, decision and follow-through.

    ``follow_up`` is None unless the decision is ``revoke``: ``pending`` until a complete scan of the
    platform after the decision, then ``done`` (seen gone: ``gone_at``, ``confirmed_scan_id``) or
    ``overdue`` (that scan still saw it).
    """

    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("campaign_id", "platform", "tenant", "account_id", "asset_id", "role",
                         name="uq_review_item_key"),
        Index("ix_review_item_reviewer", "reviewer", "campaign_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="review_campaign.id")
    person_uid: str
    person_name: str | None = None
    person_status: str | None = None
    departure: date | None = Field(default=None, sa_type=Date)
    platform: str
    tenant: str
    account_id: str
    account_name: str | None = None
    asset_id: str = ""
    asset_name: str | None = None
    role: str
    privileged: bool = False
    last_activity: datetime | None = Field(default=None, sa_type=UTCDateTime)
    two_factor: bool | None = None
    open_findings: int = 0
    reviewer: str
    delegated_from: str | None = None
    delegation_reason: str | None = Field(default=None, sa_type=Text)
    decision: str | None = None  # keep | revoke | change_role
    new_role: str | None = None
    comment: str | None = Field(default=None, sa_type=Text)
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    follow_up: str | None = None  # pending | done | overdue
    confirmed_scan_id: int | None = None
    gone_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewTemplate(SQLModel, table=True):
    """A recurring campaign: the scheduler starts one from it at each ``cron`` time (``next_run_at``)."""

    __tablename__ = "review_template"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    scope: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    reviewer_mode: str
    fallback_reviewer: str
    owner: str
    cron: str
    due_days: int = 14
    next_run_at: datetime = Field(sa_type=UTCDateTime)
    last_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReviewOwner(SQLModel, table=True):
    """Who owns an asset (``asset_id``) or a whole platform (``asset_id`` ''): its reviewer in owner mode."""

    __tablename__ = "review_owner"
    __table_args__ = (UniqueConstraint("platform", "asset_id", name="uq_review_owner_key"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    asset_id: str = ""
    owner_uid: str
