"""Findings: the filtered list, one finding in detail, and exports of the current filter (CSV, JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, abort, render_template, request
from werkzeug.wrappers import Response

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.users import active_usernames
from auditor.errors import AuditorError
from auditor.findings.exceptions import load_exceptions
from auditor.findings.fields import EXPORT_FIELDS
from auditor.findings.queries import (
    FilterError,
    FindingFilter,
    export_rows,
    facets,
    finding_detail,
)
from auditor.findings.queries import list_page as findings_page
from auditor.findings.triage import TRIAGE_ROLES
from auditor.model import CATEGORIES
from auditor.output import csv_chunks
from auditor.web.context import actor, log, page_number, web
from auditor.web.guard import requires

bp = Blueprint("findings", __name__, url_prefix="/findings")


def _filter() -> FindingFilter:
    try:
        return FindingFilter.from_args(request.args)
    except FilterError as exc:
        abort(400, f"Filter {exc}")


@bp.get("")
@requires("findings.view")
def index() -> str:
    """The list: filters, sort, pages, bulk selection."""
    flt = _filter()
    context = web()
    with context.db.session() as session:
        page = findings_page(session, flt, page_number(), context.settings.web.page_size)
        menus = facets(session)
        assignees = active_usernames(session, TRIAGE_ROLES)
    return render_template(
        "findings/list.html", page=page, flt=flt, menus=menus, categories=CATEGORIES, assignees=assignees
    )


def _file_exception(exception_id: str | None) -> Any:
    """The exceptions-file entry that mutes a finding, if it can be read."""
    if not exception_id or not exception_id.startswith("yaml:"):
        return None
    settings = web().settings
    try:
        entries = load_exceptions(settings.resolve_path(settings.policies.exceptions_file))
    except AuditorError as exc:
        log.warning("exceptions file unreadable for the finding page: %s", exc)
        return None
    return next((entry for entry in entries if entry.id == exception_id), None)


@bp.get("/<int:finding_id>")
@requires("findings.view")
def detail(finding_id: int) -> str:
    """Evidence, history, the rule's rationale and remediation, and the triage actions."""
    context = web()
    with context.db.session() as session:
        data = finding_detail(session, finding_id)
        if data is None:
            abort(404)
        trail = web_audit.list_entries(session, target_kind="finding", target_id=str(finding_id), limit=100)
        assignees = active_usernames(session, TRIAGE_ROLES)
    finding = data["finding"]
    return render_template(
        "findings/detail.html",
        data=data,
        finding=finding,
        rule=context.policies().get(finding["rule"]),
        trail=trail,
        assignees=assignees,
        file_exception=_file_exception(finding.get("exception_id")),
        today=context.now().date(),
        max_days=context.settings.web.max_exception_days,
    )


def _json_stream(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False, sort_keys=False)
    yield "\n]\n"


@bp.get("/export.<fmt>")
@requires("findings.export")
def export(fmt: str) -> Response:
    """Every finding of the current filter as CSV or JSON (streamed), recorded in the audit trail."""
    if fmt not in ("csv", "json"):
        abort(404)
    flt = _filter()
    context = web()
    now = context.now()
    with context.db.session(write=True) as session:
        web_audit.record(
            session,
            actor(),
            "findings_exported",
            target_kind="findings",
            target_id=fmt,
            detail={"filter": flt.args(), "format": fmt},
            at=now,
        )
    rows = export_rows(context.db, flt)
    body = csv_chunks(rows, EXPORT_FIELDS) if fmt == "csv" else _json_stream(rows)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    name = f"findings-{now:%Y%m%d-%H%M}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
