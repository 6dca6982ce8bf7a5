"""Identities: accounts across platforms as one row per identity; link them to a person, mark them as an
agency / external person's accounts or as service accounts (applied by the next scan), or undo that."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditor.identities import use_cases
from auditor.identities.queries import SHOWS, active_people, identities, person_names
from auditor.identities.tables import AGENCY, SERVICE
from auditor.identities.use_cases import IdentityError, parse_account_keys
from auditor.web.context import actor, web
from auditor.web.guard import requires, safe_next
from auditor.web.i18n import gettext as _

bp = Blueprint("identities", __name__, url_prefix="/identities")

MAX_ROWS = 200


@bp.get("")
@requires("identities.view")
def index() -> str:
    """Search identities by name, e-mail or account id; unmatched ones first."""
    q = request.args.get("q", "")[:100].strip() or None
    show = request.args.get("show") or "unmatched"
    if show not in SHOWS:
        abort(400, "Filter show: unknown value")
    context = web()
    with context.db.session() as session:
        rows = identities(session, q=q, show=show)
        names = person_names(session, sorted({uid for row in rows for uid in row.people}))
        people = active_people(session)
    return render_template(
        "identities/index.html", rows=rows[:MAX_ROWS], total=len(rows), q=q or "", show=show, names=names,
        people=people, today=context.now().date(), agency=AGENCY, service=SERVICE,
    )


def _form(name: str, limit: int = 1000) -> str:
    return request.form.get(name, "")[:limit]


def _change(action: Callable[[list[tuple[str, str]]], int], done: str) -> Response:
    try:
        count = action(parse_account_keys(request.form.getlist("accounts")))
    except IdentityError as exc:
        flash(str(exc), "error")
    else:
        flash(done.format(count=count) + " " + _("The next scan applies it."), "info")
    return redirect(safe_next(request.form.get("next")) or url_for("identities.index"))


@bp.post("/link")
@requires("identities.manage")
def link() -> Response:
    """Link the accounts to a directory person."""
    context = web()
    return _change(lambda keys: use_cases.link_to_person(context.db, actor(), keys, _form("uid", 200),
                                                         context.now()),
                   _("Linked {count} account(s) to %(uid)s.", uid=_form("uid", 200).strip()))


@bp.post("/mark")
@requires("identities.manage")
def mark() -> Response:
    """Mark the accounts as an agency person's (owner, agency, expiry) or as service accounts (owner)."""
    context = web()
    return _change(
        lambda keys: use_cases.mark(
            context.db, actor(), keys, kind=_form("kind", 20), owner=_form("owner", 200),
            agency=_form("agency", 300), expires=_form("expires", 20), note=_form("note", 2000), now=context.now(),
        ),
        _("Marked {count} account(s)."),
    )


@bp.post("/undo")
@requires("identities.manage")
def undo() -> Response:
    """Remove the link or marking made in the web UI."""
    context = web()
    return _change(lambda keys: use_cases.undo(context.db, actor(), keys, context.now()),
                   _("Removed the link or marking of {count} account(s)."))
