"""The signed-in user's own account: sessions, recovery codes, password, UI language, sign out everywhere.

New recovery codes and a new password need the current password again (``auditor.accounts.reauth``: the
sign-in throttle, audited), so a stolen session alone cannot take the account over."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from sqlalchemy import update
from werkzeug.wrappers import Response

from auditor.accounts import audit_trail as web_audit
from auditor.accounts import login as web_login
from auditor.accounts import reauth
from auditor.accounts import users as web_users
from auditor.accounts.sessions import count_sessions
from auditor.accounts.tables import WebUser
from auditor.accounts.users import WebUserError
from auditor.web.auth import locked_message
from auditor.web.context import actor, client, current_user, web
from auditor.web.guard import requires
from auditor.web.i18n import LANGUAGES
from auditor.web.i18n import gettext as _

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
    return render_template(
        "account.html", info=info, sessions=sessions, codes_left=left, current=user, languages=LANGUAGES
    )


@bp.post("/logout-everywhere")
@requires("account")
def logout_everywhere() -> Response:
    """End every session of this user, this one included."""
    context = web()
    ended = web_login.sign_out(context.db, current_user(), context.now(), client(), everywhere=True)
    g.clear_session = True
    flash(_("Signed out of %(count)s session(s).", count=ended), "info")
    return redirect(url_for("auth.login"))


def _reauthenticated(purpose: str) -> Response | None:
    """Check the password sent with a sensitive action (shared sign-in throttle, audited).

    None when it is right; otherwise the answer: back to the account page with an error, or, once the account is
    locked, this session ended and the sign-in page.
    """
    context = web()
    step = reauth.confirm_password(
        context.db,
        context.settings.web,
        current_user(),
        request.form.get("password", "")[:1024],
        context.now(),
        client(),
        purpose=purpose,
    )
    if step.status == web_login.OK:
        return None
    if step.status == web_login.LOCKED:
        g.clear_session = True
        flash(locked_message(step), "error")
        return redirect(url_for("auth.login"))
    flash(_("The current password is not correct."), "error")
    return redirect(url_for("account.index"))


@bp.post("/recovery-codes")
@requires("account")
def recovery_codes() -> Response | str:
    """Replace the recovery codes and show the new ones once (the password is asked again)."""
    refused = _reauthenticated(reauth.RECOVERY_CODES)
    if refused is not None:
        return refused
    context = web()
    codes = web_login.regenerate_recovery_codes(context.db, current_user(), context.now(), client())
    return render_template("auth/recovery_codes.html", codes=codes, next=url_for("account.index"), first=False)


@bp.post("/password")
@requires("account")
def password() -> Response:
    """Change the password (the current one is asked again; other sessions end)."""
    context = web()
    new = request.form.get("new_password", "")[:1024]
    if new != request.form.get("confirm_password", "")[:1024]:
        flash(_("The new passwords do not match."), "error")
        return redirect(url_for("account.index"))
    refused = _reauthenticated(reauth.PASSWORD_CHANGE)
    if refused is not None:
        return refused
    try:
        web_users.change_own_password(
            context.db,
            current_user().user_id,
            new,
            actor=actor(),
            keep_session=current_user().id,
            now=context.now(),
        )
    except WebUserError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Password changed; your other sessions were signed out."), "info")
    return redirect(url_for("account.index"))


@bp.post("/language")
@requires("account")
def language() -> Response:
    """Set the UI language (``en``/``pl``), or ``browser`` to follow the browser's language again (audited)."""
    chosen = request.form.get("language", "")[:16]
    if chosen != "browser" and chosen not in LANGUAGES:
        flash(_("Choose one of the offered languages."), "error")
        return redirect(url_for("account.index"))
    value = None if chosen == "browser" else chosen
    context = web()
    user = current_user()
    with context.db.session(write=True) as session:
        session.exec(update(WebUser.__table__).where(WebUser.__table__.c.id == user.user_id).values(language=value))
        web_audit.record(session, actor(), "language_set", target_kind="user", target_id=user.username,
                         at=context.now(), detail={"language": chosen})
    g.user = replace(user, language=value)
    refresh()  # this answer's flash already in the new language
    flash(_("Language saved."), "info")
    return redirect(url_for("account.index"))
