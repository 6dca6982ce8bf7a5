"""Migration 0009_identities creates exactly ``auditor/identities/tables.py`` (no autogenerate drift) on SQLite
and PostgreSQL, and its downgrade removes only those tables."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect

from auditor.identities.tables import IDENTITY_TABLES
from auditor.storage.db import alembic_config, create_db_engine, upgrade
from auditor.storage.tables import metadata
from tests.reviews.test_tables import _table_of, url  # noqa: F401 - the SQLite / PostgreSQL URL fixture


def _diff(engine, target: MetaData) -> list:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), target)
    return [d for d in diff if _table_of(d) in IDENTITY_TABLES]


def test_the_migration_creates_exactly_the_declared_tables_and_downgrades(url):  # noqa: F811
    engine = create_db_engine(url)
    try:
        upgrade(engine)
        assert _diff(engine, metadata()) == []
        changed = MetaData()
        for table in metadata().tables.values():
            table.to_metadata(changed)
        changed.tables["identity_marking"].append_column(Column("extra", Integer, nullable=True))
        assert [d[0] for d in _diff(engine, changed)] == ["add_column"]  # the check would see a drift
        before = set(inspect(engine).get_table_names())
        config = alembic_config()
        with engine.connect() as connection, connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, "0009_identities@-1")
        assert before - set(inspect(engine).get_table_names()) == set(IDENTITY_TABLES)
    finally:
        engine.dispose()
