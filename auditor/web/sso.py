"""Single sign-on pages: ``POST /sso/start`` sends the browser to the OpenID Provider, ``GET /sso/callback``
signs it in (see auditor/accounts/oidc.py for the protocol checks, sso_users.py for roles and the session).

Between the two, the browser keeps the flow (state, nonce, PKCE verifier, where to go next) in a signed,
HttpOnly, ``SameSite=Lax`` cookie valid 10 minutes (Lax: the provider's redirect back is a cross-site
navigation, which does not carry the Strict session cookie). The callback checks that the ``state`` it receives
is the cookie's, claims it once in the audit trail (a replayed state is refused), and drops the cookie. The
signed-in page is a same-site hop (a page that refreshes to the target) so that the new Strict session cookie
is sent with the next request; the way out to the provider is such a page too (the CSP's ``form-action 'self'``
forbids a form submission that redirects to another site).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from auditor.accounts import sso_users
from auditor.accounts.oidc import Flow, SsoRefused, provider_for
from auditor.accounts.roles import home_endpoint
from auditor.web.context import EXTENSION, client, web
from auditor.web.guard import cookie_name, public, safe_next
from auditor.web.i18n import gettext as _

bp = Blueprint("sso", __name__)

FLOW_SECONDS = 600


@bp.record_once
def _check(state) -> None:  # noqa: ANN001 - Flask's BlueprintSetupState
    """Refuse to start with a mapping to an unknown role."""
    oidc = state.app.extensions[EXTENSION].settings.oidc
    if oidc is not None:
        sso_users.check_mapping(oidc)


def _serializer() -> URLSafeTimedSerializer:
    key = hashlib.sha256(web().keys.secret_key + b"\0sso-flow").hexdigest()
    return URLSafeTimedSerializer(key, salt="auditor-sso-flow")


def _redirect_uri() -> str:
    base = web().settings.oidc.public_url or request.host_url  # type: ignore[union-attr]
    return base.rstrip("/") + url_for("sso.callback")


def _oidc_or_404():  # noqa: ANN202
    oidc = web().settings.oidc
    if oidc is None:
        abort(404)
    return oidc


@bp.route("/sso/start", methods=["POST"])
@public
def start() -> Response:
    """Send the browser to the provider's sign-in page."""
    _oidc_or_404()
    try:
        url, flow = provider_for(web().settings).begin(_redirect_uri(), safe_next(request.form.get("next")))
    except SsoRefused as exc:
        sso_users.refuse(web().db, None, exc.reason, web().now(), client())
        flash(_("Single sign-on is unavailable right now. Try again later or ask an administrator."), "error")
        return redirect(url_for("auth.login"))
    # a page that moves on by itself: the CSP's form-action 'self' forbids a form's redirect to another site
    response = make_response(render_template("auth/sso_redirect.html", target=url,
                                             message="Taking you to your identity provider."))
    payload = [flow.state, flow.nonce, flow.code_verifier, flow.next]
    response.set_cookie(cookie_name("sso"), _serializer().dumps(payload), max_age=FLOW_SECONDS,
                        secure=web().settings.web.cookie_secure, httponly=True, samesite="Lax", path="/")
    return response


def _flow() -> Flow | None:
    raw = request.cookies.get(cookie_name("sso"))
    if not raw or len(raw) > 2000:
        return None
    try:
        state, nonce, verifier, next_path = _serializer().loads(raw, max_age=FLOW_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    return Flow(state=state, nonce=nonce, code_verifier=verifier, next=safe_next(next_path))


def _refused(reason: str, name: str | None = None, **detail: str) -> tuple[str, int]:
    sso_users.refuse(web().db, name, reason, web().now(), client(), **detail)
    return render_template("auth/sso_refused.html", reason=reason), 403


@bp.route("/sso/callback")
@public
def callback() -> Response | tuple[str, int]:
    """Back from the provider: check state, trade the code, validate the ID token, sign in."""
    oidc = _oidc_or_404()
    context = web()
    flow = _flow()
    state = request.args.get("state", "")[:200]
    g.drop_sso_flow = True
    if flow is None or not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
        return _refused("state missing or not this browser's")
    if not sso_users.claim_state(context.db, hashlib.sha256(state.encode()).hexdigest(), context.now(), client()):
        return _refused("replayed state")
    if "error" in request.args:
        return _refused("provider refused", error=request.args.get("error", "")[:100])
    try:
        provider = provider_for(context.settings)
        id_token = provider.exchange(request.args.get("code", "")[:2000], flow, _redirect_uri())
        claims = provider.validate(id_token, flow.nonce, context.now())
    except SsoRefused as exc:
        return _refused(exc.reason)
    previous = g.user or g.pending
    try:
        done = sso_users.sign_in(context.db, context.settings.web, oidc, claims, context.now(), client(),
                                 previous_session=previous.id if previous else None)
    except sso_users.Refused as exc:
        return _refused(exc.reason, sso_users.username_for(oidc, claims), sub=str(claims.get("sub"))[:200])
    g.set_session = done.token
    target = flow.next or url_for(home_endpoint(done.role))
    return render_template("auth/sso_redirect.html", target=target, message="You are signed in."), 200


@bp.after_app_request
def _drop_flow(response: Response) -> Response:
    """The flow cookie is good for one callback."""
    if g.get("drop_sso_flow"):
        response.delete_cookie(cookie_name("sso"), path="/", secure=web().settings.web.cookie_secure,
                               httponly=True, samesite="Lax")
    return response
