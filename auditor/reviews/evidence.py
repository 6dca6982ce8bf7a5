"""The evidence of a campaign: its view-model (scope, frozen list, each decision with reviewer, time and
comment, revocations with the scan that confirmed them, the figures), rendered as a signed PDF through the
reports' pipeline and register (so ``auditor report verify`` applies), and the same rows for CSV / JSON.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from auditor import __version__
from auditor.config import Settings
from auditor.reporting.i18n import load_translator
from auditor.reporting.manifest import build_manifest, file_sha256, manifest_sha256, new_report_id
from auditor.reporting.register import ReportEntry, record_report
from auditor.reporting.render import html_to_pdf, page_css, render_html
from auditor.reviews import stats
from auditor.reviews.campaigns import campaign_row, item_rows, plain

KIND = "review-campaign"
EXPORT_COLUMNS = (
    "id", "person_uid", "person_name", "person_status", "departure", "platform", "tenant", "account_id",
    "account_name", "asset_id", "asset_name", "role", "privileged", "last_activity", "two_factor", "open_findings",
    "reviewer", "delegated_from", "delegation_reason", "decision", "new_role", "comment", "decided_by",
    "decided_at", "follow_up", "gone_at", "confirmed_scan_id",
)
"""The columns of the CSV export (one row per frozen item)."""


def evidence_content(session: Session, campaign_id: int, organisation: str | None = None) -> dict[str, Any]:
    """The campaign's evidence as JSON-ready data."""
    campaign = campaign_row(session, campaign_id)
    items = item_rows(session, campaign_id)
    scan_ids = sorted({campaign["scan_id"]} | {i["confirmed_scan_id"] for i in items if i["confirmed_scan_id"]}
                      - {None})
    return {
        "organisation": organisation,
        "campaign": plain(campaign),
        "items": [plain({k: item[k] for k in EXPORT_COLUMNS}) for item in items],
        "revocations": [plain({k: item[k] for k in EXPORT_COLUMNS}) for item in items if item["decision"] == "revoke"],
        "totals": stats.totals(items),
        "reviewers": stats.reviewer_stats(items),
        "scan_ids": scan_ids,
    }


def build_evidence(settings: Settings, session: Session, campaign_id: int, *, generated_by: str,
                   now: datetime) -> tuple[bytes, ReportEntry]:
    """Render the evidence PDF and record it in the report register (in ``session``'s transaction)."""
    translator = replace(load_translator(settings.reports_dir, settings.language), timezone=settings.timezone)
    content = evidence_content(session, campaign_id, settings.reports.organisation)
    title = translator("title.review-campaign")
    frozen = content["campaign"]["scope"]
    scope = {"platform": ", ".join(frozen["platforms"]) or None, "person": None, "by_manager": False,
             "campaign": campaign_id, **frozen}
    header = {"id": new_report_id("access-review", now), "kind": KIND, "title": title,
              "generated_at": now.isoformat(), "generated_by": generated_by, "language": settings.language,
              "scope": scope, "scan_ids": content["scan_ids"], "tool": f"auditor {__version__}"}
    digest = manifest_sha256(build_manifest(header, content))
    html = render_html(settings.reports_dir, KIND, {"report": header, "content": content, "manifest_sha256": digest},
                       translator)
    pdf = html_to_pdf(html, settings.reports_dir, page_css(translator, header["id"], digest, title,
                                                            settings.reports.paper))
    entry = ReportEntry(id=header["id"], kind=KIND, title=title, generated_at=now, generated_by=generated_by,
                        language=settings.language, scope=scope, scan_ids=content["scan_ids"],
                        manifest_sha256=digest, pdf_sha256=file_sha256(pdf.data), pdf_size=len(pdf.data),
                        pages=pdf.pages, summary=content["totals"])
    record_report(session, entry)
    return pdf.data, entry
