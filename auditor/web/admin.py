"""Administration: the tool's users (add, disable, enable, role, reset two-factor, unlock) and the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditor.accounts import audit_trail as web_audit
from auditor.accounts import users as web_users
from auditor.accounts.users import ROLES, WebUserError
from auditor.web.context import actor, page_number, web
from auditor.web.guard import requires
from auditor.web.i18n import gettext as _

bp = Blueprint("admin", __name__, url_prefix="/admin")

AUDIT_PAGE = 100


@bp.get("/users")
@requires("users.manage")
def users() -> str:
    """Users with their role, state and last sign-in."""
    context = web()
    now = context.now()
    with context.db.session() as session:
        people = web_users.list_users(session)
        locks = {user.username: web_users.locked_until(session, user.username, now) for user in people}
    return render_template("admin/users.html", users=people, locks=locks)


def _form(name: str, limit: int = 256) -> str:
    return request.form.get(name, "")[:limit]


def _change(action: Callable[[], object], done: str) -> Response:
    try:
        action()
    except WebUserError as exc:
        flash(str(exc), "error")
    else:
        flash(done, "info")
    return redirect(url_for("admin.users"))


@bp.post("/users")
@requires("users.manage")
def add_user() -> Response:
    """Add a user with a first password; they enrol their authenticator at first sign-in."""
    context = web()
    if _form("password", 1024) != _form("confirm_password", 1024):
        flash(_("The passwords do not match."), "error")
        return redirect(url_for("admin.users"))
    return _change(
        lambda: web_users.add_user(
            context.db,
            _form("username"),
            _form("role", 40),
            _form("password", 1024),
            display_name=_form("display_name", 120) or None,
            actor=actor(),
            now=context.now(),
        ),
        _("User added: they set up two-factor authentication at their first sign-in."),
    )


@bp.post("/users/<username>/<operation>")
@requires("users.manage")
def change_user(username: str, operation: str) -> Response:
    """disable | enable | reset-2fa | unlock | role."""
    context = web()
    who, now = actor(), context.now()
    operations: dict[str, tuple[Callable[[], object], str]] = {
        "disable": (
            lambda: web_users.disable_user(context.db, username, actor=who, now=now, keep_an_admin=True),
            _("%(username)s disabled; their sessions ended.", username=username),
        ),
        "enable": (
            lambda: web_users.enable_user(context.db, username, actor=who, now=now),
            _("%(username)s enabled.", username=username),
        ),
        "reset-2fa": (
            lambda: web_users.reset_two_factor(context.db, username, actor=who, now=now),
            _("Two-factor reset for %(username)s: they enrol again at their next sign-in.", username=username),
        ),
        "unlock": (
            lambda: web_users.unlock(context.db, username, actor=who, now=now),
            _("%(username)s unlocked.", username=username),
        ),
        "role": (
            lambda: web_users.set_role(context.db, username, _form("role", 40), actor=who, now=now),
            _("Role of %(username)s changed.", username=username),
        ),
    }
    if operation not in operations:
        abort(404)
    action, done = operations[operation]
    return _change(action, done)


@bp.get("/audit")
@requires("audit.view")
def audit() -> str:
    """The audit trail of the tool's users (read-only), newest first, filterable by actor and action."""
    actor_name = request.args.get("actor", "")[:200] or None
    action = request.args.get("action", "")[:100] or None
    page = page_number()
    with web().db.session() as session:
        actions = web_audit.actions(session)
        if action is not None and action not in actions:  # an allow-list: the actions the trail holds
            abort(400, "Filter action: unknown value")
        total = web_audit.count_entries(session, actor=actor_name, action=action)
        entries = web_audit.list_entries(
            session, actor=actor_name, action=action, limit=AUDIT_PAGE, offset=(page - 1) * AUDIT_PAGE
        )
    pages = max(1, -(-total // AUDIT_PAGE))
    return render_template(
        "admin/audit.html",
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        actions=actions,
        actor=actor_name or "",
        action=action or "",
        roles=ROLES,
    )
