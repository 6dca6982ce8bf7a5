"""Fixtures of the report tests.

``demo``: the demo company scanned twice (one session for every test). Between the scans two leavers lose
access on its Meta business: Tomasz Wiśniewski's account disappears with all its grants, and Paweł Kamiński loses
his ad-account role but keeps his business role. So the second scan resolves findings (a trend), and the
inventory knows when grants were seen gone (offboarding evidence).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import auditor.services.scan as scan_service
from auditor.config import Settings, load_settings
from auditor.services.demo import DEMO_PLATFORM, create_workspace
from auditor.storage.db import open_database
from auditor.storage.tables import DirectoryPerson

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
SECOND_SCAN = NOW + timedelta(days=1)
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
    scan_service.run_scan(settings, now=NOW)
    gone, partial = _emails(settings, GONE_LEAVER), _emails(settings, PARTIAL_LEAVER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scan_service, "fetch_all", _revoking(scan_service.fetch_all, gone, partial))
        summary = scan_service.run_scan(settings, now=SECOND_SCAN)
    assert summary.status == "complete" and summary.resolved >= 1
    return Demo(config=config, settings=settings)
