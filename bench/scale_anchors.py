"""Anchors for bench_scale: what the same work costs with the database driver alone, on the same data.

``persistence_anchor`` writes the rows one scan stores (accounts, assets, grants, events, findings and their
events) into a fresh, migrated database with nothing but the driver: ``sqlite3`` ``executemany`` or psycopg
``COPY``; ``upsert_anchor`` writes the same rows again as an ``INSERT ... ON CONFLICT DO UPDATE`` (what a
rescan would cost if it rewrote everything). Rows are prepared before the clock starts: the anchor is the
database's floor, the ratio shows what our code adds on top of it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url

from auditor.findings.lifecycle import fingerprint
from auditor.model import TenantSnapshot, Verdict
from auditor.storage.db import open_database
from auditor.storage.inventory import ACCOUNTS, ASSETS, GRANTS, snapshot_rows

Rows = dict[str, tuple[Sequence[str], Sequence[str], list[tuple[Any, ...]]]]
"""table -> (its natural key columns, its columns, its rows)."""


def _value(value: Any, sqlite: bool) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, separators=(",", ":"))
    if sqlite and isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


def scan_rows(snapshot: TenantSnapshot, verdicts: list[Verdict], now: datetime, sqlite: bool) -> Rows:
    """The rows one scan of ``snapshot`` stores, as plain tuples ready for the driver."""
    fixed = {"platform": snapshot.platform, "tenant": snapshot.tenant.tenant_id, "first_seen": now,
             "last_seen": now}
    rows: Rows = {}
    for kind, items in snapshot_rows(snapshot, {}).items():
        if kind not in (ACCOUNTS, ASSETS, GRANTS):
            continue
        columns = [*fixed, *kind.key, *kind.columns]
        seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for item in items:
            full = {**fixed, **item}
            seen[tuple(item[k] for k in kind.key)] = tuple(_value(full[c], sqlite) for c in columns)
        rows[kind.table.name] = (("platform", "tenant", *kind.key), columns, list(seen.values()))
    event_columns = ["platform", "tenant", "event_id", "time", "action", "raw_action", "actor_id", "target_id",
                     "asset_id", "raw"]
    events = {e.event_id: (snapshot.platform, snapshot.tenant.tenant_id, e.event_id, _value(e.time, sqlite),
                           e.action, e.raw_action, e.actor_id, e.target_id, e.asset_id, _value(e.raw, sqlite))
              for e in snapshot.events}
    rows["audit_event"] = (("platform", "tenant", "event_id"), event_columns, list(events.values()))
    finding_columns = ["fingerprint", "rule", "category", "severity", "severity_rank", "outcome", "status",
                       "subject", "platform", "tenant", "account", "person", "asset", "message", "evidence",
                       "first_seen", "last_seen"]
    findings = {}
    for v in verdicts:
        key = fingerprint(v.rule, v.platform, v.tenant, v.subject)
        findings[key] = (key, v.rule, v.category, v.severity.value, v.severity.rank, v.outcome, "open",
                         v.subject, v.platform, v.tenant, v.account, v.person, v.asset, v.message,
                         _value(v.evidence, sqlite), _value(now, sqlite), _value(now, sqlite))
    rows["finding"] = (("fingerprint",), finding_columns, list(findings.values()))
    return rows


def _sqlite_write(path: str, rows: Rows, upsert: bool) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    start = time.perf_counter()
    connection.execute("BEGIN")
    for table, (key, columns, values) in rows.items():
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608 - our table names
        if upsert:
            changed = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
            sql += f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {changed}"
        connection.executemany(sql, values)
        if table == "finding" and not upsert:
            connection.execute("INSERT INTO finding_event (finding_id, at, change) "
                               "SELECT id, first_seen, 'opened' FROM finding")
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def _postgres_write(url: str, rows: Rows, upsert: bool) -> float:
    import psycopg

    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection:
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for table, (key, columns, values) in rows.items():
                if upsert:
                    marks = ", ".join("%s" for _ in columns)
                    changed = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
                    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "  # noqa: S608
                           f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {changed}")
                    cursor.executemany(sql, values)
                    continue
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row(value)
                if table == "finding":
                    cursor.execute("INSERT INTO finding_event (finding_id, at, change) "
                                   "SELECT id, first_seen, 'opened' FROM finding")
        connection.commit()
        return time.perf_counter() - start


def persistence_anchor(url: str, rows: Rows, *, upsert: bool = False) -> float:
    """Seconds the driver alone takes to write ``rows`` in one transaction into the migrated database ``url``
    (``executemany`` / ``COPY``; with ``upsert`` an ``ON CONFLICT DO UPDATE`` over rows already there)."""
    open_database(url).dispose()  # the same schema and indexes as the real write
    if url.startswith("sqlite"):
        return _sqlite_write(make_url(url).database or "", rows, upsert)
    return _postgres_write(url, rows, upsert)


def row_count(rows: Rows) -> int:
    """How many rows ``rows`` holds in all."""
    return sum(len(values) for _, _, values in rows.values())
