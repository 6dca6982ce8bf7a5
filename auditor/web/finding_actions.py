"""Triage actions on findings: acknowledge, assign, comment, accept the risk, reopen; bulk with confirmation."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditor.accounts.roles import allowed
from auditor.accounts.users import active_usernames
from auditor.findings import triage as web_triage
from auditor.findings.queries import brief_rows
from auditor.findings.triage import MAX_BULK, TriageError
from auditor.limits import ascii_int
from auditor.web.context import actor, current_user, web
from auditor.web.guard import requires, safe_next
from auditor.web.i18n import gettext as _
from auditor.web.i18n import lazy_gettext as _l

bp = Blueprint("finding_actions", __name__, url_prefix="/findings")

BULK_ACTIONS = {
    "acknowledge": _l("Acknowledge"),
    "assign": _l("Assign"),
    "reopen": _l("Reopen"),
    "accept_risk": _l("Accept the risk"),
}


def _back(finding_id: int | None = None) -> Response:
    target = safe_next(request.form.get("next"))
    if target is None:
        target = url_for("findings.detail", finding_id=finding_id) if finding_id else url_for("findings.index")
    return redirect(target)


def _run(action: Callable[[], int], done: str, finding_id: int | None = None) -> Response:
    try:
        count = action()
    except TriageError as exc:
        flash(str(exc), "error")
    else:
        flash(done.format(count=count), "info")
    return _back(finding_id)


def _form(name: str, limit: int = 2000) -> str:
    return request.form.get(name, "")[:limit]


def _assignee() -> str | None:
    return _form("assignee", 200).strip() or None


def _accept(ids: list[int]) -> int:
    context = web()
    return web_triage.accept_risk(
        context.db,
        actor(),
        ids,
        reason=_form("reason"),
        approver=_form("approver", 200),
        expires=_form("expires", 20),
        now=context.now(),
        max_days=context.settings.web.max_exception_days,
    )


@bp.post("/<int:finding_id>/acknowledge")
@requires("findings.triage")
def acknowledge(finding_id: int) -> Response:
    """Mark the finding as seen and being handled."""
    return _run(
        lambda: web_triage.acknowledge(web().db, actor(), [finding_id], web().now()), _("Acknowledged."), finding_id
    )


@bp.post("/<int:finding_id>/assign")
@requires("findings.triage")
def assign(finding_id: int) -> Response:
    """Assign the finding (empty: unassign)."""
    return _run(
        lambda: web_triage.assign(web().db, actor(), [finding_id], _assignee(), web().now()),
        _("Assignment saved."),
        finding_id,
    )


@bp.post("/<int:finding_id>/comment")
@requires("findings.triage")
def comment(finding_id: int) -> Response:
    """Add a comment."""

    def add() -> int:
        web_triage.comment(web().db, actor(), finding_id, _form("body", 6000), web().now())
        return 1

    return _run(add, _("Comment added."), finding_id)


@bp.post("/<int:finding_id>/reopen")
@requires("findings.triage")
def reopen(finding_id: int) -> Response:
    """Clear the acknowledgement and withdraw a risk exception made here."""
    return _run(lambda: web_triage.reopen(web().db, actor(), [finding_id], web().now()), _("Reopened."), finding_id)


@bp.post("/<int:finding_id>/accept-risk")
@requires("findings.accept_risk")
def accept_risk(finding_id: int) -> Response:
    """Accept the risk with a reason, an approver and an expiry date."""
    return _run(lambda: _accept([finding_id]), _("Risk accepted until the expiry date."), finding_id)


def _selected() -> list[int]:
    ids = [number for value in request.form.getlist("ids") if (number := ascii_int(value, max_digits=11))]
    if len(ids) > MAX_BULK:
        abort(400, _("At most %(count)s findings at once.", count=MAX_BULK))
    return sorted(set(ids))


def _bulk_action() -> str:
    action = request.form.get("action", "")
    if action not in BULK_ACTIONS:
        abort(400, _("Choose an action for the selected findings."))
    if action == "accept_risk" and not allowed(current_user().role, "findings.accept_risk"):
        abort(403)
    return action


@bp.post("/bulk")
@requires("findings.triage")
def bulk() -> Response | str:
    """Show what a bulk action will do and ask for confirmation."""
    action = _bulk_action()
    ids = _selected()
    if not ids:
        flash(_("Select at least one finding."), "error")
        return _back()
    with web().db.session() as session:
        rows = brief_rows(session, ids)
        assignees = active_usernames(session, web_triage.TRIAGE_ROLES)
    context = web()
    return render_template(
        "findings/bulk_confirm.html",
        action=action,
        label=BULK_ACTIONS[action],
        rows=rows,
        assignees=assignees,
        next=safe_next(request.form.get("next")),
        today=context.now().date(),
        max_days=context.settings.web.max_exception_days,
    )


@bp.post("/bulk/apply")
@requires("findings.triage")
def bulk_apply() -> Response:
    """Apply a confirmed bulk action."""
    action = _bulk_action()
    ids = _selected()
    if request.form.get("confirm") != "yes":
        abort(400, _("The bulk action was not confirmed."))
    context = web()
    actions: dict[str, Callable[[], int]] = {
        "acknowledge": lambda: web_triage.acknowledge(context.db, actor(), ids, context.now()),
        "assign": lambda: web_triage.assign(context.db, actor(), ids, _assignee(), context.now()),
        "reopen": lambda: web_triage.reopen(context.db, actor(), ids, context.now()),
        "accept_risk": lambda: _accept(ids),
    }
    return _run(actions[action], f"{BULK_ACTIONS[action]}: {{count}} finding(s).")
