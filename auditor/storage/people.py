"""Directory history: upsert the people read from the directory, mark the ones who vanished as departed.

Call ``sync_people`` only with a complete directory read: everyone known before but absent now becomes
``departed``. Every change of a tracked field is kept as a ``PersonChange`` row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlmodel import Session

from auditor.directory.duplicates import merge_duplicates
from auditor.model import Person, PersonKind, PersonStatus
from auditor.storage.tables import DirectoryPerson, PersonChange

TRACKED = ("display_name", "emails", "department", "manager", "kind", "status", "end_date", "dn")
"""Fields whose changes are recorded as history."""

_MUTABLE = (*TRACKED, "status_changed", "vanished_at")
_DEPARTED = PersonStatus.DEPARTED.value


def _row(person: Person) -> dict[str, Any]:
    return {
        "uid": person.uid,
        "display_name": person.display_name,
        "emails": list(person.emails),
        "department": person.department,
        "manager": person.manager,
        "kind": PersonKind(person.kind).value,
        "status": PersonStatus(person.status).value,
        "status_changed": person.status_changed,
        "end_date": person.end_date,
        "dn": person.dn,
    }


def _text(value: Any) -> str | None:
    """A history value as text (lists joined, dates ISO)."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _person(row: dict[str, Any]) -> Person:
    return Person(
        uid=row["uid"],
        display_name=row["display_name"],
        emails=tuple(row["emails"] or ()),
        department=row["department"],
        manager=row["manager"],
        kind=PersonKind(row["kind"]),
        status=PersonStatus(row["status"]),
        status_changed=row["status_changed"],
        end_date=row["end_date"],
        dn=row["dn"],
    )


def sync_people(session: Session, people: Iterable[Person], now: datetime,
                scan_id: int | None = None) -> list[Person]:
    """Upsert the current directory people and mark vanished ones departed; return ALL known people.

    A status change without a date from the directory gets ``status_changed = now``. People who vanish get
    ``vanished_at = now`` and, unless already departed, status ``departed`` with ``status_changed = now``.
    The result holds current people (as stored, with their status dates) and historical ones. Entries
    sharing a uid are merged first (the strictest status wins; ``duplicates`` lists their DNs).
    """
    table = DirectoryPerson.__table__
    stored = {row["uid"]: dict(row) for row in session.exec(select(table)).mappings()}
    known = {uid.casefold(): uid for uid in stored}
    incoming: dict[str, dict[str, Any]] = {}
    duplicates: dict[str, tuple[str, ...]] = {}
    groups: dict[str, tuple[str, ...] | None] = {}  # not stored: the current read's groups are carried over
    for person in merge_duplicates(people):  # a uid held twice is judged on its strictest entry
        uid = known.get(person.uid.casefold(), person.uid)  # LDAP compares uids case-insensitively
        incoming[uid] = {**_row(person), "uid": uid}
        groups[uid] = person.groups
        if person.duplicates:
            duplicates[uid] = person.duplicates
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []

    def record(uid: str, name: str, old: Any, new: Any) -> None:
        changes.append({"uid": uid, "at": now, "field": name, "old": _text(old), "new": _text(new),
                        "scan_id": scan_id})

    for uid, row in incoming.items():
        old = stored.get(uid)
        if old is None:
            row.update(first_seen=now, last_seen=now, vanished_at=None)
            inserts.append(row)
            stored[uid] = row
            continue
        if row["status"] != old["status"]:
            row["status_changed"] = row["status_changed"] or now
        else:
            row["status_changed"] = row["status_changed"] or old["status_changed"]
        row["vanished_at"] = None
        for name in TRACKED:
            if row[name] != old[name]:
                record(uid, name, old[name], row[name])
        if any(row[name] != old[name] for name in _MUTABLE):
            updates.append({"b_uid": uid, **{name: row[name] for name in _MUTABLE}})
        old.update(row)

    for uid, old in stored.items():
        if uid in incoming or old["vanished_at"] is not None:
            continue
        old["vanished_at"] = now
        if old["status"] != _DEPARTED:
            record(uid, "status", old["status"], _DEPARTED)
            old["status"], old["status_changed"] = _DEPARTED, now
        updates.append({"b_uid": uid, **{name: old[name] for name in _MUTABLE}})

    if inserts:
        session.exec(insert(table), params=inserts)
    if updates:
        session.exec(update(table).where(table.c.uid == bindparam("b_uid")), params=updates)
    session.exec(update(table).where(table.c.vanished_at.is_(None)).values(last_seen=now))
    if changes:
        session.exec(insert(PersonChange.__table__), params=changes)
    result = [_person(row) for row in stored.values()]
    for person in result:
        person.duplicates = duplicates.get(person.uid, ())
        person.groups = groups.get(person.uid)
    return result
