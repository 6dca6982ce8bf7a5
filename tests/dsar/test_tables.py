"""Migration 0005_dsar creates exactly the tables of auditor/dsar/tables.py (no autogenerate drift), on
SQLite and PostgreSQL, and its downgrade removes them; the Art. 30 record follows the configuration."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect

from auditor.config import DsarSettings, PlatformSettings, Settings
from auditor.dsar.processing import records_of_processing
from auditor.dsar.tables import DSAR_TABLES
from auditor.storage.db import alembic_config, create_db_engine, upgrade
from auditor.storage.tables import metadata


def _diff_of_dsar_tables(engine) -> list:
    target = MetaData()
    for name in DSAR_TABLES:
        metadata().tables[name].to_metadata(target)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, target)

    def about_dsar(entry) -> bool:
        entry = entry[0] if isinstance(entry, list) else entry
        text = repr(entry)
        return any(name in text for name in DSAR_TABLES)

    return [entry for entry in diff if about_dsar(entry)]


def test_migration_matches_the_models_and_downgrades(database_url: str) -> None:
    engine = create_db_engine(database_url)
    try:
        upgrade(engine)
        assert set(DSAR_TABLES) <= set(inspect(engine).get_table_names())
        assert _diff_of_dsar_tables(engine) == []
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005_dsar@-1")
        tables = set(inspect(engine).get_table_names())
        assert not set(DSAR_TABLES) & tables and "finding" in tables
    finally:
        engine.dispose()


def test_records_of_processing_follow_the_configuration() -> None:
    settings = Settings(
        storage={"url": "postgresql://auditor:s3cr3t-pw@db.example/auditor"},
        platform=[PlatformSettings(kind="meta", name="Shop on Meta")],
        dsar=DsarSettings(controller_name="Kwiatek Sklep sp. z o.o.", dpo_contact="iod@kwiatek.example",
                          keep_audit_events_days=365, keep_requests_days=730, legal_hold_days=1825),
    )
    record = records_of_processing(settings)
    assert record["controller"]["name"] == "Kwiatek Sklep sp. z o.o."
    activities = {a["id"]: a for a in record["activities"]}
    assert "365 days" in activities["access-governance"]["retention"]
    assert "1825 days" in activities["access-governance"]["retention"]
    assert "Shop on Meta (meta)" in activities["access-governance"]["sources"]
    assert activities["data-subject-requests"]["retention"] == "730 days after the request is closed"
    assert all(a["controller"] == "Kwiatek Sklep sp. z o.o." for a in activities.values())
    assert "s3cr3t-pw" not in repr(record) and "PostgreSQL" in record["security_measures"][-1]
