"""Fixtures of the review tests: the demo workspace whose LinkedIn organisation is a live emulator (so a test can
remove a grant and scan again), scanned once at ``NOW``, and helpers to find and remove grants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from auditor.accounts.audit_trail import Actor
from auditor.config import Settings, load_settings
from auditor.demo.company import build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.server import serve
from auditor.demo.workspace import create_workspace
from auditor.services.scan import run_scan
from auditor.storage.db import Database, open_database

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
OFFICER = Actor("sofficer", "security_officer")
MANAGER_A, MANAGER_B = "mwrobel", "gpietrzak"  # managers in the demo directory
PLATFORM_KIND = "linkedin"  # scanned completely by its emulator, so a removed role is seen gone


@dataclass
class Shop:
    """The workspace, its live LinkedIn emulator and the database."""

    settings: Settings
    emulator: Any
    db: Database

    def scan(self, at: datetime) -> Any:
        """A full scan at ``at``."""
        return run_scan(self.settings, now=at)

    def remove_grant(self, account_id: str) -> None:
        """Take every role of one member away on the platform (as a real revocation would)."""
        emulator = self.emulator
        before = len(emulator.acls) + sum(len(users) for users in emulator.ad_users.values())
        emulator.acls[:] = [acl for acl in emulator.acls if not acl["roleAssignee"].endswith(account_id)]
        for users in emulator.ad_users.values():
            users[:] = [u for u in users if not u["user"].endswith(account_id)]
        removed = before - len(emulator.acls) - sum(len(users) for users in emulator.ad_users.values())
        assert removed, account_id


def live_shop(directory: Path, settings_update: dict[str, Any] | None = None) -> Iterator[Shop]:
    """Create the workspace, serve its LinkedIn emulator, scan at ``NOW``; yields the shop."""
    config = create_workspace(directory, now=NOW - timedelta(days=1))
    settings = load_settings(config)
    platform = next(p for p in settings.platform if p.kind == PLATFORM_KIND)
    company = build_company(now=NOW - timedelta(days=1))
    app, prefix = emulator_for(PLATFORM_KIND, company, settings, platform)
    with serve(app) as server:
        live = platform.model_copy(update={"base_url": server.url + prefix, "backoff": 0.0, "max_retries": 1})
        settings = settings.model_copy(update={"platform": [live], **(settings_update or {})})
        shop = Shop(settings, app, open_database(settings.storage_url))
        try:
            shop.scan(NOW)
            yield shop
        finally:
            shop.db.dispose()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    """The scanned shop."""
    yield from live_shop(tmp_path / "ws")
