"""Use-cases of the data-subject-request register, called by the CLI (``auditor dsar``), the web UI and the
scheduler. Each opens the database, does one job in one transaction and returns plain JSON-ready data.

Dates: ``now`` is an aware datetime (default: the current time); the calendar day used for deadlines is
``now`` in ``[dsar] timezone``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from auditor.config import Settings
from auditor.connectors.live import live_settings
from auditor.dsar import collect as collecting
from auditor.dsar import erasure, pack, register
from auditor.dsar import records as stored
from auditor.dsar import tables as dsar_tables  # noqa: F401 - registers the tables before the database is opened
from auditor.dsar.errors import DsarError, TransitionRefused
from auditor.dsar.model import Collection
from auditor.dsar.processing import records_of_processing
from auditor.dsar.retention import apply_retention
from auditor.dsar.vocabulary import check_language
from auditor.errors import AuditorError, ConfigError
from auditor.storage.db import Database, open_database


def timezone_of(settings: Settings) -> ZoneInfo:
    """The calendar of receipt and due dates (``[dsar] timezone``); ConfigError names the key when unknown."""
    try:
        return ZoneInfo(settings.dsar.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{settings.source or 'config'}: dsar.timezone: unknown time zone "
                          f"{settings.dsar.timezone!r}") from exc


def current_time() -> datetime:
    """The wall clock, read here only (when a caller passes no ``now``), so that tests can fix it."""
    return datetime.now(UTC)


def _clock(settings: Settings, now: datetime | None) -> tuple[datetime, date]:
    now = now or current_time()
    return now, now.astimezone(timezone_of(settings)).date()


@contextmanager
def _session(settings: Settings, db: Database | None = None, *, write: bool = False) -> Iterator[Session]:
    """A transaction on ``db`` (the web app's) or on a database opened for this call. A ``write`` transaction
    takes SQLite's write lock at BEGIN: a read that later writes would fail if another writer committed between."""
    opened = None if db is not None else open_database(settings.storage_url)
    target = db or opened
    assert target is not None
    try:
        with target.session(write=write) as session:
            yield session
    finally:
        if opened is not None:
            opened.dispose()


def _detail(settings: Settings, session: Session, request_id: int, today: date) -> dict[str, Any]:
    return register.detail(session, request_id, today=today, reminder_days=settings.dsar.reminder_days,
                           escalation_days=settings.dsar.escalation_days)


# ------------------------------------------------------------------------------------------- register


def open_request(settings: Settings, *, name: str, emails: list[str], handles: dict[str, list[str]] | None = None,
                 request_type: str = "access", received: date | None = None, channel: str = "email",
                 owner: str | None = None, language: str | None = None, note: str | None = None,
                 actor: str, now: datetime | None = None, db: Database | None = None) -> dict[str, Any]:
    """Register a request received on ``received`` (default: today); returns its detail."""
    now, today = _clock(settings, now)
    received_on = received or today
    received_at = now if received is None else datetime.combine(
        received_on, time(0, 0), tzinfo=timezone_of(settings)).astimezone(UTC)
    with _session(settings, db, write=True) as session:
        row = register.open_request(
            session, name=name, emails=emails, handles=handles, request_type=request_type, channel=channel,
            received_at=received_at, received_on=received_on, owner=owner or settings.dsar.default_owner,
            language=language, note=note, actor=actor, now=now, today=today)
        return _detail(settings, session, row.id or 0, today)


def list_requests(settings: Settings, *, status: str = "open", now: datetime | None = None,
                  db: Database | None = None) -> list[dict[str, Any]]:
    """Register lines with id, status, received, due, days_left, alert ..., soonest due first."""
    _, today = _clock(settings, now)
    with _session(settings, db) as session:
        return register.list_requests(session, status=status, today=today,
                                      reminder_days=settings.dsar.reminder_days,
                                      escalation_days=settings.dsar.escalation_days)


def show_request(settings: Settings, request_id: int, *, now: datetime | None = None,
                 db: Database | None = None) -> dict[str, Any]:
    """One request with its stops, history and packs."""
    _, today = _clock(settings, now)
    with _session(settings, db) as session:
        return _detail(settings, session, request_id, today)


def change_request(settings: Settings, request_id: int, step: str, *, actor: str, now: datetime | None = None,
                   db: Database | None = None, **arguments: Any) -> dict[str, Any]:
    """Apply one lifecycle step (``start``, ``assign``, ``add_note``, ``verify_identity``, ``stop_clock``,
    ``resume_clock``, ``extend``, ``close``) with its arguments; returns the request's detail afterwards."""
    steps = {"start": register.start, "assign": register.assign, "add_note": register.add_note,
             "verify_identity": register.verify_identity, "stop_clock": register.stop_clock,
             "resume_clock": register.resume_clock, "extend": register.extend, "close": register.close}
    if step not in steps:
        raise ValueError(f"unknown step {step!r}")
    now, today = _clock(settings, now)
    needs_today = step in ("verify_identity", "stop_clock", "resume_clock", "extend", "close")
    with _session(settings, db, write=True) as session:
        row = register.load(session, request_id)
        extra = {"today": today} if needs_today else {}
        steps[step](session, row, actor=actor, now=now, **extra, **arguments)
        return _detail(settings, session, request_id, today)


def due_reminders(settings: Settings, *, now: datetime | None = None,
                  db: Database | None = None) -> list[dict[str, Any]]:
    """Open requests needing attention (reminder, escalation or overdue), most urgent first: for the scheduler."""
    lines = list_requests(settings, status="open", now=now, db=db)
    rank = {"overdue": 0, "escalation": 1, "reminder": 2}
    return sorted((line for line in lines if line["alert"] in rank), key=lambda x: (rank[x["alert"]], x["due"]))


# ------------------------------------------------------------------------------------ collection, pack


def _subject(row: Any) -> collecting.Subject:
    return collecting.subject_from(row.subject_name, row.subject_emails, row.subject_handles)


def collect_for_request(settings: Settings, request_id: int, *, actor: str, now: datetime | None = None,
                        factory: collecting.ConnectorFactory | None = None, db: Database | None = None) -> Collection:
    """Search every source for the request's subject; the register records what was searched with what result."""
    now, _ = _clock(settings, now)
    with _session(settings, db) as session:  # reads only, while the platforms are asked
        subject = _subject(register.load(session, request_id))
        with live_settings(settings) as live:
            collection = collecting.collect(live, session, subject, now=now, factory=factory)
    with _session(settings, db, write=True) as session:
        row = register.load(session, request_id)
        row.subject_uid = ",".join(collection.uids) or None
        register.start(session, row, actor=actor, now=now)
        register.record_event(session, row, "collected", actor=actor, now=now, detail={
            "sources": {s.source: s.status for s in collection.sources}, "counts": collection.counts(),
            "redactions": dict(collection.redactions)})
    return collection


def make_pack(settings: Settings, request_id: int, *, actor: str, language: str | None = None,
              now: datetime | None = None, factory: collecting.ConnectorFactory | None = None,
              db: Database | None = None) -> pack.Pack:
    """Collect, build the answer pack and record its SHA-256 in the register (nothing is written to disk).

    ``language`` must be one of ``vocabulary.LANGUAGES`` (DsarError otherwise, before anything is collected)."""
    try:
        check_language(language)
    except ValueError as exc:
        raise DsarError(str(exc)) from None
    now, today = _clock(settings, now)
    collection = collect_for_request(settings, request_id, actor=actor, now=now, factory=factory, db=db)
    with _session(settings, db) as session:
        row = register.load(session, request_id)
        info = pack.RequestInfo(
            id=request_id, request_type=row.request_type, status=row.status, received_on=row.received_on,
            due_on=register.deadline_of(row, register.stops_of(session, [request_id])[request_id], today).due,
            subject_name=row.subject_name, emails=tuple(row.subject_emails),
            handles={p: tuple(v) for p, v in row.subject_handles.items()})
        chosen = language or row.language or settings.language
    built = pack.build_pack(info, collection, settings.dsar, dsar_dir=settings.reports_dir / "dsar",
                            language=chosen, now=now, today=today)
    with _session(settings, db, write=True) as session:
        register.record_pack(session, register.load(session, request_id), sha256=built.sha256,
                             files=built.file_hashes, language=chosen, holds_data=built.holds_data, actor=actor,
                             now=now, summary_data={"sources": {s.source: s.status for s in collection.sources},
                                                    "counts": collection.counts(),
                                                    "redactions": dict(collection.redactions)})
    return built


def write_answer_pack(settings: Settings, request_id: int, out_dir: Path, *, actor: str,
                      language: str | None = None, now: datetime | None = None,
                      factory: collecting.ConnectorFactory | None = None) -> tuple[pack.Pack, list[Path]]:
    """Build the pack and write its files (PDF letter, JSON export, CSV per category, SHA256SUMS) to ``out_dir``."""
    built = make_pack(settings, request_id, actor=actor, language=language, now=now, factory=factory)
    return built, pack.write_pack(built, out_dir)


def pack_zip(built: pack.Pack) -> bytes:
    """The pack as one ZIP archive (for a download)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in built.files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


# ------------------------------------------------------------------------- the auditor's own data


def erase_for_request(settings: Settings, request_id: int, *, actor: str, dry_run: bool = False,
                      now: datetime | None = None, db: Database | None = None) -> dict[str, Any]:
    """Decide on an erasure request and carry it out where no exception applies; the decision is recorded."""
    from auditor.directory.base import open_directory

    now, _ = _clock(settings, now)
    with _session(settings, db) as session:
        row = register.load(session, request_id)
        if row.request_type != "erasure":
            raise TransitionRefused(f"request {request_id} is a {row.request_type} request, not an erasure request")
        emails, handles = list(row.subject_emails), {p: set(v) for p, v in row.subject_handles.items()}
    try:
        directory = open_directory(settings)
        in_directory = any(directory.find_by_email(e, now=now) for e in emails)
    except AuditorError:  # an unreadable directory only loses a note in the decision
        in_directory = False
    with _session(settings, db, write=True) as session:
        row = register.load(session, request_id)
        register.require_open(row, "erase")
        decision = erasure.erase(session, stored.Identity(emails=set(emails), handles=handles), settings.dsar,
                                 now=now, dry_run=dry_run, in_live_directory=in_directory)
        if not dry_run:
            register.record_decision(session, row, decision.as_dict(), actor=actor, now=now)
        return decision.as_dict()


def run_retention(settings: Settings, *, now: datetime | None = None, dry_run: bool = False,
                  db: Database | None = None) -> dict[str, Any]:
    """Apply the auditor's own retention policy (the scheduled job); returns what went and what was kept."""
    now, _ = _clock(settings, now)
    with _session(settings, db, write=True) as session:
        return apply_retention(session, settings.dsar, now=now, dry_run=dry_run).as_dict()


def processing_record(settings: Settings) -> dict[str, Any]:
    """The Art. 30 records of processing of the auditor itself."""
    return records_of_processing(settings)
