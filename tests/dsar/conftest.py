"""Fixtures of the DSAR tests: databases on SQLite and PostgreSQL, and the demo shop scanned on three platforms.

The demo workspace (``auditor.demo.workspace.create_workspace``) is scanned once per session with
``auditor.services.scan.run_scan`` over: its Meta business served by the emulator over real HTTP, plus two
import-file platforms (``tests.dsar.fixtures``). Tests that write copy the workspace first. The Meta emulator
keeps serving for the whole session, so collection asks it live.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from auditor.config import ManualLink, PlatformSettings, Settings, load_settings
from auditor.connectors import base
from auditor.demo.company import build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.server import serve
from auditor.demo.workspace import create_workspace
from auditor.dsar import tables as dsar_tables  # noqa: F401 - the DSAR tables must be known to SQLModel's metadata
from auditor.services.scan import run_scan
from auditor.storage.db import Database, open_database
from tests.dsar import fixtures

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty database: an SQLite file, or a new database in the test cluster."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'auditor.db'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    yield url
    cluster.drop_database(make_url(url).database or "")


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated, empty database on each backend."""
    db = open_database(database_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty SQLite database (for tests where the backend does not matter)."""
    db = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(autouse=True)
def import_connector(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the test-only import-file connector available under ``fixtures.KIND`` (undone after each test)."""
    base.connector_kinds()  # discover the built-in connectors before adding the test one
    monkeypatch.setitem(base._REGISTRY, fixtures.KIND, fixtures.ImportFileConnector)


@dataclass
class Shop:
    """The scanned demo workspace: its folder and settings whose Meta platform points at the live emulator."""

    directory: Path
    settings: Settings

    def copy(self, target: Path) -> Shop:
        """A private copy (for tests that write); the settings follow the copy's database and files."""
        shutil.copytree(self.directory, target)
        settings = load_settings(target / "auditor.toml")
        platforms = [p.model_copy(update={"options": {**p.options, "path": str(target / Path(p.options["path"]).name)}})
                     if p.kind == fixtures.KIND else p for p in self.settings.platform]
        return Shop(target, settings.model_copy(update={"platform": platforms, "matching": self.settings.matching}))


@pytest.fixture(scope="session")
def scanned_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The demo shop on three platforms, scanned once; the Meta emulator serves for the whole session."""
    directory = tmp_path_factory.mktemp("dsar-shop") / "ws"
    config = create_workspace(directory, now=NOW)
    settings = load_settings(config)
    company = build_company(now=NOW)
    meta = next(p for p in settings.platform if p.kind == "meta")
    app, prefix = emulator_for("meta", company, settings, meta)
    paths = fixtures.write_import_files(directory, NOW)
    with serve(app) as server, pytest.MonkeyPatch.context() as patch:
        patch.setitem(base._REGISTRY, fixtures.KIND, fixtures.ImportFileConnector)
        live_meta = meta.model_copy(update={"base_url": server.url + prefix, "backoff": 0.0, "max_retries": 1})
        imports = [PlatformSettings(kind=fixtures.KIND, name=name, tenant_id=name,
                                    options={"path": str(path), "emails": name == fixtures.SHOP})
                   for name, path in paths.items()]
        links = [*settings.matching.links, ManualLink(platform=fixtures.TIKTOK, account_id=fixtures.TIKTOK_MICHAL,
                                                      uid=fixtures.MICHAL_UID)]
        live = settings.model_copy(update={"platform": [live_meta, *imports],
                                           "matching": settings.matching.model_copy(update={"links": links})})
        run_scan(live, trigger="test", now=NOW)
        yield Shop(directory, live)


@pytest.fixture
def shop(scanned_shop: Shop, tmp_path: Path) -> Shop:
    """A private copy of the scanned shop (its database can be written)."""
    return scanned_shop.copy(tmp_path / "ws")
