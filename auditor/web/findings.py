"""Findings: the filtered list, one finding in detail, and exports of the current filter (CSV, JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.roles import allowed
from auditor.accounts.users import active_usernames
from auditor.errors import AuditorError
from auditor.findings import triage as web_triage
from auditor.findings.exceptions import load_exceptions
from auditor.findings.fields import EXPORT_FIELDS
from auditor.findings.queries import (
    FilterError,
    FindingFilter,
    brief_rows,
    count_findings,
    export_rows,
    facets,
    finding_detail,
    matching_ids,
)
from auditor.findings.queries import list_page as findings_page
from auditor.findings.triage import MAX_BULK, TRIAGE_ROLES, TriageError
from auditor.identities import use_cases as identity_use_cases
from auditor.identities.use_cases import IdentityError
from auditor.limits import ascii_int
from auditor.model import CATEGORIES
from auditor.output import csv_chunks
from auditor.web.context import actor, current_user, log, page_number, web
from auditor.web.guard import requires, safe_next
from auditor.web.i18n import gettext as _
from auditor.web.i18n import lazy_gettext as _l

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
    with context.db.session(snapshot=True) as session:  # one scan's figures
        page = findings_page(session, flt, page_number(), context.settings.web.page_size)
        menus = facets(session)
        assignees = active_usernames(session, TRIAGE_ROLES)
        views = identity_use_cases.views_of(session, current_user().username)
    return render_template(
        "findings/list.html", page=page, flt=flt, menus=menus, categories=CATEGORIES, assignees=assignees,
        views=views, filter_query=urlencode(flt.args()),
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
        trail = (  # the audit trail is for the roles that may read it (README: admins), not every reader
            web_audit.list_entries(session, target_kind="finding", target_id=str(finding_id), limit=100)
            if allowed(current_user().role, "audit.view")
            else None
        )
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


# -- select all matching a filter, saved views ----------------------------------------------------------------

MAX_SELECT_ALL = 10_000
SELECT_ALL_ACTIONS = {"acknowledge": _l("Acknowledge"), "assign": _l("Assign")}


def _posted_filter() -> FindingFilter:
    """The filter a form carries as a query string (``filter``)."""
    try:
        return FindingFilter.from_args(MultiDict(parse_qsl(request.form.get("filter", "")[:4000])))
    except FilterError as exc:
        abort(400, f"Filter {exc}")


def _select_all_action() -> str:
    action = request.form.get("action", "")
    if action not in SELECT_ALL_ACTIONS:
        abort(400, _("Choose an action for every finding of the filter."))
    return action


def _back_to_list(flt: FindingFilter) -> Response:
    return redirect(url_for("findings.index", **flt.args()))


@bp.post("/select-all")
@requires("findings.triage")
def select_all() -> Response | str:
    """Every finding the filter matches: show how many and the first of them, and ask for confirmation."""
    action = _select_all_action()
    flt = _posted_filter()
    context = web()
    with context.db.session() as session:
        total = count_findings(session, flt)
        if total > MAX_SELECT_ALL:
            message = _("The filter matches %(total)s findings: at most %(most)s at once. Narrow it.")
            flash(message % {"total": total, "most": MAX_SELECT_ALL}, "error")
            return _back_to_list(flt)
        if not total:
            flash(_("No finding matches this filter."), "error")
            return _back_to_list(flt)
        sample = brief_rows(session, matching_ids(session, flt, 20))
        assignees = active_usernames(session, TRIAGE_ROLES)
    return render_template(
        "queue/select_all_confirm.html", action=action, label=SELECT_ALL_ACTIONS[action], total=total,
        sample=sample, flt=flt, filter_query=urlencode(flt.args()), assignees=assignees,
    )


@bp.post("/select-all/apply")
@requires("findings.triage")
def select_all_apply() -> Response:
    """Apply the confirmed action to every finding the filter matches, if it still matches the confirmed count."""
    action = _select_all_action()
    flt = _posted_filter()
    expected = ascii_int(request.form.get("expected"), max_digits=6)
    if request.form.get("confirm") != "yes" or expected is None:
        abort(400, _("The action on every finding of the filter was not confirmed."))
    context = web()
    with context.db.session() as session:
        ids = matching_ids(session, flt, MAX_SELECT_ALL + 1)
    if len(ids) != expected:
        flash(_("The filter now matches %(now)s findings, not %(expected)s: check and confirm again.", now=len(ids),
                expected=expected), "error")
        return _back_to_list(flt)
    assignee = request.form.get("assignee", "")[:200].strip() or None
    done = 0
    try:
        for start in range(0, len(ids), MAX_BULK):
            chunk = ids[start:start + MAX_BULK]
            if action == "acknowledge":
                done += web_triage.acknowledge(context.db, actor(), chunk, context.now())
            else:
                done += web_triage.assign(context.db, actor(), chunk, assignee, context.now())
    except TriageError as exc:
        flash(_("%(error)s (%(done)s finding(s) done before)", error=str(exc), done=done), "error")
    else:
        label = SELECT_ALL_ACTIONS[action]
        message = _("%(action)s: %(done)s finding(s) matching the filter.", action=label, done=done)
        flash(message, "info")
    return _back_to_list(flt)


@bp.post("/views")
@requires("findings.view")
def save_view() -> Response:
    """Save the current filter under a name (one's own views only)."""
    try:
        identity_use_cases.save_view(web().db, actor(), request.form.get("name", "")[:200],
                                     urlencode(_posted_filter().args()), web().now())
    except IdentityError as exc:
        flash(str(exc), "error")
    else:
        flash(_("View saved."), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("findings.index"))


@bp.post("/views/<int:view_id>/delete")
@requires("findings.view")
def delete_view(view_id: int) -> Response:
    """Delete one of one's saved views."""
    try:
        identity_use_cases.delete_view(web().db, actor(), view_id, web().now())
    except IdentityError as exc:
        flash(str(exc), "error")
    else:
        flash(_("View deleted."), "info")
    return redirect(url_for("findings.index"))
