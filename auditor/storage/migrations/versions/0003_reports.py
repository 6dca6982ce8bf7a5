"""Reports: the register of generated PDF reports (who, when, scope, content-manifest and file hashes).

Revision ID: 0003_reports
Revises: 0001
Create Date: 2026-11-25

Frozen copy of ``auditor/reporting/tables.py`` at this revision (a branch off 0001: upgrade to "heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_reports"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the report register and its indexes."""
    op.create_table(
        "report_register",
        sa.Column("id", sa.String(), primary_key=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.String(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("scan_ids", sa.JSON(), nullable=False),
        sa.Column("manifest_sha256", sa.String(), nullable=False),
        sa.Column("pdf_sha256", sa.String(), nullable=False),
        sa.Column("pdf_size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
    )
    op.create_index("ix_report_register_pdf_sha256", "report_register", ["pdf_sha256"])
    op.create_index("ix_report_register_generated_at", "report_register", ["generated_at"])


def downgrade() -> None:
    """Drop the report register."""
    op.drop_index("ix_report_register_generated_at", table_name="report_register")
    op.drop_index("ix_report_register_pdf_sha256", table_name="report_register")
    op.drop_table("report_register")
