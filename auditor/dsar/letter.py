"""The answer letter: translations, the Art. 15(1)(a)-(h) texts, the HTML from ``reports/dsar/letter.html``, the PDF.

Translations live in ``reports/dsar/i18n/<language>.yaml`` (English is the reference and the fallback for a
missing key). The Art. 15 texts come from ``[dsar]`` in the config (one text, or one per language) and fall back
to the catalogue's ``defaults``. WeasyPrint may not fetch anything: the layout references no external resource
and the URL fetcher refuses every URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml

from auditor.config import DsarSettings
from auditor.dsar.errors import PackError
from auditor.dsar.model import CATEGORY_COLUMNS
from auditor.dsar.redact import REDACTED

REFERENCE_LANGUAGE = "en"
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


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _catalogue(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackError(f"{path}: translation file not found") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise PackError(f"{path}: cannot read the translation file: {exc}") from exc
    if not isinstance(data, dict):
        raise PackError(f"{path}: a translation file must be a mapping")
    return _flatten(data)


@dataclass(slots=True)
class Translator:
    """``t(key, **values)``: the language's text for ``key`` (English when missing), formatted with values."""

    language: str
    texts: dict[str, Any]
    fallback: dict[str, Any]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.texts.get(key, self.fallback.get(key))
        if text is None:
            raise PackError(f"reports/dsar/i18n/{REFERENCE_LANGUAGE}.yaml: no text for {key!r}")
        return str(text).format(**values) if values else str(text)

    def has(self, key: str) -> bool:
        """True when the key exists (in the language or in English)."""
        return key in self.texts or key in self.fallback

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


def translator(dsar_dir: Path, language: str) -> Translator:
    """The translator of ``language`` (PackError when neither it nor English exists)."""
    fallback = _catalogue(dsar_dir / "i18n" / f"{REFERENCE_LANGUAGE}.yaml")
    path = dsar_dir / "i18n" / f"{language}.yaml"
    texts = _catalogue(path) if language != REFERENCE_LANGUAGE and path.is_file() else fallback
    return Translator(language if path.is_file() else REFERENCE_LANGUAGE, texts, fallback)


def article_15(settings: DsarSettings, t: Translator) -> dict[str, str]:
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


def render_html(dsar_dir: Path, context: dict[str, Any], t: Translator) -> str:
    """The letter's HTML from ``letter.html`` (autoescape on; unknown names are errors)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(dsar_dir)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(t=t, columns=LETTER_COLUMNS, all_columns=CATEGORY_COLUMNS)
    try:
        return env.get_template("letter.html").render(**context)
    except jinja2.TemplateNotFound as exc:
        raise PackError(f"{dsar_dir / 'letter.html'}: letter layout not found") from exc
    except jinja2.TemplateError as exc:
        raise PackError(f"{dsar_dir / 'letter.html'}: {exc}") from exc


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def page_css(t: Translator, footer: str) -> str:
    """Page numbers and the footer (reference, export hash) of every page; margin boxes need their own font."""
    return (
        "@page { size: A4; margin: 20mm 18mm 22mm 18mm; "
        f"@bottom-left {{ content: {_css_string(footer)}; font-family: 'DejaVu Sans', sans-serif; font-size: 7pt; "
        "color: #555; } "
        f"@bottom-right {{ content: {_css_string(t('letter.page') + ' ')} counter(page) "
        f"{_css_string(' ' + t('letter.of') + ' ')} counter(pages); font-family: 'DejaVu Sans', sans-serif; "
        "font-size: 7pt; color: #555; } }\n"
    )


def _url_fetcher() -> Any:
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # pragma: no cover - WeasyPrint before 66

        def refuse(url: str) -> Any:
            raise ValueError(f"the DSAR letter may not fetch {url}")

        return refuse
    return URLFetcher(allowed_protocols=())


def html_to_pdf(html: str, dsar_dir: Path, extra_css: str) -> bytes:
    """Render with WeasyPrint (imported here: it takes a second to load)."""
    import weasyprint

    stylesheet = dsar_dir / "style.css"
    if not stylesheet.is_file():
        raise PackError(f"{stylesheet}: letter stylesheet not found")
    fetcher = _url_fetcher()
    document = weasyprint.HTML(string=html, base_url=str(dsar_dir), url_fetcher=fetcher).render(
        stylesheets=[weasyprint.CSS(filename=str(stylesheet), url_fetcher=fetcher),
                     weasyprint.CSS(string=extra_css, url_fetcher=fetcher)])
    return document.write_pdf()
