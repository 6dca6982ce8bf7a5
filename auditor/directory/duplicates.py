"""Several directory entries with the same user id (rehires, migrations, a stray copy): one person, judged strictly.

A real directory can hold the same uid twice, for instance an active entry in ``ou=people`` beside the real
leaver in ``ou=leavers``. Letting the last entry read win would turn a leaver active and resolve his
findings. Instead the entries are merged into one ``Person``: the most restrictive entry decides
(departed > disabled > active), every entry's addresses are kept (so accounts matched through either entry
stay linked to the person), and ``duplicates`` lists the DNs of all the entries, which the
``duplicate-identity`` rule reports as a finding of its own. User ids compare case-insensitively, as LDAP
``uid`` and ``sAMAccountName`` do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from auditor.model import Person, PersonStatus

_SEVERITY = {PersonStatus.ACTIVE: 0, PersonStatus.DISABLED: 1, PersonStatus.DEPARTED: 2}
"""How restrictive a status is: the highest wins when entries disagree."""


def _strictness(person: Person) -> tuple[int, str]:
    """Sort key: the most restrictive status first, then the smallest DN (deterministic)."""
    return (-_SEVERITY[PersonStatus(person.status)], person.dn or "")


def merge_entries(entries: list[Person]) -> Person:
    """One person from entries sharing a uid: the most restrictive entry, every address, all DNs listed."""
    if len(entries) == 1:
        return entries[0]
    ordered = sorted(entries, key=_strictness)
    chosen = ordered[0]
    emails = tuple(dict.fromkeys(email for entry in ordered for email in entry.emails))
    dns = tuple(sorted({entry.dn or f"(entry without DN: {entry.uid})" for entry in entries}))
    known = [entry.groups for entry in ordered if entry.groups is not None]
    groups = tuple(dict.fromkeys(g for entry in known for g in entry)) if known else None
    return replace(chosen, emails=emails, duplicates=dns, groups=groups)


def merge_duplicates(people: Iterable[Person]) -> list[Person]:
    """The people with entries sharing a uid (case-insensitive) merged by ``merge_entries``; order kept."""
    groups: dict[str, list[Person]] = {}
    for person in people:
        groups.setdefault(person.uid.casefold(), []).append(person)
    return [merge_entries(entries) for entries in groups.values()]
