"""Access-review pages: campaigns (list, one campaign with its figures, start one, follow through,
complete, export, evidence PDF) and a reviewer's own items (decide, bulk per person, delegate).

Blueprint ``reviews`` under ``/reviews``. Permissions (``auditor.accounts.roles.PERMISSIONS``):
``reviews.view``, ``reviews.manage`` and ``reviews.decide``; the use cases also refuse an item assigned to
someone else (answered 404, as if it did not exist). Views parse the form and call
``auditor.reviews.use_cases``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from auditor.accounts.audit_trail import Actor
from auditor.output import csv_chunks
from auditor.reviews import use_cases as service
from auditor.reviews.campaigns import ReviewError
from auditor.reviews.evidence import EXPORT_COLUMNS
from auditor.web.context import web
from auditor.web.guard import requires
from auditor.web.i18n import gettext as _
from auditor.web.i18n import term

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
VIEW, MANAGE, DECIDE = "reviews.view", "reviews.manage", "reviews.decide"


def _actor() -> Actor:
    return Actor(str(g.user.username), str(g.user.role), request.remote_addr)


def _campaign_or_404(campaign_id: int) -> dict[str, Any]:
    context = web()
    try:
        return service.get_campaign(context.settings, campaign_id, db=context.db)
    except ReviewError:
        abort(404)


def _names(values: list[str]) -> list[str]:
    """Comma-separated names from form fields, blanks dropped."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _failed(exc: ReviewError) -> None:
    if exc.status == 404:
        abort(404)
    flash(str(exc), "error")


@bp.get("/")
@requires(VIEW)
def index() -> str:
    """Campaigns, newest first."""
    context = web()
    return render_template("reviews/index.html", rows=service.find_campaigns(context.settings, db=context.db))


@bp.get("/new")
@requires(MANAGE)
def new() -> str:
    """The form that starts a campaign."""
    return render_template("reviews/new.html", form={}, error=None)


@bp.post("/new")
@requires(MANAGE)
def create() -> Response | tuple[str, int]:
    """Start the campaign (freezes its grants, sends the first reminders)."""
    form = request.form
    context = web()
    try:
        try:
            due = datetime.combine(datetime.strptime(form.get("due", "").strip(), "%Y-%m-%d").date(), time(17),
                                   tzinfo=UTC)
        except ValueError:
            raise ReviewError(f"due: {form.get('due', '')!r} is not a date (YYYY-MM-DD)") from None
        scope = {"platforms": _names(form.getlist("platforms")), "tenants": _names(form.getlist("tenants")),
                 "privileged_only": form.get("privileged_only") == "on", "kinds": form.getlist("kinds")}
        campaign = service.start_campaign(context.settings, name=form.get("name", ""), scope=scope,
                                          reviewer_mode=form.get("reviewer_mode", ""),
                                          fallback_reviewer=form.get("fallback_reviewer", ""), due_at=due,
                                          actor=_actor(), now=context.now(), db=context.db)
    except ReviewError as exc:
        return render_template("reviews/new.html", form=form, error=str(exc)), 400
    count = campaign["totals"]["items"]
    flash(_("Campaign %(id)s started: %(count)s grant(s) to review.", id=campaign["id"], count=count), "info")
    return redirect(url_for("reviews.show", campaign_id=campaign["id"]))


@bp.get("/<int:campaign_id>")
@requires(VIEW)
def show(campaign_id: int) -> str:
    """One campaign: scope, progress per reviewer with signals, every item."""
    return render_template("reviews/show.html", campaign=_campaign_or_404(campaign_id))


@bp.post("/<int:campaign_id>/refresh")
@requires(MANAGE)
def refresh(campaign_id: int) -> Response:
    """Follow the revocations through the latest scans (completes the campaign when all is done)."""
    context = web()
    try:
        view = service.refresh(context.settings, campaign_id, actor=_actor(), now=context.now(), db=context.db)
        flash(_("Campaign %(id)s: %(status)s.", id=campaign_id, status=term(view["status"])), "info")
    except ReviewError as exc:
        _failed(exc)
    return redirect(url_for("reviews.show", campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/complete")
@requires(MANAGE)
def complete(campaign_id: int) -> Response:
    """Close the campaign now and attach its evidence."""
    context = web()
    try:
        service.complete_campaign(context.settings, campaign_id, actor=_actor(), now=context.now(), db=context.db)
    except ReviewError as exc:
        _failed(exc)
    return redirect(url_for("reviews.show", campaign_id=campaign_id))


@bp.get("/<int:campaign_id>/export.<fmt>")
@requires(VIEW)
def export(campaign_id: int, fmt: str) -> Response:
    """The evidence data as CSV (one row per item, formula-guarded) or JSON."""
    if fmt not in ("csv", "json"):
        abort(404)
    context = web()
    try:
        data = service.export(context.settings, campaign_id, db=context.db)
    except ReviewError:
        abort(404)
    if fmt == "json":
        response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    else:
        response = Response(csv_chunks(data["items"], EXPORT_COLUMNS), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="review-{campaign_id}.{fmt}"'
    return response


@bp.get("/<int:campaign_id>/evidence")
@requires(VIEW)
def evidence(campaign_id: int) -> Response:
    """The signed evidence PDF of a completed campaign."""
    campaign = _campaign_or_404(campaign_id)
    if not campaign.get("evidence_path"):
        abort(404)
    try:
        data = Path(campaign["evidence_path"]).read_bytes()
    except OSError:
        abort(404)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{campaign["evidence_report_id"]}.pdf"'
    return response


@bp.get("/mine")
@requires(DECIDE)
def mine() -> str:
    """The signed-in reviewer's items in open campaigns, grouped by person, with their context."""
    context = web()
    groups = service.my_items(context.settings, str(g.user.username), db=context.db)
    return render_template("reviews/mine.html", groups=groups)


@bp.post("/items/<int:item_id>")
@requires(DECIDE)
def decide(item_id: int) -> Response:
    """Keep, revoke or change the role of one of the reviewer's items."""
    context = web()
    form = request.form
    try:
        service.decide_item(context.settings, item_id, actor=_actor(), decision=form.get("decision", ""),
                            comment=form.get("comment"), new_role=form.get("new_role"), now=context.now(),
                            db=context.db)
        flash(_("Item %(id)s: %(decision)s.", id=item_id, decision=term(form.get("decision"))), "info")
    except ReviewError as exc:
        _failed(exc)
    return redirect(url_for("reviews.mine"))


@bp.post("/<int:campaign_id>/people/<uid>")
@requires(DECIDE)
def decide_person(campaign_id: int, uid: str) -> Response:
    """One decision for every open item of one person assigned to the reviewer."""
    context = web()
    try:
        count = service.decide_person(context.settings, campaign_id, uid, actor=_actor(),
                                      decision=request.form.get("decision", ""), comment=request.form.get("comment"),
                                      now=context.now(), db=context.db)
        decision = term(request.form.get("decision"))
        flash(_("%(count)s item(s) of %(uid)s: %(decision)s.", count=count, uid=uid, decision=decision), "info")
    except ReviewError as exc:
        _failed(exc)
    return redirect(url_for("reviews.mine"))


@bp.post("/items/<int:item_id>/delegate")
@requires(DECIDE)
def delegate(item_id: int) -> Response:
    """Hand one item to another reviewer, with a reason."""
    context = web()
    try:
        service.delegate_item(context.settings, item_id, actor=_actor(), to=request.form.get("to", ""),
                              reason=request.form.get("reason", ""), now=context.now(), db=context.db)
        flash(_("Item %(id)s delegated.", id=item_id), "info")
    except ReviewError as exc:
        _failed(exc)
    return redirect(url_for("reviews.mine"))
