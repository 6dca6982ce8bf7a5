"""Initial schema: scans, directory history, inventory, audit events, findings, risk exceptions, manual links.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Frozen copy of ``auditor/storage/tables.py`` at this revision (a test checks autogenerate finds no diff).
Datetimes are ``DateTime(timezone=True)``: the models wrap it in ``UTCDateTime``, which stores UTC.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, nullable=False)


def _presence() -> list[sa.Column]:
    """first_seen / last_seen / gone_at of every inventory table."""
    return [_when("first_seen"), _when("last_seen"), _when("gone_at", nullable=True)]


def _scoped(*columns: sa.Column) -> list[sa.Column]:
    """id, platform, tenant, then the table's own columns, a raw JSON column and the presence columns."""
    return [
        _id(), _text("platform", False), _text("tenant", False), *columns,
        sa.Column("raw", sa.JSON(), nullable=False), *_presence(),
    ]


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "scan",
        _id(),
        _when("started_at"),
        _when("finished_at", nullable=True),
        _text("status", False),
        _text("trigger", False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("policy_hashes", sa.JSON(), nullable=False),
    )
    op.create_index("ix_scan_started_at", "scan", ["started_at"])

    op.create_table(
        "scan_platform",
        _id(),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scan.id"), nullable=False),
        _text("platform", False),
        _text("kind", False),
        _text("tenant", False),
        _text("tenant_name"),
        _text("two_factor_required"),
        _text("status", False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("capabilities", sa.JSON(), nullable=False),
        _when("activity_since", nullable=True),
    )
    op.create_index("ix_scan_platform_scan", "scan_platform", ["scan_id"])

    op.create_table(
        "directory_person",
        sa.Column("uid", sa.String(), primary_key=True, nullable=False),
        _text("display_name", False),
        sa.Column("emails", sa.JSON(), nullable=False),
        _text("department"),
        _text("manager"),
        _text("kind", False),
        _text("status", False),
        _when("status_changed", nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("dn", sa.Text(), nullable=True),
        _when("first_seen"),
        _when("last_seen"),
        _when("vanished_at", nullable=True),
    )
    op.create_index("ix_directory_person_status", "directory_person", ["status"])

    op.create_table(
        "person_change",
        _id(),
        _text("uid", False),
        _when("at"),
        _text("field", False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("scan_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_person_change_uid_at", "person_change", ["uid", "at"])

    op.create_table(
        "inv_account",
        *_scoped(
            _text("account_id", False),
            _text("kind", False),
            _text("name"),
            sa.Column("emails", sa.JSON(), nullable=False),
            sa.Column("two_factor", sa.Boolean(), nullable=True),
            _when("last_activity", nullable=True),
            _when("created_at", nullable=True),
            _text("created_by"),
            _text("state", False),
            _text("role"),
            _text("person_uid"),
        ),
        sa.UniqueConstraint("platform", "tenant", "account_id", name="uq_inv_account_key"),
    )
    op.create_index("ix_inv_account_person", "inv_account", ["person_uid"])

    op.create_table(
        "inv_asset",
        *_scoped(_text("asset_id", False), _text("kind", False), _text("name")),
        sa.UniqueConstraint("platform", "tenant", "asset_id", name="uq_inv_asset_key"),
    )

    op.create_table(
        "inv_grant",
        *_scoped(
            _text("account_id", False),
            _text("asset_id", False),
            _text("role", False),
            sa.Column("privileged", sa.Boolean(), nullable=False),
            _when("granted_at", nullable=True),
            _text("granted_by"),
        ),
        sa.UniqueConstraint("platform", "tenant", "account_id", "asset_id", "role", name="uq_inv_grant_key"),
    )
    op.create_index("ix_inv_grant_asset", "inv_grant", ["platform", "tenant", "asset_id"])

    op.create_table(
        "inv_app",
        *_scoped(
            _text("app_id", False),
            _text("token_ref", False),
            _text("name"),
            sa.Column("scopes", sa.JSON(), nullable=True),
            _text("granted_by"),
            _when("last_used", nullable=True),
        ),
        sa.UniqueConstraint("platform", "tenant", "app_id", "token_ref", name="uq_inv_app_key"),
    )
    op.create_index("ix_inv_app_granted_by", "inv_app", ["platform", "tenant", "granted_by"])

    op.create_table(
        "audit_event",
        _id(),
        _text("platform", False),
        _text("tenant", False),
        _text("event_id", False),
        _when("time"),
        _text("action", False),
        _text("raw_action", False),
        _text("actor_id"),
        _text("actor_name"),
        _text("target_id"),
        _text("target_name"),
        _text("asset_id"),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("platform", "tenant", "event_id", name="uq_audit_event_key"),
    )
    op.create_index("ix_audit_event_time", "audit_event", ["platform", "tenant", "time"])
    op.create_index("ix_audit_event_actor", "audit_event", ["actor_id"])
    op.create_index("ix_audit_event_target", "audit_event", ["target_id"])

    op.create_table(
        "finding",
        _id(),
        _text("fingerprint", False),
        _text("rule", False),
        _text("category", False),
        _text("severity", False),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        _text("outcome", False),
        _text("status", False),
        _text("subject", False),
        _text("platform"),
        _text("tenant"),
        _text("account"),
        _text("account_email"),
        _text("person"),
        _text("asset"),
        _text("role"),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        _when("first_seen"),
        _when("last_seen"),
        _when("resolved_at", nullable=True),
        sa.Column("first_scan_id", sa.Integer(), nullable=True),
        sa.Column("last_scan_id", sa.Integer(), nullable=True),
        _text("exception_id"),
        sa.UniqueConstraint("fingerprint", name="uq_finding_fingerprint"),
    )
    op.create_index("ix_finding_status_severity", "finding", ["status", "severity_rank"])
    op.create_index("ix_finding_category", "finding", ["category"])
    op.create_index("ix_finding_platform", "finding", ["platform"])
    op.create_index("ix_finding_person", "finding", ["person"])
    op.create_index("ix_finding_rule", "finding", ["rule"])

    op.create_table(
        "finding_event",
        _id(),
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("finding.id"), nullable=False),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scan.id"), nullable=True),
        _when("at"),
        _text("change", False),
    )
    op.create_index("ix_finding_event_finding", "finding_event", ["finding_id"])
    op.create_index("ix_finding_event_scan", "finding_event", ["scan_id", "change"])

    op.create_table(
        "risk_exception",
        _id(),
        _text("rule", False),
        _text("fingerprint"),
        _text("platform"),
        _text("account"),
        _text("asset"),
        _text("person"),
        sa.Column("reason", sa.Text(), nullable=False),
        _text("approved_by", False),
        _when("created_at"),
        sa.Column("expires_on", sa.Date(), nullable=False),
    )
    op.create_index("ix_risk_exception_rule", "risk_exception", ["rule"])

    op.create_table(
        "manual_link",
        _id(),
        _text("platform", False),
        _text("account_id"),
        _text("email"),
        _text("uid", False),
        sa.Column("note", sa.Text(), nullable=True),
        _when("created_at"),
    )
    op.create_index("ix_manual_link_uid", "manual_link", ["uid"])
    op.create_index("ix_manual_link_account", "manual_link", ["platform", "account_id"])


def downgrade() -> None:
    """Drop everything (children before parents)."""
    for table in (
        "manual_link", "risk_exception", "finding_event", "finding", "audit_event", "inv_app", "inv_grant",
        "inv_asset", "inv_account", "person_change", "directory_person", "scan_platform", "scan",
    ):
        op.drop_table(table)
