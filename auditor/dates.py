"""The one date formatter of the product: web pages, PDF reports, the CLI table and notifications.

Datetimes are shown to the minute in the configured time zone (``timezone`` at the top of the config, e.g.
``Europe/Warsaw``), as ``2 Dec 2026, 14:05`` (English) or ``2 gru 2026, 14:05`` (Polish); dates as
``2 Dec 2026``. ISO strings (as stored in evidence) are accepted. Storage stays UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditor.errors import ConfigError

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "pl": ("sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"),
}
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@lru_cache(maxsize=32)
def zone(name: str | None) -> tzinfo:
    """The time zone called ``name`` (UTC for None); ConfigError naming the ``timezone`` setting."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {name!r}") from None


def parse(value: Any) -> datetime | date | None:
    """A datetime or date from a value or an ISO string (None when it is neither)."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if ISO_DATETIME.match(text):
                return datetime.fromisoformat(text.replace("Z", "+00:00"))
            if ISO_DATE.match(text):
                return date.fromisoformat(text)
        except ValueError:
            return None
    return None


def format_date(value: date, language: str = "en") -> str:
    """``2 Dec 2026`` / ``2 gru 2026``."""
    months = MONTHS.get(language, MONTHS["en"])
    return f"{value.day} {months[value.month - 1]} {value.year}"


def format_when(value: Any, *, tz: str | tzinfo | None = None, language: str = "en", empty: str = "-") -> str:
    """A datetime to the minute in the configured zone, a date as a day; ``empty`` for None; other values as
    they are."""
    if value in (None, ""):
        return empty
    parsed = parse(value)
    if parsed is None:
        return str(value)
    if not isinstance(parsed, datetime):
        return format_date(parsed, language)
    where = zone(tz) if isinstance(tz, str | type(None)) else tz
    local = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(where)
    return f"{format_date(local.date(), language)}, {local:%H:%M}"


def format_day(value: Any, *, tz: str | tzinfo | None = None, language: str = "en", empty: str = "-") -> str:
    """Only the (local) day of a datetime or date."""
    parsed = parse(value)
    if parsed is None:
        return empty if value in (None, "") else str(value)
    if isinstance(parsed, datetime):
        where = zone(tz) if isinstance(tz, str | type(None)) else tz
        parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(where).date()
    return format_date(parsed, language)


def is_midnight_utc(value: datetime | date) -> bool:
    """A datetime at exactly 00:00 UTC (a day stored as a time, e.g. the day after an end date)."""
    if not isinstance(value, datetime):
        return False
    utc = value.astimezone(UTC) if value.tzinfo else value
    return (utc.hour, utc.minute, utc.second, utc.microsecond) == (0, 0, 0, 0)
