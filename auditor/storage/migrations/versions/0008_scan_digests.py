"""Scan at scale: a digest per inventory row and the audit-log cursor per scanned platform.

Revision ID: 0008_scan_digests
Revises: 0007_scan_scopes
Create Date: 2026-11-27

Adds ``digest`` to ``inv_account``, ``inv_asset``, ``inv_grant`` and ``inv_app`` (a hash of the compared
columns: a rescan loads keys and digests only, and writes only the rows whose digest changed; rows stored
before read as NULL, so each is rewritten once) and ``scan_platform.events_through`` (the audit log of that
tenant is complete from ``activity_since`` to this time; NULL when the log was not read completely).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_scan_digests"
down_revision: str | None = "0007_scan_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVENTORY = ("inv_account", "inv_asset", "inv_grant", "inv_app")


def upgrade() -> None:
    """Add the columns (NULL for the rows already stored)."""
    for table in INVENTORY:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("digest", sa.String(), nullable=True))
    with op.batch_alter_table("scan_platform") as batch:
        batch.add_column(sa.Column("events_through", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the columns."""
    with op.batch_alter_table("scan_platform") as batch:
        batch.drop_column("events_through")
    for table in INVENTORY:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("digest")
