"""Alembic environment: runs on the connection handed over by ``auditor.storage.db.upgrade`` (no ini file)."""

from __future__ import annotations

from alembic import context

from auditor.storage.tables import metadata


def run_migrations() -> None:
    """Run the migrations on the connection passed in ``config.attributes['connection']``."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through auditor.storage.db.upgrade() (it passes a connection)")
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
