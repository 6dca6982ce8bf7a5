"""DSAR: the register of data-subject requests, their clock stops, history and answer packs.

Revision ID: 0005_dsar
Revises: 0001
Create Date: 2026-11-25

Frozen copy of ``auditor/dsar/tables.py`` at this revision (a branch off 0001: upgrade to "heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_dsar"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _day(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Date(), nullable=nullable)


def _str(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _json(name: str) -> sa.Column:
    return sa.Column(name, sa.JSON(), nullable=False)


def _request_id() -> sa.Column:
    return sa.Column("request_id", sa.Integer(), sa.ForeignKey("dsar_request.id"), nullable=False)


def upgrade() -> None:
    """Create the DSAR tables and their indexes."""
    op.create_table(
        "dsar_request",
        _id(),
        _str("request_type", False),
        _text("subject_name", False),
        _json("subject_emails"),
        _json("subject_handles"),
        _str("subject_uid"),
        _str("channel", False),
        _when("received_at"),
        _day("received_on"),
        _str("status", False),
        _str("owner"),
        _when("identity_verified_at", nullable=True),
        _str("identity_verified_by"),
        _text("identity_method"),
        _text("extension_reason"),
        _day("extension_notice_on", nullable=True),
        _day("due_on"),
        _str("language"),
        _when("closed_at", nullable=True),
        _text("close_reason"),
        _str("response_channel"),
        _str("pack_sha256"),
        _json("decision"),
        _when("created_at"),
        _str("created_by", False),
        _when("updated_at"),
    )
    op.create_index("ix_dsar_request_status", "dsar_request", ["status"])
    op.create_index("ix_dsar_request_due_on", "dsar_request", ["due_on"])
    op.create_table(
        "dsar_clock_stop",
        _id(),
        _request_id(),
        _str("reason", False),
        _day("stopped_on"),
        _day("resumed_on", nullable=True),
        _text("note"),
        _str("created_by", False),
    )
    op.create_index("ix_dsar_clock_stop_request", "dsar_clock_stop", ["request_id"])
    op.create_table(
        "dsar_event",
        _id(),
        _request_id(),
        _when("at"),
        _str("actor", False),
        _str("kind", False),
        _json("detail"),
        _text("note"),
    )
    op.create_index("ix_dsar_event_request_at", "dsar_event", ["request_id", "at"])
    op.create_table(
        "dsar_pack",
        _id(),
        _request_id(),
        _when("created_at"),
        _str("created_by", False),
        _str("language", False),
        _str("sha256", False),
        _json("files"),
        _json("summary"),
        sa.Column("holds_data", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_dsar_pack_request", "dsar_pack", ["request_id"])


def downgrade() -> None:
    """Drop the DSAR tables (children before the request table)."""
    for table in ("dsar_pack", "dsar_event", "dsar_clock_stop", "dsar_request"):
        op.drop_table(table)
