"""The scheduled push against a real syslog listener (TCP and TLS, RFC 6587 octet counting) and a real HTTP
collector, both threads on loopback: retries, and no duplicates across runs."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from auditor.config import PushSettings
from auditor.findings.push import PushError, push_findings
from auditor.scheduler import job_specs
from tests.findings.conftest import set_status

OCSF = json.loads((Path(__file__).parent / "ocsf_1.7.0_detection_finding.schema.json").read_text(encoding="utf-8"))
RFC5424 = re.compile(rb'<(\d+)>1 (\S+) (\S+) auditor - finding \[auditor@32473 fingerprint="((?:[^"\\]|\\.)*)" '
                     rb'status="(\w+)" severity="(\w+)"\] \xef\xbb\xbf(.*)', re.S)


def read_frames(data: bytes) -> list[bytes]:
    """Split an RFC 6587 octet-counted stream into messages (fails on a bad frame)."""
    frames = []
    while data:
        length, _, rest = data.partition(b" ")
        assert length.isdigit(), data[:20]
        frames.append(rest[: int(length)])
        assert len(frames[-1]) == int(length)
        data = rest[int(length):]
    return frames


class SyslogListener:
    """A TCP (optionally TLS) syslog receiver on loopback; ``refuse`` first connections are dropped unread."""

    def __init__(self, context: ssl.SSLContext | None = None, refuse: int = 0):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.context, self.refuse, self.connections = context, refuse, 0
        self.frames: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            if self.connections <= self.refuse:
                conn.close()
                continue
            if self.context:
                conn = self.context.wrap_socket(conn, server_side=True)
            chunks = []
            with conn:
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
            self.frames += read_frames(b"".join(chunks))

    def close(self) -> None:
        self.sock.close()
        self.thread.join(5)


def _tls_files(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "collector.pem", tmp_path / "collector.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _with_push(settings, **values):
    return settings.model_copy(update={"push": PushSettings(**values)})


def _messages(listener: SyslogListener) -> list[tuple]:
    parsed = []
    for frame in listener.frames:
        match = RFC5424.fullmatch(frame)
        assert match, frame[:120]
        parsed.append(match.groups())
    return parsed


def test_syslog_over_tcp_sends_each_change_once(findings_settings, findings_db):
    listener = SyslogListener()
    settings = _with_push(findings_settings, target="syslog", host="127.0.0.1", port=listener.port, tls=False)
    try:
        first = push_findings(settings)
        again = push_findings(settings)
        set_status(findings_db, "fp-2fa", "resolved")
        after_fix = push_findings(settings)
    finally:
        listener.close()
    assert (first.sent, again.sent, after_fix.sent) == (2, 0, 1)  # never-sent closed findings are not announced
    messages = _messages(listener)
    assert [(m[3], m[4]) for m in messages] == [(b"fp-orphan", b"open"), (b"fp-2fa", b"open"),
                                                (b"fp-2fa", b"resolved")]
    pri, stamp = int(messages[0][0]), messages[0][1]
    assert (pri // 8, pri % 8) == (13, 2) and stamp == b"2025-03-04T05:06:07.000Z"  # log audit, critical
    events = [json.loads(m[6]) for m in messages]
    for event in events:
        jsonschema.validate(event, OCSF)
    assert events[2]["activity_id"] == 3 and events[2]["status_id"] == 4  # Close, Resolved


def test_syslog_over_tls_with_a_private_ca_and_retries(findings_settings, tmp_path):
    cert, key = _tls_files(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = SyslogListener(context, refuse=1)
    waits: list[float] = []
    settings = _with_push(findings_settings, target="syslog", host="127.0.0.1", port=listener.port, tls=True,
                          ca_file=str(cert), backoff=0.5)
    try:
        result = push_findings(settings, sleep=waits.append)
    finally:
        listener.close()
    assert result.sent == 2 and len(_messages(listener)) == 2
    assert waits == [0.5] and listener.connections == 2  # the first connection was dropped, then retried


def test_an_unreachable_collector_fails_plainly_and_sends_nothing_twice(findings_settings, tmp_path):
    unused = socket.create_server(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    settings = _with_push(findings_settings, target="syslog", host="127.0.0.1", port=port, tls=False, max_retries=2)
    waits: list[float] = []
    with pytest.raises(PushError, match=rf"syslog tcp://127.0.0.1:{port} failed after 3 attempts"):
        push_findings(settings, sleep=waits.append)
    assert waits == [1.0, 2.0]
    assert not (tmp_path / "push-state.json").exists()  # nothing recorded as sent


class Collector(BaseHTTPRequestHandler):
    """An HTTP collector: answers 503 to the first ``fail`` posts, then 202; keeps the bodies it accepted."""

    fail = 0
    bodies: list = []
    auth: list = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).auth.append(self.headers.get("Authorization"))
        if type(self).fail:
            type(self).fail -= 1
            self.send_response(503)
            self.end_headers()
            return
        type(self).bodies.append(json.loads(body))
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def collector():
    Collector.fail, Collector.bodies, Collector.auth = 1, [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ingest"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_http_collector_retries_and_sends_nothing_new_on_a_rerun(findings_settings, findings_db, collector,
                                                                 monkeypatch):
    monkeypatch.setenv("AUDITOR_TEST_PUSH_TOKEN", "push-token-123456")
    settings = _with_push(findings_settings, target="http", url=collector, token_env="AUDITOR_TEST_PUSH_TOKEN",
                          format="defectdojo", batch_size=1)
    waits: list[float] = []
    assert push_findings(settings, sleep=waits.append).sent == 2
    assert push_findings(settings, sleep=waits.append).sent == 0
    set_status(findings_db, "fp-orphan", "accepted")
    assert push_findings(settings, sleep=waits.append).sent == 1
    assert len(waits) == 1  # the first 503 was retried once
    assert set(Collector.auth) == {"Bearer push-token-123456"}
    sent = [(b["findings"][0]["unique_id_from_tool"], b["findings"][0]["risk_accepted"]) for b in Collector.bodies]
    assert sent == [("fp-orphan", False), ("fp-2fa", False), ("fp-orphan", True)]
    ledger = json.loads((Path(findings_settings.source).parent / "push-state.json").read_text())
    assert ledger == {"fp-2fa": "open", "fp-orphan": "accepted"}


def test_http_collector_gets_ocsf_events(findings_settings, collector):
    settings = _with_push(findings_settings, target="http", url=collector, min_severity="high")
    assert push_findings(settings, sleep=lambda _s: None).sent == 2
    (events,) = Collector.bodies
    assert [e["finding_info"]["uid"] for e in events] == ["fp-orphan", "fp-2fa"]
    for event in events:
        jsonschema.validate(event, OCSF)


def test_the_scheduler_registers_the_push_job(findings_settings):
    settings = _with_push(findings_settings, target="http", url="https://siem.example/ingest", cron="*/15 * * * *")
    assert "push" in {spec.id for spec in job_specs(settings)}
    with pytest.raises(Exception, match="push.cron is set but push.target is not"):
        job_specs(_with_push(findings_settings, cron="*/15 * * * *"))
