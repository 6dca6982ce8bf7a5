"""The one check every request passes: who is asking (server-side session), may their role use this view
(deny by default), and is a state-changing form genuine (CSRF). Then the security headers on every answer.

Views declare what they need with ``@requires("permission")``, ``@public`` or ``@pending(stage)``; a view
that declares nothing is refused to everyone.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, redirect, request, url_for

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.accounts.crypto import new_token
from auditor.accounts.roles import PERMISSIONS, allowed
from auditor.accounts.sessions import load_session
from auditor.web.context import log, web
from auditor.web.i18n import gettext as _

PUBLIC = "@public"
PERMISSION_ATTR = "_auditor_permission"
CSRF_EXEMPT_ATTR = "_auditor_csrf_exempt"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)

View = TypeVar("View", bound=Callable[..., Any])


def requires(permission: str) -> Callable[[View], View]:
    """Declare the permission a view needs (must be a key of ``roles.PERMISSIONS``)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(view: View) -> View:
        setattr(view, PERMISSION_ATTR, permission)
        return view

    return mark


def public(view: View) -> View:
    """Declare a view open to anyone (sign-in pages)."""
    setattr(view, PERMISSION_ATTR, PUBLIC)
    return view


def csrf_exempt(view: View) -> View:
    """Exempt a PUBLIC view from the form CSRF check (machine-to-machine endpoints that authenticate each
    request themselves, e.g. by an HMAC signature). Ignored on any other view."""
    setattr(view, CSRF_EXEMPT_ATTR, True)
    return view


def pending(stage: str) -> Callable[[View], View]:
    """Declare a view for a half-signed-in session of ``stage`` (``totp`` or ``enrol``)."""

    def mark(view: View) -> View:
        setattr(view, PERMISSION_ATTR, f"@pending:{stage}")
        return view

    return mark


def cookie_name(kind: str) -> str:
    """``__Host-auditor-<kind>`` with Secure cookies, else ``auditor-<kind>``."""
    return f"__Host-auditor-{kind}" if web().settings.web.cookie_secure else f"auditor-{kind}"


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after sign-in, or None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def csrf_token() -> str:
    """The anti-CSRF token of this browser: an HMAC of its session token, or of a pre-session cookie."""
    token = g.get("set_session") or g.get("session_token")
    if token:
        binding = "s:" + token
    else:
        pre = request.cookies.get(cookie_name("pre")) or g.get("new_pre")
        if not pre or len(pre) > 100:
            pre = new_token()
            g.new_pre = pre
        binding = "p:" + pre
    return web().keys.sign("csrf", binding)


def _check_csrf() -> None:
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(403, "cross-site form submissions are refused")
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token().encode()):
        abort(400, _("The form expired or did not come from this site. Reload the page and try again."))


def _deny(permission: str) -> None:
    user = g.user
    with web().db.session(write=True) as session:
        web_audit.record(
            session,
            Actor(user.username, user.role, request.remote_addr),
            "access_denied",
            outcome="denied",
            target_kind="endpoint",
            target_id=request.endpoint,
            detail={"permission": permission, "method": request.method},
            at=web().now(),
        )
    abort(403)


def authorise() -> Response | None:
    """``before_request``: load the session, apply the view's access rule, check CSRF on writes."""
    g.user = g.pending = g.session_token = None
    if request.endpoint == "static":
        return None
    context = web()
    token = request.cookies.get(cookie_name("session"))
    if token:
        idle = timedelta(minutes=context.settings.web.session_idle_minutes)
        info = load_session(context.db, token, context.now(), idle)
        if info is None:
            g.clear_session = True
        else:
            g.session_token = token
            if info.full:
                g.user = info
            else:
                g.pending = info
    view = context_view()
    if view is None:
        return None  # routing answers 404 / 405
    permission = getattr(view, PERMISSION_ATTR, None)
    if permission is None:
        log.error("view %s declares no permission: refused", request.endpoint)
        abort(403)
    if permission.startswith("@pending:"):
        if g.pending is None or g.pending.stage != permission.split(":", 1)[1]:
            return redirect(url_for("auth.login"))
    elif permission != PUBLIC:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        if not allowed(g.user.role, permission):
            _deny(permission)
    exempt = permission == PUBLIC and getattr(view, CSRF_EXEMPT_ATTR, False)
    if request.method not in SAFE_METHODS and not exempt:
        _check_csrf()
    return None


def context_view() -> Callable[..., Any] | None:
    """The view function this request is routed to (None when routing failed)."""
    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def _cookie(response: Response, name: str, value: str) -> None:
    secure = web().settings.web.cookie_secure
    response.set_cookie(name, value, secure=secure, httponly=True, samesite="Strict", path="/")


def finish(response: Response) -> Response:
    """``after_request``: session cookie changes and the security headers."""
    if request.endpoint != "static" or g.get("set_session") or g.get("clear_session"):
        if g.get("set_session"):
            _cookie(response, cookie_name("session"), g.set_session)
        elif g.get("clear_session"):
            response.delete_cookie(
                cookie_name("session"),
                path="/",
                secure=web().settings.web.cookie_secure,
                httponly=True,
                samesite="Strict",
            )
        if g.get("new_pre"):
            _cookie(response, cookie_name("pre"), g.new_pre)
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if web().settings.web.cookie_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint == "static":
        headers.setdefault("Cache-Control", "no-cache")
    else:
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def install(app: Flask) -> None:
    """Register the guard on ``app``."""
    app.before_request(authorise)
    app.after_request(finish)
    app.jinja_env.globals["csrf_token"] = csrf_token
