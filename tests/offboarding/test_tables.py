"""Migration 0004_offboarding matches ``auditor/offboarding/tables.py`` on SQLite and PostgreSQL, and
APScheduler finds its job table made by the migration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import make_url

from auditor.offboarding import tables as offboarding_tables
from auditor.storage.db import create_db_engine, upgrade
from auditor.storage.tables import metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'auditor.db'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    created = cluster.create_database()
    yield created
    cluster.drop_database(make_url(created).database or "")


def _mine() -> MetaData:
    mine = MetaData()
    for name in offboarding_tables.OFFBOARDING_TABLES:
        metadata().tables[name].to_metadata(mine)
    return mine


def test_the_migration_creates_exactly_the_declared_tables(url):
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        assert set(offboarding_tables.OFFBOARDING_TABLES) <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                    metadata())
        assert [d for d in diff if _about_mine(d)] == []
        store = SQLAlchemyJobStore(engine=engine)
        store.jobs_t.create(engine, checkfirst=True)  # what the job store does on start: a no-op
        with engine.connect() as connection:
            after = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), _mine())
        assert [d for d in after if _about_mine(d)] == []
    finally:
        engine.dispose()


def _table_of(entry) -> str | None:
    """The table an autogenerate diff entry is about."""
    if isinstance(entry, list):
        return _table_of(entry[0])
    kind, subject = entry[0], entry[1]
    if kind.endswith("_table"):
        return subject.name
    if kind.endswith("_index") or kind.endswith("_constraint"):
        return subject.table.name
    return entry[2]  # add_column / remove_column / modify_*: (kind, schema, table, ...)


def _about_mine(entry) -> bool:
    return _table_of(entry) in offboarding_tables.OFFBOARDING_TABLES


def test_the_drift_check_would_see_a_difference(url):
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        changed = _mine()
        from sqlalchemy import Column, Integer

        changed.tables["offboarding_case"].append_column(Column("extra", Integer, nullable=True))
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), changed)
        assert any(_about_mine(d) and d[0] == "add_column" for d in diff)
    finally:
        engine.dispose()
