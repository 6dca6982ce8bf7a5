"""Sign-in pages: password, then a TOTP or recovery code, or first-time enrolment with a QR code; sign-out."""

from __future__ import annotations

import re

import qrcode
import qrcode.image.svg
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from auditor.accounts import login as web_login
from auditor.accounts.login import EXPIRED, INVALID, LOCKED, OK, REPLAY, Step
from auditor.accounts.roles import home_endpoint
from auditor.accounts.sessions import PENDING_ENROL, PENDING_TOTP
from auditor.accounts.sso_users import password_allowed
from auditor.accounts.sso_users import refuse as sso_refuse
from auditor.accounts.totp import provisioning_uri
from auditor.web.context import client, web
from auditor.web.guard import pending, public, safe_next
from auditor.web.i18n import gettext as _
from auditor.web.i18n import lazy_gettext as _l

bp = Blueprint("auth", __name__)

MAX_FIELD = 1024
REPLAY_MESSAGE = _l(
    "This code was already used. Each code works only once: wait for the next code in your app "
    "(at most 30 seconds). If you did not just use it, someone may have seen it: tell your "
    "administrator."
)


def _field(name: str) -> str:
    return request.form.get(name, "")[:MAX_FIELD]


def _next() -> str | None:
    return safe_next(request.values.get("next"))


def locked_message(step: Step) -> str:
    """What a locked account is told (sign-in and re-authentication)."""
    until = step.locked_until.strftime("%H:%M UTC") if step.locked_until else _("later")
    return _(
        "Too many failed attempts: sign-in for this account is locked until %(until)s. "
        "An administrator can unlock it sooner.",
        until=until,
    )


def _signed_in(step: Step) -> Response:
    g.set_session = step.token
    for notice in step.notices:
        flash(notice, "warning")
    user_role = g.pending.role if g.pending is not None else "auditor"
    return redirect(_next() or url_for(home_endpoint(user_role)))


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | tuple[str, int]:
    """Username and password."""
    if g.user is not None:
        return redirect(url_for(home_endpoint(g.user.role)))
    error, status = None, 200
    if request.method == "POST" and not password_allowed(web().settings.oidc, _field("username")):
        sso_refuse(web().db, _field("username")[:100], "password sign-in is off (SSO only)", web().now(), client(),
                   action="login_failed")
        error, status = _("Password sign-in is turned off: use single sign-on."), 403
    elif request.method == "POST":
        context = web()
        step = web_login.password_step(
            context.db, context.settings.web, _field("username"), _field("password"), context.now(), client()
        )
        if step.status in (PENDING_TOTP, PENDING_ENROL):
            if g.pending is not None:
                from auditor.accounts.sessions import end_session

                end_session(context.db, g.pending.id)
            g.set_session = step.token
            target = "auth.code" if step.status == PENDING_TOTP else "auth.enrol"
            return redirect(url_for(target, next=_next()))
        wrong = (_("Wrong username or password."), 401)
        error, status = (locked_message(step), 429) if step.status == LOCKED else wrong
    return render_template("auth/login.html", error=error, next=_next(), sso=web().settings.oidc), status


def _restart(message: str) -> Response:
    g.clear_session = True
    flash(message, "error")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@pending(PENDING_TOTP)
def code() -> Response | tuple[str, int]:
    """The second factor: a code from the authenticator app, or a recovery code."""
    error, status = None, 200
    if request.method == "POST":
        context = web()
        if request.form.get("method") == "recovery":
            step = web_login.recovery_step(
                context.db, context.settings.web, g.pending, _field("code"), context.now(), client()
            )
        else:
            step = web_login.totp_step(
                context.db, context.settings.web, context.keys, g.pending, _field("code"), context.now(), client()
            )
        if step.status == OK:
            return _signed_in(step)
        if step.status == EXPIRED:
            return _restart(_("Your sign-in expired or was already completed. Start again."))
        error, status = {
            REPLAY: (REPLAY_MESSAGE, 401),
            LOCKED: (locked_message(step), 429),
            INVALID: (_("That code is not valid. Check the time on your phone and try the current code."), 401),
        }[step.status]
    return render_template("auth/code.html", error=error, next=_next(), username=g.pending.username), status


def qr_svg(uri: str) -> Markup:
    """The QR code of ``uri`` as inline SVG, drawn locally (no external service)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    svg = svg.replace("<svg ", '<svg class="qr" role="img" aria-label="QR code for your authenticator app" ', 1)
    return Markup(svg)  # noqa: S704  # nosec B704: generated by qrcode from our own URI; contains no user markup


@bp.route("/login/enrol", methods=["GET", "POST"])
@pending(PENDING_ENROL)
def enrol() -> Response | tuple[str, int]:
    """First sign-in: scan the QR code, confirm with a first valid code, receive recovery codes."""
    context = web()
    error, status = None, 200
    if request.method == "POST":
        step = web_login.enrol_step(
            context.db, context.settings.web, context.keys, g.pending, _field("code"), context.now(), client()
        )
        if step.status == OK:
            g.set_session = step.token
            return render_template(
                "auth/recovery_codes.html",
                codes=step.recovery_codes,
                next=_next() or url_for(home_endpoint(g.pending.role)),
                first=True,
            ), 200
        if step.status == EXPIRED:
            return _restart(_("Your enrolment expired. Sign in again."))
        error, status = (
            (locked_message(step), 429)
            if step.status == LOCKED
            else (_("That code is not valid. Type the current 6-digit code from the app."), 401)
        )
    secret = web_login.enrolment_secret(context.db, context.keys, g.pending)
    uri = provisioning_uri(secret, g.pending.username, context.settings.web.totp_issuer)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "auth/enrol.html", qr=qr_svg(uri), secret=grouped, error=error, next=_next(), username=g.pending.username
    ), status


@bp.route("/logout", methods=["POST"])
@public
def logout() -> Response:
    """Sign out this browser (also cancels a half-finished sign-in)."""
    context = web()
    session = g.user or g.pending
    if session is not None:
        web_login.sign_out(context.db, session, context.now(), client())
    g.clear_session = True
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
