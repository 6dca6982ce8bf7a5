"""Scan scopes: each scan's platform row keeps the scopes read incompletely and why.

Revision ID: 0007_scan_scopes
Revises: 0001
Create Date: 2026-11-26

Adds ``scan_platform.incomplete_scopes`` (JSON: scope -> reason; ``{}`` for the rows already stored). A branch
off 0001 (upgrade to "heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_scan_scopes"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column; rows already stored read as complete in every scope they name (``{}``)."""
    with op.batch_alter_table("scan_platform") as batch:
        batch.add_column(sa.Column("incomplete_scopes", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("scan_platform") as batch:
        batch.drop_column("incomplete_scopes")
