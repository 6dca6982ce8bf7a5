"""The dashboard, and ``/`` which sends each role to its home page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from auditor.accounts.roles import home_endpoint
from auditor.findings.dashboard import dashboard
from auditor.web.context import current_user, web
from auditor.web.guard import requires

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@requires("account")
def home() -> Response:
    """Each role's landing page."""
    return redirect(url_for(home_endpoint(current_user().role)))


@bp.get("/dashboard")
@requires("dashboard.view")
def index() -> str:
    """Open findings, trend, changes since the previous scan, unverified platforms, scan times."""
    context = web()
    with context.db.session(snapshot=True) as session:  # one scan's figures
        data = dashboard(session)
    return render_template("dashboard.html", data=data, scan_running=context.launcher.running)
