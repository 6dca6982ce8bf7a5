"""People from an LDAP server (OpenLDAP or Active Directory) with ldap3.

One connection per call (no global client): connect with a timeout, ldaps:// or StartTLS with certificate
verification (``CERT_REQUIRED``, optional CA file), simple bind, paged search of ``base_dn``. Every value
taken from a caller is escaped with ``escape_filter_chars`` before it enters a filter.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ldap3 import ANONYMOUS, BASE, NO_ATTRIBUTES, NONE, SAFE_SYNC, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars

from auditor.config import DirectorySettings
from auditor.directory.base import Directory
from auditor.directory.mapping import EntryMapper, requested_attributes, uid_attributes
from auditor.errors import ConfigError, DirectoryError
from auditor.model import Person

DEFAULT_FILTERS = {
    "openldap": "(objectClass=inetOrgPerson)",
    "ad": "(&(objectCategory=person)(objectClass=user))",
}
AD_DISABLED_FILTER = "(userAccountControl:1.2.840.113556.1.4.803:=2)"
"""AD bit test (LDAP_MATCHING_RULE_BIT_AND) for ACCOUNTDISABLE; slapd evaluates it too."""
OPENLDAP_DISABLED_FILTER = "(pwdAccountLockedTime=*)"


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
    """An OpenLDAP or Active Directory server, read with paged searches."""

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
        self.name = settings.url
        self._password = password
        self._ca_file = ca_file or (Path(settings.ca_file) if settings.ca_file else None)
        self._filter = person_filter(settings)
        self._attributes = requested_attributes(settings)

    def __repr__(self) -> str:
        return f"LdapDirectory({self.settings.url!r}, bind_dn={self.settings.bind_dn!r})"

    # --- public API -------------------------------------------------------------------------------------

    def check(self) -> None:
        """Connect, bind, read the base entry and find at least one person; DirectoryError says which failed.

        An empty result is an error: a wrong base DN or filter must not look like "everyone left".
        """
        base = self.settings.base_dn or ""
        with self._connection() as conn:
            self._search(conn, base, "(objectClass=*)", [NO_ATTRIBUTES], scope=BASE)
            if not self._search(conn, base, self._filter, [NO_ATTRIBUTES], size_limit=1):
                raise DirectoryError(
                    f"directory {self.settings.url}: no entries match {self._filter} under {base}"
                )

    def people(self, now: datetime) -> Iterator[Person]:
        """Stream every person under ``base_dn`` with a paged search (``page_size`` entries per page)."""
        mapper = EntryMapper(self.settings, now)
        with self._connection() as conn:
            try:
                pages = conn.extend.standard.paged_search(
                    self.settings.base_dn,
                    self._filter,
                    search_scope=SUBTREE,
                    attributes=self._attributes,
                    paged_size=self.settings.page_size,
                    generator=True,
                )
                for item in pages:
                    if item.get("type") == "searchResEntry":
                        yield mapper.map(item["dn"], item["raw_attributes"])
            except ldap_errors.LDAPException as exc:
                raise self._error(exc, f"search of {self.settings.base_dn} failed") from None

    def get(self, uid: str, *, now: datetime | None = None) -> Person | None:
        """The person whose user id (uid, or sAMAccountName for AD) equals ``uid``, or None."""
        people = self._find(uid_filter(self.settings, uid), now)
        matches = [p for p in people if p.uid.casefold() == uid.casefold()]
        return min(matches, key=lambda p: p.dn or "") if matches else None

    def find_by_email(self, email: str, *, now: datetime | None = None) -> Person | None:
        """The person holding ``email`` in mail, AD proxyAddresses or a configured alias attribute, or None.

        When several entries hold the address, the one with the smallest DN is returned (deterministic).
        """
        wanted = email.strip().lower()
        if not wanted:
            return None
        people = self._find(email_filter(self.settings, wanted), now)
        matches = [p for p in people if wanted in p.emails]
        return min(matches, key=lambda p: p.dn or "") if matches else None

    def disabled_uids(self) -> set[str]:
        """User ids the server itself reports as disabled (AD bit test, or ppolicy lock for OpenLDAP)."""
        disabled = AD_DISABLED_FILTER if self.settings.flavor == "ad" else OPENLDAP_DISABLED_FILTER
        names = list(uid_attributes(self.settings))
        uids: set[str] = set()
        with self._connection() as conn:
            try:
                for item in conn.extend.standard.paged_search(
                    self.settings.base_dn, f"(&{self._filter}{disabled})", search_scope=SUBTREE,
                    attributes=names, paged_size=self.settings.page_size, generator=True,
                ):
                    if item.get("type") != "searchResEntry":
                        continue
                    raw = {key.lower(): values for key, values in item["raw_attributes"].items()}
                    for name in names:
                        if raw.get(name.lower()):
                            uids.add(raw[name.lower()][0].decode("utf-8", "replace"))
                            break
            except ldap_errors.LDAPException as exc:
                raise self._error(exc, "search for disabled accounts failed") from None
        return uids

    # --- connection handling ----------------------------------------------------------------------------

    def _server(self) -> Server:
        # CERT_REQUIRED: ldap3's default is CERT_NONE. Without a CA file the system trust store is used.
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self._ca_file) if self._ca_file else None)
        timeout = self.settings.connect_timeout
        return Server(self.settings.url, connect_timeout=timeout, tls=tls, get_info=NONE)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """An open, bound connection, unbound when the block ends."""
        bind_dn = self.settings.bind_dn
        who = bind_dn or "anonymous"
        conn = Connection(
            self._server(),
            user=bind_dn,
            password=self._password,
            authentication=SIMPLE if bind_dn else ANONYMOUS,
            client_strategy=SAFE_SYNC,
            # ldap3 packs the timeout as whole seconds for SO_RCVTIMEO: a float raises struct.error
            receive_timeout=max(1, math.ceil(self.settings.receive_timeout)),
            raise_exceptions=True,
            read_only=True,
            auto_referrals=False,
            auto_bind=False,
        )
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
                    f"directory {self.settings.url}: bind as {who} refused (invalid credentials)"
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
            _, _, response, _ = conn.search(
                base, search_filter, search_scope=scope, attributes=attributes, size_limit=size_limit
            )
        except ldap_errors.LDAPNoSuchObjectResult:
            raise DirectoryError(f"directory {self.settings.url}: base DN {base} does not exist") from None
        except ldap_errors.LDAPException as exc:
            raise self._error(exc, f"search of {base} failed") from None
        return [item for item in response or () if item.get("type") == "searchResEntry"]

    def _find(self, search_filter: str, now: datetime | None) -> list[Person]:
        mapper = EntryMapper(self.settings, now or datetime.now(UTC))
        with self._connection() as conn:
            items = self._search(conn, self.settings.base_dn or "", search_filter, self._attributes)
        return [mapper.map(item["dn"], item["raw_attributes"]) for item in items]

    def _error(self, exc: ldap_errors.LDAPException, what: str) -> DirectoryError:
        """A DirectoryError naming the server URL and the failed step (never the password)."""
        detail = getattr(exc, "description", None) or str(exc) or type(exc).__name__
        return DirectoryError(f"directory {self.settings.url}: {what} ({detail})")
