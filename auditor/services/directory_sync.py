"""Directory-only sync: read the directory and record it (people who vanished become departed).

With ``directory.incremental`` (LDAP only) the read starts from the state the last sync saved
(``directory.state_file``, default ``<data_dir>/directory-state.json``, mode 0600: it holds the directory's
people): only changed entries and a DN-only listing are read, and a full read runs at least every
``directory.full_sync_hours`` (see ``auditor/directory/incremental.py``). A missing, unreadable or outdated
state file only means a full read.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from auditor.config import Settings
from auditor.directory.base import open_directory
from auditor.directory.duplicates import merge_duplicates
from auditor.directory.incremental import SyncState
from auditor.errors import DirectoryError
from auditor.model import Person
from auditor.private_files import private_folder, write_private
from auditor.storage.db import open_database
from auditor.storage.people import people_digest
from auditor.storage.repository import sync_people


def read_people(settings: Settings, now: datetime) -> list[Person]:
    """Read every person from the configured directory; an empty answer is an error, not 'everyone left'.

    Entries sharing a uid are merged into one person judged on the strictest entry (``merge_duplicates``).
    """
    return read_directory(settings, now)[0]


def read_directory(settings: Settings, now: datetime) -> tuple[list[Person], str]:
    """``read_people`` and the digest of the people read (``storage.people.people_digest``). An incremental
    read that found nothing new takes the digest saved with its state instead of computing it again."""
    directory = open_directory(settings)
    incremental = getattr(directory, "sync", None)  # LdapDirectory only
    if settings.directory.incremental and incremental is not None:
        path = state_path(settings)
        result = incremental(load_state(path), now)
        people = merge_duplicates(result.people)
        digest = result.state.people_digest if not result.state_changed else None
        if digest is None and people:
            digest = result.state.people_digest = people_digest(people)
            save_state(path, result.state)
    else:
        people = merge_duplicates(directory.people(now))
        digest = people_digest(people)
    if not people:
        where = settings.directory.url or settings.directory.path
        raise DirectoryError(
            f"directory {where}: returned no people; refusing to treat everyone as departed "
            "(check base_dn and the user filter)"
        )
    return people, digest


def sync_directory(settings: Settings, *, now: datetime | None = None) -> int:
    """Sync the directory into the database in one transaction; return the number of people read."""
    now = now or datetime.now(UTC)
    people = read_people(settings, now)
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            sync_people(session, people, now)
    finally:
        db.dispose()
    return len(people)


def state_path(settings: Settings) -> Path:
    """Where the incremental sync keeps its state."""
    configured = settings.resolve_path(settings.directory.state_file)
    if configured is not None:
        return configured
    folder = settings.resolve_path(settings.data_dir) or settings.base_dir
    return folder / "directory-state.json"


def load_state(path: Path) -> SyncState | None:
    """The saved state, or None (missing, unreadable or another version: the next read is full)."""
    try:
        return SyncState.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def save_state(path: Path, state: SyncState) -> None:
    """Write the state readable by its owner only, replacing the old one atomically."""
    try:
        private_folder(path.parent)
        partial = path.with_name(path.name + ".partial")
        write_private(partial, state.to_json().encode("utf-8"))
        os.replace(partial, path)
    except OSError as exc:
        raise DirectoryError(f"directory.state_file {path}: cannot write the sync state ({exc})") from None
