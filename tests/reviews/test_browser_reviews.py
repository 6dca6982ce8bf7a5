"""An access-review campaign in real headless Chromium, with the managers read from a real slapd.

The demo shop's directory is served by a private OpenLDAP (its LDIF, except that the leaver ``twisniewski``
reports to ``gpietrzak`` there, not to ``mwrobel`` as in the workspace's LDIF file: the reviewers must come
from the directory server). A security officer starts a privileged-grants campaign through the form; the two
managers, signed in as themselves, each see only their own items; one revokes, the other keeps the leaver's
grant with a comment; the grant is taken away in the LinkedIn emulator and the next scan closes the revoke
item; the officer completes the campaign and its evidence PDF lists every decision and verifies with
``auditor report verify``. One browser session, a handful of page loads.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from ldap3 import Connection, Server
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from waitress import create_server, wasyncore

from auditor.accounts.totp import code_at
from auditor.cli import main
from auditor.config import load_settings
from auditor.demo.web_setup import ensure_web_secrets
from auditor.demo.workspace import create_workspace
from auditor.reviews import use_cases as reviews
from auditor.web import create_app
from tests.reviews.conftest import MANAGER_A, MANAGER_B, NOW, Shop, live_shop
from tests.support.slapd import start_slapd
from tests.web.conftest import START, Clock, enrolled_user, fast_argon2  # noqa: F401 - fixture
from tests.web.test_browser import _click, _code, _sign_in, _sign_out, _wait, chrome  # noqa: F401 - fixture

LEAVER = "twisniewski"  # holds a privileged LinkedIn role; reports to MANAGER_B in slapd only
REVOKED = "kszymanska"  # holds a privileged LinkedIn role; reports to MANAGER_A
SUFFIX = "dc=kwiatek,dc=example"


def _moved_manager(ldif: str, uid: str, manager: str) -> str:
    """The LDIF with the ``manager`` of ``uid``'s entry pointing at ``manager``."""
    entries = ldif.split("\n\n")
    index = next(i for i, e in enumerate(entries) if e.startswith(f"dn: uid={uid},"))
    entries[index], count = re.subn(r"^manager: .*$", f"manager: uid={manager},ou=people,{SUFFIX}",
                                    entries[index], flags=re.M)
    assert count == 1, uid
    return "\n\n".join(entries)


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    """The demo shop with web keys, its directory on slapd and its LinkedIn on a live emulator, scanned."""
    workspace = tmp_path / "ws"
    config = create_workspace(workspace, now=NOW - timedelta(days=1))
    ensure_web_secrets(load_settings(config))
    ldif = (workspace / "people.ldif").read_text(encoding="utf-8")
    assert f"uid={LEAVER},ou=leavers,{SUFFIX}" in ldif and f"manager: uid={MANAGER_A}," in ldif
    server = start_slapd(tmp_path / "slapd", SUFFIX, _moved_manager(ldif, LEAVER, MANAGER_B))
    monkeypatch.setenv("REVIEW_TEST_LDAP_PASSWORD", server.password)
    directory = load_settings(config).directory.model_copy(update={
        "kind": "ldap", "url": server.url, "bind_dn": server.bind_dn, "password_env": "REVIEW_TEST_LDAP_PASSWORD",
        "base_dn": server.base_dn, "path": None, "connect_timeout": 3, "receive_timeout": 5})
    try:
        yield from live_shop(workspace, {"directory": directory})
    finally:
        server.stop()


def _slapd_manager(shop: Shop, uid: str) -> str:
    """The uid of ``uid``'s manager as the directory server answers it."""
    directory = shop.settings.directory
    conn = Connection(Server(directory.url), directory.bind_dn, os.environ[directory.password_env], auto_bind=True)
    try:
        conn.search(SUFFIX, f"(uid={uid})", attributes=["manager"])
        return str(conn.entries[0].manager.value).split(",")[0].removeprefix("uid=")
    finally:
        conn.unbind()  # ldap3's ``with`` leaves an auto-bound connection open


@pytest.fixture
def live(shop: Shop) -> Iterator[tuple[str, Clock]]:
    """The app over the shop on waitress on a free loopback port, with a fixed clock after the first scan."""
    clock = Clock(START)
    app = create_app(shop.settings, clock=clock)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", clock
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(10)
        server.task_dispatcher.shutdown()
        app.extensions["auditor"].db.dispose()


def _signed_in(driver, base: str, clock: Clock, username: str, seed: str) -> None:
    _sign_in(driver, base, username)
    _code(driver, code_at(seed, clock()))


def _my_items(driver) -> set[int]:
    return {int(row.get_attribute("id").removeprefix("item-"))
            for row in driver.find_elements(By.CSS_SELECTOR, "tr[id^=item-]")}


def test_campaign_in_the_browser_with_managers_from_slapd(chrome, live, shop, tmp_path):  # noqa: F811
    driver, _ = chrome
    base, clock = live
    driver.delete_all_cookies()
    seeds = {name: enrolled_user(shop.settings, shop.db, name, role) for name, role in
             (("sofficer", "security_officer"), (MANAGER_A, "reviewer"), (MANAGER_B, "reviewer"))}
    assert _slapd_manager(shop, LEAVER) == MANAGER_B and _slapd_manager(shop, REVOKED) == MANAGER_A

    # the officer starts a privileged-grants campaign through the form
    _signed_in(driver, base, clock, "sofficer", seeds["sofficer"])
    driver.get(f"{base}/reviews/new")
    _wait(driver, By.ID, "name").send_keys("Q4 privileged access")
    driver.find_element(By.ID, "privileged_only").click()
    Select(driver.find_element(By.ID, "reviewer_mode")).select_by_value("manager")
    driver.find_element(By.ID, "fallback_reviewer").send_keys("bkwiatkowska")
    due = (clock().date() + timedelta(days=14)).isoformat()
    driver.execute_script("arguments[0].value = arguments[1]", driver.find_element(By.ID, "due"), due)
    _click(driver, By.ID, "review-start")
    assert _wait(driver, By.ID, "campaign-status").text == "open"
    campaign_url = driver.current_url
    campaign_id = int(campaign_url.rstrip("/").rsplit("/", 1)[1])
    items = reviews.get_campaign(shop.settings, campaign_id, db=shop.db)["items"]
    assert items and all(i["privileged"] for i in items)
    expected = {reviewer: {i["id"] for i in items if i["reviewer"] == reviewer} for reviewer in (MANAGER_A, MANAGER_B)}
    revoke = next(i for i in items if i["person_uid"] == REVOKED)
    keep = next(i for i in items if i["person_uid"] == LEAVER)
    assert revoke["reviewer"] == MANAGER_A and keep["reviewer"] == MANAGER_B  # slapd's managers, not the file's
    _sign_out(driver)

    # each reviewer sees exactly their own items and decides one
    _signed_in(driver, base, clock, MANAGER_A, seeds[MANAGER_A])
    driver.get(f"{base}/reviews/mine")
    _wait(driver, By.CSS_SELECTOR, f"#item-{revoke['id']}")
    assert _my_items(driver) == expected[MANAGER_A]
    Select(driver.find_element(By.ID, f"decision-{revoke['id']}")).select_by_value("revoke")
    _click(driver, By.ID, f"decide-{revoke['id']}")
    assert _wait(driver, By.CSS_SELECTOR, f"#item-{revoke['id']} .decision").text == "revoke"
    _sign_out(driver)

    _signed_in(driver, base, clock, MANAGER_B, seeds[MANAGER_B])
    driver.get(f"{base}/reviews/mine")
    _wait(driver, By.CSS_SELECTOR, f"#item-{keep['id']}")
    assert _my_items(driver) == expected[MANAGER_B]
    Select(driver.find_element(By.ID, f"decision-{keep['id']}")).select_by_value("keep")
    driver.find_element(By.ID, f"comment-{keep['id']}").send_keys("handover of the company page until Friday")
    _click(driver, By.ID, f"decide-{keep['id']}")
    assert "handover of the company page" in _wait(driver, By.CSS_SELECTOR, f"#item-{keep['id']} .decision").text
    _sign_out(driver)

    # the grant is taken away on the platform; the next scan proves it
    shop.remove_grant(revoke["account_id"])
    summary = shop.scan(clock() + timedelta(hours=1))
    assert summary.status == "complete"

    clock.advance(30)  # a fresh TOTP step: the officer's first code cannot be replayed
    _signed_in(driver, base, clock, "sofficer", seeds["sofficer"])
    driver.get(campaign_url)
    _click(driver, By.ID, "review-refresh")
    follow = _wait(driver, By.CSS_SELECTOR, f"#review-items #item-{revoke['id']} .follow").text
    assert follow.startswith("done") and f"scan #{summary.scan_id}" in follow
    _click(driver, By.ID, "review-complete")
    assert _wait(driver, By.ID, "campaign-status").text == "completed"
    assert _wait(driver, By.ID, "review-evidence").get_attribute("href").endswith(f"/reviews/{campaign_id}/evidence")

    view = reviews.get_campaign(shop.settings, campaign_id, db=shop.db)
    pdf = Path(view["evidence_path"])
    assert stat.S_IMODE(pdf.stat().st_mode) == 0o600  # evidence at rest is readable by its owner only
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(str(pdf)).pages)  # no spaces:
    decided = [i for i in view["items"] if i["decision"]]                                  # table cells wrap
    assert {i["id"] for i in decided} == {revoke["id"], keep["id"]}
    assert "handoverofthecompanypageuntilFriday" in text and f"scan#{summary.scan_id}" in text
    for item in view["items"]:  # every frozen grant is in the evidence with its decision, decided or not
        assert "".join(item["person_name"].split()) in text and item["role"] in text
    assert text.count("notdecided") == len(view["items"]) - 2
    for item in decided:
        assert f"{item['reviewer']}{item['decision']}" in text, item  # the reviewer column, then the decision
    shown = START.astimezone(ZoneInfo(shop.settings.timezone))  # the decisions' time, in the company's zone
    assert f"{shown.day}{shown:%b%Y,%H:%M}" in text and f"{START.day}{START:%b%Y,%H:%M}" not in text
    verified = CliRunner().invoke(main, ["report", "verify", str(pdf), "--config", str(shop.settings.source)])
    assert verified.exit_code == 0, verified.output
    assert f"authentic: report {view['evidence_report_id']}" in verified.output
