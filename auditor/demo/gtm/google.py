"""What Google's REST emulators share: the error body, page tokens bound to the request's parameters, faults.

Errors are ``{"error": {"code", "message", "status"}}`` (Google API conventions). A page token carries the
offset and a digest of the other query parameters: a token replayed with changed parameters is refused with
400 ``INVALID_ARGUMENT`` (GA4 documents that the other parameters must stay the same while paging).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Response

from auditor.demo.cursors import decode_cursor, encode_cursor
from auditor.demo.faults import Fault
from auditor.demo.wsgi import json_response, raw_json

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          405: "METHOD_NOT_ALLOWED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."


class GoogleError(Exception):
    """An error answer in Google's shape."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def error_response(code: int, message: str) -> Response:
    """Google's error body."""
    return json_response(code, {"error": {"code": code, "message": message, "status": STATUS.get(code, "UNKNOWN")}})


def _digest(params: Mapping[str, str]) -> str:
    text = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "pageToken")
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def page_token(offset: int, params: Mapping[str, str]) -> str:
    """The token of the page starting at ``offset`` for a request with these parameters."""
    return encode_cursor(f"page-{_digest(params)}", offset)


def page_offset(params: Mapping[str, str]) -> int:
    """The offset a request's ``pageToken`` names (0 without one); 400 for a foreign or altered token."""
    token = params.get("pageToken")
    if not token:
        return 0
    offset = decode_cursor(f"page-{_digest(params)}", token)
    if offset is None:
        raise GoogleError(400, "Invalid page token: the token is malformed or the request's other parameters "
                               "changed while paging.")
    return offset


def page(items: list[Any], key: str, params: Mapping[str, str], size: int) -> dict[str, Any]:
    """One page of ``items`` under ``key`` with ``nextPageToken`` unless it is the last (empty lists omitted)."""
    start = page_offset(params)
    end = min(start + size, len(items))
    body: dict[str, Any] = {key: items[start:end]} if items[start:end] else {}
    if end < len(items):
        body["nextPageToken"] = page_token(end, params)
    return body


def fault_response(fault: Fault) -> Response | None:
    """The answer a fault asks for (None for "timeout" and "truncated", which shape the real answer)."""
    kind = fault.kind
    if kind in ("429", "rate_limit"):
        response = error_response(429, "Quota exceeded for quota metric 'Requests' of service.")
        if fault.retry_after:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if kind in ("500", "503"):
        return error_response(int(kind), "Internal error encountered." if kind == "500" else "The service is "
                              "currently unavailable.")
    if kind == "malformed":
        return raw_json('{"error": <html>')
    if kind == "missing_data":
        return json_response(200, [])
    if kind == "401":
        return error_response(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.")
    if kind == "permission":
        return error_response(403, INSUFFICIENT_SCOPES)
    return None
