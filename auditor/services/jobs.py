"""The scheduler's jobs (one-line calls into the services) and ``RunGuard``, which makes each scheduled run
happen at most once across every scheduler sharing the database.

Job functions are module-level so APScheduler can store them by reference (``auditor.services.jobs:NAME``);
their first argument is the ``Settings`` the scheduler was started with.
"""

from __future__ import annotations

import contextvars
import importlib
import importlib.util
import logging
import os
import socket
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from auditor.config import Settings
from auditor.errors import AuditorError
from auditor.findings.texts import Texts
from auditor.offboarding.tables import OffboardingEvent, SchedulerLock, SchedulerRun
from auditor.storage.db import Database, open_database

log = logging.getLogger("auditor.jobs")

_RUNS = SchedulerRun.__table__
_LOCKS = SchedulerLock.__table__
_PG_NAMESPACE = 0x5A75  # first key of pg_try_advisory_lock(int, int): the scheduler's job locks


@dataclass(frozen=True, slots=True)
class RunInfo:
    """The run in progress in this thread: which job, for which scheduled time, by which owner."""

    job_id: str
    scheduled_for: datetime
    owner: str


_CURRENT: contextvars.ContextVar[RunInfo | None] = contextvars.ContextVar("auditor_job_run", default=None)


def current_run() -> RunInfo | None:
    """The guarded run executing in this thread (None outside a scheduled job)."""
    return _CURRENT.get()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _lock_key(name: str) -> int:
    """A signed 32-bit key for ``name`` (the second key of the two-key advisory lock)."""
    value = zlib.crc32(name.encode("utf-8"))
    return value - (1 << 32) if value >= 1 << 31 else value


class RunGuard:
    """Runs a job for one scheduled time at most once, and never while another run of it is going.

    ``run`` returns ``"done"`` after running the function, ``"duplicate"`` when another scheduler already
    claimed this scheduled time, ``"busy"`` when a run of the same job still holds its lock. A function
    that raises is recorded as failed and the exception propagates (APScheduler logs it).
    """

    def __init__(self, db: Database, *, owner: str | None = None, stale_after_seconds: int = 600,
                 clock: Callable[[], datetime] | None = None):
        self.db = db
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.stale_after = timedelta(seconds=stale_after_seconds)
        self.clock = clock or _utc_now
        self.postgres = db.engine.dialect.name == "postgresql"

    def run(self, job_id: str, scheduled_for: datetime, func: Callable[..., Any], /, *args: Any,
            **kwargs: Any) -> str:
        """Run ``func(*args, **kwargs)`` as the run of ``job_id`` scheduled for ``scheduled_for``."""
        scheduled_for = scheduled_for.astimezone(UTC)
        if not self._claim(job_id, scheduled_for):
            log.info("%s (%s): already claimed by another scheduler", job_id, scheduled_for.isoformat())
            return "duplicate"
        release = self._acquire(job_id)
        if release is None:
            self._finish(job_id, scheduled_for, "skipped", "another run of this job was still going")
            log.info("%s (%s): skipped, another run still holds the lock", job_id, scheduled_for.isoformat())
            return "busy"
        try:
            self._abandon_dead_runs(job_id, scheduled_for)
            token = _CURRENT.set(RunInfo(job_id, scheduled_for, self.owner))
            try:
                func(*args, **kwargs)
            except BaseException as exc:
                self._finish(job_id, scheduled_for, "failed", f"{type(exc).__name__}: {exc}"[:2000])
                raise
            finally:
                _CURRENT.reset(token)
            self._finish(job_id, scheduled_for, "done")
            return "done"
        finally:
            release()

    # -- ledger --------------------------------------------------------------------------------------

    def _claim(self, job_id: str, scheduled_for: datetime) -> bool:
        """Insert the (job, scheduled time) row as ``running``; False when another scheduler has it."""
        row = {"job_id": job_id, "scheduled_for": scheduled_for, "owner": self.owner, "status": "running",
               "started_at": self.clock()}
        try:
            with self.db.session(write=True, raw_integrity_errors=True) as session:
                session.execute(insert(_RUNS).values(**row))
        except IntegrityError:
            return False
        return True

    def _finish(self, job_id: str, scheduled_for: datetime, status: str, error: str | None = None) -> None:
        with self.db.session(write=True, raw_integrity_errors=True) as session:
            session.execute(update(_RUNS).where(
                _RUNS.c.job_id == job_id, _RUNS.c.scheduled_for == scheduled_for, _RUNS.c.owner == self.owner,
            ).values(status=status, finished_at=self.clock(), error=error))

    def _abandon_dead_runs(self, job_id: str, scheduled_for: datetime) -> None:
        """Earlier runs of this job still marked running belong to a dead holder (we hold the lock now)."""
        with self.db.session(write=True, raw_integrity_errors=True) as session:
            session.execute(update(_RUNS).where(
                _RUNS.c.job_id == job_id, _RUNS.c.status == "running", _RUNS.c.scheduled_for < scheduled_for,
            ).values(status="abandoned", finished_at=self.clock(), error="the scheduler running it stopped"))

    # -- locks ---------------------------------------------------------------------------------------

    def _acquire(self, job_id: str) -> Callable[[], None] | None:
        """Take the job's lock; returns its release function, or None when it is held elsewhere."""
        return self._acquire_advisory(job_id) if self.postgres else self._acquire_row(job_id)

    def _acquire_advisory(self, job_id: str) -> Callable[[], None] | None:
        connection = self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        keys = {"a": _PG_NAMESPACE, "b": _lock_key(job_id)}
        try:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:a, :b)"), keys).scalar_one()
        except BaseException:
            connection.close()
            raise
        if not got:
            connection.close()
            return None

        def release() -> None:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:a, :b)"), keys)
            except Exception:  # a broken connection: closing it for good releases the lock server-side
                connection.invalidate()
            finally:
                connection.close()

        return release

    def _acquire_row(self, job_id: str) -> Callable[[], None] | None:
        now = self.clock()
        with self.db.session(write=True, raw_integrity_errors=True) as session:
            row = session.execute(select(_LOCKS.c.owner, _LOCKS.c.heartbeat_at)
                                  .where(_LOCKS.c.name == job_id)).first()
            if row is None:
                session.execute(insert(_LOCKS).values(name=job_id, owner=self.owner, acquired_at=now,
                                                      heartbeat_at=now))
            elif row.heartbeat_at < now - self.stale_after:
                log.warning("%s: taking over the lock of %s (no heartbeat since %s)", job_id, row.owner,
                            row.heartbeat_at.isoformat())
                session.execute(update(_LOCKS).where(_LOCKS.c.name == job_id).values(
                    owner=self.owner, acquired_at=now, heartbeat_at=now))
            else:
                return None
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, stop), name=f"lock-{job_id}", daemon=True)
        beat.start()

        def release() -> None:
            stop.set()
            beat.join(timeout=10)
            with self.db.session(write=True, raw_integrity_errors=True) as session:
                session.execute(delete(_LOCKS).where(_LOCKS.c.name == job_id, _LOCKS.c.owner == self.owner))

        return release

    def _heartbeat(self, job_id: str, stop: threading.Event) -> None:
        interval = max(1.0, self.stale_after.total_seconds() / 4)
        while not stop.wait(interval):
            try:
                with self.db.session(write=True, raw_integrity_errors=True) as session:
                    session.execute(update(_LOCKS).where(_LOCKS.c.name == job_id, _LOCKS.c.owner == self.owner)
                                    .values(heartbeat_at=self.clock()))
            except Exception as exc:  # keep beating: a transient database error must not drop the lock
                log.warning("%s: lock heartbeat failed: %s", job_id, exc)


# ------------------------------------------------------------------------------------------------ jobs


def scan_platform(settings: Settings, platform: str) -> int:
    """Scheduled full scan of one platform, then a notice naming what it opened or could not verify.

    A scan that fails before storing (bad input, database down) is recorded as a failed scan and notified;
    the stored findings stay as they were and the next run starts afresh.
    """
    from auditor.notify import deliver, failed_scan_notice, scan_notice
    from auditor.services.queries import scan_changes
    from auditor.services.scan import run_scan

    started = _utc_now()
    try:
        summary = run_scan(settings, platform=platform, trigger="scheduler")
    except AuditorError as exc:
        _record_failed_scan(settings, started, f"{platform}: {exc}")
        deliver(settings, failed_scan_notice(settings.notifications, platform, str(exc)))
        raise
    notice = scan_notice(settings.notifications, summary, scan_changes(settings, summary.scan_id),
                         Texts(language="en", timezone=settings.timezone))
    if notice is not None:
        deliver(settings, notice)
    return summary.scan_id


def _record_failed_scan(settings: Settings, started: datetime, error: str) -> None:
    from auditor.errors import StorageError
    from auditor.storage.repository import record_failed_scan

    try:
        db = open_database(settings.storage_url)
    except StorageError:
        return  # the database itself is what failed: nothing to record it in
    try:
        with db.session() as session:
            record_failed_scan(session, started, error[:2000], trigger="scheduler")
    finally:
        db.dispose()


def sync_directory(settings: Settings) -> int:
    """Scheduled directory sync (people who vanished become departed)."""
    from auditor.services.directory_sync import sync_directory as sync

    return sync(settings)


def recheck_offboarding(settings: Settings) -> int:
    """Re-check every open offboarding case (closes clean ones, escalates overdue ones)."""
    from auditor.offboarding.use_cases import recheck_open_cases

    return len(recheck_open_cases(settings))


def run_reviews(settings: Settings, *, now: datetime | None = None) -> dict[str, Any]:
    """Access reviews: start due recurring campaigns, follow revocations through the scans, send reminders."""
    from auditor.reviews.use_cases import run_reviews as run

    return run(settings, now=now or _utc_now())


def push_findings(settings: Settings) -> dict[str, int]:
    """Send the findings whose status changed since the last push to the configured SIEM or collector."""
    from auditor.findings.push import push_findings as push

    result = push(settings)
    return {"sent": result.sent, "unchanged": result.unchanged}


def build_and_deliver_report(settings: Settings, kind: str) -> str:
    """Build a report of ``kind`` into the report folder and email it (as a PDF attachment) when configured."""
    from auditor.notify import Notice, deliver
    from auditor.reporting.use_cases import write_report

    path, entry = write_report(settings, kind, generated_by="scheduler")
    notice = Notice(kind="report", subject=f"auditor: {entry.title} {entry.id}", severity="info",
                    summary=f"Report {entry.id} ({entry.pages} pages, SHA-256 {entry.pdf_sha256}) is attached "
                            f"and kept at {path}.", link=settings.notifications.web_url,
                    facts={"report_id": entry.id, "kind": kind})
    deliver(settings, notice, [(path.name, path.read_bytes(), "application/pdf")])
    return entry.id


def retention(settings: Settings, *, now: datetime | None = None) -> dict[str, Any]:
    """Delete run-ledger rows and webhook event ids older than ``scheduler.retention_days``, then apply the
    auditor's retention policy for personal data (``auditor.dsar.use_cases.run_retention``) when installed."""
    now = now or _utc_now()
    cutoff = now - timedelta(days=settings.scheduler.retention_days)
    events = OffboardingEvent.__table__
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            runs = session.execute(delete(_RUNS).where(_RUNS.c.finished_at < cutoff)).rowcount
            old_events = session.execute(delete(events).where(events.c.received_at < cutoff)).rowcount
    finally:
        db.dispose()
    counts: dict[str, Any] = {"scheduler_runs": max(runs or 0, 0), "webhook_events": max(old_events or 0, 0)}
    if importlib.util.find_spec("auditor.dsar.use_cases") is not None:
        run_retention = getattr(importlib.import_module("auditor.dsar.use_cases"), "run_retention", None)
        if run_retention is not None:
            counts["personal_data"] = run_retention(settings, now=now)
    return counts
