"""Directory-only sync: read the directory and record it (people who vanished become departed)."""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.config import Settings
from auditor.directory.base import open_directory
from auditor.errors import DirectoryError
from auditor.model import Person
from auditor.storage.db import open_database
from auditor.storage.repository import sync_people


def read_people(settings: Settings, now: datetime) -> list[Person]:
    """Read every person from the configured directory; an empty answer is an error, not 'everyone left'."""
    people = list(open_directory(settings).people(now))
    if not people:
        where = settings.directory.url or settings.directory.path
        raise DirectoryError(
            f"directory {where}: returned no people; refusing to treat everyone as departed "
            "(check base_dn and the user filter)"
        )
    return people


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
