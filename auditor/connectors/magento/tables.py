"""The Magento schema subset the connector reads, the SELECTs it sends and what a database error means.

Only SELECTs of named columns, never ``*``: secrets stored beside the data (``admin_user.password``,
``rp_token``, ``oauth_token.token`` / ``secret``, ``tfa_user_config.encoded_config``) are never read. The
statements are built with SQLAlchemy Core's untyped ``table()`` / ``column()``, so values come back as the
driver gives them (a malformed date stays a string and is judged by the mapping, not by a type processor).
Tables carry the installation's prefix (``db_prefix`` in Magento's ``app/etc/env.php``).

Errors are classified by the driver's error code (MariaDB / MySQL: 1146 no such table, 1142 / 1143 SELECT
denied, 1054 unknown column, 2006 / 2013 / 1927 / 4031 connection gone); SQLite (the demo's file) gives no
codes, so any of its errors on a read is "the table could not be read".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, column, select, table
from sqlalchemy.exc import DBAPIError

from auditor.connectors.contract import load_contract


@cache
def reads() -> dict[str, tuple[str, ...]]:
    """Table -> the columns read, in reading order: the contract's SELECT endpoints (one source of truth)."""
    contract = load_contract("magento")
    return {e.path: e.fields for e in contract.endpoints.values() if e.method == "SELECT"}


MISSING_TABLE = 1146
DENIED = frozenset({1142, 1143})
UNKNOWN_COLUMN = 1054
CONNECTION_GONE = frozenset({1927, 2006, 2013, 4031})
"""MariaDB / MySQL error numbers (contract errors); 4031 is MySQL 8's 'disconnected by the server'."""


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """Why one table could not be read; ``fatal`` when the connection is gone (nothing more can be read)."""

    table: str
    reason: str
    fatal: bool


def statement(name: str, prefix: str) -> Any:
    """``SELECT <columns> FROM <prefix><name>`` for one table of ``reads()``."""
    columns = reads()[name]
    return select(*(column(c) for c in columns)).select_from(table(prefix + name, *(column(c) for c in columns)))


def read_rows(conn: Connection, name: str, prefix: str) -> list[dict[str, Any]]:
    """Every row of one table as a dict of the columns read (DBAPIError propagates; see ``classify``)."""
    result = conn.execute(statement(name, prefix))
    return [dict(row._mapping) for row in result]


def error_code(exc: DBAPIError) -> int | None:
    """The driver's numeric error code (MariaDB / MySQL), None when the driver gives none (SQLite)."""
    args = getattr(exc.orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def classify(exc: DBAPIError, name: str, prefix: str) -> ReadFailure:
    """What a failed SELECT on ``prefix + name`` means, as one plain sentence naming the table."""
    full = prefix + name
    code = error_code(exc)
    if code == MISSING_TABLE:
        return ReadFailure(full, f"table {full} does not exist (MariaDB error 1146): check the table prefix, "
                                 "and that the module owning it is installed", False)
    if code in DENIED:
        return ReadFailure(full, f"the database account may not SELECT from table {full} (error {code}): grant "  # nosec B608: a message naming the table, not a query
                                 "it SELECT on the shop's database", False)
    if code == UNKNOWN_COLUMN:
        return ReadFailure(full, f"table {full} lacks a column the connector reads (error 1054): "
                                 f"{_first_line(exc)}", False)
    if exc.connection_invalidated or code in CONNECTION_GONE:
        return ReadFailure(full, f"the database connection was lost while reading table {full} "
                                 f"(error {code if code is not None else 'unknown'})", True)
    return ReadFailure(full, f"table {full} could not be read: {_first_line(exc)}", False)


def _first_line(exc: DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.splitlines()[0][:200] if text else type(exc).__name__


def read_all(conn: Connection, prefix: str) -> Iterator[tuple[str, list[dict[str, Any]] | ReadFailure]]:
    """Each table of ``reads()`` in turn: its rows, or why it could not be read. After a fatal failure the
    remaining tables are reported as not read (the connection is gone)."""
    gone: ReadFailure | None = None
    for name in reads():
        if gone is not None:
            yield name, ReadFailure(prefix + name, f"table {prefix + name} was not read: {gone.reason}", True)
            continue
        try:
            yield name, read_rows(conn, name, prefix)
        except DBAPIError as exc:
            failure = classify(exc, name, prefix)
            if failure.fatal:
                gone = failure
            elif conn.in_transaction():
                conn.rollback()  # a failed statement may leave the transaction unusable (PostgreSQL-like drivers)
            yield name, failure
