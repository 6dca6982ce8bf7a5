"""HR offboarding pages: the cases, one case with its items, opening a case (the HR button), re-checking it,
the evidence PDF, and a security officer's decision on a proposed revocation.

Blueprint ``offboarding`` under ``/offboarding``. Permissions (in ``auditor.accounts.roles.PERMISSIONS``):
``offboarding.view`` (the list, one case, its evidence, who may decide a proposal), ``offboarding.open`` (open a
case), ``offboarding.check`` (re-check an open case: HR, the administrator and the approver) and
``offboarding.approve`` (approve or reject a proposed revocation; the service also refuses anyone but a
security officer, and the person who opened the case). Views parse the form and call
``auditor.offboarding.use_cases``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from auditor.accounts.users import active_usernames
from auditor.errors import AuditorError
from auditor.offboarding import use_cases as service
from auditor.offboarding.cases import CaseError
from auditor.offboarding.revocation import RevocationError
from auditor.web.context import web
from auditor.web.guard import requires
from auditor.web.i18n import gettext as _
from auditor.web.i18n import term

bp = Blueprint("offboarding", __name__, url_prefix="/offboarding")

VIEW, OPEN, CHECK, APPROVE = "offboarding.view", "offboarding.open", "offboarding.check", "offboarding.approve"
APPROVER_ROLES = ("security_officer",)


def _case_or_404(case_id: int) -> dict[str, Any]:
    context = web()
    try:
        return service.get_case(context.settings, case_id, db=context.db)
    except CaseError:
        abort(404)


@bp.get("/")
@requires(VIEW)
def index() -> str:
    """Cases, newest first (open ones by default)."""
    status = request.args.get("status", "open")
    if status not in ("open", "closed", "all"):
        abort(400, f"unknown status {status!r}")
    context = web()
    rows = service.find_cases(context.settings, status=None if status == "all" else status, db=context.db)
    return render_template("offboarding/index.html", rows=rows, status=status)


@bp.get("/new")
@requires(OPEN)
def new() -> str:
    """The form HR fills in for a leaver (``?uid=`` fills the uid in, from the person page)."""
    return render_template("offboarding/new.html", form={"uid": request.args.get("uid", "")[:200]}, error=None)


@bp.post("/new")
@requires(OPEN)
def create() -> Response | tuple[str, int]:
    """Open the case (the targeted check runs at once) and show it."""
    form = request.form
    context = web()
    try:
        value = form.get("last_working_day", "").strip()
        try:
            last_day = date.fromisoformat(value)
        except ValueError:
            raise CaseError(f"last_working_day: {value!r} is not a date (YYYY-MM-DD)") from None
        result = service.open_case(
            context.settings,
            uid=form.get("uid", "").strip() or None,
            email=form.get("email", "").strip() or None,
            last_working_day=last_day,
            manager=form.get("manager", "").strip() or None,
            source="web",
            opened_by=str(g.user.username),
            now=context.now(),
            db=context.db,
        )
    except AuditorError as exc:
        return render_template("offboarding/new.html", form=form, error=str(exc)), 400
    case = result["case"]
    present = case["counts"]["present"]
    flash(
        _("Case %(id)s opened: %(count)s item(s) present.", id=case["id"], count=present)
        if result["created"]
        else _("Case %(id)s was already open: %(count)s item(s) present.", id=case["id"], count=present),
        "info",
    )
    return redirect(url_for("offboarding.show", case_id=case["id"]))


@bp.get("/<int:case_id>")
@requires(VIEW)
def show(case_id: int) -> str:
    """One case: deadline, platforms, items with their state and times, revocations and who may decide them."""
    case = _case_or_404(case_id)
    with web().db.session() as session:
        officers = active_usernames(session, APPROVER_ROLES)
    approvers = [name for name in officers if name != case["opened_by"]]
    return render_template("offboarding/show.html", case=case, approvers=approvers)


@bp.post("/<int:case_id>/check")
@requires(CHECK)
def check(case_id: int) -> Response:
    """Re-check the case now."""
    _case_or_404(case_id)
    context = web()
    case = service.check_case(context.settings, case_id, now=context.now(), db=context.db)
    flash(_("Case %(id)s checked: %(status)s.", id=case_id, status=term(case["status"])), "info")
    return redirect(url_for("offboarding.show", case_id=case_id))


@bp.get("/<int:case_id>/evidence")
@requires(VIEW)
def evidence(case_id: int) -> Response:
    """The evidence PDF attached to a closed case."""
    case = _case_or_404(case_id)
    if not case.get("evidence_path"):
        abort(404)
    try:
        data = Path(case["evidence_path"]).read_bytes()
    except OSError:
        abort(404)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{case["evidence_report_id"]}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/revocations/<int:revocation_id>")
@requires(APPROVE)
def decide(revocation_id: int) -> Response:
    """A security officer approves (it runs at once) or rejects a proposed revocation."""
    action = request.form.get("action")
    if action not in ("approve", "reject"):
        abort(400, "action: approve or reject")
    context = web()
    try:
        case = service.decide_revocation(
            context.settings,
            revocation_id,
            by=str(g.user.username),
            role=str(g.user.role),
            approve=action == "approve",
            reason=request.form.get("reason", "").strip() or None,
            now=context.now(),
            db=context.db,
        )
    except RevocationError as exc:
        if exc.status == 404:
            abort(404)
        flash(str(exc), "error")
        return redirect(url_for("offboarding.index"))
    done = _("approved") if action == "approve" else _("rejected")
    flash(_("Revocation %(id)s: %(done)s.", id=revocation_id, done=done), "info")
    return redirect(url_for("offboarding.show", case_id=case["id"]))
