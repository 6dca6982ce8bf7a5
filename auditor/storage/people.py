"""Directory history: upsert the people read from the directory, mark the ones who vanished as departed.

Call ``sync_people`` only with a complete directory read: everyone known before but absent now becomes
``departed``. Every change of a tracked field is kept as a ``PersonChange`` row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlmodel import Session

from auditor.directory.duplicates import merge_duplicates
from auditor.model import Person, PersonKind, PersonStatus
from auditor.storage.bulk import bulk_insert, bulk_update
from auditor.storage.tables import DirectoryPerson, PeopleSync, PersonChange

TRACKED = ("display_name", "emails", "department", "manager", "kind", "status", "end_date", "dn")
"""Fields whose changes are recorded as history."""

_MUTABLE = (*TRACKED, "status_changed", "vanished_at")
_INSERTED = ("uid", *_MUTABLE, "first_seen", "last_seen")
SEEN_EVERY = timedelta(hours=1)
"""``last_seen`` of the people still in the directory (and of the findings of a platform carried over unchanged)
moves once it is this old: scans every few minutes do not rewrite 50,000 rows (on PostgreSQL 50,000 new row
versions) to move it by minutes; it is at most this stale."""
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
    """Upsert the current directory people and mark vanished ones departed; return ALL known people
    (``sync_people_counted`` also says how many rows it changed)."""
    return sync_people_counted(session, people, now, scan_id)[0]


_PERSON_FIELDS = tuple(f.name for f in fields(Person))


def _person_text(person: Person) -> str:
    values = [getattr(person, name) for name in _PERSON_FIELDS]
    if person.groups is not None:  # the same groups in another order are the same person
        values[_PERSON_FIELDS.index("groups")] = tuple(sorted(person.groups))
    return repr(values)


def people_digest(people: Iterable[Person]) -> str:
    """The digest (BLAKE2b-128 hex) of a directory read: every field of every ``Person``, in uid order."""
    digest = hashlib.blake2b(digest_size=16)
    for person in sorted(people, key=lambda p: p.uid):
        digest.update(_person_text(person).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def synced_digest(session: Session) -> str | None:
    """The digest of the people the last sync was given (None: no sync recorded one). When it equals the
    digest of a new read, syncing that read would change nothing but ``last_seen``."""
    table = PeopleSync.__table__
    return session.exec(select(table.c.read_digest).where(table.c.id == 1)).scalar_one_or_none()


def touch_people(session: Session, now: datetime) -> None:
    """Move ``last_seen`` of the people still in the directory (a read found them all unchanged), when it is
    older than ``SEEN_EVERY``."""
    table = DirectoryPerson.__table__
    session.exec(update(table).where(table.c.vanished_at.is_(None), table.c.last_seen < now - SEEN_EVERY)
                 .values(last_seen=now))


def _record_digest(session: Session, digest: str, now: datetime) -> None:
    table = PeopleSync.__table__
    if session.exec(update(table).where(table.c.id == 1).values(read_digest=digest, synced_at=now)).rowcount == 0:
        session.exec(insert(table).values(id=1, read_digest=digest, synced_at=now))


def sync_people_counted(session: Session, people: Iterable[Person], now: datetime,
                        scan_id: int | None = None, *, read_digest: str | None = None) -> tuple[list[Person], int]:
    """Upsert the current directory people and mark vanished ones departed: (ALL known people, the number of
    rows inserted or changed; 0 means the stored people are exactly those the last sync left). The digest of
    ``people`` (``people_digest``; pass it when known) is recorded for ``synced_digest``.

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
    merged = merge_duplicates(people)
    _record_digest(session, read_digest or people_digest(merged), now)
    for person in merged:  # a uid held twice is judged on its strictest entry
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
        bulk_insert(session, table, _INSERTED, inserts)
    if updates:
        bulk_update(session, table, _MUTABLE, updates, key="uid", key_field="b_uid")
    touch_people(session, now)
    if changes:
        session.exec(insert(PersonChange.__table__), params=changes)
    result = [_person(row) for row in stored.values()]
    for person in result:
        person.duplicates = duplicates.get(person.uid, ())
        person.groups = groups.get(person.uid)
    return result, len(inserts) + len(updates)
