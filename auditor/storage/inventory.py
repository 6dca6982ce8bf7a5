"""Inventory diff and audit events of one tenant snapshot, written in bulk.

Per table and (platform, tenant): one query loads the stored keys, ids and digests (a hash of the compared
columns, ``row_digest``), new rows are inserted and changed rows updated with executemany, ``last_seen`` moves
with one statement, and rows missing from a COMPLETE snapshot get ``gone_at`` (a partial snapshot never marks
anything gone). A rescan where nothing changed inserts and updates no row one by one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from auditor.model import AccountKind, TenantSnapshot
from auditor.storage.bulk import JsonText, bulk_insert, bulk_update, json_text, utc_text
from auditor.storage.tables import AuditEventRow, InvAccount, InvApp, InvAsset, InvGrant

CHUNK = 900
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items (keeps IN lists under SQLite's parameter limit)."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass(frozen=True, slots=True)
class InventoryKind:
    """One inventory table: its natural key (after platform, tenant) and the columns compared for change."""

    name: str
    table: Table
    key: tuple[str, ...]
    columns: tuple[str, ...]

    @property
    def json_columns(self) -> frozenset[str]:
        """The compared columns stored as JSON."""
        return _JSON_COLUMNS[self.name]


ACCOUNTS = InventoryKind("accounts", InvAccount.__table__, ("account_id",), (
    "kind", "name", "emails", "two_factor", "last_activity", "created_at", "created_by", "state", "role",
    "person_uid", "raw",
))
ASSETS = InventoryKind("assets", InvAsset.__table__, ("asset_id",), ("kind", "name", "raw"))
GRANTS = InventoryKind("grants", InvGrant.__table__, ("account_id", "asset_id", "role"), (
    "privileged", "granted_at", "granted_by", "raw",
))
APPS = InventoryKind("apps", InvApp.__table__, ("app_id", "token_ref"), (
    "name", "scopes", "granted_by", "last_used", "raw",
))

_JSON_COLUMNS = {kind.name: frozenset(c for c in kind.columns if isinstance(kind.table.c[c].type, JSON))
                 for kind in (ACCOUNTS, ASSETS, GRANTS, APPS)}

AccountPeople = dict[tuple[str, str], str | None]
"""(platform, account id) -> linked person uid."""


def snapshot_rows(snapshot: TenantSnapshot,
                  account_people: AccountPeople) -> dict[InventoryKind, Iterator[dict[str, Any]]]:
    """The snapshot's accounts, assets, grants and apps as table rows (without platform/tenant/dates).

    Each table's rows are generated lazily, so only one table's rows are in memory at a time.
    """
    platform = snapshot.platform
    return {
        ACCOUNTS: (
            {"account_id": a.account_id, "kind": AccountKind(a.kind).value,
             "name": a.name, "emails": list(a.emails), "two_factor": a.two_factor,
             "last_activity": a.last_activity, "created_at": a.created_at, "created_by": a.created_by,
             "state": a.state, "role": a.role, "person_uid": account_people.get((platform, a.account_id)),
             "raw": a.raw}
            for a in snapshot.accounts
        ),
        ASSETS: (
            {"asset_id": a.asset_id, "kind": a.kind, "name": a.name, "raw": a.raw} for a in snapshot.assets
        ),
        GRANTS: (
            {"account_id": g.account_id, "asset_id": g.asset_id or "", "role": g.role,
             "privileged": bool(g.privileged), "granted_at": g.granted_at, "granted_by": g.granted_by,
             "raw": g.raw}
            for g in snapshot.grants
        ),
        APPS: (
            {"app_id": a.app_id, "token_ref": a.token_ref or "", "name": a.name,
             "scopes": list(a.scopes) if a.scopes is not None else None, "granted_by": a.granted_by,
             "last_used": a.last_used, "raw": a.raw}
            for a in snapshot.apps
        ),
    }


def row_digest(kind: InventoryKind, row: dict[str, Any]) -> str:
    """A hash of the columns ``kind`` compares: equal digests mean the stored row needs no write.

    JSON columns are serialised here, once (``bulk.json_text``): the row then carries that text, which is
    what the bulk write stores, so a row is never serialised twice.
    """
    parts = []
    json_columns = _JSON_COLUMNS[kind.name]
    for name in kind.columns:
        value = row[name]
        if name in json_columns:
            value = row[name] = value if isinstance(value, JsonText) else json_text(value)
            parts.append(value)
        else:
            parts.append(utc_text(value) if isinstance(value, datetime) else repr(value))
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def sync_kind(session: Session, kind: InventoryKind, platform: str, tenant: str,
              rows: Iterable[dict[str, Any]], now: datetime, complete: bool) -> dict[str, int]:
    """Diff one table of one tenant against ``rows``; returns counts (present, new, changed, gone).

    Only keys, ids and digests are loaded; a row is written only when it is new, its digest moved, or it
    comes back after being gone. ``last_seen`` of the rows seen moves with one set-based statement.
    """
    table = kind.table
    scope = (table.c.platform == platform, table.c.tenant == tenant)
    key_width = len(kind.key)
    stored: dict[tuple[Any, ...], tuple[int, bool, str | None]] = {
        tuple(row[:key_width]): (row[key_width], row[key_width + 1], row[key_width + 2])
        for row in session.exec(select(
            *(table.c[name] for name in kind.key), table.c.id, table.c.gone_at.is_not(None), table.c.digest,
        ).where(*scope))
    }
    seen: dict[tuple[Any, ...], tuple[list[Any], int]] = {}  # key -> where its decision is (last one wins)
    inserts: list[dict[str, Any] | None] = []
    updates: list[dict[str, Any] | None] = []
    unchanged_ids: list[int | None] = []
    for row in rows:
        key = tuple(row[k] for k in kind.key)
        if key in seen:
            earlier, index = seen[key]
            earlier[index] = None
        digest = row_digest(kind, row)
        old = stored.get(key)
        if old is None:
            row["digest"] = digest
            target, item = inserts, row
        elif old[1] or old[2] != digest:
            row["digest"], row["b_id"] = digest, old[0]
            target, item = updates, row
        else:
            target, item = unchanged_ids, old[0]
        seen[key] = (target, len(target))
        target.append(item)
    inserts = [row for row in inserts if row is not None]
    updates = [row for row in updates if row is not None]
    unchanged_ids = [row_id for row_id in unchanged_ids if row_id is not None]
    if inserts:
        bulk_insert(session, table, (*kind.key, *kind.columns, "digest"), inserts, constants={
            "platform": platform, "tenant": tenant, "first_seen": now, "last_seen": now, "gone_at": None})
    if updates:
        bulk_update(session, table, (*kind.columns, "digest"), updates, constants={"last_seen": now, "gone_at": None})
    gone_ids = [old[0] for key, old in stored.items() if key not in seen and not old[1]]
    if complete:
        for part in chunks(gone_ids):
            session.exec(update(table).where(table.c.id.in_(part)).values(gone_at=now))
        session.exec(update(table).where(*scope, table.c.gone_at.is_(None), table.c.last_seen < now)
                     .values(last_seen=now))
    else:
        for part in chunks(unchanged_ids):
            session.exec(update(table).where(table.c.id.in_(part)).values(last_seen=now))
    return {"present": len(seen), "new": len(inserts), "changed": len(updates),
            "gone": len(gone_ids) if complete else 0}


def sync_inventory(session: Session, snapshot: TenantSnapshot,
                   account_people: AccountPeople, now: datetime) -> dict[str, Any]:
    """Diff every inventory table of one snapshot; counts per table."""
    tenant = snapshot.tenant.tenant_id
    return {
        kind.name: sync_kind(session, kind, snapshot.platform, tenant, rows, now, snapshot.complete)
        for kind, rows in snapshot_rows(snapshot, account_people).items()
    }


def _insert_ignoring_duplicates(session: Session, table: Table) -> Any:
    """INSERT that skips rows whose (platform, tenant, event_id) is already stored."""
    dialect = session.get_bind().dialect.name
    elements = [table.c.platform, table.c.tenant, table.c.event_id]
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=elements)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=elements)
    return insert(table)


def save_events(session: Session, snapshot: TenantSnapshot, scan_id: int | None) -> int:
    """Append the snapshot's audit events not stored yet; returns how many were new.

    Known ids are loaded in one query bounded by the batch's time range (uses the time index).
    """
    if not snapshot.events:
        return 0
    table = AuditEventRow.__table__
    platform, tenant = snapshot.platform, snapshot.tenant.tenant_id
    rows: dict[str, dict[str, Any]] = {}
    for event in snapshot.events:
        rows.setdefault(event.event_id, {
            "platform": platform, "tenant": tenant, "event_id": event.event_id, "time": event.time,
            "action": event.action, "raw_action": event.raw_action, "actor_id": event.actor_id,
            "actor_name": event.actor_name, "target_id": event.target_id, "target_name": event.target_name,
            "asset_id": event.asset_id, "raw": event.raw, "scan_id": scan_id,
        })
    times = [row["time"] for row in rows.values()]
    known = set(session.exec(
        select(table.c.event_id).where(
            table.c.platform == platform, table.c.tenant == tenant,
            table.c.time >= min(times), table.c.time <= max(times),
        )
    ).scalars())
    new = [row for event_id, row in rows.items() if event_id not in known]
    if new:
        session.exec(_insert_ignoring_duplicates(session, table), params=new)
    return len(new)


def last_event_time(session: Session, platform: str, tenant: str) -> datetime | None:
    """Time of the newest stored audit event of a tenant (the cursor for incremental pulls)."""
    table = AuditEventRow.__table__
    return session.exec(
        select(func.max(table.c.time)).where(table.c.platform == platform, table.c.tenant == tenant)
    ).scalar_one_or_none()
