"""The queue: what to fix first, per person (leavers first) and per unmatched identity; and the dashboard's
"fix first" panel (a template helper, so the dashboard's own view stays as it is)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request

from auditor.accounts.roles import allowed
from auditor.identities.queue import fix_first, person_queue, unmatched_queue
from auditor.web.context import page_number, web
from auditor.web.guard import requires

bp = Blueprint("queue", __name__, url_prefix="/queue")

TABS = ("people", "unmatched")
PAGE_SIZE = 25


@bp.get("")
@requires("findings.view")
def index() -> str:
    """People with open findings (leavers first, then by severity), or unmatched identities."""
    tab = request.args.get("tab") or "people"
    if tab not in TABS:
        abort(400, "Filter tab: unknown value")
    context = web()
    with context.db.session() as session:
        if tab == "people":
            queue = person_queue(session, context.now().date(), page_number(), PAGE_SIZE)
        else:
            queue = unmatched_queue(session, page_number(), PAGE_SIZE)
    return render_template("queue/index.html", queue=queue, tab=tab)


@bp.app_template_global("fix_first_panel")
def fix_first_panel() -> dict[str, Any] | None:
    """The dashboard panel's data, for a user who may read findings (None otherwise)."""
    user = g.get("user")
    if user is None or not allowed(user.role, "findings.view"):
        return None
    context = web()
    with context.db.session() as session:
        return fix_first(session, context.now().date())
