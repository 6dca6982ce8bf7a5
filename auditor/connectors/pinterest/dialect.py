"""How Pinterest API v5 speaks (platform-apis.md section 6), for ``HttpClient``.

- Errors are ``{"code": <int>, "message": "..."}``; HTTP 401 is a rejected token, 403 a missing scope or
  business access (named here), HTTP 429 a rate limit (retried by ``HttpClient``; no rate-limit response
  header is documented, so waits are the client's own back-off).
- Lists page with an opaque ``bookmark`` plus ``page_size`` (at most 250): ``{"items": [...], "bookmark"}``,
  the bookmark absent or null on the last page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, HttpClient, default_error_info
from auditor.connectors.values import json_body
from auditor.errors import ConnectorError

MAX_PAGE_SIZE = 250
NEEDS = ("scope biz_access:read, and the token's user must be an admin (BIZ_ADMIN) or member of the business "
         "with access to its assets")


def error_info(response: httpx.Response) -> ErrorInfo:
    """Pinterest's message (with its code) and whether it means a rejected token or a missing permission."""
    body = json_body(response)
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        return default_error_info(response)
    code = body.get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        message = f"{message} (code {code})"
    if response.status_code == 401:
        return ErrorInfo(message, "auth")
    if response.status_code == 403:
        return ErrorInfo(f"{message}; needs {NEEDS}", "permission")
    return ErrorInfo(message, None)


def read_items(client: HttpClient, path: str, params: Mapping[str, Any], page_size: int) -> Iterator[list[Any]]:
    """Yield the ``items`` of each page, following ``bookmark`` until it is absent.

    A page without an ``items`` list is a truncated answer, and a bookmark seen twice a paging loop:
    both raise ConnectorError.
    """
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    bookmark: str | None = None
    seen: set[str] = set()
    while True:
        query = {**params, "page_size": size}
        if bookmark:
            query["bookmark"] = bookmark
        body = client.get_json(path, query)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ConnectorError(client.platform, f"truncated page from GET /{path}: no 'items' list")
        yield items
        bookmark = body.get("bookmark")
        if not isinstance(bookmark, str) or not bookmark:
            return
        if bookmark in seen:
            raise ConnectorError(client.platform, f"paging loop at GET /{path}: the same bookmark twice")
        seen.add(bookmark)
