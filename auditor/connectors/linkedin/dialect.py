"""How LinkedIn's versioned REST API speaks (platform-apis.md 2.1 and 2.7), for ``HttpClient``.

- Every request carries ``LinkedIn-Version: YYYYMM`` and ``X-Restli-Protocol-Version: 2.0.0``; they are set
  by ``VersionHeaders``, an httpx transport wrapper (``HttpClient`` takes a transport, not extra headers, and
  values returned by its ``auth`` hook are treated as secrets and redacted from messages).
- Errors are ``{"status", "serviceErrorCode", "code", "message"}``; 401 / ``INVALID_ACCESS_TOKEN`` is a
  rejected token, 403 / ``ACCESS_DENIED`` a missing permission, named here per endpoint.
- A retired or unknown ``LinkedIn-Version`` is HTTP 426 ``NONEXISTENT_VERSION``: the connector says to update
  ``options.version`` (``retired_version_message``), never an auth or permission failure.
- Rate limits are HTTP 429 (daily application and member quotas; no rate-limit header is documented).
- Paging is ``start`` / ``count`` with ``paging {start, count, total, links}``; ``total`` may be absent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, HttpClient, default_error_info
from auditor.connectors.values import json_body
from auditor.errors import ConnectorError

DEFAULT_VERSION = "202601"
VERSION_RETIRED_STATUS = 426
RESTLI_PROTOCOL = "2.0.0"
MAX_COUNT = 1000

AUTH_CODES = frozenset({"INVALID_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN", "REVOKED_ACCESS_TOKEN"})
PERMISSION_CODES = frozenset({"ACCESS_DENIED"})

ENDPOINT_NEEDS: dict[str, str] = {
    "organizationAcls": "scope r_organization_admin (or rw_organization_admin), and the token's member must be "
                        "an APPROVED ADMINISTRATOR of the organization",
    "adAccountUsers": "scope r_ads (or rw_ads), and the token's member must be ACCOUNT_MANAGER or "
                      "ACCOUNT_BILLING_ADMIN of the ad account",
}
"""Endpoint -> what the auditor's token needs to read it (named in permission errors)."""


class VersionHeaders(httpx.BaseTransport):
    """An httpx transport adding LinkedIn's version headers to every request, then delegating."""

    def __init__(self, version: str, inner: httpx.BaseTransport | None = None):
        self.version = version
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Set the version headers and send the request through the wrapped transport."""
        request.headers["LinkedIn-Version"] = self.version
        request.headers["X-Restli-Protocol-Version"] = RESTLI_PROTOCOL
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()


def retired_version_message(version: str) -> str:
    """The one message for a LinkedIn-Version LinkedIn no longer serves (HTTP 426 NONEXISTENT_VERSION)."""
    return (f"LinkedIn API version {version} is retired or not active (HTTP 426 NONEXISTENT_VERSION): update "
            "options.version to a current YYYYMM version (LinkedIn keeps each version about one year; see "
            "https://learn.microsoft.com/en-us/linkedin/marketing/versioning)")


def _body(response: httpx.Response) -> dict[str, Any]:
    body = json_body(response)
    return body if isinstance(body, dict) else {}


def needs_for(path: str) -> str | None:
    """What reading ``path`` requires, by the endpoint name in it."""
    return next((need for endpoint, need in ENDPOINT_NEEDS.items() if endpoint in path), None)


def error_info(response: httpx.Response) -> ErrorInfo:
    """LinkedIn's message (with its code) and whether it means a rejected token or a missing permission."""
    body = _body(response)
    message = body.get("message")
    if not isinstance(message, str) or not message:
        return default_error_info(response)
    code = body.get("code")
    if isinstance(code, str) and code:
        message = f"{message} ({code})"
    status = response.status_code
    if status == 401 or code in AUTH_CODES:
        return ErrorInfo(message, "auth")
    if status == 403 or code in PERMISSION_CODES:
        need = needs_for(response.request.url.path) if response.request is not None else None
        return ErrorInfo(f"{message}; needs {need}" if need else message, "permission")
    return ErrorInfo(message, None)


def read_elements(client: HttpClient, path: str, params: Mapping[str, Any], count: int) -> Iterator[list[Any]]:
    """Yield the ``elements`` of each page of a Rest.li finder, paging with ``start`` / ``count``.

    Stops when ``start`` reaches ``paging.total`` (or, without a total, on a short page). A page without an
    ``elements`` list, or an empty page before ``total`` is reached, is a truncated answer: ConnectorError.
    """
    count = max(1, min(count, MAX_COUNT))
    start = 0
    while True:
        body = client.get_json(path, {**params, "start": start, "count": count})
        elements = body.get("elements") if isinstance(body, dict) else None
        if not isinstance(elements, list):
            raise ConnectorError(client.platform, f"truncated page from GET /{path}: no 'elements' list")
        paging = body.get("paging")
        total = paging.get("total") if isinstance(paging, dict) else None
        total = total if isinstance(total, int) and not isinstance(total, bool) else None
        yield elements
        start += len(elements)
        if total is not None:
            if start >= total:
                return
            if not elements:
                raise ConnectorError(client.platform, f"truncated paging from GET /{path}: paging.total is "
                                                      f"{total} but the page at start={start} is empty")
        elif len(elements) < count:
            return
