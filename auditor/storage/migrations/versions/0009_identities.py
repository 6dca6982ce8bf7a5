"""Identities: markings of platform accounts (agency / service) made in the web UI, and saved views.

Revision ID: 0009_identities
Revises: 0001
Create Date: 2026-12-02

Frozen copy of ``auditor/identities/tables.py`` at this revision (a branch off 0001: upgrade to "heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_identities"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "identity_marking",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        _str("platform"), _str("account_id"), _str("kind"), _str("owner"), _str("agency", True),
        sa.Column("expires_on", sa.Date(), nullable=True), sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False), _str("created_by"),
        sa.UniqueConstraint("platform", "account_id", name="uq_identity_marking_account"),
    )
    op.create_index("ix_identity_marking_owner", "identity_marking", ["owner"])
    op.create_table(
        "saved_view",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        _str("username"), _str("name"), sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("username", "name", name="uq_saved_view_name"),
    )


def downgrade() -> None:
    """Drop the two tables."""
    op.drop_index("ix_identity_marking_owner", table_name="identity_marking")
    op.drop_table("identity_marking")
    op.drop_table("saved_view")
