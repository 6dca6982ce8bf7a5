"""Operations endpoints for load balancers, orchestrators and Prometheus, without a session and without data.

- ``GET /healthz``: the process answers (no database access).
- ``GET /readyz``: the database answers and its schema is at the latest migration; 503 otherwise.
- ``GET /metrics``: Prometheus metrics (``auditor/metrics.py``); only with ``Authorization: Bearer <token>``,
  the token in the variable ``ops.metrics_token_env`` names. No token configured: 404.

Registering the blueprint also applies the ops settings to the app: ``werkzeug``'s ``ProxyFix`` for
``ops.trusted_proxies`` reverse proxies, and JSON logs when ``ops.log_format`` is ``json``.
``wsgi_app()`` builds the app from ``$AUDITOR_CONFIG`` for gunicorn (``gunicorn 'auditor.web.ops:wsgi_app()'``).
"""

from __future__ import annotations

import hmac

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.blueprints import BlueprintSetupState

from auditor.errors import ConfigError
from auditor.metrics import CONTENT_TYPE, build_registry, render
from auditor.storage.db import alembic_config
from auditor.web.context import EXTENSION, log, web
from auditor.web.guard import public

bp = Blueprint("ops", __name__)
METRICS = "auditor.metrics"


@bp.record_once
def _apply_ops_settings(state: BlueprintSetupState) -> None:
    app: Flask = state.app
    context = app.extensions[EXTENSION]
    ops = context.settings.ops
    if ops.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = ops.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    if ops.log_format == "json":
        from auditor.logging_setup import configure_logging

        configure_logging(ops)
    app.extensions[METRICS] = build_registry(context.db, context.clock)


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


@bp.get("/healthz")
@public
def healthz() -> Response:
    """The process is up."""
    return _plain("ok", 200)


def schema_is_current() -> bool:
    """Whether the database answers and stands at the head revisions of the shipped migrations."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with web().db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


@bp.get("/readyz")
@public
def readyz() -> Response:
    """Ready to serve: database reachable, migrations current (503 without detail otherwise)."""
    try:
        ready = schema_is_current()
    except Exception as exc:  # any failure to reach the database means "not ready"
        log.warning("readyz: database not reachable (%s)", type(exc).__name__)
        ready = False
    return _plain("ready", 200) if ready else _plain("not ready", 503)


@bp.get("/metrics")
@public
def metrics() -> Response:
    """Prometheus metrics for a bearer of the metrics token."""
    settings = web().settings
    try:
        expected = settings.secret(settings.ops.metrics_token_env, key="ops.metrics_token_env")
    except ConfigError:
        abort(404)
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
        return Response("unauthorized\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return Response(render(current_app.extensions[METRICS]), content_type=CONTENT_TYPE)


def wsgi_app() -> Flask:
    """The web UI for a WSGI server such as gunicorn: settings from ``$AUDITOR_CONFIG`` (or ./auditor.toml)."""
    from auditor.config import load_settings
    from auditor.web.app import create_app

    return create_app(load_settings())
