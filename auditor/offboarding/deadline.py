"""When a leaver's access must be gone: the end of the last working day plus N business days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from auditor.config import OffboardingSettings
from auditor.errors import ConfigError


def holidays(config: OffboardingSettings) -> frozenset[date]:
    """The configured holidays (ConfigError naming ``offboarding.holidays`` for a value that is no date)."""
    days = set()
    for value in config.holidays:
        try:
            days.add(date.fromisoformat(value))
        except ValueError:
            raise ConfigError(f"offboarding.holidays: {value!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(days)


def zone(config: OffboardingSettings) -> ZoneInfo:
    """The time zone whose day ends count (ConfigError naming ``offboarding.timezone``)."""
    try:
        return ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"offboarding.timezone: unknown time zone {config.timezone!r}") from None


def is_business_day(day: date, off: frozenset[date]) -> bool:
    """Monday to Friday, not a holiday."""
    return day.weekday() < 5 and day not in off


def deadline(last_working_day: date, config: OffboardingSettings) -> datetime:
    """The end (midnight, local time) of the ``deadline_business_days``-th business day after the last
    working day, as aware UTC. With 0 business days: the end of the last working day itself."""
    off = holidays(config)
    day = last_working_day
    remaining = config.deadline_business_days
    while remaining:
        day += timedelta(days=1)
        if is_business_day(day, off):
            remaining -= 1
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone(config))
    return end.astimezone(UTC)
