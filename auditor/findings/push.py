"""The scheduled push of findings to where they are tracked: a syslog collector (RFC 5424 over TCP or TLS,
RFC 6587 octet-counting framing) or an HTTP collector (JSON POST through the shared ``HttpClient``).

Each finding is sent once per status. The ledger (``push.state_file``, a JSON map fingerprint -> last
status sent) is written after every batch the collector accepted, so a failure part-way re-sends nothing that
already went, and a re-run with no change sends nothing. A finding never sent while open is not announced
when it is already resolved or accepted. Failed sends are retried ``max_retries`` times with exponential
backoff; after that the push raises ``PushError`` and the next run starts from the ledger.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.config import PushSettings, Settings
from auditor.errors import AuditorError, ConnectorError
from auditor.findings.exports import as_datetime, to_defectdojo, to_defectdojo_finding, to_ocsf

log = logging.getLogger("auditor.push")

FACILITY = 13  # log audit (RFC 5424, table 1)
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
SD_ID = "auditor@32473"  # 32473: the enterprise number reserved for examples and documentation (RFC 5612)
Sleep = Callable[[float], None]


class PushError(AuditorError):
    """The collector could not be reached or refused the findings (names the target)."""


@dataclass(frozen=True, slots=True)
class PushResult:
    """What one push did: findings sent, and findings already sent with the same status."""

    sent: int
    unchanged: int


def load_ledger(path: Path) -> dict[str, str]:
    """The fingerprint -> status map of what was sent (empty when no push ran yet)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PushError(f"{path}: cannot read the push ledger: {exc}") from exc
    if not isinstance(data, dict):
        raise PushError(f"{path}: the push ledger is not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def save_ledger(path: Path, ledger: Mapping[str, str]) -> None:
    """Write the ledger atomically (a crash leaves the previous one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".push-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(dict(sorted(ledger.items())), handle, indent=0)
    os.replace(tmp, path)


def due(rows: Sequence[Mapping[str, Any]], ledger: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """The findings whose status differs from what was last sent (never-sent closed findings are left out)."""
    out = []
    for row in rows:
        sent = ledger.get(str(row["fingerprint"]))
        if sent == row["status"] or (sent is None and row["status"] != "open"):
            continue
        out.append(row)
    return out


def _sd_value(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def syslog_message(row: Mapping[str, Any], config: PushSettings, hostname: str) -> bytes:
    """One finding as an RFC 5424 message (structured data: fingerprint, status, severity; the body is the
    OCSF or DefectDojo JSON) with its RFC 6587 octet-counting frame."""
    pri = FACILITY * 8 + SYSLOG_SEVERITY.get(str(row.get("severity")), 6)
    moment = as_datetime(row.get("last_seen")) or datetime.now(UTC)
    stamp = moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    body = to_ocsf(row) if config.format == "ocsf" else to_defectdojo_finding(row)
    params = " ".join(f'{key}="{_sd_value(str(row.get(key) or ""))}"' for key in ("fingerprint", "status", "severity"))
    header = f"<{pri}>1 {stamp} {hostname or '-'} {config.app_name} - finding [{SD_ID} {params}] "
    message = header.encode("utf-8") + b"\xef\xbb\xbf" + json.dumps(body, separators=(",", ":")).encode("utf-8")
    return str(len(message)).encode("ascii") + b" " + message


def _retrying(config: PushSettings, what: str, send: Callable[[], None], sleep: Sleep) -> None:
    attempts = config.max_retries + 1
    for attempt in range(1, attempts + 1):
        try:
            send()
            return
        except OSError as exc:
            if attempt == attempts:
                raise PushError(f"push to {what} failed after {attempts} attempts: {exc}") from None
            log.warning("push to %s failed (attempt %d/%d): %s", what, attempt, attempts, exc)
            sleep(config.backoff * 2 ** (attempt - 1))


def _syslog_sender(settings: Settings, sleep: Sleep) -> Callable[[list[Mapping[str, Any]]], None]:
    config = settings.push
    if not config.host:
        raise PushError(f"{settings.source or 'config'}: push.host is not set (the syslog collector)")
    what = f"syslog {'tls' if config.tls else 'tcp'}://{config.host}:{config.port}"
    hostname = socket.gethostname()
    context = None
    if config.tls:
        context = ssl.create_default_context(cafile=str(settings.resolve_path(config.ca_file) or "") or None)

    def send(batch: list[Mapping[str, Any]]) -> None:
        frames = b"".join(syslog_message(row, config, hostname) for row in batch)

        def once() -> None:
            with socket.create_connection((config.host, config.port), timeout=config.timeout) as raw:
                conn = context.wrap_socket(raw, server_hostname=config.host) if context else raw
                with conn:
                    conn.sendall(frames)

        _retrying(config, what, once, sleep)

    return send


def _http_sender(settings: Settings, sleep: Sleep) -> Callable[[list[Mapping[str, Any]]], None]:
    from auditor.connectors.http import HttpClient

    config = settings.push
    if not config.url:
        raise PushError(f"{settings.source or 'config'}: push.url is not set (the HTTP collector)")
    token = settings.secret(config.token_env, key="push.token_env") if config.token_env else None
    auth = (lambda: {"Authorization": f"Bearer {token}"}) if token else None

    def send(batch: list[Mapping[str, Any]]) -> None:
        body: Any = [to_ocsf(row) for row in batch] if config.format == "ocsf" else to_defectdojo(batch)
        with HttpClient("push", config.url, auth=auth, timeout=config.timeout, max_retries=config.max_retries,
                        backoff=config.backoff, sleep=sleep) as client:
            try:
                client.request("POST", config.url, json=body)
            except ConnectorError as exc:
                raise PushError(f"push to the HTTP collector failed: {exc}") from None

    return send


def push_findings(settings: Settings, *, sleep: Sleep = time.sleep) -> PushResult:
    """Send every finding whose status changed since the last push to the configured collector."""
    from auditor.services.queries import find_findings

    config = settings.push
    if config.target is None:
        raise PushError(f"{settings.source or 'config'}: push.target is not set (syslog or http)")
    sender = _syslog_sender(settings, sleep) if config.target == "syslog" else _http_sender(settings, sleep)
    ledger_path = settings.resolve_path(config.state_file)
    assert ledger_path is not None
    ledger = load_ledger(ledger_path)
    rows = find_findings(settings, status="all", severity=config.min_severity)
    pending = due(rows, ledger)
    for start in range(0, len(pending), config.batch_size):
        batch = pending[start:start + config.batch_size]
        sender(batch)
        ledger.update({str(row["fingerprint"]): str(row["status"]) for row in batch})
        save_ledger(ledger_path, ledger)
    log.info("push: %d finding(s) sent, %d unchanged", len(pending), len(rows) - len(pending))
    return PushResult(sent=len(pending), unchanged=len(rows) - len(pending))
