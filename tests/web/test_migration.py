"""Migration 0002_web: creates exactly the tables of web_tables.py (no autogenerate drift), on SQLite and
PostgreSQL, and its downgrade removes only them."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from auditor.accounts.tables import FINDING_LIST_INDEXES, WEB_TABLES
from auditor.storage.db import alembic_config, create_db_engine, upgrade
from auditor.storage.tables import metadata

OUR_INDEXES = {index.name for index in FINDING_LIST_INDEXES}


def _table_of(entry) -> str | None:
    """The table a compare_metadata entry is about."""
    if isinstance(entry, list):  # modify_* entries come grouped
        return _table_of(entry[0])
    kind, *rest = entry
    if kind in ("add_table", "remove_table"):
        return rest[0].name
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint"):
        return rest[0].table.name
    if kind in ("add_column", "remove_column"):
        return rest[1]
    if kind in ("add_fk", "remove_fk"):
        return rest[0].parent.name
    return rest[1] if len(rest) > 1 else None  # modify_*: (kind, schema, table, column, ...)


def _ours(entry) -> bool:
    """Whether a diff entry concerns a web table or one of the finding indexes of migration 0002_web."""
    first = entry[0] if isinstance(entry, list) else entry
    if first[0] in ("add_index", "remove_index") and first[1].name in OUR_INDEXES:
        return True
    return _table_of(entry) in WEB_TABLES


def _finding_indexes(engine) -> set[str]:
    return {index["name"] for index in inspect(engine).get_indexes("finding")}


def test_upgrade_creates_the_web_tables_without_drift(backend_settings):
    engine = create_db_engine(backend_settings.storage_url)
    try:
        upgrade(engine)
        assert set(WEB_TABLES) <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, metadata())
        assert [entry for entry in diff if _ours(entry)] == []
        assert _finding_indexes(engine) >= OUR_INDEXES
    finally:
        engine.dispose()


def test_downgrade_of_the_branch_drops_only_the_web_tables(backend_settings):
    engine = create_db_engine(backend_settings.storage_url)
    try:
        upgrade(engine)
        before = set(inspect(engine).get_table_names())
        config = alembic_config()
        with engine.connect() as connection, connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, "0010_web_language@-2")  # the web branch: 0002_web, then 0010_web_language
        after = set(inspect(engine).get_table_names())
        assert before - after == set(WEB_TABLES)
        assert not OUR_INDEXES & _finding_indexes(engine)
        upgrade(engine)  # and back
        assert set(WEB_TABLES) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_filtered_drift_check_does_see_a_change_in_a_web_table(backend_settings):
    from sqlalchemy import Column, Integer, MetaData

    engine = create_db_engine(backend_settings.storage_url)
    try:
        upgrade(engine)
        changed = MetaData()
        for table in metadata().tables.values():
            table.to_metadata(changed)
        changed.tables["web_session"].append_column(Column("extra", Integer, nullable=True))
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), changed)
        assert [entry[0] for entry in diff if _ours(entry)] == ["add_column"]
    finally:
        engine.dispose()
