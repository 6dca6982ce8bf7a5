"""Fixtures of the identity tests: the demo company's Meta business scanned once (copied by each test), and a
helper to scan it again later."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from auditor.accounts.audit_trail import Actor
from auditor.config import Settings, load_settings
from auditor.demo.workspace import create_workspace
from auditor.services.scan import run_scan
from auditor.storage.db import Database, open_database

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OFFICER = Actor("sofia", "security_officer", "127.0.0.1")


def meta_only(settings: Settings) -> Settings:
    """The settings with only the Meta platform (the tests need realistic findings, not every connector)."""
    return settings.model_copy(update={"platform": [p for p in settings.platform if p.kind == "meta"]})


@pytest.fixture(scope="session")
def scanned_meta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace with its Meta business scanned once at ``NOW``."""
    directory = tmp_path_factory.mktemp("identities") / "ws"
    config = create_workspace(directory, now=NOW - timedelta(minutes=5))
    run_scan(meta_only(load_settings(config)), trigger="demo", now=NOW)
    return directory


@pytest.fixture
def settings(scanned_meta: Path, tmp_path: Path) -> Settings:
    """Meta-only settings of a private copy of the scanned workspace."""
    target = tmp_path / "ws"
    shutil.copytree(scanned_meta, target)
    return meta_only(load_settings(target / "auditor.toml"))


@pytest.fixture
def db(settings: Settings):
    """The copy's database."""
    database: Database = open_database(settings.storage_url)
    yield database
    database.dispose()
