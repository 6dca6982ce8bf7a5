"""Transactions for the web UI's writes.

On SQLite a plain ``BEGIN`` reads first and takes the write lock later, so two requests racing to write can
fail with "database is locked" instead of waiting. ``write_session`` begins with ``BEGIN IMMEDIATE``: writers
queue on the busy timeout and each sees the others' committed rows (what compare-and-set updates such as the
TOTP step need). On PostgreSQL it is an ordinary transaction; row locks come from the statements.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from auditor.errors import StorageError
from auditor.storage.db import Database, _reason


@contextmanager
def write_session(db: Database) -> Iterator[Session]:
    """A session in one write transaction: committed on success, rolled back on any error."""
    session = Session(db.engine.execution_options(sqlite_immediate=True), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except SQLAlchemyError as exc:
        session.rollback()
        raise StorageError(f"{db.url}: {_reason(exc, db.engine.url.password)}") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
