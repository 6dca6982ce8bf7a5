"""The signed-in user's own account: sessions, recovery codes, password, sign out everywhere."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from auditor.accounts import login as web_login
from auditor.accounts import users as web_users
from auditor.accounts.sessions import count_sessions
from auditor.accounts.users import WebUserError
from auditor.web.context import actor, client, current_user, web
from auditor.web.guard import requires

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
@requires("account")
def index() -> str:
    """Account overview."""
    user = current_user()
    with web().db.session() as session:
        info = web_users.get_user_by_id(session, user.user_id)
        sessions = count_sessions(session, user.user_id)
        left = web_login.recovery_codes_left(session, user.user_id)
    return render_template("account.html", info=info, sessions=sessions, codes_left=left, current=user)


@bp.post("/logout-everywhere")
@requires("account")
def logout_everywhere() -> Response:
    """End every session of this user, this one included."""
    context = web()
    ended = web_login.sign_out(context.db, current_user(), context.now(), client(), everywhere=True)
    g.clear_session = True
    flash(f"Signed out of {ended} session(s).", "info")
    return redirect(url_for("auth.login"))


@bp.post("/recovery-codes")
@requires("account")
def recovery_codes() -> str:
    """Replace the recovery codes and show the new ones once."""
    context = web()
    codes = web_login.regenerate_recovery_codes(context.db, current_user(), context.now(), client())
    return render_template("auth/recovery_codes.html", codes=codes, next=url_for("account.index"), first=False)


@bp.post("/password")
@requires("account")
def password() -> Response:
    """Change the password (the current one is checked; other sessions end)."""
    context = web()
    new = request.form.get("new_password", "")[:1024]
    if new != request.form.get("confirm_password", "")[:1024]:
        flash("The new passwords do not match.", "error")
        return redirect(url_for("account.index"))
    try:
        web_users.change_own_password(
            context.db,
            current_user().user_id,
            request.form.get("password", "")[:1024],
            new,
            actor=actor(),
            keep_session=current_user().id,
            now=context.now(),
        )
    except WebUserError as exc:
        flash(str(exc), "error")
    else:
        flash("Password changed; your other sessions were signed out.", "info")
    return redirect(url_for("account.index"))
