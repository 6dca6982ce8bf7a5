"""People from an LDAP server (OpenLDAP or Active Directory) with ldap3.

One connection per call (no global client): connect with a timeout, ldaps:// or StartTLS with certificate
verification (``CERT_REQUIRED``, optional CA file), simple bind, paged search of ``base_dn``. Every value
taken from a caller is escaped with ``escape_filter_chars`` before it enters a filter.

Reads take the lean path of ``ldap_wire.py`` (no per-response copies, values left as bytes) and ask only for
the attributes the mapping reads. Several servers (``url`` then ``urls``: replicas, domain controllers) form
an ldap3 ``ServerPool``: the first reachable one is used. A multi-valued attribute the server returns in
slices (AD range retrieval, ``memberOf;range=0-1499``) is followed to its end, for people as for groups.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ldap3 import (
    ANONYMOUS,
    BASE,
    FIRST,
    NO_ATTRIBUTES,
    NONE,
    SIMPLE,
    SUBTREE,
    SYNC,
    Connection,
    Server,
    ServerPool,
    Tls,
)
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars

from auditor.config import DirectorySettings
from auditor.directory.base import Directory
from auditor.directory.duplicates import merge_entries
from auditor.directory.groups import GROUP_FILTER, MEMBER_ATTRIBUTES, GroupIndex, ranged_members
from auditor.directory.ldap_wire import RawEntry, paged_entries, use_lean_strategy
from auditor.directory.mapping import EntryMapper, requested_attributes, uid_attributes
from auditor.errors import ConfigError, DirectoryError
from auditor.model import Person

if TYPE_CHECKING:
    from auditor.directory.incremental import SyncResult, SyncState

DEFAULT_FILTERS = {
    "openldap": "(objectClass=inetOrgPerson)",
    "ad": "(&(objectCategory=person)(objectClass=user))",
}
AD_DISABLED_FILTER = "(userAccountControl:1.2.840.113556.1.4.803:=2)"
"""AD bit test (LDAP_MATCHING_RULE_BIT_AND) for ACCOUNTDISABLE; slapd evaluates it too."""
OPENLDAP_DISABLED_FILTER = "(pwdAccountLockedTime=*)"
CHANGE_ATTRIBUTES = {"openldap": "modifyTimestamp", "ad": "uSNChanged"}
"""The attribute an incremental sync compares with its cursor (see ``incremental.py``)."""
DN_ONLY = ["1.1"]
"""RFC 4511 4.5.1.8: no attributes, the DN alone (the presence listing)."""


def person_filter(settings: DirectorySettings) -> str:
    """The filter selecting people: ``user_filter`` or the flavor's default."""
    return settings.user_filter or DEFAULT_FILTERS[settings.flavor]


def uid_filter(settings: DirectorySettings, uid: str) -> str:
    """The filter for one user id (uid, or sAMAccountName for AD); ``uid`` is escaped (RFC 4515)."""
    attribute = uid_attributes(settings)[0]
    return f"(&{person_filter(settings)}({attribute}={escape_filter_chars(uid)}))"


def email_filter(settings: DirectorySettings, email: str) -> str:
    """The filter for one address in mail, AD proxyAddresses (smtp:) or an alias attribute; escaped."""
    value = escape_filter_chars(email.strip().lower())
    terms = [f"(mail={value})"]
    if settings.flavor == "ad":
        terms.append(f"(proxyAddresses=smtp:{value})")
    terms += [f"({attribute}={value})" for attribute in settings.alias_attributes]
    return f"(&{person_filter(settings)}(|{''.join(terms)}))"


class LdapDirectory(Directory):
    """An OpenLDAP or Active Directory server (or several replicas of one), read with paged searches."""

    def __init__(
        self, settings: DirectorySettings, *, password: str | None = None, ca_file: Path | None = None
    ):
        if not settings.url or not settings.url.lower().startswith(("ldap://", "ldaps://")):
            raise ConfigError(
                f"directory.url: expected ldap://host[:port] or ldaps://host[:port], got {settings.url!r}"
            )
        if not settings.base_dn:
            raise ConfigError("directory.base_dn is not set (required when directory.kind = 'ldap')")
        if settings.bind_dn and not password:
            raise ConfigError(f"directory.password_env: no password for bind DN {settings.bind_dn}")
        self.settings = settings
        self.urls = list(dict.fromkeys([settings.url, *settings.urls]))
        self.name = ", ".join(self.urls)
        self._password = password
        self._ca_file = ca_file or (Path(settings.ca_file) if settings.ca_file else None)
        self._filter = person_filter(settings)
        self.change_attribute = CHANGE_ATTRIBUTES[settings.flavor]
        wanted = [*requested_attributes(settings), "memberOf", self.change_attribute]  # memberOf: named (overlay)
        self.attributes = list({name.lower(): name for name in wanted}.values())
        self.group_attributes = [*MEMBER_ATTRIBUTES, "memberOf", self.change_attribute]

    def __repr__(self) -> str:
        return f"LdapDirectory({self.name!r}, bind_dn={self.settings.bind_dn!r})"

    # --- public API -------------------------------------------------------------------------------------

    def check(self) -> None:
        """Connect, bind, read the base entry and find at least one person; DirectoryError says which failed.

        An empty result is an error: a wrong base DN or filter must not look like "everyone left".
        """
        base = self.settings.base_dn or ""
        with self.connection() as conn:
            self._search(conn, base, "(objectClass=*)", [NO_ATTRIBUTES], scope=BASE)
            if not self._search(conn, base, self._filter, [NO_ATTRIBUTES], size_limit=1):
                raise DirectoryError(f"directory {self.name}: no entries match {self._filter} under {base}")

    def people(self, now: datetime) -> Iterator[Person]:
        """Stream every person under ``base_dn`` with a paged search (``page_size`` entries per page)."""
        mapper = EntryMapper(self.settings, now)
        with self.connection() as conn:
            index = self.group_index(conn)
            for dn, raw in self.person_entries(conn):
                yield self._with_groups(mapper.map(dn, raw), raw, index)

    def sync(self, state: SyncState | None, now: datetime) -> SyncResult:
        """Every person now, read incrementally from ``state`` when possible (``incremental.py``)."""
        from auditor.directory.incremental import sync

        return sync(self, state, now)

    def person_entries(self, conn: Connection, extra_filter: str = "",
                       base: str | None = None) -> Iterator[tuple[str, RawEntry]]:
        """``(dn, raw attributes)`` of every person (``extra_filter`` ANDed), ranged values followed.

        ``base``: only that entry (a base search), when it is a person.
        """
        search_filter = f"(&{self._filter}{extra_filter})" if extra_filter else self._filter
        for dn, raw in self._paged(conn, search_filter, self.attributes, base=base):
            yield dn, self._unranged(conn, dn, raw)

    def group_entries(self, conn: Connection, extra_filter: str = "",
                      base: str | None = None) -> Iterator[tuple[str, RawEntry, list[str]]]:
        """``(dn, raw attributes, direct members)`` of every group entry (``extra_filter`` ANDed; ``base``: one)."""
        search_filter = f"(&{GROUP_FILTER}{extra_filter})" if extra_filter else GROUP_FILTER
        for dn, raw in self._paged(conn, search_filter, self.group_attributes, " for groups", base=base):
            members = ranged_members(dn, raw, lambda wanted, dn=dn: self._base_attributes(conn, dn, wanted))
            members += ranged_members(dn, raw, None, "uniqueMember")
            yield dn, raw, members

    def present(self, conn: Connection, groups: bool = False) -> set[str]:
        """The DNs of every person (or group) entry: a DN-only listing, the cheap way to see who is gone."""
        search_filter = GROUP_FILTER if groups else self._filter
        return {dn for dn, _ in self._paged(conn, search_filter, DN_ONLY, " (DN listing)")}

    def group_index(self, conn: Connection) -> GroupIndex:
        """Every group entry under ``base_dn`` with its direct members (AD range retrieval followed)."""
        index = GroupIndex()
        for dn, raw, members in self.group_entries(conn):
            index.add_group(dn, members)
            index.add_member_of(dn, _values(raw, "memberOf"))
        return index

    def root_dse(self, conn: Connection, *attributes: str) -> RawEntry:
        """The named attributes of the server's root DSE (AD: ``highestCommittedUSN``, ``dsServiceName``)."""
        found = self._search(conn, "", "(objectClass=*)", list(attributes), scope=BASE)
        return dict(found[0]["raw_attributes"]) if found else {}

    def _paged(self, conn: Connection, search_filter: str, attributes: list[str],
               purpose: str = "", *, base: str | None = None) -> Iterator[tuple[str, RawEntry]]:
        scope = BASE if base else SUBTREE
        base = base or self.settings.base_dn or ""
        try:
            yield from paged_entries(conn, base, search_filter, attributes, self.settings.page_size, scope=scope)
        except ldap_errors.LDAPNoSuchObjectResult:
            raise DirectoryError(f"directory {self.name}: base DN {base} does not exist") from None
        except ldap_errors.LDAPException as exc:
            raise self._error(exc, f"search of {base}{purpose} failed") from None

    def _unranged(self, conn: Connection, dn: str, raw: RawEntry) -> RawEntry:
        """``raw`` with every ranged attribute (``memberOf;range=0-1499``) read to its end (AD)."""
        ranged = {name.split(";", 1)[0] for name in raw if ";range=" in name.lower()}
        if not ranged:
            return raw
        out = {name: values for name, values in raw.items() if name.split(";", 1)[0] not in ranged}
        for attribute in ranged:
            values = ranged_members(dn, raw, lambda wanted: self._base_attributes(conn, dn, wanted), attribute)
            out[attribute] = [v.encode("utf-8") for v in values]
        return out

    def entry(self, conn: Connection, dn: str, *attributes: str) -> RawEntry | None:
        """The named attributes (operational ones included) of one entry, by a base search; None if absent."""
        found = self._search(conn, dn, "(objectClass=*)", list(attributes), scope=BASE)
        return dict(found[0]["raw_attributes"]) if found else None

    def _base_attributes(self, conn: Connection, dn: str, attribute: str) -> dict[str, Any]:
        """One base search on ``dn`` asking for ``attribute`` (a range such as ``member;range=1500-*``)."""
        found = self._search(conn, dn, "(objectClass=*)", [attribute], scope=BASE)
        return dict(found[0]["raw_attributes"]) if found else {}

    @staticmethod
    def _with_groups(person: Person, raw: RawEntry, index: GroupIndex) -> Person:
        person.groups = index.groups_of(person.dn, _values(raw, "memberOf"))
        return person

    def get(self, uid: str, *, now: datetime | None = None) -> Person | None:
        """The person whose user id (uid, or sAMAccountName for AD) equals ``uid``, or None.

        Several entries with the uid are merged (``merge_entries``): the strictest status wins.
        """
        people = self._find(uid_filter(self.settings, uid), now)
        matches = [p for p in people if p.uid.casefold() == uid.casefold()]
        return merge_entries(matches) if matches else None

    def find_by_email(self, email: str, *, now: datetime | None = None) -> Person | None:
        """The person holding ``email`` in mail, AD proxyAddresses or a configured alias attribute, or None.

        When several entries hold the address, the uid of the one with the smallest DN is taken
        (deterministic); the person is then every entry with that uid, merged as ``get`` does.
        """
        wanted = email.strip().lower()
        if not wanted:
            return None
        people = self._find(email_filter(self.settings, wanted), now)
        matches = [p for p in people if wanted in p.emails]
        if not matches:
            return None
        return self.get(min(matches, key=lambda p: p.dn or "").uid, now=now)

    def disabled_uids(self) -> set[str]:
        """User ids the server itself reports as disabled (AD bit test, or ppolicy lock for OpenLDAP)."""
        disabled = AD_DISABLED_FILTER if self.settings.flavor == "ad" else OPENLDAP_DISABLED_FILTER
        names = list(uid_attributes(self.settings))
        uids: set[str] = set()
        with self.connection() as conn:
            for _dn, found in self._paged(conn, f"(&{self._filter}{disabled})", names,
                                          " for disabled accounts"):
                raw = {key.lower(): values for key, values in found.items()}
                for name in names:
                    if raw.get(name.lower()):
                        uids.add(raw[name.lower()][0].decode("utf-8", "replace"))
                        break
        return uids

    # --- connection handling ----------------------------------------------------------------------------

    def _server(self) -> Server | ServerPool:
        # CERT_REQUIRED: ldap3's default is CERT_NONE. Without a CA file the system trust store is used.
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self._ca_file) if self._ca_file else None)
        timeout = self.settings.connect_timeout
        servers = [Server(url, connect_timeout=timeout, tls=tls, get_info=NONE) for url in self.urls]
        if len(servers) == 1:
            return servers[0]
        # FIRST: the first reachable server in the configured order; one round (active=1), nothing remembered
        return ServerPool(servers, FIRST, active=1, exhaust=False)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """An open, bound connection (lean read path), unbound when the block ends."""
        bind_dn = self.settings.bind_dn
        who = bind_dn or "anonymous"
        conn = use_lean_strategy(Connection(
            self._server(),
            user=bind_dn,
            password=self._password,
            authentication=SIMPLE if bind_dn else ANONYMOUS,
            client_strategy=SYNC,
            # ldap3 packs the timeout as whole seconds for SO_RCVTIMEO: a float raises struct.error
            receive_timeout=max(1, math.ceil(self.settings.receive_timeout)),
            raise_exceptions=True,
            read_only=True,
            auto_referrals=False,
            auto_range=False,  # ranges are followed here (ranged_members), for people and groups alike
            return_empty_attributes=False,  # absent attributes stay absent (the mapping reads what is there)
            auto_bind=False,
        ))
        try:
            try:
                conn.open()
            except ldap_errors.LDAPException as exc:
                raise self._error(exc, "cannot connect") from None
            if self.settings.start_tls:
                try:
                    conn.start_tls()
                except ldap_errors.LDAPException as exc:
                    raise self._error(exc, "StartTLS failed") from None
            try:
                conn.bind()
            except ldap_errors.LDAPInvalidCredentialsResult:
                raise DirectoryError(
                    f"directory {self.name}: bind as {who} refused (invalid credentials)"
                ) from None
            except ldap_errors.LDAPException as exc:
                raise self._error(exc, f"bind as {who} failed") from None
            yield conn
        finally:
            with suppress(ldap_errors.LDAPException, OSError):  # the socket may already be gone
                conn.unbind()
            if conn.socket is not None:  # ldap3 leaves the socket of a failed open or handshake open
                with suppress(OSError):
                    conn.socket.close()

    def _search(
        self,
        conn: Connection,
        base: str,
        search_filter: str,
        attributes: list[str],
        *,
        scope: str = SUBTREE,
        size_limit: int = 0,
    ) -> list[dict[str, Any]]:
        try:
            conn.search(base, search_filter, search_scope=scope, attributes=attributes, size_limit=size_limit)
        except ldap_errors.LDAPNoSuchObjectResult:
            raise DirectoryError(f"directory {self.name}: base DN {base} does not exist") from None
        except ldap_errors.LDAPException as exc:
            raise self._error(exc, f"search of {base} failed") from None
        return [item for item in conn.response or () if item.get("type") == "searchResEntry"]

    def _find(self, search_filter: str, now: datetime | None) -> list[Person]:
        mapper = EntryMapper(self.settings, now or datetime.now(UTC))
        with self.connection() as conn:
            index = self.group_index(conn)
            items = self._search(conn, self.settings.base_dn or "", search_filter, self.attributes)
            entries = [(item["dn"], self._unranged(conn, item["dn"], item["raw_attributes"])) for item in items]
        return [self._with_groups(mapper.map(dn, raw), raw, index) for dn, raw in entries]

    def _error(self, exc: ldap_errors.LDAPException, what: str) -> DirectoryError:
        """A DirectoryError naming the server URL(s) and the failed step (never the password)."""
        detail = getattr(exc, "description", None) or str(exc) or type(exc).__name__
        return DirectoryError(f"directory {self.name}: {what} ({detail})")


def _values(raw: RawEntry, attribute: str) -> list[str]:
    """The values of ``attribute`` (case-insensitive name) as text."""
    wanted = attribute.lower()
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            for name, values in raw.items() if name.lower() == wanted for v in values]
