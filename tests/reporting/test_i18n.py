"""Report translations: catalogue parity, plural rules, formats, and every key the layouts use exists."""

from __future__ import annotations

import re
import string
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.config import shipped_dir
from auditor.model import CATEGORIES, Severity
from auditor.reporting.base import KINDS
from auditor.reporting.errors import ReportError
from auditor.reporting.i18n import available_languages, load_translator, plural_form, read_catalogue

REPORTS = shipped_dir("reports")
ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((REPORTS / "layouts").glob("*.html")), *sorted((ROOT / "auditor" / "reporting").glob("*.py"))]


def _placeholders(value: object) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(str(text)) if name}


def test_polish_ships_and_has_exactly_the_english_keys_and_placeholders() -> None:
    assert {"en", "pl"} <= set(available_languages(REPORTS))
    en, pl = read_catalogue(REPORTS / "i18n" / "en.yaml"), read_catalogue(REPORTS / "i18n" / "pl.yaml")
    assert set(en) == set(pl)
    for key, value in en.items():
        assert _placeholders(pl[key]) == _placeholders(value), key
        if isinstance(value, dict):
            assert set(value) == {"one", "other"}, key
            assert set(pl[key]) == {"one", "few", "many"}, key
        assert all(isinstance(part, str) for part in key.split(".")), key


def test_every_key_the_layouts_and_code_use_exists() -> None:
    translator = load_translator(REPORTS, "en")
    groups = "|".join(sorted({key.split(".")[0] for key in read_catalogue(REPORTS / "i18n" / "en.yaml")}))
    used: set[str] = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\b(?:t|translator)\(\s*["']([a-z0-9_.-]+)["']""", text))
        used |= set(re.findall(rf"""["']((?:{groups})\.[a-z0-9_.-]+)["']""", text))  # also in conditionals
    used = {key for key in used if not key.endswith((".html", ".css", ".yaml"))}  # file names
    used |= {f"title.{kind}" for kind in KINDS}
    dynamic = {key for key in used if key.endswith(".")}
    assert dynamic == {"audit.posture."}
    assert {"review.subtitle", "review.subtitle_manager", "footer.identity", "title.audit"} <= used
    missing = sorted(key for key in used - dynamic if not translator.has(key))
    assert missing == []
    assert {f"audit.posture.{p}" for p in ("critical", "high", "attention", "clean", "unverified")} <= set(
        read_catalogue(REPORTS / "i18n" / "en.yaml"))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_vocabularies_are_translated(language: str) -> None:
    translator = load_translator(REPORTS, language)
    for category in CATEGORIES:
        assert translator.label("category", category) != category
    for severity in Severity:
        assert translator.label("severity", severity.value) != severity.value
    for status in ("open", "removed"):
        assert translator.has(f"off_status.{status}")


@pytest.mark.parametrize(("count", "form"), [
    (0, "many"), (1, "one"), (2, "few"), (4, "few"), (5, "many"), (11, "many"), (12, "many"), (14, "many"),
    (21, "many"), (22, "few"), (24, "few"), (25, "many"), (102, "few"), (112, "many"),
])
def test_polish_plural_forms(count: int, form: str) -> None:
    assert plural_form("pl", count) == form


def test_plurals_numbers_dates_and_tristate() -> None:
    en, pl = load_translator(REPORTS, "en"), load_translator(REPORTS, "pl")
    assert en("audit.n_findings", count=1) == "1 finding"
    assert en("audit.n_findings", count=1234) == "1,234 findings"
    assert pl("audit.n_findings", count=1) == "1 ustalenie"
    assert pl("audit.n_findings", count=3) == "3 ustalenia"
    assert pl("audit.n_findings", count=1000) == "1\u00a0000 ustaleń"
    assert pl.number(1234567) == "1\u00a0234\u00a0567"
    assert en.datetime("2026-11-02T09:30:00+00:00") == "2 Nov 2026, 09:30"  # the one formatter, UTC by default
    assert pl.date("2026-11-02T09:30:00+00:00") == "2 lis 2026"
    warsaw = replace(pl, timezone="Europe/Warsaw")
    assert warsaw.datetime("2026-11-02T23:30:00.123456+00:00") == "3 lis 2026, 00:30"
    assert en.date(None) == "—"
    assert [pl.tristate(v) for v in (True, False, None)] == ["tak", "nie", "nieznane"]
    assert pl("footer.identity", id="AUD-1", sha256="ab") == "Raport AUD-1 · SHA-256 treści ab"


def test_data_is_never_a_template() -> None:
    en = load_translator(REPORTS, "en")
    assert en("off.subtitle", name="{0} {__class__} Zoë") == "What {0} {__class__} Zoë held, what was removed " \
        "and when, and what is still open"


def test_unknown_language_and_missing_key_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"language: no report translation 'de'.*available: en, pl"):
        load_translator(REPORTS, "de")
    with pytest.raises(ReportError, match="'nope.key' is missing"):
        load_translator(REPORTS, "pl")("nope.key")
    (tmp_path / "i18n").mkdir()
    (tmp_path / "i18n" / "en.yaml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ReportError, match=r"en\.yaml: expected a mapping"):
        load_translator(tmp_path, "en")
