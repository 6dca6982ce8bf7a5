"""Bulk writes through the driver: many rows per ``executemany`` in the session's transaction.

SQLAlchemy's Core ``insert()`` with a list of dicts runs every value of every row through the column type's
bind processor and builds a parameter dict per row; at a quarter of a million inventory rows that is most of a
scan's write time. Here the statement is built once, JSON columns arrive already serialised
(``JsonText``: the inventory serialises them once for its row digests anyway) and every other value goes
through the same SQLAlchemy bind processor, computed once per distinct value of a column (the scan's ``now``
repeats on every row). The SQL runs as driver SQL on the session's own connection (``exec_driver_sql``: no
per-value type processing, engine events still fire), so it commits or rolls back with the rest of the scan.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Table, bindparam, insert, update
from sqlmodel import Session

BATCH = 5000  # rows per executemany: bounds the driver's buffers, not the statement count
COPY_MIN_ROWS = 2000  # PostgreSQL: from this many new rows on, COPY (a few statements are faster as INSERT)


class JsonText(str):
    """A JSON column's value serialised already (passed to the driver as is)."""

    __slots__ = ()


def utc_text(value: Any) -> Any:
    """Datetimes as UTC ISO text (an instant serialises the same in any timezone); anything else as str."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    return str(value)


_ENCODER = json.JSONEncoder(default=utc_text, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# built once (json.dumps with arguments builds an encoder per call); text as the engine's serializer writes it
# (``storage.db``: UTF-8, compact), with sorted keys so that equal values give equal digests


def json_text(value: Any) -> JsonText:
    """``value`` as canonical JSON text (sorted keys, compact, UTF-8, datetimes as UTC ISO)."""
    return JsonText(_ENCODER.encode(value))


def _converter(session: Session, table: Table, name: str) -> Callable[[Any], Any] | None:
    """The driver value of one column's Python value: pre-serialised JSON as is, the rest through the column
    type's bind processor, memoised per value (values here are hashable: text, numbers, datetimes, None).
    None when the driver takes the value as it is."""
    dialect = session.get_bind().dialect
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        null_as_sql = column_type.none_as_null  # SQLAlchemy's default stores None as JSON null, so do we

        def as_json(value: Any) -> Any:
            if value is None and null_as_sql:
                return None
            return value if isinstance(value, JsonText) else json_text(value)
        return as_json
    process = column_type.dialect_impl(dialect).bind_processor(dialect)  # the dialect's: SQLite stores text
    if process is None:
        return None
    cache: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            converted = cache[value] = process(value)
            return converted
        except TypeError:  # an unhashable value: convert it each time
            return process(value)

    return convert


def _binder(session: Session, table: Table, names: Sequence[str], values: dict[str, tuple[Any, ...]],
            positional: bool) -> Callable[[dict[str, Any]], Any]:
    """A function turning one row into the driver's parameters for ``names`` (a tuple, or a dict of names).
    ``values`` maps each name to ("row", field, column) (the row's field, converted for the column's type) or
    ("constant", driver value)."""
    template: list[Any] = [None] * len(names)
    fields: list[tuple[int, str, Callable[[Any], Any] | None]] = []
    for position, name in enumerate(names):
        source, *value = values[name]
        if source == "constant":
            template[position] = value[0]
        else:
            field, column = value
            fields.append((position, field, _converter(session, table, column)))

    def bind(row: dict[str, Any]) -> Any:
        out = template.copy()
        for position, column, convert in fields:
            out[position] = row[column] if convert is None else convert(row[column])
        return tuple(out) if positional else dict(zip(names, out, strict=True))

    return bind


def _run(session: Session, statement: Any, rows: Iterable[dict[str, Any]], values: dict[str, tuple[Any, ...]],
         **compile_args: Any) -> None:
    """Compile ``statement`` once for the session's dialect and execute it for every row in batches of
    ``BATCH``, on the transaction's own connection (see ``_binder`` for ``values``)."""
    compiled = statement.compile(dialect=session.get_bind().dialect, **compile_args)
    sql, order = str(compiled), compiled.positiontup
    bind = _binder(session, statement.table, list(order) if order is not None else list(values), values,
                   order is not None)
    connection = session.connection()  # the transaction's own; driver SQL skips per-value type processing
    batch: list[Any] = []
    for row in rows:
        batch.append(bind(row))
        if len(batch) >= BATCH:
            connection.exec_driver_sql(sql, batch)
            batch = []
    if batch:
        connection.exec_driver_sql(sql, batch)


def _copy(session: Session, table: Table, rows: Iterable[dict[str, Any]], values: dict[str, tuple[Any, ...]]) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` of every row on the transaction's own connection (psycopg)."""
    names = list(values)
    bind = _binder(session, table, names, values, True)
    quote = session.get_bind().dialect.identifier_preparer.quote
    # identifiers are the table's own column names, quoted by the dialect; no value is interpolated
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    raw = session.connection().connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(bind(row))


def _constant(session: Session, table: Table, name: str, value: Any) -> tuple[str, Any]:
    convert = _converter(session, table, name)
    return "constant", value if convert is None else convert(value)


def bulk_insert(session: Session, table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]], *,
                constants: dict[str, Any] | None = None) -> None:
    """INSERT every row (a dict holding at least ``columns``), with ``constants`` (column -> the same value for
    every row): ``executemany`` in batches of ``BATCH``, or on PostgreSQL (psycopg) ``COPY`` from
    ``COPY_MIN_ROWS`` rows on."""
    constants = constants or {}
    values: dict[str, tuple[Any, ...]] = {name: ("row", name, name) for name in columns}
    values.update({name: _constant(session, table, name, value) for name, value in constants.items()})
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg" and len(rows) >= COPY_MIN_ROWS:
        _copy(session, table, rows, values)
    else:
        _run(session, insert(table), rows, values, column_keys=list(values))


def bulk_update(session: Session, table: Table, columns: Sequence[str], rows: Iterable[dict[str, Any]], *,
                key: str = "id", key_field: str = "b_id", constants: dict[str, Any] | None = None) -> None:
    """UPDATE ``columns`` (and ``constants``: column -> the same value for every row) of the row whose ``key``
    column equals each row's ``key_field``, in batches."""
    constants = constants or {}
    names = [*columns, *constants]
    statement = (update(table).where(table.c[key] == bindparam("k_" + key))
                 .values({name: bindparam("v_" + name) for name in names}))
    values: dict[str, tuple[Any, ...]] = {"v_" + name: ("row", name, name) for name in columns}
    values.update({"v_" + name: _constant(session, table, name, value) for name, value in constants.items()})
    values["k_" + key] = ("row", key_field, key)
    _run(session, statement, rows, values)
