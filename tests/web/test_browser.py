"""The web UI in real headless Chromium (Debian's chromium + chromedriver, driven by Selenium), served by
waitress: enrolment with the QR code and a first code, sign-in, a replayed code refused, triage, a risk
exception with expiry, export. Screenshots of the dashboard and a finding go to ``test-artifacts/web/``.
"""

from __future__ import annotations

import csv
import os
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from waitress import create_server, wasyncore

from auditor.accounts import users as web_users
from auditor.accounts.totp import code_at
from auditor.dates import format_day
from auditor.storage.tables import Finding, RiskExceptionRow
from auditor.web import create_app
from tests.web.conftest import PASSWORD, enrolled_user

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def chrome() -> Iterator[tuple[webdriver.Chrome, Path]]:
    """One headless Chromium for this module, with a fresh profile, HOME and download folder."""
    home = Path(tempfile.mkdtemp(prefix="auditor-chrome-home-"))
    downloads = home / "downloads"
    downloads.mkdir()
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
        f"--user-data-dir={home / 'profile'}",
        "--window-size=1366,900",
    ):
        options.add_argument(argument)
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "HOME": str(home)})
    driver = webdriver.Chrome(options=options, service=service)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver, downloads
    finally:
        driver.quit()


@pytest.fixture
def live(settings, clock, chrome) -> Iterator[tuple[str, object]]:
    """The app on waitress on a free loopback port; the browser starts with no cookies."""
    app = create_app(settings, clock=clock)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    chrome[0].delete_all_cookies()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", app
    finally:
        # close every socket (the browser keeps connections alive) inside the server's own loop thread
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(10)
        server.task_dispatcher.shutdown()
        assert not thread.is_alive()
        app.extensions["auditor"].db.dispose()


def _wait(driver: webdriver.Chrome, by: str, value: str):
    return WebDriverWait(driver, 10).until(ec.presence_of_element_located((by, value)))


def _click(driver: webdriver.Chrome, by: str, value: str) -> None:
    """Click something that loads a new page, and wait until the old page is gone."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(by, value).click()

    def replaced(_driver: webdriver.Chrome) -> bool:
        try:
            old.is_enabled()
        except WebDriverException:  # stale, or "node does not belong to the document" mid-navigation
            return True
        return False

    WebDriverWait(driver, 10).until(replaced)


def _screenshot(driver: webdriver.Chrome, name: str, width: int = 1366) -> Path:
    """A full-page screenshot under test-artifacts/web/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height, 600), 6000))
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1366, 900)
    return path


def _sign_in(driver: webdriver.Chrome, base: str, username: str) -> None:
    driver.get(f"{base}/login")
    _wait(driver, By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    _click(driver, By.ID, "sign-in")


def _code(driver: webdriver.Chrome, code: str) -> None:
    _wait(driver, By.ID, "code").send_keys(code)
    _click(driver, By.ID, "verify")


def _sign_out(driver: webdriver.Chrome) -> None:
    _click(driver, By.CSS_SELECTOR, "header .me button")
    _wait(driver, By.ID, "username")


def test_enrolment_sign_in_and_a_replayed_code(chrome, live, db, clock):
    driver, _ = chrome
    base, _app = live
    web_users.add_user(db, "anna", "admin", PASSWORD, display_name="Anna Admin")
    _sign_in(driver, base, "anna")
    qr = _wait(driver, By.CSS_SELECTOR, "svg.qr")
    assert qr.is_displayed() and qr.size["width"] >= 150
    secret = driver.find_element(By.ID, "totp-secret").text.replace(" ", "")
    first_code = code_at(secret, clock())
    driver.find_element(By.ID, "code").send_keys(first_code)
    _click(driver, By.ID, "confirm")
    codes = _wait(driver, By.ID, "recovery-codes").find_elements(By.TAG_NAME, "li")
    assert len(codes) == 10
    _click(driver, By.ID, "continue")
    _wait(driver, By.CSS_SELECTOR, "svg.chart")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    assert driver.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]").text == "Dashboard"
    _screenshot(driver, "dashboard")
    _screenshot(driver, "dashboard-tablet", width=820)
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.text == "Skip to content"  # keyboard users skip the menu

    _sign_out(driver)
    _sign_in(driver, base, "anna")
    _code(driver, first_code)  # the enrolment code again, still inside its 30 s step
    error = _wait(driver, By.ID, "code-error")
    assert "already used" in error.text
    _screenshot(driver, "replayed-code-refused")
    clock.advance(30)
    _code(driver, code_at(secret, clock()))
    _wait(driver, By.CSS_SELECTOR, ".flash-warning")
    assert "reuse one of your codes were rejected" in driver.find_element(By.CSS_SELECTOR, ".flash-warning").text


def test_triage_exception_with_expiry_and_export(chrome, live, settings, db, clock):
    driver, downloads = chrome
    base, _app = live
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    _sign_in(driver, base, "sofia")
    _code(driver, code_at(seed, clock()))
    _wait(driver, By.CSS_SELECTOR, "svg.chart")
    driver.get(f"{base}/findings?severity=high")
    link = _wait(driver, By.CSS_SELECTOR, "a.finding-link")
    finding_id = int(link.get_attribute("href").rsplit("/", 1)[1])
    _click(driver, By.CSS_SELECTOR, "a.finding-link")
    _wait(driver, By.ID, "evidence-h")
    _screenshot(driver, "finding-detail")

    _click(driver, By.ID, "acknowledge")
    assert "acknowledged by sofia" in _wait(driver, By.ID, "ack-tag").text
    Select(driver.find_element(By.ID, "assignee")).select_by_visible_text("sofia")
    _click(driver, By.ID, "assign")
    assert "assigned to sofia" in _wait(driver, By.ID, "assignee-tag").text
    driver.find_element(By.ID, "body").send_keys("Agency account: asked the agency to remove it")
    _click(driver, By.ID, "add-comment")
    assert "asked the agency" in _wait(driver, By.ID, "comments").text

    expiry = (clock().date() + timedelta(days=45)).isoformat()
    driver.find_element(By.ID, "accept-risk-toggle").click()
    driver.find_element(By.ID, "reason").send_keys("Agency contract ends next month; access reviewed weekly")
    driver.find_element(By.ID, "approver").send_keys("ciso@kwiatek.example")
    date_input = driver.find_element(By.ID, "expires")
    driver.execute_script("arguments[0].value = arguments[1]", date_input, expiry)
    _click(driver, By.ID, "accept-risk")
    assert _wait(driver, By.ID, "exception-expiry").text == format_day(expiry)  # the one date formatter
    assert "accepted" in driver.find_element(By.CSS_SELECTOR, ".heading .status").text
    exceptions = RiskExceptionRow.__table__
    with db.session() as session:
        row = session.exec(select(exceptions)).mappings().one()
        status = session.exec(select(Finding.__table__.c.status).where(Finding.__table__.c.id == finding_id)).scalar()
    assert row["expires_on"].isoformat() == expiry and status == "accepted"

    driver.get(f"{base}/findings?severity=high")
    _wait(driver, By.ID, "export-csv").click()
    WebDriverWait(driver, 15).until(lambda _d: any(p.suffix == ".csv" for p in downloads.iterdir()))
    exported = next(p for p in downloads.iterdir() if p.suffix == ".csv")
    with exported.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["severity"] in ("high", "critical") for r in rows)
    assert finding_id not in {int(r["id"]) for r in rows}  # accepted now, and the list shows open findings
