"""A scan started from the web UI shows each platform's progress live (the scans page polls a small JSON
endpoint every 2 s from a static script the CSP allows), then the finished scan's row with its diff link; the
diff page says which scans it compares. The browser test drives real headless Chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from waitress import create_server, wasyncore

from auditor.accounts.totp import code_at
from auditor.config import Settings
from auditor.web import create_app
from auditor.web.scan_launcher import ScanProgress, run_web_scan
from tests.web.conftest import Browser, enrolled_user
from tests.web.test_browser import _click, _code, _screenshot, _sign_in, _wait, chrome  # noqa: F401 - a fixture

PLATFORMS = ("Kwiatek on Meta", "Kwiatek on Pinterest")


class Held:
    """Passes the scan's reports on to ``progress``, and holds the scan once Meta is read until ``release``."""

    def __init__(self, progress: ScanProgress, release: threading.Event) -> None:
        self.progress, self.release = progress, release

    def step(self, message: str) -> None:
        self.progress.step(message)

    def platform(self, name: str, state: str, detail: str) -> None:
        self.progress.platform(name, state, detail)
        if name == PLATFORMS[0] and state == "complete":
            assert self.release.wait(60), "the test never released the scan"


class GatedScan:
    """The real scan of two sandbox platforms, held when Meta has been read until the test lets it go on."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, settings: Settings, progress: ScanProgress) -> object:
        two = settings.model_copy(update={"platform": [p for p in settings.platform if p.name in PLATFORMS]})
        return run_web_scan(two, Held(progress, self.release))  # type: ignore[arg-type]


@pytest.fixture
def gated() -> GatedScan:
    return GatedScan()


@pytest.fixture
def live_gated(settings, clock, gated) -> Iterator[tuple[str, object]]:
    """The app (its scans held by ``gated``) on waitress on a free loopback port."""
    app = create_app(settings, clock=clock, scan_runner=gated)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", app
    finally:
        gated.release.set()
        app.extensions["auditor"].launcher.join(60)
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(10)
        server.task_dispatcher.shutdown()
        app.extensions["auditor"].db.dispose()


def test_the_scans_page_shows_each_platform_live_then_the_finished_scan_with_its_diff(
    chrome, live_gated, gated, clock,  # noqa: F811
):
    driver, _ = chrome
    driver.delete_all_cookies()
    base, app = live_gated
    seed = enrolled_user(app.extensions["auditor"].settings, app.extensions["auditor"].db, "sam", "security_officer")
    _sign_in(driver, base, "sam")
    _code(driver, code_at(seed, clock()))
    driver.get(f"{base}/scans")
    _click(driver, By.ID, "start-scan")
    assert "its progress shows below" in _wait(driver, By.CSS_SELECTOR, ".flash").text
    panel = _wait(driver, By.ID, "scan-progress")
    assert driver.find_element(By.ID, "start-scan").get_attribute("disabled")

    def meta_read(_driver: object) -> bool:  # updated by the script, without reloading the page
        items = panel.find_elements(By.CSS_SELECTOR, "#scan-progress-platforms li")
        return any(i.text.startswith(f"{PLATFORMS[0]}: complete") for i in items)

    WebDriverWait(driver, 20).until(meta_read)
    items = {i.get_attribute("data-platform"): i.text for i in panel.find_elements(By.CSS_SELECTOR, "li")}
    assert set(items) == set(PLATFORMS)
    assert "accounts" in items[PLATFORMS[0]]
    assert items[PLATFORMS[1]].split(": ")[1].startswith(("queued", "reading", "complete"))
    _screenshot(driver, "scan-progress")
    gated.release.set()

    row = WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "scan-2"))[0]
    assert "complete" in row.text
    assert _wait(driver, By.ID, "scan-progress-h").text == "Scan #2 finished"
    _click(driver, By.CSS_SELECTOR, "#scan-2 a.diff-link")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Scan #2: what changed"
    assert driver.find_element(By.ID, "diff-compared").text.startswith("Compared with scan #1")


def test_the_progress_endpoint_reports_each_platform(settings, clock):
    runs = threading.Event()
    finished = threading.Event()

    def runner(_settings: Settings, progress: ScanProgress) -> object:
        progress.step("directory: 40 people read")
        progress.platform("A", "complete", "3 accounts, 4 grants")
        progress.platform("B", "reading", "")
        runs.set()
        assert finished.wait(10)
        return type("Summary", (), {"scan_id": 9})()

    app = create_app(settings, clock=clock, scan_runner=runner)
    try:
        browser = Browser(app, clock)
        seed = enrolled_user(settings, app.extensions["auditor"].db, "sam", "security_officer")
        assert browser.login("sam", seed).status_code == 302
        assert browser.get("/scans/progress").get_json()["running"] is False
        assert browser.post("/scans/start", token_from="/scans").status_code == 302
        assert runs.wait(10)
        answer = browser.get("/scans/progress")
        assert answer.headers["Cache-Control"] == "no-store"
        data = answer.get_json()
        assert data["running"] is True and data["platforms_done"] == 1 and data["step"] == "directory: 40 people read"
        assert data["platforms"] == [{"platform": "A", "state": "complete", "detail": "3 accounts, 4 grants"},
                                     {"platform": "B", "state": "reading", "detail": ""}]
        page = browser.get("/scans").text
        assert 'src="/static/scan-progress.js"' in page and "<script>" not in page
        finished.set()
        app.extensions["auditor"].launcher.join(10)
        done = browser.get("/scans/progress").get_json()
        assert done["running"] is False and done["scan_id"] == 9 and done["step"] == "finished"
        script = browser.get("/static/scan-progress.js")
        assert script.status_code == 200 and "setTimeout(poll, 2000)" in script.get_data(as_text=True)
        script.close()
    finally:
        finished.set()
        app.extensions["auditor"].launcher.join(10)
        app.extensions["auditor"].db.dispose()
