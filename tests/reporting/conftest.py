"""Fixtures of the report tests.

``demo``: the demo company scanned twice (one session for every test). Between the scans two leavers lose
access on its Meta business: Tomasz Wiśniewski's account disappears with all its grants, and Paweł Kamiński loses
his ad-account role but keeps his business role. So the second scan resolves findings (a trend), and the
inventory knows when grants were seen gone (offboarding evidence).

``cli_audit`` and ``edge`` are rendered once per session (WeasyPrint takes seconds per report) and shared by
the render and register tests; every PDF is saved with PNGs of its pages under ``test-artifacts/reports/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import auditor.services.scan as scan_service
from auditor.cli.report import report
from auditor.config import Settings, load_settings
from auditor.demo.workspace import DEMO_PLATFORM, create_workspace
from auditor.reporting.register import ReportEntry
from auditor.reporting.use_cases import build_report, generated_reports
from auditor.storage.db import open_database
from auditor.storage.tables import DirectoryPerson
from tests.reporting.builders import edge_workspace
from tests.reporting.pdf import Pdf, save_artifacts

SECOND_SCAN = datetime.now(UTC).replace(second=0, microsecond=0)
NOW = SECOND_SCAN - timedelta(days=1)  # the first scan (some emulators check dates against the real clock)
GONE_LEAVER = "twisniewski"  # account and every grant removed before the second scan
PARTIAL_LEAVER = "pkaminski"  # ad-account grant removed, business role kept


@dataclass(frozen=True)
class Demo:
    """The scanned demo workspace."""

    config: Path
    settings: Settings

    def query(self, statement: Any) -> list[Any]:
        """Rows of a SQL statement on the workspace database."""
        db = open_database(self.settings.storage_url)
        try:
            with db.session() as session:
                return list(session.exec(statement).mappings())
        finally:
            db.dispose()


def _emails(settings: Settings, uid: str) -> set[str]:
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            table = DirectoryPerson.__table__
            emails = session.exec(select(table.c.emails).where(table.c.uid == uid)).scalar_one()
    finally:
        db.dispose()
    return {e.lower() for e in emails}


def _revoking(real: Callable[..., Any], gone: set[str], partial: set[str]) -> Callable[..., Any]:
    """A fetch_all that drops the leavers' access from the snapshots, as if revoked on the platform."""

    def fetch_all(*args: Any, **kwargs: Any) -> Any:
        snapshots = real(*args, **kwargs)
        for snap in snapshots:
            if snap.platform != DEMO_PLATFORM:
                continue
            owner = {a.account_id: {e.lower() for e in a.emails} for a in snap.accounts}
            gone_ids = {acc for acc, emails in owner.items() if emails & gone}
            partial_ids = {acc for acc, emails in owner.items() if emails & partial}
            assert gone_ids and partial_ids, "the demo leavers must have accounts"
            snap.accounts = [a for a in snap.accounts if a.account_id not in gone_ids]
            snap.grants = [
                g for g in snap.grants
                if g.account_id not in gone_ids and not (g.account_id in partial_ids and g.asset_id)
            ]
        return snapshots

    return fetch_all


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo company, scanned at NOW and again a day later after the leavers lost access."""
    config = create_workspace(tmp_path_factory.mktemp("reports") / "demo", now=NOW)
    settings = load_settings(config)
    first = scan_service.run_scan(settings, now=NOW)
    gone, partial = _emails(settings, GONE_LEAVER), _emails(settings, PARTIAL_LEAVER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan_service, "fetch_all", _revoking(scan_service.fetch_all, gone, partial))
        summary = scan_service.run_scan(settings, now=SECOND_SCAN)
    for scan in (first, summary):
        assert (DEMO_PLATFORM, "complete", []) in scan.platforms
    assert summary.resolved >= 1
    return Demo(config=config, settings=settings)


@dataclass(frozen=True)
class Rendered:
    """One rendered report: the parsed PDF, its register entry and where it was saved."""

    pdf: Pdf
    entry: ReportEntry
    path: Path


def keep_rendered(name: str, data: bytes, entry: ReportEntry) -> Rendered:
    return Rendered(pdf=Pdf.of(data), entry=entry, path=save_artifacts(name, data))


@pytest.fixture(scope="session")
def cli_audit(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The security audit, generated through ``auditor report audit --out``."""
    out = tmp_path_factory.mktemp("cli") / "audit.pdf"
    result = CliRunner().invoke(report, ["audit", "--config", str(demo.config), "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: Security audit" in result.output
    entry = generated_reports(demo.settings, kind="audit", limit=1)[0]
    assert entry.id in result.output and entry.manifest_sha256 in result.output
    return keep_rendered("audit-en", out.read_bytes(), entry)


@pytest.fixture(scope="session")
def edge(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rendered, Rendered]:
    """A zero-findings audit in Polish and an access review with unicode and 300-character names."""
    settings = edge_workspace(tmp_path_factory.mktemp("edge") / "ws", language="pl")
    audit = keep_rendered("audit-zero-findings-pl", *build_report(settings, "audit", generated_by="Ślęża"))
    english = settings.model_copy(update={"language": "en"})
    names = keep_rendered("access-review-long-names-en", *build_report(english, "access-review", generated_by="Zoë"))
    return audit, names
