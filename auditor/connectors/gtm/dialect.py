"""How Google's REST APIs (Tag Manager v2, Analytics Admin) speak, for ``HttpClient``.

- Errors are ``{"error": {"code", "message", "status"}}``: 401 ``UNAUTHENTICATED`` is a rejected token, 403
  ``PERMISSION_DENIED`` a missing scope or access (the needed scope or role is named by the caller's
  ``needs``), 429 ``RESOURCE_EXHAUSTED`` a rate limit (retried by ``HttpClient``).
- Lists page with ``pageToken``; the answer holds the list under its own key and ``nextPageToken``, absent
  (or empty) on the last page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, HttpClient, default_error_info
from auditor.connectors.values import error_object
from auditor.errors import ConnectorError


def error_reader(needs: str) -> Callable[[httpx.Response], ErrorInfo]:
    """An ``error_info`` for ``HttpClient`` that adds ``needs`` (the scope or role required) to a 401/403."""

    def error_info(response: httpx.Response) -> ErrorInfo:
        error = error_object(response)
        if not isinstance(error.get("message"), str):
            return default_error_info(response)
        message = error["message"]
        if isinstance(error.get("status"), str):
            message = f"{message} ({error['status']})"
        if response.status_code == 401:
            return ErrorInfo(f"{message}; needs {needs}", "auth")
        if response.status_code == 403:
            return ErrorInfo(f"{message}; needs {needs}", "permission")
        return ErrorInfo(message, None)

    return error_info


def read_pages(client: HttpClient, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
    """Yield the ``key`` list of each page, following ``nextPageToken`` (same parameters on every page).

    An answer that is not an object, or whose ``key`` is present but not a list, is a truncated page; a missing
    ``key`` is an empty page (Google omits empty lists). A token seen twice is a paging loop. Both raise.
    """
    token: str | None = None
    seen: set[str] = set()
    while True:
        query = {**(params or {}), **({"pageToken": token} if token else {})}
        body = client.get_json(path, query)
        items = body.get(key, []) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ConnectorError(client.platform, f"truncated page from GET /{path}: no '{key}' list")
        yield items
        token = body.get("nextPageToken")
        if not isinstance(token, str) or not token:
            return
        if token in seen:
            raise ConnectorError(client.platform, f"paging loop at GET /{path}: the same page token twice")
        seen.add(token)
