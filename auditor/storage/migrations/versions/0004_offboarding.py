"""Offboarding and scheduler: cases, items, checks, webhook event ids, revocations; run ledger, job lock,
APScheduler's job table.

Revision ID: 0004_offboarding
Revises: 0001
Create Date: 2026-11-25

Frozen copy of ``auditor/offboarding/tables.py`` at this revision (a branch off 0001: upgrade to
"heads").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_offboarding"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _str(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, nullable=False)


def _case_fk() -> sa.Column:
    return sa.Column("case_id", sa.Integer(), sa.ForeignKey("offboarding_case.id"), nullable=False)


def _offboarding() -> None:
    op.create_table(
        "offboarding_case",
        _id(), _str("uid"), _str("open_key", True), _str("display_name", True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("last_working_day", sa.Date(), nullable=False),
        _str("manager", True), _str("source"), _str("opened_by"), _when("opened_at"), _when("deadline"),
        _str("status"), _str("resolution", True), _when("closed_at", True), _when("escalated_at", True),
        _str("escalation_finding", True), _when("last_checked_at", True),
        sa.Column("checks", sa.Integer(), nullable=False),
        _str("evidence_report_id", True), _text("evidence_path"), _text("evidence_error"),
        sa.UniqueConstraint("open_key", name="uq_offboarding_case_open_key"),
    )
    op.create_index("ix_offboarding_case_uid", "offboarding_case", ["uid"])
    op.create_index("ix_offboarding_case_status", "offboarding_case", ["status"])
    op.create_table(
        "offboarding_event",
        sa.Column("event_id", sa.String(), primary_key=True, nullable=False),
        _case_fk(), _when("received_at"), _str("body_sha256"),
    )
    op.create_index("ix_offboarding_event_received_at", "offboarding_event", ["received_at"])
    op.create_table(
        "offboarding_item",
        _id(), _case_fk(), _str("platform"), _str("tenant"), _str("kind"), _str("account_id"), _str("object_id"),
        _str("role"), _text("label", False), sa.Column("privileged", sa.Boolean(), nullable=False),
        _str("state"), _str("source"), _when("first_seen_at"), _when("last_seen_at"), _when("gone_at", True),
        _when("last_checked_at", True), sa.Column("detail", sa.JSON(), nullable=False),
        sa.UniqueConstraint("case_id", "platform", "tenant", "kind", "account_id", "object_id", "role",
                            name="uq_offboarding_item_key"),
    )
    op.create_table(
        "offboarding_check",
        _id(), _case_fk(), _str("platform"), _str("tenant", True), _when("checked_at"), _str("status"),
        sa.Column("errors", sa.JSON(), nullable=False), sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
    )
    op.create_index("ix_offboarding_check_case", "offboarding_check", ["case_id", "checked_at"])
    op.create_table(
        "offboarding_revocation",
        _id(), _case_fk(), _str("platform"), _str("tenant"), _str("action"), _str("target"), _text("label", False),
        _str("status"), _when("proposed_at"), _str("decided_by", True), _str("decided_role", True),
        _when("decided_at", True), _text("reason"), _when("executed_at", True), _text("error"),
        sa.UniqueConstraint("case_id", "platform", "action", "target", name="uq_offboarding_revocation_key"),
    )
    op.create_index("ix_offboarding_revocation_status", "offboarding_revocation", ["status"])
    op.create_table(
        "offboarding_revocation_call",
        _id(),
        sa.Column("revocation_id", sa.Integer(), sa.ForeignKey("offboarding_revocation.id"), nullable=False),
        _when("at"), _str("method"), _text("path", False), sa.Column("status", sa.Integer(), nullable=True),
        _str("outcome"), _text("detail"),
    )
    op.create_index("ix_offboarding_revocation_call_revocation", "offboarding_revocation_call", ["revocation_id"])


def _scheduler() -> None:
    op.create_table(
        "scheduler_run",
        _id(), _str("job_id"), _when("scheduled_for"), _str("owner"), _str("status"), _when("started_at"),
        _when("finished_at", True), _text("error"),
        sa.UniqueConstraint("job_id", "scheduled_for", name="uq_scheduler_run_slot"),
    )
    op.create_index("ix_scheduler_run_started_at", "scheduler_run", ["started_at"])
    op.create_table(
        "scheduler_lock",
        sa.Column("name", sa.String(), primary_key=True, nullable=False),
        _str("owner"), _when("acquired_at"), _when("heartbeat_at"),
    )
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True, nullable=False),
        sa.Column("next_run_time", sa.Float(25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def upgrade() -> None:
    """Create the offboarding and scheduler tables and their indexes."""
    _offboarding()
    _scheduler()


def downgrade() -> None:
    """Drop them again (children first)."""
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs")
    for table in ("apscheduler_jobs", "scheduler_lock"):
        op.drop_table(table)
    op.drop_index("ix_scheduler_run_started_at", table_name="scheduler_run")
    op.drop_table("scheduler_run")
    op.drop_index("ix_offboarding_revocation_call_revocation", table_name="offboarding_revocation_call")
    op.drop_table("offboarding_revocation_call")
    op.drop_index("ix_offboarding_revocation_status", table_name="offboarding_revocation")
    op.drop_table("offboarding_revocation")
    op.drop_index("ix_offboarding_check_case", table_name="offboarding_check")
    op.drop_table("offboarding_check")
    op.drop_table("offboarding_item")
    op.drop_index("ix_offboarding_event_received_at", table_name="offboarding_event")
    op.drop_table("offboarding_event")
    op.drop_index("ix_offboarding_case_status", table_name="offboarding_case")
    op.drop_index("ix_offboarding_case_uid", table_name="offboarding_case")
    op.drop_table("offboarding_case")
