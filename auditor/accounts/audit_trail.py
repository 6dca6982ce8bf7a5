"""The tool's own audit trail: every action of its users (sign-in, failures, code reuse, triage, exceptions,
exports, user administration). Append-only: there is a function to add and functions to read, none to edit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import Session

from auditor.accounts.tables import WebAudit

log = logging.getLogger("auditor.web.audit")

MAX_FIELD = 200


def clean(value: Any, limit: int = MAX_FIELD) -> str | None:
    """A value safe for a log line: control characters replaced, truncated (prevents log injection)."""
    if value is None:
        return None
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))
    return text[:limit]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: the username (as typed, for failed sign-ins), role and client address."""

    name: str | None
    role: str | None = None
    ip: str | None = None


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    outcome: str = "ok",
    target_kind: str | None = None,
    target_id: Any = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry (and mirror it to the ``auditor.web.audit`` logger)."""
    row = {
        "at": at or datetime.now(UTC),
        "actor": clean(actor.name),
        "actor_role": actor.role,
        "action": action,
        "outcome": outcome,
        "target_kind": target_kind,
        "target_id": clean(target_id),
        "detail": {
            key: clean(value, 1000) if isinstance(value, str) else value for key, value in (detail or {}).items()
        },
        "ip": clean(actor.ip, 64),
    }
    session.exec(insert(WebAudit.__table__).values(**row))
    log.info("%s %s by %s (%s) target=%s:%s", action, outcome, row["actor"], row["ip"], target_kind, row["target_id"])


def _filters(actor: str | None, action: str | None, target_kind: str | None, target_id: str | None) -> list[Any]:
    table = WebAudit.__table__
    clauses = []
    if actor:
        clauses.append(table.c.actor == actor)
    if action:
        clauses.append(table.c.action == action)
    if target_kind:
        clauses.append(table.c.target_kind == target_kind)
    if target_id is not None:
        clauses.append(table.c.target_id == str(target_id))
    return clauses


def list_entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Entries, newest first, filtered."""
    table = WebAudit.__table__
    query = (
        select(table)
        .where(*_filters(actor, action, target_kind, target_id))
        .order_by(table.c.at.desc(), table.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(row) for row in session.exec(query).mappings()]


def count_entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
) -> int:
    """How many entries match."""
    table = WebAudit.__table__
    query = select(func.count()).select_from(table).where(*_filters(actor, action, target_kind, target_id))
    return int(session.exec(query).scalar_one())


def actions(session: Session) -> list[str]:
    """The distinct actions recorded so far (for the filter)."""
    table = WebAudit.__table__
    return [row[0] for row in session.exec(select(table.c.action).distinct().order_by(table.c.action))]


def events_since(session: Session, actor: str, action: str, since: datetime | None) -> list[dict[str, Any]]:
    """One user's entries of one action from ``since`` on (e.g. rejected code reuses since the last sign-in)."""
    table = WebAudit.__table__
    query = select(table).where(table.c.actor == actor, table.c.action == action)
    if since is not None:
        query = query.where(table.c.at >= since)
    return [dict(row) for row in session.exec(query.order_by(table.c.at.desc()).limit(20)).mappings()]
