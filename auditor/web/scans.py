"""Scans: history with duration, counts and per-platform status; start a scan."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from auditor.accounts import audit_trail as web_audit
from auditor.storage.inventory_queries import scans_page
from auditor.web.context import actor, page_number, web
from auditor.web.guard import requires

bp = Blueprint("scans", __name__, url_prefix="/scans")


@bp.get("")
@requires("scans.view")
def index() -> str:
    """Scan history, newest first."""
    context = web()
    with context.db.session() as session:
        page = scans_page(session, page_number(), context.settings.web.page_size)
    return render_template(
        "scans/list.html", page=page, running=context.launcher.running, last_error=context.launcher.last_error
    )


@bp.post("/start")
@requires("scans.start")
def start() -> Response:
    """Start a scan in the background (one at a time)."""
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
        "Scan started: reload this page to see it." if started else "A scan is already running.",
        "info" if started else "error",
    )
    return redirect(url_for("scans.index"))
