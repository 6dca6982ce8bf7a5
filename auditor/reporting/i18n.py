"""Translations of the report layouts and the DSAR letter: YAML catalogues under ``<folder>/i18n/<language>.yaml``
(``reports/`` for the reports, ``reports/dsar/`` for the letter).

English is the reference catalogue and the fallback for a key a translation lacks. Keys are dotted paths
(``audit.title``); values are ``str.format`` templates whose placeholders are filled with data (data is
never used as a template). Plural forms follow CLDR: ``one``/``other`` in English and
``one``/``few``/``many`` in Polish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml

from auditor import dates
from auditor.reporting.errors import ReportError

REFERENCE_LANGUAGE = "en"


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``{"a.b": value}``; a mapping whose keys are plural forms stays one entry."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and not _is_plural(value):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


_PLURAL_FORMS = {"one", "few", "many", "other"}


def _is_plural(value: Mapping[str, Any]) -> bool:
    return bool(value) and set(value) <= _PLURAL_FORMS and "one" in value


def plural_form(language: str, count: int) -> str:
    """The CLDR plural category of ``count`` for integers (Polish: one / few / many; else one / other)."""
    count = abs(int(count))
    if language == "pl":
        if count == 1:
            return "one"
        if count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
            return "few"
        return "many"
    return "one" if count == 1 else "other"


def read_catalogue(path: Path) -> dict[str, Any]:
    """One language file, flattened; ReportError names the file when it is missing or malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReportError(f"{path}: translation file not found") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReportError(f"{path}: cannot read translation file: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ReportError(f"{path}: expected a mapping of translation keys")
    return flatten(data)


def available_languages(reports_dir: Path) -> list[str]:
    """The languages with a catalogue under ``reports_dir/i18n``."""
    return sorted(path.stem for path in (reports_dir / "i18n").glob("*.yaml"))


@dataclass(frozen=True)
class Translator:
    """Looks up and formats the texts of one language, falling back to English."""

    language: str
    messages: Mapping[str, Any]
    fallback: Mapping[str, Any]
    reference: str = f"reports/i18n/{REFERENCE_LANGUAGE}.yaml"
    """The English catalogue, named when a key is missing from it."""
    timezone: str | None = None
    """The zone dates and times are shown in (the top-level ``timezone`` setting; None: UTC)."""

    def _entry(self, key: str) -> Any:
        if key in self.messages:
            return self.messages[key]
        if key in self.fallback:
            return self.fallback[key]
        raise ReportError(f"translation key {key!r} is missing from {self.reference}")

    def __call__(self, key: str, **values: Any) -> str:
        """The text of ``key``; with a ``count`` value and plural forms, the matching form."""
        entry = self._entry(key)
        if isinstance(entry, Mapping):
            count = int(values.get("count", 0))
            forms = entry
            entry = forms.get(plural_form(self.language, count)) or forms.get("other") or forms.get("many")
            values = {**values, "count": self.number(count)}
        if not isinstance(entry, str):
            raise ReportError(f"translation key {key!r} ({self.language}): expected text")
        return entry.format_map(values) if values else entry

    def has(self, key: str) -> bool:
        """True when the key exists in this language or in English."""
        return key in self.messages or key in self.fallback

    def label(self, group: str, value: Any) -> str:
        """A translated vocabulary value (``severity.high``), or the value itself when not translated."""
        if value is None:
            return "—"
        key = f"{group}.{value}"
        return self(key) if self.has(key) else str(value)

    def labels(self, group: str, values: Iterable[Any]) -> dict[Any, str]:
        """``{value: translated label}`` for a vocabulary, in the order given."""
        return {value: self.label(group, value) for value in values}

    def number(self, value: int | float | None) -> str:
        """A number with this language's thousands separator."""
        if value is None:
            return "—"
        text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
        if self.language == "pl":
            return text.replace(",", "\u00a0").replace(".", ",")
        return text

    def date(self, value: str | date | datetime | None) -> str:
        """A day in this language (``2 Dec 2026`` / ``2 gru 2026``), local to the configured zone."""
        return dates.format_day(value, tz=self.timezone, language=self.language, empty="—")

    def datetime(self, value: str | datetime | None) -> str:
        """Date and time to the minute in the configured zone (the product's one formatter)."""
        return dates.format_when(value, tz=self.timezone, language=self.language, empty="—")

    def tristate(self, value: bool | None) -> str:
        """yes / no / unknown."""
        return self("common.unknown") if value is None else self("common.yes" if value else "common.no")


T = TypeVar("T", bound=Translator)


def load_translator(folder: Path, language: str, *, cls: type[T] = Translator, fall_back: bool = False) -> T:
    """The ``cls`` translator of ``language`` from ``folder/i18n``. A language without a catalogue is a
    ReportError naming the ``language`` key, or with ``fall_back`` the English translator."""
    catalogues = folder / "i18n"
    reference = catalogues / f"{REFERENCE_LANGUAGE}.yaml"
    fallback = read_catalogue(reference)
    path = catalogues / f"{language}.yaml"
    if language == REFERENCE_LANGUAGE or (fall_back and not path.is_file()):
        return cls(REFERENCE_LANGUAGE, fallback, fallback, str(reference))
    if not path.is_file():
        known = ", ".join(available_languages(folder)) or "none"
        raise ReportError(f"language: no report translation {language!r} in {catalogues} (available: {known})")
    return cls(language, read_catalogue(path), fallback, str(reference))
