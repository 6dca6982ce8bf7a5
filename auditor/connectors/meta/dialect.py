"""How the Graph API signals errors and rate limits (platform-apis.md section 1.7), for ``HttpClient``."""

from __future__ import annotations

from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, default_error_info, json_or_none
from auditor.connectors.values import error_object as graph_error

RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
"""Application (4), user (17), pages (32), ads (613) and business-use-case (80000-80014) limits."""

AUTH_CODES = frozenset({102, 190, 2500})
"""Session invalid (102), invalid/expired token (190), no active token (2500)."""


def _code(error: dict[str, Any]) -> int | None:
    try:
        return int(error.get("code"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def is_rate_limited(response: httpx.Response) -> bool:
    """True for Meta's rate-limit error codes (sent with HTTP 400, 403 or 429)."""
    return _code(graph_error(response)) in RATE_LIMIT_CODES


def retry_hint(response: httpx.Response) -> float | None:
    """Seconds until access returns, from ``X-Business-Use-Case-Usage`` (minutes in the header)."""
    usage = json_or_none(response.headers.get("X-Business-Use-Case-Usage"))
    if not isinstance(usage, dict):
        return None
    minutes = [
        float(entry["estimated_time_to_regain_access"])
        for entries in usage.values() if isinstance(entries, list)
        for entry in entries
        if isinstance(entry, dict) and isinstance(entry.get("estimated_time_to_regain_access"), int | float)
    ]
    return max(minutes) * 60.0 if minutes else None


def error_info(response: httpx.Response) -> ErrorInfo:
    """Meta's message and whether it means a rejected token or a missing permission."""
    error = graph_error(response)
    if not error:
        return default_error_info(response)
    code = _code(error)
    message = str(error.get("message") or response.reason_phrase)
    if code is not None and f"#{code}" not in message:
        message = f"{message} (code {code})"
    lowered = message.lower()
    if code == 210 or "page access token" in lowered:
        kind: str | None = "permission"  # a token-type refusal of one edge (190 or 210), never a dead token
    elif code in AUTH_CODES or response.status_code == 401:
        kind = "auth"
    elif (code == 10 or (code is not None and 200 <= code <= 299) or response.status_code == 403
          or (code == 100 and "permission" in lowered)):
        kind = "permission"
    else:
        kind = None
    return ErrorInfo(message, kind)


def next_page(body: dict[str, Any]) -> str | None:
    """``paging.next`` (absolute URL); absent on the last page even though ``cursors.after`` is present."""
    paging = body.get("paging")
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return nxt if isinstance(nxt, str) and nxt else None
