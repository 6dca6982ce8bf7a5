"""The register of generated reports: who generated which PDF when, and the hashes that let it be verified.

Created by migration ``0003_reports`` (a branch off ``0001``; the database upgrades to "heads"). Importing
this module registers the table in ``SQLModel.metadata``, which is what the autogenerate drift check compares.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from auditor.storage.tables import UTCDateTime

REPORT_TABLES = ("report_register",)
"""The names of the tables this module (and migration 0003_reports) defines."""


class ReportRegisterRow(SQLModel, table=True):
    """One generated PDF report.

    ``manifest_sha256`` is the SHA-256 of the canonical JSON content manifest (printed in every page footer);
    ``pdf_sha256`` the SHA-256 of the exact PDF bytes handed out (what ``auditor report verify`` looks up).
    ``summary`` holds the headline numbers, so the register explains a report without the file.
    """

    __tablename__ = "report_register"
    __table_args__ = (
        Index("ix_report_register_pdf_sha256", "pdf_sha256"),
        Index("ix_report_register_generated_at", "generated_at"),
    )

    id: str = Field(primary_key=True)  # e.g. AUD-20261125-1A2B3C4D
    kind: str  # audit | access-review | offboarding
    generated_at: datetime = Field(sa_type=UTCDateTime)
    generated_by: str
    language: str
    scope: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    scan_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    manifest_sha256: str
    pdf_sha256: str
    pdf_size: int
    pages: int
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    title: str = Field(sa_type=Text)
