"""Fixtures of the service tests: the demo company, a workspace config, and its Meta emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from auditor.config import Settings, load_settings
from auditor.demo.company import Company, build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.faults import FaultPlan
from auditor.demo.server import ServerHandle, serve
from auditor.demo.workspace import create_workspace
from auditor.storage.db import open_database
from auditor.storage.queries import list_findings

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
APP_CATEGORIES = {"excess_app_scope", "unapproved_app"}


@pytest.fixture(scope="session")
def company() -> Company:
    """The fictional company as of ``NOW``."""
    return build_company(now=NOW)


@dataclass
class Workspace:
    """A demo workspace whose Meta platform points at a live emulator the test controls."""

    settings: Settings
    emulator: Any
    server: ServerHandle

    @property
    def faults(self) -> FaultPlan:
        return self.emulator.faults


@pytest.fixture
def workspace(tmp_path: Path, company: Company) -> Iterator[Workspace]:
    """A fresh workspace (SQLite, LDIF directory) scanning the company's Meta business through HTTP."""
    config = create_workspace(tmp_path / "ws", now=NOW)
    settings = load_settings(config)
    platform = settings.platform[0]
    app, prefix = emulator_for("meta", company, settings, platform)
    with serve(app) as server:
        live = platform.model_copy(update={"base_url": server.url + prefix, "backoff": 0.0, "max_retries": 2})
        yield Workspace(settings.model_copy(update={"platform": [live]}), app, server)


def finding_key(row: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    """(category, platform, account, asset) as the company's planted list names them."""
    account = row["subject"] if row["category"] in APP_CATEGORIES else row["account"]
    return (row["category"], row["platform"], account, row["asset"])


def findings(settings: Settings, status: str = "open") -> list[dict[str, Any]]:
    """The stored findings of a workspace."""
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            return list_findings(session, status=status)
    finally:
        db.dispose()


def keys(settings: Settings, status: str = "open") -> set[tuple[str, str, str | None, str | None]]:
    """The keys of the stored findings with ``status``."""
    return {finding_key(row) for row in findings(settings, status)}

