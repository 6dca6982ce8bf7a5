"""Fixtures of the single sign-on tests: a real OpenID Provider (``oidc-provider-mock``: a Flask OP built on
Authlib that signs RS256 ID tokens and serves its JWKS) on a free loopback port, the web app configured for it,
and a helper that walks the Authorization Code flow through the app's pages and the OP's sign-in form.

The OP stamps its tokens with the real time, so the app's clock here starts at the real time of the test
(and stays fixed); an expired token is made by the OP itself (a second OP whose tokens live -1 hour), never by
moving a clock.
"""

from __future__ import annotations

import functools
import html
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import oidc_provider_mock
import pytest
from werkzeug.serving import make_server

from auditor.config import OidcSettings, Settings
from tests.web.conftest import (  # noqa: F401 - fixtures shared with the web tests
    BASE_URL,
    Browser,
    Clock,
    app,
    browser,
    csrf_of,
    db,
    fast_argon2,
    scan_calls,
    scanned_workspace,
    workspace,
)
from tests.web.conftest import settings as web_settings  # noqa: F401

GROUP_ROLES = {"sec-team": "security_officer", "it-admins": "admin", "auditors": "auditor"}


def serve_op(**options: Any) -> Iterator[str]:
    """Run one OP on 127.0.0.1 in a thread (nonce and client registration required); yields its issuer URL."""
    provider = oidc_provider_mock.app(require_nonce=True, require_client_registration=True, **options)
    server = make_server("127.0.0.1", 0, provider, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def op() -> Iterator[str]:
    """The OpenID Provider (tokens valid one hour)."""
    yield from serve_op()


@pytest.fixture(scope="session")
def expired_op() -> Iterator[str]:
    """A second OP whose ID tokens expired an hour before they were issued."""
    yield from serve_op(access_token_max_age=timedelta(hours=-1))


def set_user(issuer: str, sub: str, **claims: Any) -> None:
    """Tell the OP who ``sub`` is (claims go into the ID token)."""
    response = httpx.put(f"{issuer}/users/{sub}", json=claims, timeout=10)
    assert response.status_code == 204, response.text


@functools.cache
def register_client(issuer: str, redirect_uri: str) -> tuple[str, str]:
    """Register the app at the OP (dynamic client registration); returns its client id and the name of the
    environment variable now holding its secret (the OP checks both, and the redirect URI, at each exchange)."""
    response = httpx.post(f"{issuer}/oauth2/clients", json={"redirect_uris": [redirect_uri]}, timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    env_name = f"AUDITOR_TEST_OIDC_SECRET_{len(os.environ)}_{urlsplit(issuer).port}"
    os.environ[env_name] = body["client_secret"]
    return body["client_id"], env_name


def oidc_settings(issuer: str, redirect_uri: str = BASE_URL + "/sso/callback", **changes: Any) -> OidcSettings:
    """The ``[oidc]`` section for ``issuer``, with a client registered there for ``redirect_uri``."""
    client_id, secret_env = register_client(issuer, redirect_uri)
    values: dict[str, Any] = {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret_env": secret_env,
        "provider_name": "Test IdP",
        "group_roles": GROUP_ROLES,
        "break_glass_admin": "rescue",
        "leeway_seconds": 30,
    }
    return OidcSettings(**{**values, **changes})


@pytest.fixture
def clock(op: str) -> Clock:
    """The server clock, fixed at the OP's time when the test starts (its ``Date`` header): the OP signs its
    tokens with its own clock, so the app must judge them at that time, whatever the hour or the date."""
    answer = httpx.get(f"{op}/.well-known/openid-configuration", timeout=10)
    return Clock(parsedate_to_datetime(answer.headers["date"]).astimezone(UTC))


@pytest.fixture
def settings(web_settings: Settings, op: str) -> Settings:  # noqa: F811
    """The web test workspace with single sign-on against ``op``."""
    return web_settings.model_copy(update={"oidc": oidc_settings(op)})


def start(user: Browser) -> str:
    """Press "Sign in with ..." on the sign-in page; returns the OP's authorization URL."""
    page = user.get("/login")
    token = csrf_of(page.text if page.status_code == 200 else user.get("/account").text)  # signed in already
    response = user.client.post("/sso/start", data={"csrf_token": token}, base_url=BASE_URL)
    assert response.status_code == 200, response.status_code
    match = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', response.text)
    assert match, response.text
    return html.unescape(match.group(1))


def authorize(auth_url: str, sub: str) -> str:
    """Sign in at the OP as ``sub``; returns the callback path with its query (code and state)."""
    response = httpx.post(auth_url, data={"sub": sub}, timeout=10)
    assert response.status_code == 302, response.text
    parts = urlsplit(response.headers["location"])
    return f"{parts.path}?{parts.query}"


def sso_login(user: Browser, sub: str) -> Any:
    """The whole flow for ``sub``; returns the app's answer to the callback."""
    return user.get(authorize(start(user), sub))
