"""Web UI: tool users, sessions, login throttling, recovery codes, audit trail, finding triage and comments,
and four indexes on ``finding`` for the findings list and the dashboard.

Revision ID: 0002_web
Revises: 0001
Create Date: 2026-11-25

Frozen copy of ``auditor/accounts/tables.py`` at this revision (a branch off 0001: upgrade to "heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_web"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, nullable=False)


def upgrade() -> None:
    """Create the web tables and their indexes."""
    op.create_table(
        "web_user",
        _id(),
        _text("username", False),
        _text("display_name", False),
        _text("role", False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("totp_secret_enc", sa.Text(), nullable=True),
        sa.Column("totp_pending_enc", sa.Text(), nullable=True),
        _when("totp_enrolled_at", nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        _when("created_at"),
        _when("password_changed_at"),
        _when("last_login_at", nullable=True),
        _when("disabled_at", nullable=True),
        sa.UniqueConstraint("username", name="uq_web_user_username"),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(), primary_key=True, nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("web_user.id"), nullable=False),
        _text("stage", False),
        _when("created_at"),
        _when("last_seen_at"),
        _when("expires_at"),
        _text("ip"),
        _text("user_agent"),
    )
    op.create_index("ix_web_session_user", "web_session", ["user_id"])
    op.create_table(
        "web_login_throttle",
        sa.Column("username", sa.String(), primary_key=True, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _when("locked_until", nullable=True),
        _when("updated_at"),
    )
    op.create_table(
        "web_recovery_code",
        _id(),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("web_user.id"), nullable=False),
        _text("code_hash", False),
        _when("created_at"),
        _when("used_at", nullable=True),
        sa.UniqueConstraint("user_id", "code_hash", name="uq_web_recovery_code"),
    )
    op.create_index("ix_web_recovery_code_user", "web_recovery_code", ["user_id"])
    op.create_table(
        "web_audit",
        _id(),
        _when("at"),
        _text("actor"),
        _text("actor_role"),
        _text("action", False),
        _text("outcome", False),
        _text("target_kind"),
        _text("target_id"),
        sa.Column("detail", sa.JSON(), nullable=False),
        _text("ip"),
    )
    op.create_index("ix_web_audit_at", "web_audit", ["at"])
    op.create_index("ix_web_audit_action", "web_audit", ["action"])
    op.create_index("ix_web_audit_actor", "web_audit", ["actor"])
    op.create_index("ix_web_audit_target", "web_audit", ["target_kind", "target_id"])
    op.create_table(
        "finding_triage",
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("finding.id"), primary_key=True, nullable=False),
        _text("assignee"),
        _when("acknowledged_at", nullable=True),
        _text("acknowledged_by"),
        _when("updated_at"),
        _text("updated_by", False),
    )
    op.create_index("ix_finding_triage_assignee", "finding_triage", ["assignee"])
    op.create_table(
        "finding_comment",
        _id(),
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("finding.id"), nullable=False),
        _when("at"),
        _text("author", False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_finding_comment_finding", "finding_comment", ["finding_id"])
    op.create_index("ix_finding_list_order", "finding", ["status", "severity_rank", "last_seen", "id"])
    op.create_index("ix_finding_status_first_seen", "finding", ["status", "first_seen", "id"])
    op.create_index("ix_finding_status_category", "finding", ["status", "category"])
    op.create_index("ix_finding_status_platform", "finding", ["status", "platform"])


def downgrade() -> None:
    """Drop the finding indexes and the web tables (children before parents)."""
    for index in (
        "ix_finding_status_platform",
        "ix_finding_status_category",
        "ix_finding_status_first_seen",
        "ix_finding_list_order",
    ):
        op.drop_index(index, table_name="finding")
    for table in (
        "finding_comment",
        "finding_triage",
        "web_audit",
        "web_recovery_code",
        "web_login_throttle",
        "web_session",
        "web_user",
    ):
        op.drop_table(table)
