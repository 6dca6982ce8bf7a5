"""Migration 0006_reviews creates exactly ``auditor/reviews/tables.py`` (no autogenerate drift) on SQLite and
PostgreSQL, and its downgrade removes only those tables."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect
from sqlalchemy.engine import make_url

from auditor.reviews.tables import REVIEW_TABLES
from auditor.storage.db import alembic_config, create_db_engine, upgrade
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


def _table_of(entry) -> str | None:
    if isinstance(entry, list):
        return _table_of(entry[0])
    kind, subject = entry[0], entry[1]
    if kind.endswith("_table"):
        return subject.name
    if kind.endswith("_index") or kind.endswith("_constraint"):
        return subject.table.name
    return entry[2]


def _diff(engine, target: MetaData) -> list:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), target)
    return [d for d in diff if _table_of(d) in REVIEW_TABLES]


def test_the_migration_creates_exactly_the_declared_tables_and_downgrades(url):
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        assert _diff(engine, metadata()) == []
        changed = MetaData()
        for table in metadata().tables.values():
            table.to_metadata(changed)
        changed.tables["review_item"].append_column(Column("extra", Integer, nullable=True))
        assert [d[0] for d in _diff(engine, changed)] == ["add_column"]  # the check would see a drift
        before = set(inspect(engine).get_table_names())
        config = alembic_config()
        with engine.connect() as connection, connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, "0006_reviews@-1")
        assert before - set(inspect(engine).get_table_names()) == set(REVIEW_TABLES)
    finally:
        engine.dispose()
