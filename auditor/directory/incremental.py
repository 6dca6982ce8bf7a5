"""Incremental directory sync: read only what changed since the last sync, plus a DN-only presence listing.

The last read is kept as a ``SyncState`` (every person entry as mapped, its ``memberOf`` and account expiry,
the members of every group entry, a cursor). A sync then reads, on one connection:

1. the person and group entries changed since the cursor: OpenLDAP ``(modifyTimestamp>=cursor)``, where the
   cursor is the newest change seen minus ``sync_overlap_seconds`` (replicas keep the original time, so a
   change replicated late, or made while a read was running, is still inside the window); Active Directory
   ``(uSNChanged>=cursor)``, the cursor being the domain controller's ``highestCommittedUSN`` read before the
   searches, plus one (USNs are per domain controller: another one means a full read);
2. the DNs of every person and group entry (``1.1``: no attributes), so a deleted or moved entry is seen as
   gone (its person departs) and an entry that appeared without a newer change stamp is fetched by DN
   (1 and 2 are skipped when the server says nothing was written since the last read: OpenLDAP's
   ``contextCSN`` of the naming context, kept by the syncprov overlay, or AD's ``highestCommittedUSN``, read
   before the searches, is the same as then);
3. the entries whose account expiry passed since they were mapped (their status depends on ``now``, so they
   are read again by DN and mapped against ``now``: an expiry departs a person whose entry did not change).

Unchanged people are taken from the state as mapped; groups are resolved again when a group or a person
changed.

A full read runs instead when there is no state, when the directory settings changed, on another AD domain
controller, or when the last full read is ``full_sync_hours`` old (the safety net). Either way the result is
the complete list of people, exactly what ``LdapDirectory.people(now)`` returns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from ldap3 import Connection
from ldap3.utils.conv import escape_filter_chars

from auditor.directory.groups import GroupIndex
from auditor.directory.ldap_wire import RawEntry
from auditor.directory.mapping import EntryMapper, parse_generalized_time
from auditor.model import Person, PersonKind, PersonStatus

if TYPE_CHECKING:
    from auditor.directory.ldap import LdapDirectory

STATE_VERSION = 2
_KINDS = {kind.value: kind for kind in PersonKind}
_STATUSES = {status.value: status for status in PersonStatus}
_NOT_SHAPING = {"password_env", "state_file", "incremental", "full_sync_hours", "sync_overlap_seconds",
                "connect_timeout", "receive_timeout", "page_size"}
"""Directory settings that do not change what a read returns (any other change means a full read)."""


@dataclass
class SyncState:
    """What the last sync read: enough to answer the next one from the changes alone."""

    fingerprint: str
    """The settings that shape a read (base, filter, flavor, attributes, mapping): another one, a full read."""
    full_at: datetime
    """When the last full read ran (the safety net counts from it)."""
    cursor: str | None
    """OpenLDAP: a generalized time; AD: the next USN. None: no change stamp seen, the next read is full."""
    server: str = ""
    """AD: the domain controller the USN cursor belongs to (dsServiceName); OpenLDAP: empty."""
    people: dict[str, Person] = field(default_factory=dict)
    """Person entry DN -> the person as mapped (groups included)."""
    member_of: dict[str, list[str]] = field(default_factory=dict)
    """Person entry DN -> its ``memberOf`` values (only entries that have some)."""
    recheck: dict[str, datetime] = field(default_factory=dict)
    """Person entry DN -> its account expiry, still ahead when it was mapped."""
    groups: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Group DN -> ``{"members": [...], "memberOf": [...]}``."""
    mark: str | None = None
    """What the server says about writes as a whole, read before the searches: OpenLDAP the ``contextCSN`` of
    the naming context (kept by the syncprov overlay), AD the ``highestCommittedUSN``; None: not offered."""
    people_digest: str | None = None
    """The digest of the people as the reader merged them (``storage.people.people_digest``); None: unknown.
    Set by the reader, kept while nothing changes."""

    def to_json(self) -> str:
        """The state as JSON text (``from_json`` reads it back)."""
        return json.dumps({
            "version": STATE_VERSION, "fingerprint": self.fingerprint, "full_at": self.full_at.isoformat(),
            "cursor": self.cursor, "server": self.server,
            "people": {dn: _person_json(p) for dn, p in self.people.items()}, "member_of": self.member_of,
            "recheck": {dn: at.isoformat() for dn, at in self.recheck.items()}, "groups": self.groups,
            "people_digest": self.people_digest, "mark": self.mark,
        }, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> SyncState | None:
        """The state saved by ``to_json``; None when the text is not a state of this version (read in full)."""
        try:
            data = json.loads(text)
            if data.get("version") != STATE_VERSION:
                return None
            return cls(
                fingerprint=data["fingerprint"], full_at=datetime.fromisoformat(data["full_at"]),
                cursor=data["cursor"], server=data["server"],
                people={dn: _person_from_json(p) for dn, p in data["people"].items()},
                member_of=data["member_of"], groups=data["groups"],
                recheck={dn: datetime.fromisoformat(at) for dn, at in data["recheck"].items()},
                people_digest=data.get("people_digest"), mark=data.get("mark"),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@dataclass
class SyncResult:
    """Every person now, the state for the next sync, and how the directory was read."""

    people: list[Person]
    state: SyncState
    mode: Literal["full", "incremental"]
    reason: str
    """Why a full read ran (``no saved state``, ``full sync due`` ...), or what the incremental read saw."""
    state_changed: bool = True
    """False when an incremental read found nothing new: the saved state needs no rewrite."""


def fingerprint(directory: LdapDirectory) -> str:
    """The settings a state is only valid for (the mapping's settings included: people are kept mapped)."""
    return json.dumps([directory.attributes, directory.group_attributes,
                       directory.settings.model_dump(mode="json", exclude=_NOT_SHAPING)],
                      sort_keys=True)


def sync(directory: LdapDirectory, state: SyncState | None, now: datetime) -> SyncResult:
    """Read the directory incrementally from ``state`` when possible, in full otherwise (see module doc)."""
    settings = directory.settings
    reason = ""
    if state is None:
        reason = "no saved state"
    elif state.fingerprint != fingerprint(directory):
        reason = "directory settings changed"
    elif state.cursor is None:
        reason = "no change stamp in the last read"
    elif now - state.full_at >= timedelta(hours=settings.full_sync_hours):
        reason = f"full sync due (every {settings.full_sync_hours:g} h)"
    reader = _Reader(directory, now)
    with directory.connection() as conn:
        server, usn = _ad_marks(directory, conn)
        mark = str(usn) if settings.flavor == "ad" and usn is not None else _context_csn(directory, conn)
        if not reason and state is not None and state.server != server:
            reason = f"another domain controller ({server or 'unknown'})"
        if reason or state is None:
            fresh = SyncState(fingerprint(directory), now, None, server)
            reader.read(conn, fresh, "")
            mode: Literal["full", "incremental"] = "full"
        else:
            fresh = SyncState(state.fingerprint, state.full_at, state.cursor, server, dict(state.people),
                              dict(state.member_of), dict(state.recheck), dict(state.groups),
                              people_digest=state.people_digest)
            mode = "incremental"
            if mark is not None and mark == state.mark:  # the server says nothing was written since
                reader.recheck_expired(conn, fresh)
                reason = f"no write since the last read ({_MARK_NAMES[settings.flavor]} unchanged)"
            else:
                reader.read(conn, fresh,
                            f"({directory.change_attribute}>={escape_filter_chars(state.cursor or '')})")
                reader.reconcile(conn, fresh)
                reason = f"{len(reader.changed)} changed or new entries read"
    fresh.mark = mark
    fresh.cursor = _next_cursor(directory, fresh.cursor if mode == "incremental" else None, reader.stamps, usn)
    reader.resolve_groups(fresh, everyone=mode == "full" or reader.groups_changed)
    changed = (mode == "full" or bool(reader.changed) or reader.groups_changed
               or state is None or fresh.cursor != state.cursor or fresh.mark != state.mark)
    if changed:
        fresh.people_digest = None  # the reader computes it for the people as merged
    # the people are the state's own objects (no copy: 50,000 copies cost a rescan a third of a second); the
    # readers of a result (merging, digests, the people sync) build new objects rather than change these
    return SyncResult(list(fresh.people.values()), fresh, mode, reason, changed)


class _Reader:
    """Reads entries into a state, remembering what changed and the change stamps seen."""

    def __init__(self, directory: LdapDirectory, now: datetime):
        self.directory = directory
        self.now = now
        self.mapper = EntryMapper(directory.settings, now)
        self.changed: set[str] = set()
        self.groups_changed = False
        self.stamps: list[str] = []

    def read(self, conn: Connection, state: SyncState, changed_filter: str) -> None:
        """Read person and group entries (all, or those matching ``changed_filter``) into ``state``."""
        self.people(state, self.directory.person_entries(conn, changed_filter))
        self.groups(state, self.directory.group_entries(conn, changed_filter))

    def people(self, state: SyncState, entries: Iterable[tuple[str, RawEntry]]) -> None:
        """Map person entries into ``state`` (a malformed value fails the sync naming the entry)."""
        attribute = self.directory.change_attribute
        for dn, raw in entries:
            person, expires = self.mapper.map_with_expiry(dn, raw)
            member_of = _texts(raw, "memberOf")
            recheck = expires if expires is not None and expires > self.now else None
            self.stamps += _texts(raw, attribute)
            old = state.people.get(dn)
            if (old is not None and replace(person, groups=old.groups) == old
                    and state.member_of.get(dn, []) == member_of and state.recheck.get(dn) == recheck):
                continue  # read again (the cursor's overlap) but unchanged: nothing to map or resolve anew
            state.people[dn] = person
            state.member_of.pop(dn, None)
            state.recheck.pop(dn, None)
            if member_of:
                state.member_of[dn] = member_of
            if recheck is not None:
                state.recheck[dn] = recheck
            self.changed.add(dn)

    def groups(self, state: SyncState, entries: Iterable[tuple[str, RawEntry, list[str]]]) -> None:
        """Put group entries (their direct members and memberOf) into ``state``."""
        for dn, raw, members in entries:
            group = {"members": members, "memberOf": _texts(raw, "memberOf")}
            self.stamps += _texts(raw, self.directory.change_attribute)
            if state.groups.get(dn) != group:  # a group read again but unchanged resolves nothing anew
                state.groups[dn] = group
                self.groups_changed = True

    def reconcile(self, conn: Connection, state: SyncState) -> None:
        """Drop entries that are gone (DN-only listings); read by DN the entries present but not in the state
        and those whose expiry has passed since they were mapped."""
        directory = self.directory
        gone, new = _gone_and_new(state.people, directory.present(conn))
        for dn in gone:
            state.member_of.pop(dn, None)
            state.recheck.pop(dn, None)
        self.changed.update(gone)
        for dn in new:
            self.people(state, directory.person_entries(conn, base=dn))
        self.recheck_expired(conn, state)
        gone, new = _gone_and_new(state.groups, directory.present(conn, groups=True))
        self.groups_changed = self.groups_changed or bool(gone)
        for dn in new:
            self.groups(state, directory.group_entries(conn, base=dn))

    def recheck_expired(self, conn: Connection, state: SyncState) -> None:
        """Read again by DN the entries whose account expiry has passed since they were mapped (their status
        depends on ``now``, not on a change of the entry)."""
        expired = [dn for dn, at in state.recheck.items() if at <= self.now and dn not in self.changed]
        for dn in sorted(expired):
            state.people.pop(dn, None)
            self.people(state, self.directory.person_entries(conn, base=dn))

    def resolve_groups(self, state: SyncState, *, everyone: bool) -> None:
        """Set ``groups`` of every person (or of the changed ones) from the state's group entries."""
        wanted = state.people if everyone else [dn for dn in self.changed if dn in state.people]
        if not wanted:
            return
        index = GroupIndex()
        for dn, group in state.groups.items():
            index.add_group(dn, group["members"])
            index.add_member_of(dn, group["memberOf"])
        for dn in wanted:
            state.people[dn].groups = index.groups_of(dn, state.member_of.get(dn, ()))


def _gone_and_new(held: dict[str, Any], present: set[str]) -> tuple[list[str], list[str]]:
    """Remove from ``held`` every DN not ``present``; return (the removed DNs, the present DNs ``held`` lacks)."""
    gone = [dn for dn in held if dn not in present]
    for dn in gone:
        del held[dn]
    return gone, sorted(present.difference(held))


_MARK_NAMES = {"openldap": "contextCSN", "ad": "highestCommittedUSN"}


def _context_csn(directory: LdapDirectory, conn: Connection) -> str | None:
    """OpenLDAP: the ``contextCSN`` values of the naming context holding ``base_dn`` (syncprov keeps them and
    moves one on every add, modify, delete or rename); None when the server offers none."""
    base = (directory.settings.base_dn or "").lower().replace(" ", "")
    contexts = _texts(directory.root_dse(conn, "namingContexts"), "namingContexts")
    holding = [c for c in contexts if base == c.lower().replace(" ", "") or
               base.endswith("," + c.lower().replace(" ", ""))]
    if not holding:
        return None
    context = max(holding, key=len)
    entry = directory.entry(conn, context, "contextCSN")
    values = _texts(entry, "contextCSN") if entry is not None else []
    return " ".join(sorted(values)) or None


def _ad_marks(directory: LdapDirectory, conn: Connection) -> tuple[str, int | None]:
    """AD: (the domain controller's name, its highestCommittedUSN) read before any search; OpenLDAP: ("", None)."""
    if directory.settings.flavor != "ad":
        return "", None
    dse = directory.root_dse(conn, "highestCommittedUSN", "dsServiceName", "dnsHostName")
    name = (_texts(dse, "dsServiceName") or _texts(dse, "dnsHostName")
            or [f"{conn.server.host}:{conn.server.port}"])[0]
    usn = _texts(dse, "highestCommittedUSN")
    return name, int(usn[0]) if usn and usn[0].isdigit() else None


def _next_cursor(directory: LdapDirectory, cursor: str | None, stamps: list[str], usn: int | None) -> str | None:
    """The cursor of the next incremental read (never moving back)."""
    if directory.settings.flavor == "ad":
        seen = [int(s) for s in stamps if s.isdigit()]
        # highestCommittedUSN was read before the searches: a change made during them is above it
        candidates = [usn + 1] if usn is not None else [max(seen) + 1] if seen else []
        if cursor is not None:
            candidates.append(int(cursor))
        return str(max(candidates)) if candidates else None
    times = []
    for stamp in stamps:
        try:
            times.append(parse_generalized_time(stamp))
        except ValueError:
            continue
    candidates = [max(times) - timedelta(seconds=directory.settings.sync_overlap_seconds)] if times else []
    if cursor is not None:
        candidates.append(parse_generalized_time(cursor))
    return max(candidates).strftime("%Y%m%d%H%M%SZ") if candidates else None


def _texts(raw: Any, attribute: str) -> list[str]:
    """The values of ``attribute`` (case-insensitive name) as text."""
    wanted = attribute.lower()
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            for name, values in raw.items() if name.lower() == wanted for v in values]


def _person_json(person: Person) -> dict[str, Any]:
    # field by field: dataclasses.asdict deep-copies every value, which costs seconds at 50,000 people
    return {
        "uid": person.uid, "display_name": person.display_name, "emails": list(person.emails),
        "department": person.department, "manager": person.manager, "kind": person.kind.value,
        "status": person.status.value,
        "status_changed": person.status_changed.isoformat() if person.status_changed else None,
        "end_date": person.end_date.isoformat() if person.end_date else None, "dn": person.dn,
        "duplicates": list(person.duplicates),
        "groups": list(person.groups) if person.groups is not None else None,
    }


def _person_from_json(data: dict[str, Any]) -> Person:
    changed, end, groups = data["status_changed"], data["end_date"], data["groups"]
    return Person(data["uid"], data["display_name"], tuple(data["emails"]), data["department"], data["manager"],
                  _KINDS[data["kind"]], _STATUSES[data["status"]],
                  datetime.fromisoformat(changed) if changed else None, date.fromisoformat(end) if end else None,
                  data["dn"], tuple(data["duplicates"]), tuple(groups) if groups is not None else None)
