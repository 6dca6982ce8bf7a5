"""Access reviews: campaigns, their frozen items and decisions, recurring templates, asset owners.

Revision ID: 0006_reviews
Revises: 0001
Create Date: 2026-11-26

Frozen copy of ``auditor/reviews/tables.py`` at this revision (a branch off 0001: upgrade to "heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reviews"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=True)


def _int(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def upgrade() -> None:
    """Create the review tables and their indexes."""
    op.create_table(
        "review_campaign",
        _id(), _str("name"), sa.Column("scope", sa.JSON(), nullable=False), _str("reviewer_mode"),
        _str("fallback_reviewer"), _str("owner"), _str("status"), _when("started_at"), _when("due_at"),
        _when("completed_at", True), _int("scan_id", True), _int("template_id", True),
        sa.Column("reminders", sa.JSON(), nullable=False), _str("evidence_report_id", True), _text("evidence_path"),
    )
    op.create_index("ix_review_campaign_status", "review_campaign", ["status"])
    op.create_table(
        "review_item",
        _id(), sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("review_campaign.id"), nullable=False),
        _str("person_uid"), _str("person_name", True), _str("person_status", True),
        sa.Column("departure", sa.Date(), nullable=True), _str("platform"), _str("tenant"), _str("account_id"),
        _str("account_name", True), _str("asset_id"), _str("asset_name", True), _str("role"),
        sa.Column("privileged", sa.Boolean(), nullable=False), _when("last_activity", True),
        sa.Column("two_factor", sa.Boolean(), nullable=True), _int("open_findings"), _str("reviewer"),
        _str("delegated_from", True), _text("delegation_reason"), _str("decision", True), _str("new_role", True),
        _text("comment"), _str("decided_by", True), _when("decided_at", True), _str("follow_up", True),
        _int("confirmed_scan_id", True), _when("gone_at", True),
        sa.UniqueConstraint("campaign_id", "platform", "tenant", "account_id", "asset_id", "role",
                            name="uq_review_item_key"),
    )
    op.create_index("ix_review_item_reviewer", "review_item", ["reviewer", "campaign_id"])
    op.create_table(
        "review_template",
        _id(), _str("name"), sa.Column("scope", sa.JSON(), nullable=False), _str("reviewer_mode"),
        _str("fallback_reviewer"), _str("owner"), _str("cron"), _int("due_days"), _when("next_run_at"),
        _when("last_run_at", True),
    )
    op.create_table(
        "review_owner",
        _id(), _str("platform"), _str("asset_id"), _str("owner_uid"),
        sa.UniqueConstraint("platform", "asset_id", name="uq_review_owner_key"),
    )


def downgrade() -> None:
    """Drop the review tables (items before campaigns)."""
    op.drop_index("ix_review_item_reviewer", table_name="review_item")
    op.drop_table("review_item")
    op.drop_index("ix_review_campaign_status", table_name="review_campaign")
    for table in ("review_campaign", "review_template", "review_owner"):
        op.drop_table(table)
