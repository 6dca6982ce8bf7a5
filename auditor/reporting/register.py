"""The register of generated reports, and verification of a PDF against it.

Verification: a file whose SHA-256 is registered is authentic. Otherwise the report id embedded in the PDF
(its metadata, or the id pattern in the raw bytes when the file no longer parses) tells a tampered copy of
a registered report from a PDF this register has never seen.
"""

from __future__ import annotations

import io
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from auditor.reporting.manifest import REPORT_ID_PATTERN, file_sha256
from auditor.reporting.tables import ReportRegisterRow

AUTHENTIC = "authentic"
TAMPERED = "tampered"
UNKNOWN = "unknown"

_T = ReportRegisterRow.__table__
_ID_RE = re.compile(REPORT_ID_PATTERN.encode("ascii"))
META_REPORT_ID = "auditor-report-id"
META_MANIFEST = "auditor-manifest-sha256"


@dataclass(frozen=True, slots=True)
class ReportEntry:
    """One register entry (what ``build_report`` returns next to the PDF bytes)."""

    id: str
    kind: str
    title: str
    generated_at: datetime
    generated_by: str
    language: str
    scope: dict[str, Any]
    scan_ids: list[int]
    manifest_sha256: str
    pdf_sha256: str
    pdf_size: int
    pages: int
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the time as ISO 8601)."""
        data = asdict(self)
        data["generated_at"] = self.generated_at.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of verifying one file: status, the entry it matches (if any) and a one-line reason."""

    status: str  # authentic | tampered | unknown
    pdf_sha256: str
    report_id: str | None
    entry: ReportEntry | None
    message: str

    @property
    def ok(self) -> bool:
        """True only for an authentic file."""
        return self.status == AUTHENTIC


def record_report(session: Session, entry: ReportEntry) -> None:
    """Add an entry to the register."""
    session.exec(insert(_T).values(**{k: v for k, v in asdict(entry).items()}))


def _entry(row: Any) -> ReportEntry:
    return ReportEntry(**{name: row[name] for name in ReportEntry.__dataclass_fields__})


def get_report(session: Session, report_id: str) -> ReportEntry | None:
    """The register entry of a report id."""
    row = session.exec(select(_T).where(_T.c.id == report_id)).mappings().first()
    return _entry(row) if row is not None else None


def list_reports(session: Session, *, kind: str | None = None, limit: int = 50, offset: int = 0) -> list[ReportEntry]:
    """Register entries, newest first."""
    query = select(_T).order_by(_T.c.generated_at.desc(), _T.c.id).offset(offset).limit(limit)
    if kind is not None:
        query = query.where(_T.c.kind == kind)
    return [_entry(row) for row in session.exec(query).mappings()]


def embedded_report_id(data: bytes) -> str | None:
    """The report id a PDF carries: from its metadata, else from the raw bytes; None when there is none."""
    try:
        from pypdf import PdfReader

        metadata = PdfReader(io.BytesIO(data), strict=False).metadata or {}
        value = metadata.get("/" + META_REPORT_ID.replace("-", ""))
        if isinstance(value, str) and re.fullmatch(REPORT_ID_PATTERN, value):
            return value
    except Exception:  # noqa: BLE001, S110 - a damaged file still gets the raw-bytes search below
        pass
    match = _ID_RE.search(data)
    return match.group(0).decode("ascii") if match else None


def verify_bytes(session: Session, data: bytes) -> Verification:
    """Verify a PDF against the register (see the module doc)."""
    digest = file_sha256(data)
    row = session.exec(select(_T).where(_T.c.pdf_sha256 == digest).limit(1)).mappings().first()
    if row is not None:
        entry = _entry(row)
        when = f"{entry.generated_at:%Y-%m-%d %H:%M} UTC"
        return Verification(AUTHENTIC, digest, entry.id, entry,
                            f"authentic: report {entry.id} ({entry.kind}) generated {when} by {entry.generated_by}")
    report_id = embedded_report_id(data)
    entry = get_report(session, report_id) if report_id else None
    if entry is not None:
        return Verification(TAMPERED, digest, report_id, entry,
                            f"TAMPERED: the file claims to be report {report_id} but its SHA-256 {digest} differs from "
                            f"the registered {entry.pdf_sha256}")
    if report_id:
        return Verification(UNKNOWN, digest, report_id, None,
                            f"UNKNOWN: report id {report_id} is not in this register (another installation?)")
    return Verification(UNKNOWN, digest, None, None,
                        "UNKNOWN: the file carries no auditor report id and its SHA-256 is not registered")
