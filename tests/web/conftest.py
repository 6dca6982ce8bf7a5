"""Fixtures of the web tests: a scanned demo workspace (copied per test), a controllable server clock, the app,
users with an enrolled authenticator, and a client helper that signs in through the real forms.

argon2 runs with cheap parameters here (one test checks the production parameters) so that sign-ins stay fast.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from auditor.accounts import crypto as web_secrets
from auditor.accounts.crypto import load_web_keys
from auditor.accounts.tables import WebUser
from auditor.accounts.totp import code_at, new_secret
from auditor.accounts.users import add_user
from auditor.config import Settings, load_settings
from auditor.demo.web_setup import ensure_web_secrets
from auditor.demo.workspace import create_workspace
from auditor.services.scan import run_scan
from auditor.storage.db import Database
from auditor.web import create_app

BASE_URL = "https://localhost"
PASSWORD = "correct horse battery staple"
_NOW = int(datetime.now(UTC).timestamp())
START = datetime.fromtimestamp(_NOW - _NOW % 30 + 5, UTC)  # today, 5 s into a 30 s TOTP step
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """The server's clock in tests: fixed until advanced."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters for the test run (the production ones cost ~250 ms per hash)."""
    monkeypatch.setattr(web_secrets, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(web_secrets, "_DUMMY_HASH", None)


@pytest.fixture(scope="session")
def scanned_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company, its Meta business scanned once through the sandbox (copied by each test that writes).

    Only the Meta platform is scanned: the web tests need realistic findings, not every connector.
    """
    directory = tmp_path_factory.mktemp("demo") / "ws"
    config = create_workspace(directory, now=START - timedelta(minutes=5))
    full = load_settings(config)
    meta_only = full.model_copy(update={"platform": [p for p in full.platform if p.kind == "meta"]})
    run_scan(meta_only, trigger="demo", now=START - timedelta(minutes=5))
    return directory


@pytest.fixture
def workspace(scanned_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the scanned workspace with web keys in its secrets file."""
    target = tmp_path / "ws"
    shutil.copytree(scanned_workspace, target)
    ensure_web_secrets(load_settings(target / "auditor.toml"))
    return target


@pytest.fixture
def settings(workspace: Path) -> Settings:
    """Settings of the private workspace."""
    return load_settings(workspace / "auditor.toml")


@pytest.fixture
def clock() -> Clock:
    """A fixed server clock."""
    return Clock()


class ScanCalls:
    """A fake scan runner that records its calls."""

    def __init__(self) -> None:
        self.calls: list[Settings] = []

    def __call__(self, settings: Settings, progress: Any = None) -> None:
        self.calls.append(settings)


@pytest.fixture
def scan_calls() -> ScanCalls:
    """What the app's scan runner was asked to do."""
    return ScanCalls()


@pytest.fixture
def app(settings: Settings, clock: Clock, scan_calls: ScanCalls) -> Iterator[Flask]:
    """The web app over the private workspace."""
    application = create_app(settings, clock=clock, scan_runner=scan_calls)
    yield application
    application.extensions["auditor"].launcher.join(5)
    application.extensions["auditor"].db.dispose()


@pytest.fixture
def db(app: Flask) -> Database:
    """The app's database."""
    return app.extensions["auditor"].db


def enrolled_user(settings: Settings, db: Database, username: str, role: str, *, now: datetime = START) -> str:
    """Add a user with ``PASSWORD`` and an enrolled TOTP seed; returns the seed."""
    keys = load_web_keys(settings)
    user = add_user(db, username, role, PASSWORD, display_name=username.title(), now=now)
    seed = new_secret()
    users = WebUser.__table__
    with db.session(write=True) as session:
        session.exec(
            update(users)
            .where(users.c.id == user.id)
            .values(totp_secret_enc=keys.seed_cipher.encrypt(seed, user.id), totp_enrolled_at=now)
        )
    return seed


def csrf_of(html: str) -> str:
    """The CSRF token of the first form in a page."""
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Browser:
    """A test client that signs in through the real forms."""

    def __init__(self, app: Flask, clock: Clock) -> None:
        self.client: FlaskClient = app.test_client()
        self.clock = clock

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, base_url=BASE_URL, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, *, token_from: str | None = None, **kw: Any) -> Any:
        """POST a form with the CSRF token taken from ``token_from`` (a page path; default /account)."""
        form = dict(data or {})
        if "csrf_token" not in form:
            form["csrf_token"] = csrf_of(self.get(token_from or "/account").text)
        return self.client.post(path, data=form, base_url=BASE_URL, **kw)

    def password(self, username: str, password: str = PASSWORD) -> Any:
        """Submit the password form."""
        token = csrf_of(self.get("/login").text)
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}, base_url=BASE_URL
        )

    def code(self, code: str, method: str = "totp") -> Any:
        """Submit the second-factor form."""
        token = csrf_of(self.get("/login/code").text)
        return self.client.post(
            "/login/code", data={"code": code, "method": method, "csrf_token": token}, base_url=BASE_URL
        )

    def login(self, username: str, seed: str) -> Any:
        """Password, then the current TOTP code; returns the final response."""
        first = self.password(username)
        assert first.status_code == 302 and first.location.endswith("/login/code"), first.status_code
        return self.code(code_at(seed, self.clock()))

    def cookie(self, name: str = "__Host-auditor-session") -> str | None:
        """A cookie's value in this client."""
        found = self.client.get_cookie(name, domain="localhost")
        return found.value if found else None


@pytest.fixture
def browser(app: Flask, clock: Clock) -> Browser:
    """A fresh, signed-out client."""
    return Browser(app, clock)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Any]:
    """One private PostgreSQL cluster for the web tests that also run on PostgreSQL."""
    from tests.support.postgres import PostgresCluster

    cluster = PostgresCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_settings(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Settings]:
    """The workspace settings on a fresh, empty database: an SQLite file or a PostgreSQL database."""
    from sqlalchemy.engine import make_url

    from auditor.config import StorageSettings

    if request.param == "sqlite":
        url = f"sqlite:///{Path(settings.base_dir) / 'empty.db'}"
        yield settings.model_copy(update={"storage": StorageSettings(url=url)})
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    try:
        yield settings.model_copy(update={"storage": StorageSettings(url=url)})
    finally:
        cluster.drop_database(make_url(url).database or "")
