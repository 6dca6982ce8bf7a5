"""The register of data-subject requests in the web UI, and the Art. 30 records of processing.

Blueprint ``dsar`` under ``/dsar``. Permissions (to add to ``auditor.accounts.roles.PERMISSIONS``):
``dsar.view`` (the register, one request), ``dsar.manage`` (open a request, every lifecycle step, build the
answer pack, decide an erasure) and ``dsar.processing`` (the Art. 30 page). Views stay thin: they parse the form
and call ``auditor.dsar.use_cases``; a refused step (e.g. an extension noticed after the first month) re-renders
the request with the reason and HTTP 409.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from auditor.dsar import use_cases as service
from auditor.dsar.deadlines import STOP_REASONS
from auditor.dsar.errors import RequestNotFound
from auditor.dsar.vocabulary import CHANNELS, CLOSED_STATUSES, LANGUAGES, REQUEST_TYPES, STATUSES
from auditor.errors import AuditorError
from auditor.web.context import web
from auditor.web.guard import requires
from auditor.web.i18n import gettext as _
from auditor.web.i18n import term

bp = Blueprint("dsar", __name__, url_prefix="/dsar")

VIEW, MANAGE, PROCESSING = "dsar.view", "dsar.manage", "dsar.processing"
STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    # form action -> (service step, form fields passed on)
    "start": ("start", ()),
    "assign": ("assign", ("owner",)),
    "note": ("add_note", ("text",)),
    "verify-identity": ("verify_identity", ("method",)),
    "stop-clock": ("stop_clock", ("reason", "on", "note")),
    "resume": ("resume_clock", ("on", "note")),
    "extend": ("extend", ("reason", "notice_on")),
    "close": ("close", ("status", "reason", "channel")),
}
_DATE_FIELDS = {"on", "notice_on"}



def _actor() -> str:
    return str(g.user.username)


def _date(name: str, value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise AuditorError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def _choices() -> dict[str, Any]:
    return {"types": REQUEST_TYPES, "channels": CHANNELS, "stop_reasons": STOP_REASONS,
            "closed_statuses": CLOSED_STATUSES, "statuses": STATUSES, "languages": LANGUAGES}


@bp.get("/")
@requires(VIEW)
def index() -> str:
    """The register: open requests (or closed / all), soonest due first, with days left."""
    status = request.args.get("status", "open")
    if status not in ("open", "closed", "all", *STATUSES):
        abort(400, f"unknown status {status!r}")
    context = web()
    rows = service.list_requests(context.settings, status=status, now=context.now(), db=context.db)
    return render_template("dsar/index.html", rows=rows, status=status, **_choices())


@bp.get("/new")
@requires(MANAGE)
def new() -> str:
    """The form to register a request."""
    return render_template("dsar/new.html", form={}, error=None, **_choices())


@bp.post("/new")
@requires(MANAGE)
def create() -> Response | tuple[str, int]:
    """Register a request from the form."""
    form = request.form
    context = web()
    try:
        handles: dict[str, list[str]] = {}
        for line in form.get("handles", "").splitlines():
            if line.strip():
                platform, sep, handle = line.rpartition("=")
                if not sep or not platform.strip() or not handle.strip():
                    raise AuditorError(f"handles: {line.strip()!r}: expected PLATFORM=ID")
                handles.setdefault(platform.strip(), []).append(handle.strip())
        detail = service.open_request(
            context.settings, name=form.get("name", ""), emails=form.get("emails", "").replace(",", " ").split(),
            handles=handles, request_type=form.get("type", "access"), received=_date("received", form.get(
                "received", "")), channel=form.get("channel", "email"), owner=form.get("owner") or None,
            note=form.get("note") or None, actor=_actor(), now=context.now(), db=context.db)
    except AuditorError as exc:
        return render_template("dsar/new.html", form=form, error=str(exc), **_choices()), 400
    flash(_("Request %(id)s registered; due %(due)s.", id=detail["id"], due=detail["due"]), "info")
    return redirect(url_for("dsar.show", request_id=detail["id"]))


def _show(request_id: int, *, error: str | None = None, status: int = 200) -> tuple[str, int]:
    context = web()
    try:
        detail = service.show_request(context.settings, request_id, now=context.now(), db=context.db)
    except RequestNotFound:
        abort(404)
    return render_template("dsar/show.html", item=detail, error=error, **_choices()), status


@bp.get("/<int:request_id>")
@requires(VIEW)
def show(request_id: int) -> tuple[str, int]:
    """One request: deadline, identity, clock stops, history, packs, and the forms of the next steps."""
    return _show(request_id)


@bp.post("/<int:request_id>/step/<action>")
@requires(MANAGE)
def step(request_id: int, action: str) -> Response | tuple[str, int]:
    """One lifecycle step from a form on the request page."""
    if action not in STEPS:
        abort(404)
    name, fields = STEPS[action]
    context = web()
    try:
        arguments = {f: (_date(f, request.form.get(f, "")) if f in _DATE_FIELDS else request.form.get(f, ""))
                     for f in fields}
        optional = {"note", "channel"} | ({"reason"} if name == "close" else set())
        for key in optional & arguments.keys():
            arguments[key] = arguments[key] or None
        service.change_request(context.settings, request_id, name, actor=_actor(), now=context.now(),
                               db=context.db, **arguments)
    except RequestNotFound:
        abort(404)
    except AuditorError as exc:
        return _show(request_id, error=str(exc), status=409)
    flash(_("Request %(id)s: %(action)s recorded.", id=request_id, action=term(action.replace("-", " "))), "info")
    return redirect(url_for("dsar.show", request_id=request_id))


@bp.post("/<int:request_id>/pack")
@requires(MANAGE)
def pack(request_id: int) -> Response | tuple[str, int]:
    """Search every source, build the answer pack and download it as a ZIP (its SHA-256 is registered)."""
    context = web()
    language = request.form.get("language") or None
    if language is not None and language not in LANGUAGES:  # an allow-list at the edge: 400, nothing stored
        shown = language[:40] + ("..." if len(language) > 40 else "")
        return _show(request_id, error=f"language: unknown value {shown!r} (expected one of "
                                       f"{', '.join(LANGUAGES)})", status=400)
    try:
        built = service.make_pack(context.settings, request_id, actor=_actor(), language=language,
                                  now=context.now(), db=context.db)
    except RequestNotFound:
        abort(404)
    except AuditorError as exc:
        return _show(request_id, error=str(exc), status=409)
    response = Response(service.pack_zip(built), mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="dsar-{request_id}-pack.zip"'
    response.headers["X-Pack-SHA256"] = built.sha256
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:request_id>/erase")
@requires(MANAGE)
def erase(request_id: int) -> Response | tuple[str, int]:
    """Decide an erasure request (and pseudonymise where no exception applies); ``dry_run`` only shows it."""
    context = web()
    dry_run = request.form.get("dry_run") == "1"
    try:
        decision = service.erase_for_request(context.settings, request_id, actor=_actor(), dry_run=dry_run,
                                             now=context.now(), db=context.db)
    except RequestNotFound:
        abort(404)
    except AuditorError as exc:
        return _show(request_id, error=str(exc), status=409)
    outcome = term(decision["outcome"])
    message = _("%(outcome)s: %(basis)s", outcome=outcome, basis=decision["basis"])
    flash(_("Dry run: %(message)s", message=message) if dry_run else message, "info")
    return redirect(url_for("dsar.show", request_id=request_id))


@bp.get("/processing")
@requires(PROCESSING)
def processing() -> str:
    """The Art. 30 records of processing of the auditor itself."""
    return render_template("dsar/processing.html", record=service.processing_record(web().settings))
