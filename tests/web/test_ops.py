"""The operations endpoints: /healthz, /readyz (503 when the database is gone), /metrics behind a bearer token,
scraped from the app served by waitress on loopback; ProxyFix behind ``ops.trusted_proxies``; JSON logs."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from pathlib import Path

import httpx
import pytest
from flask import request
from sqlalchemy import func, select
from waitress.server import create_server

from auditor.config import OpsSettings
from auditor.connectors.http import HttpClient
from auditor.logging_setup import configure_logging
from auditor.storage.tables import Finding, ScanPlatform
from auditor.web import create_app
from tests.web.conftest import BASE_URL

TOKEN = "metrics-token-0123456789abcdef"


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the Prometheus text format."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match and match.group(1) == name:
            have = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if have == wanted:
                return float(match.group(3))
    raise AssertionError(f"no sample {name}{{{wanted}}}")


def test_healthz_and_readyz_need_no_session_and_show_no_data(app):
    client = app.test_client()
    health = client.get("/healthz", base_url=BASE_URL)
    ready = client.get("/readyz", base_url=BASE_URL)
    assert (health.status_code, health.text) == (200, "ok\n")
    assert (ready.status_code, ready.text) == (200, "ready\n")
    assert "Set-Cookie" not in health.headers and health.headers["Cache-Control"] == "no-store"


def test_readyz_fails_when_the_database_is_gone(app, db, settings):
    client = app.test_client()
    assert client.get("/readyz", base_url=BASE_URL).status_code == 200
    db.engine.dispose()
    Path(settings.storage_url.removeprefix("sqlite:///")).unlink()
    gone = client.get("/readyz", base_url=BASE_URL)
    assert (gone.status_code, gone.text) == (503, "not ready\n")
    assert client.get("/healthz", base_url=BASE_URL).status_code == 200  # the process itself is still up


def test_readyz_fails_when_migrations_are_behind(app, db):
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM alembic_version WHERE rowid = (SELECT MIN(rowid) FROM alembic_version)")
    assert app.test_client().get("/readyz", base_url=BASE_URL).status_code == 503


def test_metrics_need_the_bearer_token(app, monkeypatch):
    client = app.test_client()
    assert client.get("/metrics", base_url=BASE_URL).status_code == 404  # no token configured: no metrics
    monkeypatch.setenv("AUDITOR_METRICS_TOKEN", TOKEN)
    assert client.get("/metrics", base_url=BASE_URL).status_code == 401
    wrong = client.get("/metrics", base_url=BASE_URL, headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"})
    assert wrong.status_code == 401 and "auditor_" not in wrong.text
    right = client.get("/metrics", base_url=BASE_URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200 and right.headers["Content-Type"].startswith("text/plain; version=0.0.4")


@pytest.fixture
def served(app):
    """The app on waitress, on a free loopback port."""
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(5)


def test_metrics_scraped_from_the_running_server_show_the_scan(served, db, monkeypatch):
    monkeypatch.setenv("AUDITOR_METRICS_TOKEN", TOKEN)
    with db.session() as session:
        open_by_severity = dict(session.execute(
            select(Finding.__table__.c.severity, func.count()).where(Finding.__table__.c.status == "open")
            .group_by(Finding.__table__.c.severity)).all())
        platform, status, errors = session.execute(select(
            ScanPlatform.__table__.c.platform, ScanPlatform.__table__.c.status, ScanPlatform.__table__.c.errors)).one()
    assert open_by_severity  # the demo's scan opened findings

    # a rate-limited read in this process counts one wait
    def answer(req: httpx.Request) -> httpx.Response:
        answer.calls += 1
        return httpx.Response(429 if answer.calls == 1 else 200, json={"ok": True})

    answer.calls = 0
    with HttpClient("ratelimited", "https://api.example.test", transport=httpx.MockTransport(answer),
                    sleep=lambda _s: None) as client:
        client.get_json("/x")

    text = httpx.get(f"{served}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    for severity in ("info", "low", "medium", "high", "critical"):
        assert _sample(text, "auditor_findings_open", severity=severity) == open_by_severity.get(severity, 0)
    assert _sample(text, "auditor_scan_result", platform=platform, result=status) == 1
    assert _sample(text, "auditor_platform_errors", platform=platform) == len(errors)
    assert _sample(text, "auditor_scan_duration_seconds", platform=platform) >= 0
    assert _sample(text, "auditor_scans", status=status) == 1
    assert _sample(text, "auditor_offboarding_cases_overdue") == 0
    assert _sample(text, "auditor_rate_limit_waits_total", platform="ratelimited") >= 1
    assert httpx.get(f"{served}/metrics", timeout=10).status_code == 401


def test_proxy_fix_is_applied_only_when_configured(settings, clock, scan_calls):
    def seen(app):
        app.add_url_rule("/probe-remote", "probe", lambda: f"{request.remote_addr} {request.scheme}")
        app.view_functions["probe"]._auditor_permission = "@public"
        headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
        return app.test_client().get("/probe-remote", base_url="http://localhost", headers=headers).text

    plain = create_app(settings, clock=clock, scan_runner=scan_calls)
    behind = create_app(settings.model_copy(update={"ops": OpsSettings(trusted_proxies=1)}), clock=clock,
                        scan_runner=scan_calls)
    try:
        assert seen(plain) == "127.0.0.1 http"
        assert seen(behind) == "203.0.113.9 https"
    finally:
        for app in (plain, behind):
            app.extensions["auditor"].db.dispose()


def test_json_logs_carry_no_secrets():
    root = logging.getLogger("auditor-test-json-root")
    handler = configure_logging(OpsSettings(log_format="json", log_level="INFO"), root=root)
    stream = io.StringIO()
    handler.setStream(stream)
    logging.getLogger("auditor-test-json-root.child").warning(
        "GET https://graph.example/me?access_token=EAAB-secret-value -> Authorization: Bearer sk-12345")
    entry = json.loads(stream.getvalue())
    assert entry["level"] == "WARNING" and entry["logger"] == "auditor-test-json-root.child"
    assert "EAAB-secret-value" not in entry["message"] and "sk-12345" not in entry["message"]
    assert "[redacted]" in entry["message"]
    root.removeHandler(handler)
