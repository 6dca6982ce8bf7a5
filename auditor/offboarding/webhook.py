"""The HR webhook: signature, freshness and schema of ``POST /api/offboarding`` (OWASP ASVS 13.2.6).

The HR system sends the raw JSON body with two headers:

- ``X-Auditor-Timestamp``: the Unix time of sending (seconds); requests more than 300 s away from the
  server's clock are refused (stale or replayed);
- ``X-Auditor-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the shared secret, over
  ``"<timestamp>." + raw body`` (the timestamp is signed too, so it cannot be swapped).

The body names the event (``event_id``, stored: a replay answers with the existing case and changes
nothing), the employee (``uid`` or ``email``), the ``last_working_day`` and optionally the ``manager``.
Every refusal is a ``WebhookRejected`` with an HTTP status and, for a bad body, the field at fault.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from auditor.errors import AuditorError
from auditor.limits import TooDeep, ascii_int, json_loads

TIMESTAMP_HEADER = "X-Auditor-Timestamp"
SIGNATURE_HEADER = "X-Auditor-Signature"
TOLERANCE_SECONDS = 300
PREFIX = "sha256="


class WebhookRejected(AuditorError):
    """A webhook request that is refused: ``status`` is the HTTP answer, ``field`` the body field at fault."""

    def __init__(self, status: int, message: str, *, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        """The JSON error answer."""
        answer: dict[str, Any] = {"error": self.message}
        if self.field:
            answer["field"] = self.field
        return answer


class OffboardingRequest(BaseModel):
    """The body HR sends. Unknown fields are refused (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    event_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:@/+-]+$")
    uid: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    last_working_day: date = Field(strict=True)
    manager: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("last_working_day")
    @classmethod
    def _plausible(cls, value: date) -> date:
        if value.year < 2000:
            raise ValueError("implausible date (before 2000)")
        return value

    @model_validator(mode="after")
    def _someone(self) -> OffboardingRequest:
        if not self.uid and not self.email:
            raise ValueError("name the employee: uid or email is required")
        return self


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp`` (what the HR system computes)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """Refuse (401) a request without a fresh timestamp or with a signature that does not match."""
    stamp = _header(headers, TIMESTAMP_HEADER)
    if not stamp:
        raise WebhookRejected(401, f"missing {TIMESTAMP_HEADER} header")
    seconds = ascii_int(stamp, max_digits=12)
    if seconds is None:
        raise WebhookRejected(401, f"{TIMESTAMP_HEADER}: not a Unix time in seconds")
    age = now.timestamp() - seconds
    if abs(age) > TOLERANCE_SECONDS:
        raise WebhookRejected(401, f"{TIMESTAMP_HEADER}: {int(age)} s away from the server's clock "
                                   f"(at most {TOLERANCE_SECONDS} s): stale or replayed request")
    sent = _header(headers, SIGNATURE_HEADER)
    if not sent:
        raise WebhookRejected(401, f"missing {SIGNATURE_HEADER} header")
    expected = signature(secret, stamp, body)
    if not hmac.compare_digest(sent.strip().encode("utf-8", "replace"), expected.encode("ascii")):
        raise WebhookRejected(401, f"{SIGNATURE_HEADER}: signature does not match the body")


def parse(body: bytes) -> OffboardingRequest:
    """The validated body; 400 for a body that is not a JSON object (or nests too deeply), 422 naming the first
    bad field."""
    try:
        data = json_loads(body)
    except TooDeep as exc:
        raise WebhookRejected(400, f"body: {exc}") from None
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, "body: not valid JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "body: a JSON object is expected")
    try:
        return OffboardingRequest.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "uid"
        message = first["msg"].removeprefix("Value error, ")
        raise WebhookRejected(422, f"{field}: {message}", field=field) from None


def body_digest(body: bytes) -> str:
    """SHA-256 of the raw body (stored with the event id)."""
    return hashlib.sha256(body).hexdigest()
