"""The queue, identities, search and select-all in real headless Chromium (the Selenium setup of
tests/web/test_browser.py): the queue per person from the dashboard, search by e-mail, select all matching a
filter and acknowledge them, and linking an unmatched account to a person, whose finding the next scan resolves.
"""

from __future__ import annotations

from datetime import timedelta

from selenium.webdriver.common.by import By
from sqlalchemy import select

from auditor.accounts.tables import FindingTriage
from auditor.accounts.totp import code_at
from auditor.services.scan import run_scan
from auditor.storage.tables import Finding
from tests.web import test_browser
from tests.web.conftest import enrolled_user
from tests.web.test_browser import _click, _code, _screenshot, _sign_in, _wait

chrome = test_browser.chrome  # the module's headless Chromium and the app on waitress, as in test_browser.py
live = test_browser.live

_F = Finding.__table__
BARAN = "850237973769949"  # the demo's unmatched Meta account of Henryk Baran


def _officer(driver, base, settings, db, clock) -> None:
    seed = enrolled_user(settings, db, "sofia", "security_officer")
    _sign_in(driver, base, "sofia")
    _code(driver, code_at(seed, clock()))
    _wait(driver, By.ID, "fix-first")


def test_the_queue_per_person_from_the_dashboard(chrome, live, settings, db, clock):
    driver, _ = chrome
    base, _app = live
    _officer(driver, base, settings, db, clock)
    _click(driver, By.ID, "open-queue")
    first = _wait(driver, By.CSS_SELECTOR, "section.queue-entry")
    assert "leaver" in first.find_element(By.TAG_NAME, "h2").text
    link = first.find_element(By.CSS_SELECTOR, "a.admin-link")
    assert link.get_attribute("href").startswith("https://business.facebook.com/settings/")
    assert link.get_attribute("target") == "_blank"
    _screenshot(driver, "queue")
    box = first.find_element(By.CSS_SELECTOR, ".checklist input[type=checkbox]")
    finding_id = int(box.get_attribute("value"))
    box.click()
    first.find_element(By.CSS_SELECTOR, "button.ack-checked").click()
    _click(driver, By.ID, "bulk-confirm")
    _wait(driver, By.CSS_SELECTOR, ".flash-info")
    assert driver.find_element(By.ID, f"chk-{finding_id}").get_attribute("disabled") is not None
    triage = FindingTriage.__table__
    with db.session() as session:
        who = session.exec(select(triage.c.acknowledged_by).where(triage.c.finding_id == finding_id)).scalar()
    assert who == "sofia"


def test_search_by_email_and_select_all_acknowledge(chrome, live, settings, db, clock):
    driver, _ = chrome
    base, _app = live
    _officer(driver, base, settings, db, clock)
    driver.get(f"{base}/findings")
    _wait(driver, By.ID, "f-q").send_keys("H.Baran@Kwiatek")
    _click(driver, By.ID, "apply-filter")
    links = driver.find_elements(By.CSS_SELECTOR, "a.finding-link")
    assert len(links) == 1 and "Henryk Baran" in links[0].text

    driver.get(f"{base}/findings?category=unmatched_account")
    with db.session() as session:
        unmatched = {r[0] for r in session.exec(select(_F.c.id).where(_F.c.status == "open",
                                                                      _F.c.category == "unmatched_account"))}
    _click(driver, By.ID, "select-all")
    heading = _wait(driver, By.ID, "select-all-heading").text
    assert f"all {len(unmatched)} finding(s) matching the filter" in heading
    _click(driver, By.ID, "select-all-confirm")
    assert f"Acknowledge: {len(unmatched)} finding(s)" in _wait(driver, By.CSS_SELECTOR, ".flash-info").text
    triage = FindingTriage.__table__
    with db.session() as session:
        done = {r[0] for r in session.exec(select(triage.c.finding_id).where(triage.c.acknowledged_at.is_not(None)))}
    assert done == unmatched


def test_link_an_unmatched_account_and_the_next_scan_resolves_its_finding(chrome, live, settings, db, clock):
    driver, _ = chrome
    base, _app = live
    _officer(driver, base, settings, db, clock)
    driver.get(f"{base}/identities?q=h.baran")
    card = _wait(driver, By.CSS_SELECTOR, "section.identity")
    assert "unmatched" in card.text and "Henryk Baran" in card.text
    card.find_element(By.ID, "link-uid-1").send_keys("mwrobel")
    _click(driver, By.CSS_SELECTOR, "button.link-person")
    assert "The next scan applies it" in _wait(driver, By.CSS_SELECTOR, ".flash-info").text
    with db.session() as session:
        finding_id = session.exec(select(_F.c.id).where(_F.c.rule == "unmatched-account",
                                                        _F.c.account == BARAN)).scalar_one()
    meta = settings.model_copy(update={"platform": [p for p in settings.platform if p.kind == "meta"]})
    run_scan(meta, trigger="web", now=clock() + timedelta(hours=1))
    driver.get(f"{base}/findings/{finding_id}")
    assert "resolved" in _wait(driver, By.CSS_SELECTOR, ".heading .status").text.lower()
    driver.get(f"{base}/identities?q=h.baran&show=all")
    assert "linked" in _wait(driver, By.CSS_SELECTOR, "section.identity h2").text
