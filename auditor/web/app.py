"""``create_app(settings)``: the Flask app of the web UI (templates and static files from ``templates/``)."""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask

from auditor.accounts.crypto import load_web_keys
from auditor.config import Settings
from auditor.storage.db import open_database
from auditor.web import errors, filters, guard, i18n
from auditor.web.context import EXTENSION, WebContext
from auditor.web.scan_launcher import ScanLauncher, ScanRunner, run_web_scan

MAX_FORM_BYTES = 1024 * 1024
AREAS = (
    "auditor.web.auth",
    "auditor.web.sso",
    "auditor.web.account",
    "auditor.web.dashboard",
    "auditor.web.findings",
    "auditor.web.finding_actions",
    "auditor.web.people",
    "auditor.web.platforms",
    "auditor.web.scans",
    "auditor.web.admin",
    "auditor.web.offboarding_api",
    "auditor.web.offboarding_views",
    "auditor.web.dsar_views",
    "auditor.web.reviews_views",
    "auditor.web.queue_views",
    "auditor.web.identity_views",
    "auditor.web.ops",
)
"""One module per area, each with a blueprint ``bp`` whose views declare ``@requires(permission)``.
To add an area: write the module, add its permission to ``roles.PERMISSIONS``, list it here, add its menu
entry to ``templates/base.html`` and its routes to the matrix in ``tests/web/test_authz.py``."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    settings: Settings, *, clock: Callable[[], datetime] | None = None, scan_runner: ScanRunner | None = None
) -> Flask:
    """Build the app: check the keys (ConfigError names a missing one), open and migrate the database,
    register the blueprints, the access guard, the error pages and the template helpers.

    ``clock`` (server time, aware UTC) and ``scan_runner`` can be replaced by tests.
    """
    keys = load_web_keys(settings)
    templates = settings.templates_dir
    app = Flask(
        "auditor.web",
        template_folder=str(templates),
        static_folder=str(templates / "static"),
        static_url_path="/static",
    )
    secure = settings.web.cookie_secure
    app.config.update(
        SECRET_KEY=hashlib.sha256(keys.secret_key + b"\0flask-flash").hexdigest(),
        SESSION_COOKIE_NAME="__Host-auditor-flash" if secure else "auditor-flash",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/",
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        TEMPLATES_AUTO_RELOAD=False,
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
    )
    app.jinja_env.autoescape = True
    db = open_database(settings.storage_url)
    app.extensions[EXTENSION] = WebContext(
        settings=settings,
        db=db,
        keys=keys,
        clock=clock or _utc_now,
        launcher=ScanLauncher(settings, scan_runner or run_web_scan),
    )
    for name in AREAS:
        app.register_blueprint(importlib.import_module(name).bp)
    guard.install(app)
    errors.install(app)
    filters.install(app)
    i18n.install(app)  # after filters: its ``label`` filter translates known terms
    return app
