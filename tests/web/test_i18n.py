"""The Polish web UI: the catalogue covers every marked string (extracted here, as ``pybabel extract`` would)
and is fully translated, the compiled ``.mo`` matches the ``.po``, the language follows the user's setting,
then the browser's Accept-Language, then English, and finding texts and dates follow the page's language.
"""

from __future__ import annotations

import re
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from sqlalchemy import select

from auditor.accounts.roles import ROLE_LABELS
from auditor.findings import texts
from auditor.findings.queries import finding_detail
from auditor.storage.tables import Finding
from auditor.web.i18n import ROLE_MSGIDS, TRANSLATIONS
from tests.web.conftest import Browser, enrolled_user

ROOT = Path(__file__).resolve().parents[2]
PO = TRANSLATIONS / "pl" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")
MARKED = re.compile(
    r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}"
    r"|<script\b.*?</script>|<style\b.*?</style>|<pre\b.*?</pre>",
    re.S,
)
TAG = re.compile(r"<[^>]*>", re.S)
VISIBLE_ATTRIBUTE = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"]*)"')


def _method_map() -> list[tuple[str, str]]:
    """The extraction map of ``babel.cfg`` (``[method: pattern]`` sections)."""
    sections = re.findall(r"^\[(\w+):\s*([^\]]+)\]", (ROOT / "babel.cfg").read_text(), re.M)
    return [(pattern.strip(), method) for method, pattern in sections]


def _extracted() -> set[str | tuple[str, ...]]:
    """Every msgid marked in the views and templates now."""
    ids: set[str | tuple[str, ...]] = set()
    keywords = {**DEFAULT_KEYWORDS, "_l": None}  # _l: lazy_gettext
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), _method_map(), keywords=keywords):
        ids.add(message if isinstance(message, str) else tuple(message))
    return ids


def _po() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle, locale="pl")


def _key(message_id: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return message_id if isinstance(message_id, str) else tuple(message_id)


def test_every_marked_string_is_in_the_catalogue_and_translated() -> None:
    catalogue = _po()
    known = {_key(message.id) for message in catalogue if message.id}
    extracted = _extracted()
    assert extracted, "nothing extracted: check babel.cfg"
    missing = sorted(str(message) for message in extracted - known)
    assert not missing, f"run pybabel extract/update and translate: {missing[:10]}"
    untranslated = [
        message.id
        for message in catalogue
        if message.id and (message.fuzzy or not all(message.string if isinstance(message.string, tuple)
                                                       else [message.string]))
    ]
    assert not untranslated, f"untranslated or fuzzy in pl: {untranslated[:10]}"
    assert not [error for _message, errors in catalogue.check() for error in errors]


def _unmarked_text(template: Path) -> list[str]:
    """Visible text of a template (text nodes, labelling attributes) outside ``{% trans %}`` / ``{{ _() }}``."""
    rest = MARKED.sub(" ", template.read_text())
    found = [value for tag in TAG.findall(rest) for value in VISIBLE_ATTRIBUTE.findall(tag)]
    found += TAG.sub("\n", rest).split("\n")
    return [text.strip() for text in found if re.search(r"[A-Za-z]", text)]


def test_no_template_shows_text_outside_the_catalogue() -> None:
    unmarked = {
        str(path.relative_to(ROOT)): texts_
        for path in sorted((ROOT / "templates").rglob("*.html"))
        if (texts_ := _unmarked_text(path))
    }
    assert not unmarked, f"mark these with {{% trans %}} or _(): {unmarked}"


def test_translations_keep_every_placeholder() -> None:
    for message in _po():
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert set(PLACEHOLDER.findall(target)) == set(PLACEHOLDER.findall(source)), message.id


def test_the_compiled_catalogue_is_up_to_date() -> None:
    """messages.mo must be ``pybabel compile -d auditor/web/translations`` of the current messages.po."""
    with MO.open("rb") as handle:
        compiled = read_mo(handle)
    built = BytesIO()
    write_mo(built, _po())
    built.seek(0)
    expected = read_mo(built)
    pairs = {_key(message.id): message.string for message in compiled if message.id}
    assert pairs == {_key(message.id): message.string for message in expected if message.id}, (
        "messages.mo is stale: run .venv/bin/pybabel compile -d auditor/web/translations"
    )


def _signed_in(browser: Browser, settings, db, username: str = "ola") -> Browser:
    seed = enrolled_user(settings, db, username, "admin")
    final = browser.login(username, seed)
    assert final.status_code == 302
    return browser


def test_language_follows_the_browser_then_english(browser: Browser, settings, db) -> None:
    _signed_in(browser, settings, db)
    polish = browser.get("/dashboard", headers={"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"}).text
    assert '<html lang="pl">' in polish
    assert "Pulpit" in polish and "Otwarte według ważności" in polish and "Wyloguj" in polish
    assert "Open by severity" not in polish
    english = browser.get("/dashboard", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert '<html lang="en">' in english and "Open by severity" in english and "Pulpit" not in english
    other = browser.get("/dashboard", headers={"Accept-Language": "de-DE,fr;q=0.7"}).text
    assert '<html lang="en">' in other and "Open by severity" in other


def test_the_account_setting_wins_over_the_browser(browser: Browser, settings, db) -> None:
    _signed_in(browser, settings, db)
    saved = browser.post("/account/language", {"language": "pl"}, headers={"Accept-Language": "en"})
    assert saved.status_code == 302
    page = browser.get("/account", headers={"Accept-Language": "en"}).text
    assert "Język zapisany." in page and "Twoje konto" in page
    assert re.search(r'<option value="pl" lang="pl" selected>', page)
    back = browser.post("/account/language", {"language": "browser"}, headers={"Accept-Language": "en"})
    assert back.status_code == 302
    page = browser.get("/account", headers={"Accept-Language": "en"}).text
    assert "Language saved." in page and "Your account" in page
    refused = browser.post("/account/language", {"language": "de"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 302
    assert "Choose one of the offered languages." in browser.get("/account").text


def test_a_flash_message_and_an_error_page_in_polish(browser: Browser, settings, db) -> None:
    _signed_in(browser, settings, db)
    pl = {"Accept-Language": "pl"}
    browser.post("/account/password", {"password": "x", "new_password": "a" * 12, "confirm_password": "b" * 12},
                 headers=pl)
    assert "Nowe hasła nie są takie same." in browser.get("/account", headers=pl).text
    missing = browser.get("/findings/99999999", headers=pl)
    assert missing.status_code == 404 and "Błąd 404" in missing.text and "Nic tu nie ma." in missing.text


def polish_finding(settings, db) -> tuple[int, dict[str, str], dict[str, str]]:
    """The first finding whose rule has its own Polish wording: its id and its Polish and English texts."""
    polish_texts = texts.Texts(language="pl", timezone=settings.timezone)
    english_texts = texts.Texts(language="en", timezone=settings.timezone)
    with db.session() as session:
        ids = [row[0] for row in session.exec(select(Finding.id).order_by(Finding.id)).all()]
        for finding_id in ids:
            finding = finding_detail(session, finding_id)["finding"]
            polish = texts.finding_text(finding, polish_texts)
            english = texts.finding_text(finding, english_texts)
            if polish["title"] != english["title"]:
                return finding_id, polish, english
    raise AssertionError("no finding with a Polish title in the scanned demo")


def test_a_finding_page_shows_its_rule_texts_and_dates_in_polish(browser: Browser, settings, db) -> None:
    _signed_in(browser, settings, db)
    finding_id, polish, english = polish_finding(settings, db)
    page = unescape(browser.get(f"/findings/{finding_id}", headers={"Accept-Language": "pl"}).text)
    assert polish["title"] in page and polish["message"] in page
    assert english["title"] not in page
    assert "Pierwsze wykrycie" in page and "Dowody" in page
    assert re.search(r"\b\d{1,2} (sty|lut|mar|kwi|maj|cze|lip|sie|wrz|paź|lis|gru) \d{4}, \d{2}:\d{2}", page)
    page_en = unescape(browser.get(f"/findings/{finding_id}", headers={"Accept-Language": "en"}).text)
    assert english["title"] in page_en and polish["title"] not in page_en


def test_variables_inside_translated_text_stay_escaped(app) -> None:
    with app.test_request_context(headers={"Accept-Language": "pl"}):
        html = render_template_string("{% trans username=name %}Role of {{ username }}{% endtrans %}",
                                      name="<script>x</script>")
    assert html == "Rola użytkownika &lt;script&gt;x&lt;/script&gt;"


@pytest.mark.parametrize("header, expected", [("pl", "pl"), ("en-US", "en"), ("pl;q=0.4, en;q=0.9", "en"), ("", "en")])
def test_locale_selection_without_a_user(app, header: str, expected: str) -> None:
    from auditor.web.i18n import language

    with app.test_request_context(headers={"Accept-Language": header} if header else {}):
        assert language() == expected


def test_role_labels_are_in_the_catalogue() -> None:
    assert set(ROLE_MSGIDS) == set(ROLE_LABELS.values())
