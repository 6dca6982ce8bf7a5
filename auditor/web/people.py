"""People: the directory with each person's platform access, and one person's holdings and offboarding state."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from auditor.storage.inventory_queries import PERSON_STATUSES, people_page, person_detail
from auditor.web.context import page_number, web
from auditor.web.guard import requires

bp = Blueprint("people", __name__, url_prefix="/people")


@bp.get("")
@requires("people.view")
def index() -> str:
    """Search and page through people; filter by directory status."""
    q = request.args.get("q", "")[:100].strip() or None
    status = request.args.get("status") or None
    if status is not None and status not in PERSON_STATUSES:
        abort(400, "Filter status: unknown value")
    context = web()
    with context.db.session() as session:
        page = people_page(session, q=q, status=status, page=page_number(), page_size=context.settings.web.page_size)
    return render_template("people/list.html", page=page, q=q or "", status=status or "", statuses=PERSON_STATUSES)


@bp.get("/<uid>")
@requires("people.view")
def detail(uid: str) -> str:
    """Directory record, accounts, roles, assets, apps, findings, removed access, offboarding state."""
    if len(uid) > 200:
        abort(404)
    context = web()
    with context.db.session() as session:
        data = person_detail(session, uid, context.now().date())
    if data is None:
        abort(404)
    return render_template("people/detail.html", data=data, uid=uid)
