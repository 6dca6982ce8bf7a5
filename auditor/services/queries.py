"""Read-side use-cases for the edges: findings, scan changes and one person's holdings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from auditor.config import Settings
from auditor.errors import AuditorError
from auditor.storage import queries
from auditor.storage.db import open_database


@contextmanager
def read_session(settings: Settings) -> Iterator[Any]:
    """A database session for reading, disposed afterwards."""
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            yield session
    finally:
        db.dispose()


def _read(settings: Settings, query: Callable[[Any], Any]) -> Any:
    with read_session(settings) as session:
        return query(session)


def find_findings(settings: Settings, **filters: Any) -> list[dict[str, Any]]:
    """Findings as dicts (the JSON contract of ``auditor findings``), filtered."""
    return _read(settings, lambda s: queries.list_findings(s, **filters))


def scan_changes(settings: Settings, scan_id: int | None = None) -> dict[str, Any]:
    """New, reopened and resolved findings of a scan against the previous one."""
    return _read(settings, lambda s: queries.scan_diff(s, scan_id))


class UnknownPerson(AuditorError):
    """The uid is neither in the directory nor in the stored history."""


def person_report(settings: Settings, uid: str) -> dict[str, Any]:
    """Everything one person holds across platforms, with their open findings."""
    report = _read(settings, lambda s: queries.person_holdings(s, uid))
    if not report or not report.get("person"):
        raise UnknownPerson(f"no person with uid {uid!r} in the directory or its history (run `auditor scan` first?)")
    return report
