"""Single sign-on in real headless Chromium against the real OP: the "Sign in with" button, the OP's sign-in
form, back to the dashboard signed in with the mapped role; a user in no mapped group sees the refusal page.
Screenshots go to ``test-artifacts/web/``."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from waitress import create_server, wasyncore

from auditor.accounts import audit_trail as web_audit
from auditor.web import create_app
from tests.sso.conftest import oidc_settings, set_user
from tests.web.test_browser import ARTIFACTS, chrome  # noqa: F401 - the shared Chromium fixture


@pytest.fixture
def sso_live(web_settings, op, clock, chrome) -> Iterator[tuple[str, object]]:  # noqa: F811
    """The app on waitress on a free loopback port, configured for the OP with its real callback URL."""
    server = create_server(lambda environ, start: app(environ, start), host="127.0.0.1", port=0, threads=4,
                           asyncore_loop_timeout=0.1)
    base = f"http://127.0.0.1:{server.effective_port}"
    settings = web_settings.model_copy(update={"oidc": oidc_settings(op, base + "/sso/callback")})
    app = create_app(settings, clock=clock)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    chrome[0].delete_all_cookies()
    try:
        yield base, app
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(5)
        app.extensions["auditor"].db.dispose()


def _sign_in_at_op(driver, sub: str) -> None:
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.NAME, "sub")))
    field = driver.find_element(By.CSS_SELECTOR, "input[name=sub]")
    field.send_keys(sub)
    field.submit()


def test_sso_sign_in_in_chromium(sso_live, chrome, op):  # noqa: F811
    base, app = sso_live
    driver = chrome[0]
    set_user(op, "u-lena", preferred_username="lena", name="Lena Novak", groups=["sec-team"])
    driver.get(base + "/login")
    button = driver.find_element(By.ID, "sso-sign-in")
    assert button.text == "Sign in with Test IdP"
    button.click()
    assert driver.current_url.startswith(op + "/oauth2/authorize")
    _sign_in_at_op(driver, "u-lena")
    WebDriverWait(driver, 10).until(lambda d: d.current_url == base + "/dashboard")
    assert "lena" in driver.page_source.lower()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "sso-dashboard.png"))
    with app.extensions["auditor"].db.session() as session:
        login = web_audit.list_entries(session, action="login")[0]
    assert login["actor"] == "lena" and login["detail"]["method"] == "sso"


def test_sso_refusal_in_chromium(sso_live, chrome, op):  # noqa: F811
    base, app = sso_live
    driver = chrome[0]
    set_user(op, "u-max", preferred_username="max", groups=["marketing"])
    driver.get(base + "/login")
    driver.find_element(By.ID, "sso-sign-in").click()
    _sign_in_at_op(driver, "u-max")
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "sso-error")))
    assert "no group maps to a role" in driver.find_element(By.ID, "sso-error").text
    driver.save_screenshot(str(ARTIFACTS / "sso-refused.png"))
    driver.get(base + "/dashboard")
    assert driver.current_url.startswith(base + "/login")
