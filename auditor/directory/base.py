"""The directory interface: where the company's people come from (an LDAP server or an LDIF file).

A directory only reports what it holds *now*; a person who vanished between two syncs is marked departed by
storage, not here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import UTC, datetime

from auditor.config import Settings
from auditor.directory.duplicates import merge_duplicates, merge_entries
from auditor.errors import ConfigError
from auditor.model import Person


class Directory(ABC):
    """A source of normalised people. Implementations: ``LdapDirectory``, ``LdifDirectory``."""

    name: str = "directory"
    """What the directory is called in messages (the server URL or the file path)."""

    @abstractmethod
    def people(self, now: datetime) -> Iterator[Person]:
        """Stream every person (status computed against ``now``, an aware datetime).

        Raises DirectoryError when the source cannot be read or an entry is malformed.
        """

    @abstractmethod
    def check(self) -> None:
        """Probe the source (connect, bind, base DN readable / file parseable); raises DirectoryError."""

    def get(self, uid: str, *, now: datetime | None = None) -> Person | None:
        """The person with this user id, or None. The default scans ``people()``; servers override it.

        Several entries with the uid are merged (``merge_duplicates``): the strictest status wins.
        """
        wanted = uid.casefold()
        matches = [p for p in self.people(now or datetime.now(UTC)) if p.uid.casefold() == wanted]
        return merge_entries(matches) if matches else None

    def find_by_email(self, email: str, *, now: datetime | None = None) -> Person | None:
        """The person holding this address (mail or alias, case-insensitive), or None.

        The default scans ``people()``; servers override it with a filtered search.
        """
        wanted = email.strip().lower()
        people = merge_duplicates(self.people(now or datetime.now(UTC)))
        return next((person for person in people if wanted in person.emails), None)


def open_directory(settings: Settings) -> Directory:
    """Build the configured directory; raises ConfigError for a missing key or an unset password variable."""
    directory = settings.directory
    source = settings.source or "config"
    if directory.kind == "ldif":
        from auditor.directory.ldif import LdifDirectory

        path = settings.resolve_path(directory.path)
        if path is None:
            raise ConfigError(f"{source}: directory.path is not set (required when directory.kind = 'ldif')")
        return LdifDirectory(path, directory)

    from auditor.directory.ldap import LdapDirectory

    for key in ("url", "base_dn"):
        if not getattr(directory, key):
            raise ConfigError(f"{source}: directory.{key} is not set (required when directory.kind = 'ldap')")
    password = None
    if directory.bind_dn:
        password = settings.secret(directory.password_env, key="directory.password_env")
    ca_file = settings.resolve_path(directory.ca_file)
    return LdapDirectory(directory, password=password, ca_file=ca_file)
