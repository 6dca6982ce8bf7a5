"""Fixtures of the offboarding tests: the demo company, a workspace whose Meta platform is a live emulator
with the write calls, signed webhook requests, a minimal Flask app with the API blueprint, and a local HTTP
server that records webhook notifications."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.wrappers import Request, Response

from auditor.config import Settings, load_settings
from auditor.demo.company import Company, build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.meta.writes import MetaWriteEmulator
from auditor.demo.server import ServerHandle, serve
from auditor.demo.workspace import HISTORY_LDIF, create_workspace
from auditor.offboarding.tables import OFFBOARDING_TABLES
from auditor.offboarding.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from auditor.services.directory_sync import sync_directory
from auditor.storage.db import Database, open_database
from auditor.storage.tables import Finding, FindingEvent

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)  # a Monday
SECRET = "hr-webhook-test-secret-0123456789abcdef"
LEAVER = "kszymanska"  # Karolina Szymańska: business user, two pages, an ad account, an Instagram account
PLATFORM = "Kwiatek on Meta"
HOOK_ENV = "AUDITOR_TEST_NOTIFY_URL"


@pytest.fixture(scope="session")
def company() -> Company:
    """The fictional company as of ``NOW``."""
    return build_company(now=NOW)


@dataclass
class Hr:
    """A demo workspace (directory synced, nothing scanned) whose Meta business is a live write emulator."""

    settings: Settings
    emulator: MetaWriteEmulator
    server: ServerHandle
    db: Database
    company: Company

    def user_id(self, uid: str) -> str:
        """The business user id of a directory person (matched by address)."""
        person = next(p for p in self.company.people if p["uid"][0] == uid)
        addresses = {a.lower() for a in person["mail"]}
        return next(str(u["id"]) for u in self.emulator.data["business_users"] if u["email"].lower() in addresses)

    def rows(self) -> dict[str, int]:
        """Row counts of every offboarding table plus findings (to prove nothing was written)."""
        from sqlalchemy import MetaData, Table

        counts = {}
        with self.db.session() as session:
            meta = MetaData()
            for name in (*OFFBOARDING_TABLES, "finding", "finding_event"):
                table = Table(name, meta, autoload_with=session.connection())
                counts[name] = session.execute(select(func.count()).select_from(table)).scalar_one()
        return counts

    def open_findings(self, rule: str) -> list[dict[str, Any]]:
        table = Finding.__table__
        with self.db.session() as session:
            return [dict(r) for r in session.execute(select(table).where(table.c.rule == rule)).mappings()]

    def finding_events(self) -> list[str]:
        table = FindingEvent.__table__
        with self.db.session() as session:
            return list(session.execute(select(table.c.change).order_by(table.c.id)).scalars())


@pytest.fixture
def hr(tmp_path: Path, company: Company, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hr]:
    """The workspace, with the webhook secret set, revocation opted in for Meta and no evidence PDF."""
    monkeypatch.setenv("AUDITOR_HR_WEBHOOK_SECRET", SECRET)
    config = create_workspace(tmp_path / "ws", now=NOW)
    settings = load_settings(config)
    platform = settings.platform[0]
    app, prefix = emulator_for("meta", company, settings, platform)
    emulator = MetaWriteEmulator(app.data, token=app.token)
    with serve(emulator) as server:
        live = platform.model_copy(update={"base_url": server.url + prefix, "backoff": 0.0, "max_retries": 1})
        offboarding = settings.offboarding.model_copy(update={"revocation_platforms": [PLATFORM],
                                                              "evidence_report": False})
        settings = settings.model_copy(update={"platform": [live], "offboarding": offboarding})
        history = settings.directory.model_copy(update={"path": HISTORY_LDIF})
        earlier = settings.model_copy(update={"directory": history})
        sync_directory(earlier, now=NOW - timedelta(days=30))
        sync_directory(settings, now=NOW)
        db = open_database(settings.storage_url)
        try:
            yield Hr(settings, emulator, server, db, company)
        finally:
            db.dispose()


def signed(body: dict[str, Any] | bytes, *, secret: str = SECRET, at: datetime = NOW) -> tuple[bytes, dict[str, str]]:
    """A webhook request body and the headers the HR system sends with it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    stamp = str(int(at.timestamp()))
    return raw, {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(secret, stamp, raw),
                 "Content-Type": "application/json"}


def leaver_body(event_id: str = "evt-1", **extra: Any) -> dict[str, Any]:
    """The webhook body for ``LEAVER``, last working day Friday 2026-10-30."""
    return {"event_id": event_id, "uid": LEAVER, "last_working_day": "2026-10-30", **extra}


@pytest.fixture
def api(hr: Hr) -> Any:
    """A Flask test client of an app with only the offboarding API blueprint (clock frozen at ``NOW``)."""
    from auditor.web.offboarding_api import bp

    app = Flask("offboarding-test")
    app.register_blueprint(bp)
    app.extensions["auditor"] = SimpleNamespace(settings=hr.settings, db=hr.db, now=lambda: NOW)
    return app.test_client()


@dataclass
class Receiver:
    """A local HTTP server recording JSON POSTs; ``got`` is set on each one."""

    url: str
    bodies: list[Any]
    got: threading.Event
    status: dict[str, int]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (answers 200, or ``status['code']``)."""
    bodies: list[Any] = []
    got = threading.Event()
    status = {"code": 200}

    def app(environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        bodies.append({"path": request.path, "content_type": request.mimetype, "json": json.loads(request.get_data())})
        got.set()
        return Response("ok", status=status["code"])(environ, start_response)

    with serve(app) as server:
        yield Receiver(f"{server.url}/hooks/secret-path", bodies, got, status)
