"""The answer letter: translations, the Art. 15(1)(a)-(h) texts, the HTML from ``reports/dsar/letter.html``, the PDF.

Translations live in ``reports/dsar/i18n/<language>.yaml`` (English is the reference and the fallback for a
missing key or language). The Art. 15 texts come from ``[dsar]`` in the config (one text, or one per language)
and fall back to the catalogue's ``defaults``. The letter renders through the reports' pipeline
(``auditor.reporting.i18n`` and ``auditor.reporting.render``: autoescaped Jinja2, WeasyPrint that may fetch
nothing); its errors come out as PackError.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2

from auditor.config import DsarSettings
from auditor.dsar.errors import PackError
from auditor.dsar.model import CATEGORY_COLUMNS
from auditor.dsar.redact import REDACTED
from auditor.reporting.errors import ReportError
from auditor.reporting.i18n import REFERENCE_LANGUAGE, Translator, load_translator
from auditor.reporting.render import css_string, environment, html_to_pdf

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_BREAKS = re.compile(r"[+_/,]")
ARTICLE_15_ITEMS = ("purposes", "categories", "recipients", "retention", "rights", "complaint_authority", "source",
                    "automated_decisions")
LETTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "identity": ("source", "uid", "display_name", "emails", "department", "status", "end_date", "manager"),
    "directory_history": ("uid", "at", "field", "old", "new"),
    "platform_accounts": ("source", "platform", "account_id", "name", "emails", "state", "role", "last_activity"),
    "access_rights": ("source", "platform", "asset_name", "asset_kind", "role", "granted_by",
                      "other_holders_withheld"),
    "connected_apps": ("source", "platform", "name", "scopes", "last_used"),
    "findings": ("severity", "category", "status", "message", "last_seen"),
    "activity_log": ("platform", "time", "raw_action", "actor_name", "target_name"),
    "offboarding_cases": ("case_id", "opened_at", "status", "closed_at", "items"),
}
"""The columns the PDF shows per category (the export and the CSV files carry every column)."""


@contextmanager
def _pack_errors() -> Iterator[None]:
    """The shared pipeline's ReportError as the pack's PackError (same message)."""
    try:
        yield
    except ReportError as exc:
        raise PackError(str(exc)) from exc


class LetterTranslator(Translator):
    """The reports' translator with the letter's cell formats: ``t(key, **values)``, yes/no, short sources."""

    def value(self, value: Any) -> str:
        """A cell for the letter: booleans as yes/no, None as a dash, lists joined."""
        if value is None:
            return self("value.none")
        if isinstance(value, bool):
            return self(f"value.{str(value).lower()}")
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value) or self("value.none")
        return str(value)

    def cell(self, column: str, value: Any) -> str:
        """A table cell of the copy: short source names, minutes-precision times, break points in long codes."""
        if column == "source" and isinstance(value, str):
            if value.startswith("platform:"):
                return self("source_short.platform", name=value.split(":", 1)[1])
            return self(f"source_short.{value}") if self.has(f"source_short.{value}") else value
        if value == REDACTED:
            return self("value.redacted")
        if isinstance(value, str) and _ISO_TIME.match(value):
            return f"{value[:10]} {value[11:16]}"
        return _BREAKS.sub(lambda m: m.group(0) + "\u200b", self.value(value))

    def source_label(self, source: str) -> str:
        """A source key as a sentence of the letter ("Company directory", "X (asked live)")."""
        if source.startswith("platform:"):
            return self("source.platform", name=source.split(":", 1)[1])
        return self(f"source.{source}") if self.has(f"source.{source}") else source


def translator(dsar_dir: Path, language: str) -> LetterTranslator:
    """The translator of ``language``, English when there is no catalogue for it (PackError without English)."""
    with _pack_errors():
        return load_translator(dsar_dir, language, cls=LetterTranslator, fall_back=True)


def article_15(settings: DsarSettings, t: LetterTranslator) -> dict[str, str]:
    """The (a)-(h) texts (``categories`` is the note besides the list of categories found)."""
    values = {"audit_events": settings.keep_audit_events_days, "scans": settings.keep_scans_days,
              "offboarding": settings.keep_offboarding_cases_days, "hold": settings.legal_hold_days}
    out: dict[str, str] = {}
    for item in ARTICLE_15_ITEMS:
        field = "categories_note" if item == "categories" else item
        configured = getattr(settings, field)
        if isinstance(configured, dict):
            configured = configured.get(t.language) or configured.get(REFERENCE_LANGUAGE) or next(
                iter(configured.values()), None)
        out[item] = configured.strip() if isinstance(configured, str) and configured.strip() else t(
            f"defaults.{field}", **values)
    return out


def render_html(dsar_dir: Path, context: dict[str, Any], t: LetterTranslator) -> str:
    """The letter's HTML from ``letter.html`` (autoescape on; unknown names are errors)."""
    env = environment(dsar_dir)
    env.globals.update(t=t, columns=LETTER_COLUMNS, all_columns=CATEGORY_COLUMNS)
    try:
        with _pack_errors():
            return env.get_template("letter.html").render(**context)
    except jinja2.TemplateNotFound as exc:
        raise PackError(f"{dsar_dir / 'letter.html'}: letter layout not found") from exc
    except jinja2.TemplateError as exc:
        raise PackError(f"{dsar_dir / 'letter.html'}: {exc}") from exc


def page_css(t: LetterTranslator, footer: str) -> str:
    """Page numbers and the footer (reference, export hash) of every page; margin boxes need their own font."""
    return (
        "@page { size: A4; margin: 20mm 18mm 22mm 18mm; "
        f"@bottom-left {{ content: {css_string(footer)}; font-family: 'DejaVu Sans', sans-serif; font-size: 7pt; "
        "color: #555; } "
        f"@bottom-right {{ content: {css_string(t('letter.page') + ' ')} counter(page) "
        f"{css_string(' ' + t('letter.of') + ' ')} counter(pages); font-family: 'DejaVu Sans', sans-serif; "
        "font-size: 7pt; color: #555; } }\n"
    )


def render_pdf(html: str, dsar_dir: Path, t: LetterTranslator, footer: str) -> bytes:
    """The letter as PDF with ``dsar_dir/style.css`` and the footer on every page."""
    with _pack_errors():
        return html_to_pdf(html, dsar_dir, page_css(t, footer)).data
