"""Report use-cases for the CLI, the web UI and the scheduler: build a PDF, write it, verify one, list them.

``build_report(settings, kind, generated_by=..., person=..., platform=..., by_manager=...)`` reads every
input that can be wrong (translation, catalogues, policies, exceptions, scope) before rendering, renders
the PDF, then records it in the register and returns ``(pdf_bytes, ReportEntry)``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from auditor import __version__
from auditor.config import Settings
from auditor.findings.exceptions import load_exceptions
from auditor.private_files import private_folder, write_private
from auditor.reporting.access_review import build_access_review
from auditor.reporting.audit import build_audit
from auditor.reporting.base import KINDS, ReportInputs, RuleInfo, scope_dict
from auditor.reporting.controls import load_catalogues
from auditor.reporting.data import Scope, known_platforms
from auditor.reporting.errors import ReportError
from auditor.reporting.i18n import Translator, load_translator
from auditor.reporting.inventory_data import person_record
from auditor.reporting.manifest import build_manifest, file_sha256, manifest_sha256, new_report_id
from auditor.reporting.offboarding import build_offboarding
from auditor.reporting.register import ReportEntry, Verification, list_reports, record_report, verify_bytes
from auditor.reporting.render import html_to_pdf, page_css, render_html
from auditor.services.policies import load_configured_policies
from auditor.storage.db import open_database

BUILDERS = {"audit": build_audit, "access-review": build_access_review, "offboarding": build_offboarding}


def _check_request(kind: str, person: str | None, by_manager: bool) -> None:
    if kind not in KINDS:
        raise ReportError(f"unknown report kind {kind!r} (one of {', '.join(KINDS)})")
    if by_manager and kind != "access-review":
        raise ReportError(f"{kind}: --by-manager applies to the access review only")
    if kind == "offboarding" and not person:
        raise ReportError("offboarding: a person is required (--person UID)")


def report_inputs(settings: Settings, kind: str, *, person: str | None = None, platform: str | None = None,
                  by_manager: bool = False, now: datetime | None = None) -> ReportInputs:
    """Everything a builder needs that comes from files: rules, exceptions, catalogues (read before the DB)."""
    _check_request(kind, person, by_manager)
    rules = {
        policy.id: RuleInfo(title=policy.title, rationale=policy.rationale, remediation=policy.remediation,
                            compliance=tuple(policy.compliance))
        for policy in load_configured_policies(settings)
    }
    exceptions = load_exceptions(settings.resolve_path(settings.policies.exceptions_file))
    return ReportInputs(
        scope=Scope(platform=platform, person=person), now=(now or datetime.now(UTC)).astimezone(UTC),
        language=settings.language, rules=rules, exceptions=tuple(exceptions),
        catalogues=tuple(load_catalogues(settings.reports_dir)), organisation=settings.reports.organisation,
        timezone=settings.timezone,
        by_manager=by_manager, max_listed_findings=settings.reports.max_listed_findings,
        max_detailed_findings=settings.reports.max_detailed_findings,
        max_review_accounts=settings.reports.max_review_accounts,
        max_listed_events=settings.reports.max_listed_events,
        expiry_warning_days=settings.reports.expiry_warning_days,
    )


def _check_scope(session: Session, settings: Settings, scope: Scope) -> None:
    if scope.platform is not None:
        names = sorted(set(known_platforms(session)) | {p.name for p in settings.platform})
        if scope.platform not in names:
            raise ReportError(f"no platform named {scope.platform!r} (known: {', '.join(names) or 'none'})")
    if scope.person is not None and person_record(session, scope.person) is None:
        raise ReportError(f"no person with uid {scope.person!r} in the directory or its history "
                          "(run `auditor scan` first?)")


def report_title(translator: Translator, kind: str, by_manager: bool) -> str:
    """The report's title in its language."""
    return translator("title.access-review-by-manager" if by_manager else f"title.{kind}")


def _summary(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    if kind == "audit":
        return {"open": content["totals"]["open"], "by_severity": content["by_severity"],
                "accepted": content["totals"]["accepted"], "posture": content["posture"]}
    if kind == "access-review":
        return dict(content["totals"])
    return {"person": content["person"]["uid"], **content["summary"]["open"],
            "complete": content["summary"]["complete"]}


def _content(settings: Settings, kind: str, inputs: ReportInputs) -> dict[str, Any]:
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            _check_scope(session, settings, inputs.scope)
            return BUILDERS[kind](session, inputs)
    finally:
        db.dispose()


def report_data(settings: Settings, kind: str, *, person: str | None = None, platform: str | None = None,
                by_manager: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """A report's view-model without rendering (JSON-ready): for a JSON or CSV export of the same data."""
    inputs = report_inputs(settings, kind, person=person, platform=platform, by_manager=by_manager, now=now)
    return {"kind": kind, "generated_at": inputs.now.isoformat(), "language": settings.language,
            "scope": scope_dict(inputs), "content": _content(settings, kind, inputs)}


def build_report(settings: Settings, kind: str, *, generated_by: str, person: str | None = None,
                 platform: str | None = None, by_manager: bool = False,
                 now: datetime | None = None, register: bool = True) -> tuple[bytes, ReportEntry]:
    """Build, render and (unless ``register`` is False) register one report; returns the PDF bytes and its
    register entry."""
    translator = replace(load_translator(settings.reports_dir, settings.language), timezone=settings.timezone)
    inputs = report_inputs(settings, kind, person=person, platform=platform, by_manager=by_manager, now=now)
    content = _content(settings, kind, inputs)
    title = report_title(translator, kind, by_manager)
    header = {
        "id": new_report_id(kind, inputs.now), "kind": kind, "title": title,
        "generated_at": inputs.now.isoformat(), "generated_by": generated_by, "language": settings.language,
        "scope": scope_dict(inputs), "scan_ids": content["scan_ids"], "tool": f"auditor {__version__}",
    }
    digest = manifest_sha256(build_manifest(header, content))
    html = render_html(settings.reports_dir, kind, {"report": header, "content": content,
                                                    "manifest_sha256": digest}, translator)
    pdf = html_to_pdf(html, settings.reports_dir, page_css(translator, header["id"], digest, title,
                                                            settings.reports.paper))
    entry = ReportEntry(
        id=header["id"], kind=kind, title=title, generated_at=inputs.now, generated_by=generated_by,
        language=settings.language, scope=header["scope"], scan_ids=list(content["scan_ids"]),
        manifest_sha256=digest, pdf_sha256=file_sha256(pdf.data), pdf_size=len(pdf.data), pages=pdf.pages,
        summary=_summary(kind, content),
    )
    if register:
        _register(settings, entry)
    return pdf.data, entry


def _register(settings: Settings, entry: ReportEntry) -> None:
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            record_report(session, entry)
    finally:
        db.dispose()


def output_path(settings: Settings, entry: ReportEntry) -> Path:
    """Where a report goes when no path is given: ``reports.output_dir``/<report id>.pdf."""
    folder = settings.resolve_path(settings.reports.output_dir) or Path(settings.reports.output_dir)
    return folder / f"{entry.id}.pdf"


def write_report(settings: Settings, kind: str, *, generated_by: str, out: Path | None = None,
                 **scope: Any) -> tuple[Path, ReportEntry]:
    """Build a report and write it to ``out`` (default: ``output_path``); returns the path and the entry.

    The PDF is written whole under a temporary name, renamed into place, and only then registered: a process
    killed on the way leaves no half-written file under the report's name and no register entry for it."""
    data, entry = build_report(settings, kind, generated_by=generated_by, register=False, **scope)
    path = out or output_path(settings, entry)
    partial = path.with_name(f".{path.name}.partial")
    try:
        private_folder(path.parent)
        write_private(partial, data)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ReportError(f"{path}: cannot write the report: {exc.strerror} (it is not registered)") from exc
    _register(settings, entry)
    return path, entry


def verify_report(settings: Settings, data: bytes) -> Verification:
    """Verify PDF bytes against the register."""
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            return verify_bytes(session, data)
    finally:
        db.dispose()


def verify_file(settings: Settings, path: Path) -> Verification:
    """Verify a PDF file against the register."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror}") from exc
    return verify_report(settings, data)


def generated_reports(settings: Settings, *, kind: str | None = None, limit: int = 50,
                      offset: int = 0) -> list[ReportEntry]:
    """The register, newest first (for the web UI's list of reports)."""
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            return list_reports(session, kind=kind, limit=limit, offset=offset)
    finally:
        db.dispose()
