"""The web UI language each tool user chose on the account page (``web_user.language``: en | pl, or NULL for
the browser's language).

Revision ID: 0010_web_language
Revises: 0002_web
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_web_language"
down_revision: str | None = "0002_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable column."""
    with op.batch_alter_table("web_user") as batch:
        batch.add_column(sa.Column("language", sa.String(), nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("web_user") as batch:
        batch.drop_column("language")
