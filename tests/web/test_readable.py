"""Readable findings over the whole demo: the web pages (Flask test client), the audit PDF in English and Polish,
and coverage apart from findings. Screenshots of the dashboard and a finding (headless Chromium) and of two PDF
pages (pdftoppm) go to ``test-artifacts/readable/``.

A title, message or PDF row must not show a raw ISO timestamp, Python's True/False, or an id (asset id, URN)
whose name the auditor knows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import func, select

from auditor.accounts.totp import code_at
from auditor.config import Settings, load_settings
from auditor.demo.web_setup import ensure_web_secrets
from auditor.demo.workspace import create_workspace
from auditor.reporting.use_cases import build_report
from auditor.services.scan import run_scan
from auditor.storage.db import Database
from auditor.storage.tables import Finding, InvAsset
from tests.web.conftest import START, Browser, enrolled_user
from tests.web.test_browser import _code, _screenshot, _sign_in, _wait, chrome, live  # noqa: F401 - fixtures

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "readable"
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
PYTHON_BOOL = re.compile(r"\b(True|False)\b")
LINK_TEXT = re.compile(r'class="finding-link">([^<]*)</a>')
COVERAGE_TILE = re.compile(r'<span class="num">(\d+)</span> open findings')


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company scanned on every platform once."""
    directory = tmp_path_factory.mktemp("readable") / "ws"
    config = create_workspace(directory, now=START - timedelta(minutes=5))
    run_scan(load_settings(config), trigger="demo", now=START - timedelta(minutes=5))
    return directory


@pytest.fixture
def workspace(demo_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the full demo with web keys (overrides the Meta-only one of conftest)."""
    target = tmp_path / "ws"
    shutil.copytree(demo_workspace, target)
    ensure_web_secrets(load_settings(target / "auditor.toml"))
    return target


def _named_ids(db: Database) -> set[str]:
    """Asset ids whose names the auditor knows (a name other than the id itself)."""
    table = InvAsset.__table__
    with db.session() as session:
        rows = session.exec(select(table.c.asset_id, table.c.name).where(table.c.name.is_not(None)))
        return {asset_id for asset_id, name in rows if name and asset_id not in name and len(asset_id) > 4}


def _unreadable(text: str, named: set[str]) -> list[str]:
    """What in ``text`` is a machine value: ISO times, True/False, URNs of the organisation, known ids."""
    found = ISO_TIME.findall(text) + PYTHON_BOOL.findall(text)
    found += [urn for urn in re.findall(r"urn:li:organization:\d+", text)]
    found += [asset_id for asset_id in named if re.search(rf"(?<![\w-]){re.escape(asset_id)}(?![\w-])", text)]
    return found


def _open_counts(db: Database) -> tuple[int, int]:
    """(open findings, open coverage notes) in the database."""
    f = Finding.__table__
    with db.session() as session:
        findings = session.exec(select(func.count()).where(f.c.status == "open", f.c.outcome != "coverage"))
        notes = session.exec(select(func.count()).where(f.c.status == "open", f.c.outcome == "coverage"))
        return int(findings.scalar_one()), int(notes.scalar_one())


def test_pages_show_readable_findings_and_coverage_apart(settings, db, browser: Browser, clock):
    seed = enrolled_user(settings, db, "vera", "admin")
    browser.login("vera", seed)
    named = _named_ids(db)
    open_findings, notes = _open_counts(db)
    assert notes > 0 and open_findings > 0

    dashboard = browser.get("/dashboard").text
    assert int(COVERAGE_TILE.search(dashboard).group(1)) == open_findings  # coverage notes are not counted
    coverage = dashboard[dashboard.index('id="coverage"'):]
    for platform in ("Kwiatek on LinkedIn", "Kwiatek on Shopify", "Kwiatek on Google Ads"):
        assert f"<h3>{platform}</h3>" in coverage
    assert "Not checked: Two-factor authentication is off" in coverage

    listing = browser.get("/findings").text
    titles = [unescape(t) for t in LINK_TEXT.findall(listing)]
    assert f"{open_findings} finding(s)" in listing and titles  # the queue leaves coverage notes out
    assert any("still has access after leaving" in t for t in titles)
    f = Finding.__table__
    with db.session() as session:
        ids = [row[0] for row in session.exec(select(f.c.id).where(f.c.status == "open"))]
    problems: dict[int, list[str]] = {}
    for finding_id in ids:
        page = browser.get(f"/findings/{finding_id}").text
        head = page[page.index("<h1>"):page.index('id="facts-h"')]
        evidence = page[page.index('id="evidence-h"'):page.index("All evidence (JSON)")]
        bad = _unreadable(unescape(re.sub(r"<[^>]+>", " ", head)), named) + PYTHON_BOOL.findall(evidence)
        if bad:
            problems[finding_id] = bad
    assert not problems
    for title in titles:
        assert not _unreadable(title, named), title


def _pdf_text(settings: Settings, tmp_path: Path, name: str) -> tuple[str, Path]:
    data, _entry = build_report(settings, "audit", generated_by="Vera Admin", now=START)
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True)
    return text.stdout, path


def test_audit_pdf_is_readable_for_a_board_in_english_and_polish(settings, db, tmp_path):
    named = _named_ids(db)
    text, path = _pdf_text(settings, tmp_path, "audit-en")
    assert settings.reports.organisation and settings.reports.organisation in text
    assert "Contents" in text and "Top risks by person" in text and "Vera Admin" in text
    assert "Coverage: what each platform does not expose" in text
    assert "Tomasz Wiśniewski still has access after leaving" in text
    rows = [line for line in text.splitlines() if line.strip()]
    bad = {line.strip(): _unreadable(line, named) for line in rows if _unreadable(line, named)}
    assert not bad

    polish = settings.model_copy(update={"language": "pl"})
    tekst, path_pl = _pdf_text(polish, tmp_path, "audit-pl")
    assert "Tomasz Wiśniewski nadal ma dostęp po odejściu" in tekst
    assert "Spis treści" in tekst and "Najważniejsze ryzyka według osób" in tekst
    assert "still has access after leaving" not in tekst

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for source, page, name in ((path, 3, "audit-en-page3"), (path_pl, 4, "audit-pl-page4")):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile",
                        str(source), str(ARTIFACTS / name)], check=True)
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 5000


def test_screenshots_of_dashboard_and_finding(chrome, live, settings, db, clock):  # noqa: F811
    driver, _ = chrome
    base, _app = live
    seed = enrolled_user(settings, db, "wanda", "admin")
    _sign_in(driver, base, "wanda")
    _code(driver, code_at(seed, clock()))
    _wait(driver, By.CSS_SELECTOR, "svg.chart")
    assert driver.find_element(By.ID, "coverage").is_displayed()
    shot = _screenshot(driver, "readable-dashboard")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "dashboard.png")
    f = Finding.__table__
    with db.session() as session:
        finding_id = session.exec(select(f.c.id).where(f.c.rule == "orphaned-access").limit(1)).scalar_one()
    driver.get(f"{base}/findings/{finding_id}")
    message = _wait(driver, By.ID, "finding-message").text
    assert "left on" in message and not ISO_TIME.search(message)
    shutil.copy(_screenshot(driver, "readable-finding"), ARTIFACTS / "finding.png")
