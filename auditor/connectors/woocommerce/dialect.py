"""How the WordPress REST API speaks (platform-apis.md section 9), for ``HttpClient``.

- Errors are ``{"code", "message", "data": {"status"}}``; 401 means not logged in (or a wrong application
  password), 403 logged in without the capability. The capability each read needs is named here.
- Collections page with ``page`` / ``per_page`` (at most 100) and the headers ``X-WP-Total`` /
  ``X-WP-TotalPages``; the answer is a bare JSON array.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, HttpClient, default_error_info
from auditor.connectors.values import json_body
from auditor.errors import ConnectorError

MAX_PER_PAGE = 100
NEEDS = {
    "rest_forbidden_context": "the list_users capability (an administrator's application password)",
    "rest_user_cannot_view": "the list_users capability",
    "rest_cannot_list_application_passwords": "the edit_user capability on that user",
}


def error_info(response: httpx.Response) -> ErrorInfo:
    """WordPress's ``code: message`` with the capability it lacks, and the kind (401 auth, 403 permission)."""
    body = json_body(response)
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return default_error_info(response)
    code = body["code"]
    message = f"{code}: {body.get('message') or ''}".strip()
    if code in NEEDS:
        message = f"{message}; needs {NEEDS[code]}"
    if response.status_code == 401:
        return ErrorInfo(message, "auth" if code not in NEEDS else "permission")
    if response.status_code == 403:
        return ErrorInfo(message, "permission")
    return ErrorInfo(message, None)


def wp_code(response: httpx.Response) -> str | None:
    """The ``code`` of a WordPress error answer (None when it has none)."""
    body = json_body(response)
    return body.get("code") if isinstance(body, dict) and isinstance(body.get("code"), str) else None


def read_pages(client: HttpClient, path: str, params: Mapping[str, Any], per_page: int) -> Iterator[list[Any]]:
    """Yield each page's array, pages 1..``X-WP-TotalPages``.

    A page that is not a JSON array is truncated; a missing or unreadable ``X-WP-TotalPages`` is an error (the
    list could be cut short): both raise ConnectorError.
    """
    size = max(1, min(per_page, MAX_PER_PAGE))
    page, total = 1, 1
    while page <= total:
        response = client.request("GET", path, {**params, "per_page": size, "page": page})
        try:
            body = response.json()
        except ValueError:
            raise ConnectorError(client.platform, f"malformed JSON from GET /{path}") from None
        if not isinstance(body, list):
            raise ConnectorError(client.platform, f"truncated page from GET /{path}: not a JSON array")
        try:
            total = int(response.headers["X-WP-TotalPages"])
        except (KeyError, ValueError):
            raise ConnectorError(client.platform, f"GET /{path}: no X-WP-TotalPages header, the list may be "
                                                  "incomplete") from None
        yield body
        page += 1
