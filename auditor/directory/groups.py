"""Directory groups: who belongs to which group, nested groups resolved, for rules such as "publish rights only
for members of Marketing or IT".

Sources (platform-apis.md section 9, "Directory groups"):

- OpenLDAP: group entries are ``groupOfNames`` (``member``) or ``groupOfUniqueNames`` (``uniqueMember``); a user
  has ``memberOf`` only under the memberof overlay (an operational attribute, returned only when named). Generic
  servers do not resolve nesting, so nesting is resolved here from the group entries (depth limit, loops ignored).
- Active Directory: groups (``objectClass=group``) carry ``member``, users ``memberOf``; both list direct
  memberships only and neither lists the primary group (``primaryGroupID``, by default Domain Users): a rule
  must not allow by the primary group. AD can resolve nesting server-side with the in-chain matching rule
  (``1.2.840.113556.1.4.1941``), one search per user or group; here nesting is resolved from the group entries
  read in one paged search instead, which gives the same closure on every server (and can be tested: slapd
  evaluates the AD matching rule as Undefined). A big ``member`` is returned in slices (range retrieval):
  ``member;range=0-1499``, then ``member;range=1500-*`` ... until a slice ends in ``*`` (``ranged_members``).

No value from a caller enters a filter here (the group filter is constant; range slices are base searches on
the group's DN), so there is nothing to escape; LdapDirectory escapes its own filter values.

A person's groups are the DNs of every group it belongs to, directly or through nesting. ``None`` means the
directory told nothing about groups (no group entries and no ``memberOf``): unknown, never "in no group".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from auditor.directory.mapping import normalize_dn
from auditor.errors import DirectoryError

GROUP_FILTER = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"
GROUP_CLASSES = frozenset({"groupofnames", "groupofuniquenames", "group"})
MEMBER_ATTRIBUTES = ("member", "uniqueMember")
MAX_DEPTH = 32
"""Nesting deeper than this is not followed (a guard, not a limit real directories reach)."""
_RANGE = re.compile(r"(?P<name>[^;]+);range=(?P<low>\d+)-(?P<high>\d+|\*)\Z", re.IGNORECASE)

Key = tuple[tuple[str, str], ...]
RangeFetch = Callable[[str], Mapping[str, Sequence[str | bytes]]]
"""``fetch(attribute)``: the attributes of one base search on the group asking for ``attribute``
(``member;range=1500-*``)."""


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def is_group_entry(attributes: Mapping[str, Sequence[str | bytes]]) -> bool:
    """True when objectClass names a group class (groupOfNames, groupOfUniqueNames, AD group)."""
    return any(_text(v).lower() in GROUP_CLASSES for name, values in attributes.items()
               if name.lower() == "objectclass" for v in values)


def ranged_members(dn: str, attributes: Mapping[str, Sequence[str | bytes]], fetch: RangeFetch | None,
                   attribute: str = "member") -> list[str]:
    """Every value of ``attribute``, following AD range retrieval until the slice that ends in ``*``.

    A server that sends ``member;range=0-1499`` (the plain ``member`` then empty) is asked for
    ``member;range=1500-*`` and so on; the server names the slice it actually sent, and may send fewer values
    than asked. Without ``fetch`` (a file) a ranged answer is an error, never a short list.
    """
    wanted = attribute.lower()
    values: list[str] = []
    high: str | None = None
    current = attributes
    for _round in range(100_000):
        ranged = None
        for name, items in current.items():
            match = _RANGE.match(name)
            if match and match["name"].lower() == wanted:
                ranged = match
                values += [_text(v) for v in items]
            elif name.lower() == wanted and high is None:
                values += [_text(v) for v in items]
        if ranged is None:
            return values
        high = ranged["high"]
        if high == "*":
            return values
        if fetch is None:
            raise DirectoryError(f"directory group {dn}: {attribute} is returned in ranges and cannot be followed")
        current = fetch(f"{attribute};range={int(high) + 1}-*")
    raise DirectoryError(f"directory group {dn}: {attribute} range retrieval does not end")


class GroupIndex:
    """Group memberships read from group entries (``member``/``uniqueMember``) and users' ``memberOf``."""

    def __init__(self) -> None:
        self._parents: dict[Key, set[Key]] = {}
        self._names: dict[Key, str] = {}
        self.known = False
        """Whether the directory told anything about groups (a group entry or a ``memberOf`` value)."""

    def _key(self, dn: str) -> Key | None:
        try:
            return normalize_dn(dn.strip())
        except ValueError:
            return None

    def add_group(self, dn: str, members: Iterable[str]) -> None:
        """Record a group entry and its direct members (people or groups)."""
        group = self._key(dn)
        if group is None:
            raise DirectoryError(f"directory group {dn!r}: not a DN")
        self.known = True
        self._names.setdefault(group, dn)
        for member in members:
            key = self._key(member)
            if key is not None:
                self._parents.setdefault(key, set()).add(group)

    def add_member_of(self, member_dn: str, groups: Iterable[str]) -> None:
        """Record ``memberOf`` values of one entry."""
        member = self._key(member_dn)
        for dn in groups:
            group = self._key(dn)
            if member is None or group is None:
                continue
            self.known = True
            self._names.setdefault(group, dn)
            self._parents.setdefault(member, set()).add(group)

    def groups_of(self, dn: str | None, member_of: Iterable[str] = ()) -> tuple[str, ...] | None:
        """The DNs of every group ``dn`` belongs to, nested ones included (None when groups are unknown)."""
        if dn:
            self.add_member_of(dn, member_of)
        if not self.known:
            return None
        start = self._key(dn) if dn else None
        if start is None:
            return ()
        found: dict[Key, None] = {}
        frontier = sorted(self._parents.get(start, ()))
        for _depth in range(MAX_DEPTH):
            following: list[Key] = []
            for group in frontier:
                if group not in found and group != start:
                    found[group] = None
                    following += sorted(self._parents.get(group, ()))
            if not following:
                break
            frontier = following
        return tuple(sorted(self._names[g] for g in found))


def group_matches(groups: Iterable[str], wanted: Iterable[str]) -> bool:
    """Whether any group (a DN) is one of ``wanted``: a full DN, or a group name (the first RDN's value),
    both compared case-insensitively."""
    names: set[str] = set()
    keys: set[Key] = set()
    for item in wanted:
        text = str(item).strip()
        if "=" in text:
            try:
                keys.add(normalize_dn(text))
            except ValueError:
                continue
        else:
            names.add(text.casefold())
    for dn in groups:
        try:
            key = normalize_dn(dn)
        except ValueError:
            continue
        if key in keys or (key and key[0][1] in names):
            return True
    return False
