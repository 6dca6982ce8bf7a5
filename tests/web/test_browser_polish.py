"""The Polish web UI in real headless Chromium started with ``--lang=pl`` and ``intl.accept_languages=pl``:
sign-in, the dashboard and a finding page (its rule's Polish title and message, Polish dates) in Polish, then
English chosen on the account page wins over the browser's language. Screenshots go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from auditor.accounts.totp import code_at
from tests.web.conftest import enrolled_user
from tests.web.test_browser import CHROMEDRIVER, CHROMIUM, _click, _code, _screenshot, _sign_in, _wait, live  # noqa: F401
from tests.web.test_i18n import polish_finding

POLISH_DATE = re.compile(r"\b\d{1,2} (sty|lut|mar|kwi|maj|cze|lip|sie|wrz|paź|lis|gru) \d{4}, \d{2}:\d{2}")


@pytest.fixture(scope="module")
def chrome() -> Iterator[tuple[webdriver.Chrome, Path]]:
    """One headless Chromium whose user language is Polish (sends ``Accept-Language: pl``)."""
    home = Path(tempfile.mkdtemp(prefix="auditor-chrome-pl-"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--lang=pl",
        f"--user-data-dir={home / 'profile'}",
        "--window-size=1366,900",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "pl,pl-PL"})
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "HOME": str(home), "LANGUAGE": "pl"})
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver, home
    finally:
        driver.quit()


def test_polish_dashboard_finding_and_switching_back_to_english(chrome, live, settings, db, clock):  # noqa: F811
    driver, _ = chrome
    base, _app = live
    assert driver.execute_script("return navigator.language").startswith("pl")
    seed = enrolled_user(settings, db, "ola", "admin")
    driver.get(f"{base}/login")
    assert _wait(driver, By.TAG_NAME, "html").get_attribute("lang") == "pl"
    assert "Zaloguj się" in driver.find_element(By.TAG_NAME, "body").text
    _sign_in(driver, base, "ola")
    _code(driver, code_at(seed, clock()))

    driver.get(f"{base}/dashboard")
    body = _wait(driver, By.TAG_NAME, "main").text
    assert driver.find_element(By.TAG_NAME, "h1").text == "Pulpit"
    for label in ("Otwarte według ważności", "Otwarte według kategorii", "otwarte ustalenia"):
        assert label in body, label
    assert "Open by severity" not in body
    nav = driver.find_element(By.TAG_NAME, "header").text
    assert "Ustalenia" in nav and "Wyloguj" in nav
    _screenshot(driver, "dashboard-pl")

    finding_id, polish, english = polish_finding(settings, db)
    driver.get(f"{base}/findings/{finding_id}")
    heading = _wait(driver, By.TAG_NAME, "h1").text
    assert polish["title"] in heading and english["title"] not in heading
    assert driver.find_element(By.ID, "finding-message").text == polish["message"]
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "Pierwsze wykrycie" in page and "Dowody" in page
    assert POLISH_DATE.search(page)
    _screenshot(driver, "finding-pl")

    driver.get(f"{base}/account")
    Select(_wait(driver, By.ID, "language")).select_by_value("en")
    _click(driver, By.ID, "save-language")
    assert "Language saved." in _wait(driver, By.TAG_NAME, "main").text
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    driver.get(f"{base}/findings/{finding_id}")
    heading = _wait(driver, By.TAG_NAME, "h1").text
    assert english["title"] in heading and polish["title"] not in heading
    assert "First seen" in driver.find_element(By.TAG_NAME, "main").text
    driver.get(f"{base}/dashboard")
    assert _wait(driver, By.TAG_NAME, "h1").text == "Dashboard"
