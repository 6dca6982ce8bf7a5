"""How TikTok's API for Business signals errors, rate limits and pages (docs/platforms/tiktok.md).

TikTok wraps every answer in an envelope ``{"code", "message", "request_id", "data"}``; any ``code`` other
than 0 is an error, usually sent with HTTP 200. The shared ``HttpClient`` treats every 2xx answer as a
success, so ``EnvelopeTransport`` (passed to it through its ``transport`` hook) shows an error envelope to
the client as the HTTP status it means: 429 for the rate-limit code (so it is retried with backoff), 401 for
token codes, 403 for the permission code, 500 for system errors (retried) and 400 for everything else. The
body is kept untouched, so ``error_info`` still reports TikTok's own code and message.

Return codes other than 40100 come from third-party material (the official appendix was not retrieved) and
are marked UNCONFIRMED; an unknown code is a plain, non-retried failure that names the code.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, default_error_info
from auditor.connectors.values import json_body

RATE_LIMIT_CODES = frozenset({40100})
"""QPS / QPM / QPD limit exceeded."""
AUTH_CODES = frozenset({40102, 40104, 40105})
"""Token expired (40102), token missing (40104), token incorrect or revoked (40105). UNCONFIRMED but 40105."""
PERMISSION_CODES = frozenset({40001})
"""No permission for the operation (UNCONFIRMED)."""
SERVER_ERROR_MIN = 50000
"""Codes from 50000 up are TikTok system errors (UNCONFIRMED); they are retried like HTTP 5xx."""

REQUIRED_PERMISSIONS: dict[str, str] = {
    "/bc/get/": "Ad Account Management > Business Center > Read Business Center",
    "/bc/member/get/": "Ad Account Management > Business Center > Read Business Center",
    "/bc/asset/admin/get/": "Ad Account Management > Business Center > Business Center Asset",
    "/bc/asset/member/get/": "Ad Account Management > Business Center > Business Center Asset",
    "/changelog/get/": "Ads Management > Change Log",
}
"""Endpoint -> the app permission category (scope) it needs, named in permission errors."""

_DROPPED_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})
_VERSION = re.compile(r"/open_api/v\d+(?:\.\d+)?(?=/)")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def envelope_code(content: bytes) -> int | None:
    """The ``code`` of a JSON envelope, or None when the body is not an envelope."""
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return _int(body.get("code")) if isinstance(body, dict) else None


def http_status_for(code: int) -> int:
    """The HTTP status an envelope error code means to the shared client."""
    if code in RATE_LIMIT_CODES:
        return 429
    if code in AUTH_CODES:
        return 401
    if code in PERMISSION_CODES:
        return 403
    if code >= SERVER_ERROR_MIN:
        return 500
    return 400


class EnvelopeTransport(httpx.BaseTransport):
    """Wraps a transport: an HTTP 200 answer whose envelope ``code`` is not 0 gets the status it means."""

    def __init__(self, inner: httpx.BaseTransport):
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Forward the request; rewrite the status of an error envelope sent with HTTP 200."""
        response = self._inner.handle_request(request)
        if response.status_code != 200:
            return response
        try:
            content = response.read()
        finally:
            response.close()
        code = envelope_code(content)
        status = http_status_for(code) if code not in (None, 0) else 200
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED_HEADERS]
        extensions = dict(response.extensions)
        if status != 200:
            extensions.pop("reason_phrase", None)
            headers.append(("X-TikTok-Code", str(code)))
        return httpx.Response(status, headers=headers, content=content, request=request, extensions=extensions)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()


def endpoint(response: httpx.Response) -> str:
    """The API path of the request (``/bc/member/get/``), without the ``/open_api/v1.3`` prefix."""
    try:
        path = response.request.url.path
    except RuntimeError:  # a response built without a request
        return ""
    match = _VERSION.search(path)
    return path[match.end():] if match else path


def error_info(response: httpx.Response) -> ErrorInfo:
    """TikTok's code and message, and whether they mean a rejected token or a missing permission."""
    body = json_body(response)
    if not isinstance(body, dict) or "code" not in body:
        return default_error_info(response)
    code = _int(body.get("code"))
    message = str(body.get("message") or response.reason_phrase or "error")
    text = f"{message} (TikTok code {code}"
    text += f", request_id {body['request_id']})" if body.get("request_id") else ")"
    status = response.status_code
    if code in AUTH_CODES or status == 401:
        return ErrorInfo(text, "auth")
    if code in PERMISSION_CODES or status == 403:
        need = REQUIRED_PERMISSIONS.get(endpoint(response))
        if need:
            text += f"; the app needs the permission {need!r} and its user must be a Business Center admin"
        return ErrorInfo(text, "permission")
    return ErrorInfo(text)
