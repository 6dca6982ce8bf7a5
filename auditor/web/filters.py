"""Template helpers: date formatting, labels, the permission test for menus, filter links and charts."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Flask, g, request, url_for

from auditor.accounts.roles import allowed
from auditor.accounts.users import ROLES
from auditor.web import charts, readable

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


def when(value: Any) -> str:
    """A datetime as ``YYYY-MM-DD HH:MM UTC`` (ISO strings accepted), a date as ``YYYY-MM-DD``, '-' for None."""
    if value in (None, ""):
        return "-"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def day(value: Any) -> str:
    """Only the date of a datetime (``YYYY-MM-DD``), '-' for None."""
    text = when(value)
    return text[:10] if text != "-" else text


def duration(seconds: float | None) -> str:
    """Seconds as ``1 min 5 s`` ('-' for None)."""
    if seconds is None:
        return "-"
    whole = int(round(seconds))
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"


def label(value: Any) -> str:
    """A machine value (``orphaned_access``) as words (``orphaned access``)."""
    return "-" if value in (None, "") else str(value).replace("_", " ")


def tri(value: Any) -> str:
    """Tri-state flags: yes / no / unknown."""
    return "unknown" if value is None else ("yes" if value else "no")


def ordinal_date(value: int) -> str:
    """A proleptic ordinal day number as ``YYYY-MM-DD`` (for date input bounds)."""
    return date.fromordinal(int(value)).isoformat()


def fact(value: Any) -> str:
    """A fact value for people: unknown for None, compact JSON for lists and mappings."""
    if value is None:
        return "unknown"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def pretty_json(value: Any) -> str:
    """Indented JSON for evidence blocks."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def can(permission: str) -> bool:
    """Whether the signed-in user's role holds ``permission`` (menus and buttons only; views are guarded)."""
    user = g.get("user")
    return user is not None and allowed(user.role, permission)


def url_with(**changes: Any) -> str:
    """The current URL with query arguments changed (None removes one); keeps the endpoint and view args."""
    args = {key: value for key, value in request.args.items()}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint or "dashboard.index", **(request.view_args or {}), **args)


def install(app: Flask) -> None:
    """Register filters and globals."""
    app.jinja_env.filters.update(
        when=when,
        day=day,
        duration=duration,
        label=label,
        tri=tri,
        pretty_json=pretty_json,
        fact=fact,
        ordinal_date=ordinal_date,
    )
    app.jinja_env.globals.update(
        can=can,
        url_with=url_with,
        roles=ROLES,
        severities=SEVERITY_ORDER,
        hbar_chart=charts.hbar_chart,
        trend_chart=charts.trend_chart,
    )
    readable.install(app)  # findings for people; when/day through the one date formatter (configured zone)
