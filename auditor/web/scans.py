"""Scans: history with duration, counts and per-platform status; start a scan and follow its progress; what
one scan changed against the previous one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from werkzeug.wrappers import Response

from auditor.accounts import audit_trail as web_audit
from auditor.errors import StorageError
from auditor.storage.inventory_queries import scans_page
from auditor.storage.queries import scan_diff
from auditor.web.context import actor, page_number, web
from auditor.web.guard import requires
from auditor.web.i18n import gettext as _

bp = Blueprint("scans", __name__, url_prefix="/scans")


@bp.get("")
@requires("scans.view")
def index() -> str:
    """Scan history, newest first, with the progress panel of a scan started here."""
    context = web()
    with context.db.session() as session:
        page = scans_page(session, page_number(), context.settings.web.page_size)
    return render_template(
        "scans/list.html", page=page, running=context.launcher.running, last_error=context.launcher.last_error,
        progress=context.launcher.status(),
    )


@bp.get("/progress")
@requires("scans.view")
def progress() -> Response:
    """The progress of the scan started here, as JSON (polled by static/scan-progress.js)."""
    answer = jsonify(web().launcher.status())
    answer.headers["Cache-Control"] = "no-store"
    return answer


@bp.get("/<int:scan_id>/diff")
@requires("scans.view")
def diff(scan_id: int) -> str:
    """New, reopened and resolved findings of one scan against the previous evaluated scan."""
    with web().db.session() as session:
        try:
            changes = scan_diff(session, scan_id)
        except StorageError:  # no such scan
            abort(404)
    return render_template("scans/diff.html", changes=changes)


@bp.post("/start")
@requires("scans.start")
def start() -> Response:
    """Start a scan in the background (one at a time); the scans page then shows its progress."""
    context = web()
    started = context.launcher.start()
    with context.db.session(write=True) as session:
        web_audit.record(
            session,
            actor(),
            "scan_started",
            outcome="ok" if started else "failed",
            target_kind="scan",
            detail={"already_running": not started},
            at=context.now(),
        )
    flash(
        _("Scan started: its progress shows below.") if started else _("A scan is already running."),
        "info" if started else "error",
    )
    return redirect(url_for("scans.index"))
