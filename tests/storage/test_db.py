"""open_database: migrations from empty, no drift between tables.py and the migration, sessions, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect, select, text

from auditor.errors import StorageError
from auditor.storage.db import (
    alembic_config,
    at_heads,
    create_db_engine,
    open_database,
    redact_url,
    script_heads,
    upgrade,
)
from auditor.storage.tables import Scan, metadata

EXPECTED_TABLES = {
    "scan", "scan_platform", "directory_person", "person_change", "inv_account", "inv_asset", "inv_grant",
    "inv_app", "audit_event", "finding", "finding_event", "risk_exception", "manual_link",
}


def _diff(engine, target: MetaData) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, target)


def test_migrations_from_empty_create_every_table_and_match_the_models(database_url):
    engine = create_db_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables >= EXPECTED_TABLES
        assert tables == set(metadata().tables) | {"alembic_version"}
        assert _diff(engine, metadata()) == []
        heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
        with engine.connect() as connection:
            versions = set(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
        assert versions == heads
        assert script_heads() == heads, "the fast reader of the scripts agrees with Alembic"
        assert at_heads(engine)
    finally:
        engine.dispose()


def test_the_drift_check_does_detect_a_difference(database_url):
    """Guard for the test above: a model the migration does not have must show up as a diff."""
    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
        changed = MetaData()
        for table in metadata().tables.values():
            table.to_metadata(changed)
        changed.tables["scan"].append_column(Column("extra", Integer, nullable=True))
        diff = _diff(engine, changed)
        assert [entry[0] for entry in diff] == ["add_column"]
        assert diff[0][3].name == "extra"
    finally:
        engine.dispose()


def test_open_database_twice_is_a_no_op_upgrade(database_url):
    first = open_database(database_url)
    with first.session() as session:
        session.add(Scan(started_at=datetime.now(UTC), status="complete"))
    first.dispose()
    second = open_database(database_url)
    try:
        with second.session() as session:
            assert len(session.exec(select(Scan.__table__)).all()) == 1
    finally:
        second.dispose()


def test_datetimes_come_back_aware_utc(database):
    offset = timezone(timedelta(hours=2))
    local = datetime(2025, 6, 1, 12, 30, 15, 123456, tzinfo=offset)
    with database.session() as session:
        session.add(Scan(started_at=local, status="complete"))
    with database.session() as session:
        stored = session.exec(select(Scan.__table__.c.started_at)).scalar_one()
    assert stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0)
    assert stored == local
    assert stored.hour == 10


def test_naive_datetimes_are_refused(database):
    with pytest.raises(StorageError, match="naive datetime"), database.session() as session:
        session.add(Scan(started_at=datetime(2025, 1, 1), status="complete"))
    with database.session() as session:
        assert session.exec(select(Scan.__table__)).all() == []


def test_session_rolls_back_on_error(database):
    with pytest.raises(RuntimeError), database.session() as session:
        session.add(Scan(started_at=datetime.now(UTC), status="complete"))
        session.flush()
        raise RuntimeError("boom")
    with database.session() as session:
        assert session.exec(select(Scan.__table__)).all() == []


def test_sqlite_pragmas(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'sub' / 'a.db'}")
    try:
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() >= 1000
    finally:
        db.dispose()
    assert (tmp_path / "sub" / "a.db").exists()


def test_in_memory_sqlite_keeps_its_schema_across_sessions():
    db = open_database("sqlite:///:memory:")
    try:
        with db.session() as session:
            session.add(Scan(started_at=datetime.now(UTC), status="complete"))
        with db.session() as session:
            assert len(session.exec(select(Scan.__table__)).all()) == 1
    finally:
        db.dispose()


def test_unreachable_postgres_names_url_without_password():
    with pytest.raises(StorageError) as info:
        open_database("postgresql://auditor:s3cr3t-pw@127.0.0.1:1/auditor")
    message = str(info.value)
    assert "s3cr3t-pw" not in message
    assert "auditor:***@127.0.0.1:1/auditor" in message


def test_unsupported_and_malformed_urls():
    with pytest.raises(StorageError, match="unsupported database 'mysql'"):
        open_database("mysql://root:pw@localhost/x")
    with pytest.raises(StorageError, match="not a database URL"):
        open_database("not a url")


def test_redact_url():
    assert redact_url("postgresql+psycopg://u:secret@h:5/db") == "postgresql+psycopg://u:***@h:5/db"
    assert redact_url("sqlite:///x.db") == "sqlite:///x.db"



def test_a_database_behind_the_heads_is_migrated_and_one_at_the_heads_is_not(database_url) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine, "0001")
        assert not at_heads(engine)
    finally:
        engine.dispose()
    open_database(database_url).dispose()  # brings it to the heads
    engine = create_db_engine(database_url)
    try:
        assert at_heads(engine)
        assert not at_heads(create_db_engine("sqlite://")), "an empty database has no version table"
    finally:
        engine.dispose()
