"""Template helpers that show findings for people: the readable title and message, the asset and role columns,
the evidence as a labelled table, and dates through the product's one formatter in the configured zone,
all in the request's language (en/pl)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, has_app_context

from auditor import dates
from auditor.findings import texts
from auditor.web.i18n import language


def _texts() -> texts.Texts:
    zone = None
    if has_app_context():
        context = current_app.extensions.get("auditor")
        settings = getattr(context, "settings", None)
        zone = getattr(settings, "timezone", None)
    return texts.Texts(language=language(), timezone=zone)  # the request's UI language


def when(value: Any) -> str:
    """A date or time to the minute in the configured zone (``2 Dec 2026, 14:05``), '-' for None."""
    shown = _texts()
    return dates.format_when(value, tz=shown.timezone, language=shown.language)


def day(value: Any) -> str:
    """Only the local day of a date or time."""
    shown = _texts()
    return dates.format_day(value, tz=shown.timezone, language=shown.language)


def finding_title(finding: Mapping[str, Any]) -> str:
    """A finding's short readable title."""
    return texts.finding_text(finding, _texts())["title"]


def finding_message(finding: Mapping[str, Any]) -> str:
    """A finding's readable message."""
    return texts.finding_text(finding, _texts())["message"]


def finding_where(finding: Mapping[str, Any]) -> dict[str, str]:
    """The asset and role columns (names and role words)."""
    return texts.where(finding, _texts())


def evidence_rows(finding: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The evidence as (label, value) rows."""
    return texts.evidence_rows(finding, _texts())


def rule_name(finding: Mapping[str, Any]) -> str:
    """The name of the finding's rule in the request's language (its id when unknown)."""
    return texts.rule_name(finding, _texts())


def install(app: Flask) -> None:
    """Register the helpers (the date filters replace the UTC-only ones)."""
    app.jinja_env.filters.update(when=when, day=day, finding_title=finding_title,
                                 finding_message=finding_message)
    app.jinja_env.globals.update(finding_where=finding_where, evidence_rows=evidence_rows,
                                 finding_title=finding_title, finding_message=finding_message,
                                 rule_name=rule_name)
    app.context_processor(lambda: {"timezone_name": _texts().timezone or "UTC"})
