"""Transactions for the web UI's writes.

On SQLite a plain ``BEGIN`` reads first and takes the write lock later, so two requests racing to write can
fail with "database is locked" instead of waiting. ``write_session`` begins with ``BEGIN IMMEDIATE``: writers
queue on the busy timeout and each sees the others' committed rows (what compare-and-set updates such as the
TOTP step need). On PostgreSQL it is an ordinary transaction; row locks come from the statements.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlmodel import Session

from auditor.storage.db import Database


def write_session(db: Database) -> AbstractContextManager[Session]:
    """A session in one write transaction (``Database.session(write=True)``): committed on success, rolled
    back on any error."""
    return db.session(write=True)
