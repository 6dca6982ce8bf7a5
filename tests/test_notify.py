"""Notifications: SMTP to a real aiosmtpd server on 127.0.0.1 (plain, and STARTTLS with login), the JSON
webhook to a local HTTP server, what a notice names, and the hook after a scheduled scan."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.wrappers import Request, Response

from auditor.config import NotificationSettings, Settings, load_settings
from auditor.demo.company import build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.server import serve
from auditor.demo.workspace import create_workspace
from auditor.errors import AuditorError
from auditor.notify import Notice, NoticeItem, deliver, scan_notice, send_email
from auditor.services.jobs import scan_platform
from auditor.services.queries import read_session
from auditor.storage.queries import latest_scans
from tests.support.postgres import free_port

HOOK_ENV = "AUDITOR_TEST_HOOK_URL"
PASSWORD_ENV = "AUDITOR_TEST_SMTP_PASSWORD"
NOW = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


class Sink:
    """An aiosmtpd handler keeping every message."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "smtp.pem", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def tls_smtp(tmp_path: Path) -> Iterator[tuple[Sink, int, Path, list[str]]]:
    """aiosmtpd requiring STARTTLS, then a login (user ``auditor``, password ``s3cret``)."""
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    logins: list[str] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == b"auditor" and data.password == b"s3cret"
        logins.append(f"{mechanism}:{'ok' if ok else 'refused'}")
        return AuthResult(success=ok)

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True)
    controller.start()
    try:
        yield sink, port, cert_file, logins
    finally:
        controller.stop()


@dataclass
class Hook:
    url: str
    bodies: list[Any]
    status: dict[str, int]


@pytest.fixture
def hook() -> Iterator[Hook]:
    bodies: list[Any] = []
    status = {"code": 200}

    def app(environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        bodies.append({"type": request.mimetype, "json": json.loads(request.get_data())})
        return Response("bad" if status["code"] >= 400 else "ok", status=status["code"])(environ, start_response)

    with serve(app) as server:
        yield Hook(f"{server.url}/services/T000/B000/secret-token-path", bodies, status)


def _notice() -> Notice:
    return Notice(kind="scan", subject="auditor scan #7: 1 new finding", severity="critical", summary="Scan #7.",
                  items=[NoticeItem("critical", "orphaned_access: departed Tomasz still holds Brand ads",
                                    "platform Kwiatek on Meta, account 123")])


def test_email_over_plain_smtp_names_the_findings(smtp):
    sink, port = smtp
    settings = Settings(notifications=NotificationSettings(
        enabled=True, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, email_from="auditor@shop.example",
        email_to=["security@shop.example", "it@shop.example"]))
    result = deliver(settings, _notice(), [("report.pdf", b"%PDF-1.7 test", "application/pdf")])
    assert result.sent == ["email"] and result.errors == []
    [envelope] = sink.envelopes
    assert envelope.mail_from == "auditor@shop.example"
    assert envelope.rcpt_tos == ["security@shop.example", "it@shop.example"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "auditor scan #7: 1 new finding"
    body = message.get_body(("plain",)).get_content()
    assert "[CRITICAL] orphaned_access: departed Tomasz still holds Brand ads" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "report.pdf" and attachment.get_content() == b"%PDF-1.7 test"


def test_email_with_starttls_and_login(tls_smtp, monkeypatch):
    sink, port, cert_file, logins = tls_smtp
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    settings = Settings(notifications=NotificationSettings(
        enabled=True, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True, smtp_ca_file=str(cert_file),
        smtp_username="auditor", smtp_password_env=PASSWORD_ENV, email_to=["security@shop.example"]))
    assert deliver(settings, _notice()).sent == ["email"]
    assert len(sink.envelopes) == 1
    assert logins and logins[-1].endswith(":ok")


def test_an_untrusted_certificate_is_reported_not_raised(tls_smtp, monkeypatch):
    sink, port, _cert_file, _logins = tls_smtp
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    settings = Settings(notifications=NotificationSettings(
        enabled=True, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True, smtp_username="auditor",
        smtp_password_env=PASSWORD_ENV, email_to=["security@shop.example"]))
    result = deliver(settings, _notice())
    assert result.sent == []
    assert "email via 127.0.0.1:" in result.errors[0] and "CERTIFICATE_VERIFY_FAILED" in result.errors[0]
    assert "s3cret" not in result.errors[0]
    assert sink.envelopes == []


def test_send_email_requires_its_settings():
    with pytest.raises(AuditorError, match="notifications.smtp_host"):
        send_email(Settings(), _notice())


def test_webhook_gets_a_slack_and_teams_compatible_payload(hook, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, hook.url)
    settings = Settings(notifications=NotificationSettings(enabled=True, webhook_url_env=HOOK_ENV))
    assert deliver(settings, _notice()).sent == ["webhook"]
    [request] = hook.bodies
    assert request["type"] == "application/json"
    payload = request["json"]
    assert payload["summary"] == "auditor scan #7: 1 new finding"
    assert "orphaned_access: departed Tomasz still holds Brand ads" in payload["text"]
    assert payload["auditor"]["items"][0]["severity"] == "critical"


def test_a_failing_webhook_is_reported_without_its_secret_url(hook, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, hook.url)
    hook.status["code"] = 500
    settings = Settings(notifications=NotificationSettings(enabled=True, webhook_url_env=HOOK_ENV))
    result = deliver(settings, _notice())
    assert result.sent == [] and "answered HTTP 500" in result.errors[0]
    assert "secret-token-path" not in result.errors[0]
    monkeypatch.setenv(HOOK_ENV, f"http://127.0.0.1:{free_port()}/secret-token-path")
    result = deliver(settings, _notice())
    assert "webhook: ConnectError" in result.errors[0] and "secret-token-path" not in result.errors[0]


def test_nothing_is_sent_unless_enabled(hook, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, hook.url)
    settings = Settings(notifications=NotificationSettings(enabled=False, webhook_url_env=HOOK_ENV))
    assert deliver(settings, _notice()).sent == []
    assert hook.bodies == []


def _finding(fid: int, severity: str, category: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"id": fid, "severity": severity, "category": category, "message": message, "platform": "Shop",
            "account": "u1", "account_email": None, "person": None, "asset": None, **extra}


def test_the_scan_notice_lists_findings_at_the_threshold_and_unverified_platforms():
    config = NotificationSettings(min_severity="high", max_listed=2)
    summary = SimpleNamespace(scan_id=4, status="partial", opened=3, reopened=1, resolved=0,
                              platforms=[("Shop", "complete", []), ("Ads", "failed", ["Ads: token rejected (401)"])])
    diff = {"new": [_finding(1, "critical", "orphaned_access", "Jan left, still admin", person="jkowalski"),
                    _finding(2, "medium", "missing_2fa", "no 2FA")],
            "reopened": [_finding(3, "high", "personal_email", "gmail admin", account_email="x@gmail.com")]}
    notice = scan_notice(config, summary, diff)
    assert notice.severity == "critical"
    assert "2 new or reopened finding(s) at high or above" in notice.subject
    assert "1 platform(s) not verified" in notice.subject
    titles = [item.title for item in notice.items]
    assert titles[0] == "Jan left, still admin"  # no rule texts in this row: its stored message
    assert notice.omitted == 1 and len(notice.items) == 2
    assert not any("no 2FA" in t for t in titles)
    assert "person jkowalski" in notice.items[0].detail and "finding #1" in notice.items[0].detail
    everything = scan_notice(NotificationSettings(min_severity="high"), summary, diff)
    assert "platform Ads could not be verified (failed)" in everything.text()
    assert "Ads: token rejected (401)" in everything.text()
    quiet = SimpleNamespace(**{**vars(summary), "platforms": [("Shop", "complete", [])]})
    assert scan_notice(config, quiet, {"new": [diff["new"][1]], "reopened": []}) is None


# ------------------------------------------------------------------------------------ after a scheduled scan


@pytest.fixture
def live(tmp_path: Path, hook: Hook, monkeypatch) -> Iterator[tuple[Settings, Any]]:
    """The demo workspace with only its Meta platform, served by a live emulator, webhook notifications on."""
    monkeypatch.setenv(HOOK_ENV, hook.url)
    settings = load_settings(create_workspace(tmp_path / "ws", now=NOW))
    platform = next(p for p in settings.platform if p.kind == "meta")
    app, prefix = emulator_for("meta", build_company(now=NOW), settings, platform)
    with serve(app) as server:
        meta = platform.model_copy(update={"base_url": server.url + prefix, "backoff": 0.0, "max_retries": 0})
        yield settings.model_copy(update={
            "platform": [meta], "notifications": NotificationSettings(enabled=True, webhook_url_env=HOOK_ENV)}), app


def test_a_scheduled_scan_notifies_what_it_opened_then_what_it_could_not_verify(live, hook):
    settings, emulator = live
    scan_id = scan_platform(settings, "Kwiatek on Meta")
    [first] = [b["json"]["auditor"] for b in hook.bodies]
    assert first["kind"] == "scan" and first["facts"]["scan_id"] == scan_id
    titles = [item["title"] for item in first["items"]]
    assert any("still has access after leaving" in t for t in titles)  # the readable title
    assert all(item["severity"] in ("critical", "high") for item in first["items"])
    assert any("Tomasz Wiśniewski" in t or "twisniewski" in (i["detail"] or "")
               for t, i in zip(titles, first["items"], strict=True))

    emulator.faults.add("500", path_contains="/business_users", times=None)
    scan_platform(settings, "Kwiatek on Meta")
    second = hook.bodies[-1]["json"]["auditor"]
    assert second["facts"]["unverified_platforms"] == ["Kwiatek on Meta"]
    assert "platform Kwiatek on Meta could not be verified (failed)" in [i["title"] for i in second["items"]]
    assert "business_users" in second["items"][-1]["detail"] or any(
        "business_users" in (i["detail"] or "") for i in second["items"])


def test_a_scheduled_scan_that_fails_is_recorded_and_notified(live, hook, tmp_path):
    settings, _emulator = live
    (Path(settings.source).parent / "people.ldif").unlink()
    with pytest.raises(AuditorError):
        scan_platform(settings, "Kwiatek on Meta")
    notice = hook.bodies[-1]["json"]["auditor"]
    assert notice["kind"] == "scan_failed" and "people.ldif" in notice["items"][0]["detail"]
    with read_session(settings) as session:
        [scan] = latest_scans(session)
    assert scan["status"] == "failed" and scan["trigger"] == "scheduler" and "people.ldif" in scan["error"]



HOSTILE = ("<!channel> @here *Boss* <https://evil.example/login|Reset your password> & [click](https://evil.example)"
           " <at>Everyone</at> `x` _y_ ~z~ # h")


def _hostile_notice(config: NotificationSettings) -> Notice:
    """A scan notice whose finding text carries a display name chosen by whoever controls the platform."""
    summary = SimpleNamespace(scan_id=9, status="complete", opened=1, reopened=0, resolved=0, platforms=[])
    row = _finding(1, "critical", "orphaned_access", f"{HOSTILE} (x@evil.example) still holds Brand ads",
                   account_email="x@evil.example", person="frank")
    notice = scan_notice(config, summary, {"new": [row]})
    assert notice is not None
    return notice


def test_slack_text_can_form_no_mention_link_or_formatting(hook, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, hook.url)
    config = NotificationSettings(enabled=True, webhook_url_env=HOOK_ENV, webhook_format="slack")
    assert deliver(Settings(notifications=config), _hostile_notice(config)).sent == ["webhook"]
    payload = hook.bodies[0]["json"]
    text = payload["text"]
    assert payload["mrkdwn"] is False, "Slack must show *, _, ~ and ` literally"
    assert "<" not in text and ">" not in text, text
    assert "&lt;!channel&gt;" in text and "&lt;https://evil.example/login|Reset your password&gt;" in text
    assert "&amp; [click]" in text and "&amp;lt;" not in text
    assert "@here" not in text and "@\u2060here" in text
    assert payload["auditor"]["items"][0]["title"].startswith("<!channel>"), "data stays raw"


def test_teams_text_escapes_markdown_and_html(hook, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, hook.url)
    config = NotificationSettings(enabled=True, webhook_url_env=HOOK_ENV, webhook_format="teams")
    assert deliver(Settings(notifications=config), _hostile_notice(config)).sent == ["webhook"]
    payload = hook.bodies[0]["json"]
    text = payload["text"]
    for char in "<>*_`~[]|":  # "#" and "&" remain, inside entities
        assert char not in text, (char, text)
    assert "&lt;at&gt;Everyone&lt;/at&gt;" in text and "&#42;Boss&#42;" in text and "@\u2060here" in text
    assert "&#91;click&#93;&#40;https://evil.example&#41;" in text
    assert "mrkdwn" not in payload


def test_webhook_format_follows_the_url_host():
    from auditor.notify import webhook_format

    assert webhook_format("auto", "https://hooks.slack.com/services/T/B/x") == "slack"
    assert webhook_format("auto", "https://shop.webhook.office.com/webhookb2/x") == "teams"
    assert webhook_format("auto", "https://prod-1.westeurope.logic.azure.com/workflows/x") == "teams"
    assert webhook_format("teams", "https://hooks.slack.com/services/T/B/x") == "teams"


def test_email_headers_cannot_be_injected_and_the_body_is_plain_text(smtp):
    sink, port = smtp
    config = NotificationSettings(enabled=True, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                  email_to=["security@shop.example"])
    case = {"id": 3, "uid": "frank", "display_name": "Frank\r\nBcc: victim@evil.example\r\n\r\nforged body\u2028x",
            "deadline": NOW, "last_working_day": "2026-10-30"}
    from auditor.notify import escalation_notice

    notice = escalation_notice(config, case, [{"platform": "meta", "item": "Brand\r\n.\r\nMAIL FROM:<x>",
                                               "state": "active", "last_seen": "2026-11-01"}])
    assert deliver(Settings(notifications=config), notice).sent == ["email"]
    [envelope] = sink.envelopes
    assert envelope.rcpt_tos == ["security@shop.example"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Bcc"] is None
    assert message["Subject"].startswith("auditor: offboarding of Frank Bcc: victim@evil.example forged body x")
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    assert "meta: Brand . MAIL FROM:<x> is still active" in body, "one line per item, whatever the input"
