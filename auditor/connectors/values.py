"""Small value readers the connectors' mappings share: platform times as aware UTC, and trimmed text.

Each returns None for a value that is absent or unreadable, never raises: a mapping keeps the raw value in
``raw`` and moves on. The dialects read error answers with ``json_body`` / ``error_object``.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

import httpx


def utc_time(value: Any, naive_zone: tzinfo = UTC) -> datetime | None:
    """ISO 8601 text (``Z``, ``+00:00`` or no offset: read in ``naive_zone``) as aware UTC; None when unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=naive_zone)).astimezone(UTC)


def ms_time(value: Any) -> datetime | None:
    """An epoch-milliseconds time as aware UTC; None when absent, not a number, not positive or out of range."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def text(value: Any) -> str | None:
    """A non-empty stripped string, else None (non-strings included)."""
    return value.strip() if isinstance(value, str) and value.strip() else None


def any_text(value: Any) -> str | None:
    """Any value but None as stripped text (numbers too); None when that text is empty."""
    return str(value).strip() if value not in (None, "") and str(value).strip() else None


def json_body(response: httpx.Response) -> Any:
    """The JSON of an answer; None when its body is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def error_object(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a JSON error answer (Google, Graph), or ``{}``."""
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}
