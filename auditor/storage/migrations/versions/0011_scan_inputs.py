"""Scan inputs: each scan's platform row keeps the digest of what its findings were judged on.

Revision ID: 0011_scan_inputs
Revises: 0001
Create Date: 2026-12-02

Adds ``scan_platform.input_key`` (the digest of everything the platform's findings depend on: its source,
its settings, the directory, the rules, the exceptions, links and the day; see ``services.scan_inputs``) and
``scan_platform.unchanged_since`` (the scan whose reading a row carries over when the key had not moved).
Rows already stored have neither: the next scan of each platform reads and judges it in full. Creates
``people_sync`` (one row: the digest of the people the last directory sync was given). A branch off 0001
(upgrade to "heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_scan_inputs"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable columns and the ``people_sync`` table."""
    with op.batch_alter_table("scan_platform") as batch:
        batch.add_column(sa.Column("input_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("unchanged_since", sa.Integer(), nullable=True))
    op.create_table(
        "people_sync",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("read_digest", sa.String(length=64), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    """Drop the table and the columns."""
    op.drop_table("people_sync")
    with op.batch_alter_table("scan_platform") as batch:
        batch.drop_column("unchanged_since")
        batch.drop_column("input_key")
