"""Storage: SQLModel tables over SQLite or PostgreSQL, Alembic migrations, bulk scan writes, read queries.

Entry points: ``open_database(url)`` (migrates to the latest schema), ``Database.session()``, the write side
in ``repository`` (``sync_people``, ``save_scan``, ``record_failed_scan``, ``last_event_time``) and the read
side in ``queries``.
"""

from auditor.storage.db import Database, open_database, redact_url
from auditor.storage.repository import (
    ScanRecord,
    ScanSummary,
    last_event_time,
    record_failed_scan,
    save_scan,
    stored_exceptions,
    sync_people,
)

__all__ = [
    "Database", "ScanRecord", "ScanSummary", "last_event_time", "open_database", "record_failed_scan",
    "redact_url", "save_scan", "stored_exceptions", "sync_people",
]
