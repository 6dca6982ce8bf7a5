"""How the X Ads API signals errors, rate limits and pages (platform-apis.md section 4), for ``HttpClient``.

- Errors: ``{"errors": [{"code": "CAPS_CASE", "message": "..."}], "request": {...}}``; the HTTP status
  decides (401: the OAuth credentials were rejected, 403: a permission is missing); the body may be HTML.
- Rate limits: HTTP 429 with ``x-account-rate-limit-*`` (account level, preferred) and ``x-rate-limit-*``
  (user level) headers; ``*-reset`` is a unix time in seconds.
- Paging: ``cursor`` in the query, ``next_cursor`` in the body (null on the last page), ``count`` <= 1000.
- Versions: the first path segment; ``ACTIVE_VERSIONS`` are served, older ones are end of life.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from auditor.connectors.contract import load_contract
from auditor.connectors.http import ErrorInfo, HttpClient, default_error_info
from auditor.connectors.values import json_body
from auditor.errors import ConnectorError

_CONTRACT = load_contract("x")
MAX_COUNT = _CONTRACT.limit("promotable_users", "count")
ACTIVE_VERSIONS = _CONTRACT.enum_values("api_versions_active")
_VERSION = re.compile(r"^/(\d+)(?=/|$)")
_TAG = re.compile(r"<[^>]*>")

_PERMISSION_HINTS = {
    "UNAUTHORIZED_CLIENT_APPLICATION": "the X developer app is not approved for the Ads API",
    "INSUFFICIENT_USER_AUTHORIZED_PERMISSION": "the X user of the token must hold at least ANALYST access "
                                               "to the ads account (and re-authorise the app)",
    "ACCOUNT_NOT_FOUND": "the X user of the token has no access to this ads account "
                         "(grant it ANALYST in Ads Manager > Edit access to account)",
}
_DEFAULT_PERMISSION_HINT = "the X user of the token needs at least ANALYST access to the ads account"
_AUTH_HINT = "check the four OAuth 1.0a credentials (consumer key/secret, access token/secret)"


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    """The ``errors`` list of an Ads API error answer, or ``[]``."""
    body = json_body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def error_info(response: httpx.Response) -> ErrorInfo:
    """X's code and message, with what to do for auth (401) and permission (403) failures."""
    errors = errors_of(response)
    if not errors:
        # an HTML page (404, 503 ...) says nothing the status does not: the status decides
        html = "html" in response.headers.get("content-type", "") or response.text.lstrip().startswith("<")
        message = _html_message(response) if html else default_error_info(response).message
    else:
        first = errors[0]
        code = str(first.get("code") or "")
        text = str(first.get("message") or response.reason_phrase)
        message = f"{code}: {text}" if code else text
    status = response.status_code
    if status == 401:
        return ErrorInfo(f"{message} ({_AUTH_HINT})", "auth")
    if status == 403:
        code = str(errors[0].get("code") or "") if errors else ""
        return ErrorInfo(f"{message} ({_PERMISSION_HINTS.get(code, _DEFAULT_PERMISSION_HINT)})", "permission")
    return ErrorInfo(message, None)


def _html_message(response: httpx.Response) -> str:
    """``HTTP <status> <reason>`` and the page's visible text (tags dropped, at most 120 characters)."""
    text = " ".join(_TAG.sub(" ", response.text).split())[:120]
    head = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    return f"{head}: {text}" if text else head


def _header_float(headers: httpx.Headers, name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


def retry_hint(response: httpx.Response, *, clock: Callable[[], float] = time.time) -> float | None:
    """Seconds until the limit resets (429 only: every answer carries the headers, a 5xx is not a limit):
    the account-level reset header first, then the user-level one."""
    if response.status_code != 429:
        return None
    for name in ("x-account-rate-limit-reset", "x-rate-limit-reset"):
        reset = _header_float(response.headers, name)
        if reset is not None:
            return max(0.0, reset - clock())
    return None


def cursor_pages(
    client: HttpClient, path: str, params: Mapping[str, Any], platform: str
) -> Iterator[list[Any]]:
    """Yield the ``data`` list of each page, following ``next_cursor`` until it is null.

    A page without a ``data`` list, a ``next_cursor`` that is not text, or the same cursor twice is an error.
    """
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        query = dict(params)
        if cursor is not None:
            query["cursor"] = cursor
        body = client.get_json(path, query)
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise ConnectorError(platform, f"truncated page from GET /{path.lstrip('/')}: no 'data' list")
        yield body["data"]
        nxt = body.get("next_cursor")
        if nxt is None or nxt == "":
            return
        if not isinstance(nxt, str):
            raise ConnectorError(platform, f"malformed page from GET /{path.lstrip('/')}: next_cursor is not text")
        if nxt in seen:
            raise ConnectorError(platform, f"paging loop at GET /{path.lstrip('/')}: the same cursor twice")
        seen.add(nxt)
        cursor = nxt


def end_of_life_version(base_url: str) -> str | None:
    """The API version a base URL names when it is no longer served (older than every active one), else None."""
    match = _VERSION.match(httpx.URL(base_url).path)
    if match is None or match.group(1) in ACTIVE_VERSIONS:
        return None
    return match.group(1) if int(match.group(1)) < min(int(v) for v in ACTIVE_VERSIONS) else None
