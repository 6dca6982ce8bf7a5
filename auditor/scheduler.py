"""APScheduler wiring: the configured jobs, a job store in the project database, and the run guard.

Jobs are one-line calls into ``auditor.services.jobs`` (full scan per platform, directory sync, offboarding
re-checks, reports, retention), kept in APScheduler's SQLAlchemy job store (table ``apscheduler_jobs``, made
by migration ``0004_offboarding``). ``auditor scheduler`` runs ``run_scheduler`` as its own process.

Guarantees, with several schedulers (or web workers) sharing one database:

- one scheduled run of a job runs at most once: each run claims the row (job, scheduled time) in
  ``scheduler_run`` (unique), so a second scheduler that also saw the job due finds the claim and skips;
- a run is not started while another run of the same job is still going (an overrunning scan): the run
  holds a lock for its whole duration (PostgreSQL: a session advisory lock, released by the server if the
  holder dies; SQLite: a ``scheduler_lock`` row with a heartbeat, taken over once stale) and a run that
  finds the lock held is recorded as skipped. ``max_instances=1`` does the same inside one process;
- runs missed while no scheduler was up run once on start (``coalesce``, ``misfire_grace_time``): a job
  whose definition did not change keeps its stored next run time instead of being re-added;
- a crash mid-run leaves the data as it was (each service writes in one transaction); the ledger row of the
  dead run is marked ``abandoned`` by the next run that takes the lock.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from auditor.config import Settings
from auditor.errors import ConfigError
from auditor.services.jobs import RunGuard
from auditor.storage.db import Database, open_database

log = logging.getLogger("auditor.scheduler")

JOBS = "auditor.services.jobs"
REPORT_KINDS = ("audit", "access-review")


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job as configured: its id, the service function (``module:name``), its arguments and trigger.

    ``signature`` (stored as the job's name) describes the definition; a stored job with the same
    signature is kept as it is at start, so its missed run is not lost.
    """

    id: str
    func: str
    args: tuple[Any, ...]
    trigger: BaseTrigger
    signature: str


def _zone(name: str, key: str, source: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{source}: {key}: unknown time zone {name!r}") from None


def cron_trigger(expression: str, zone: ZoneInfo, key: str, source: str) -> CronTrigger:
    """A five-field cron expression as a trigger; ConfigError naming ``key`` when it is malformed."""
    try:
        return CronTrigger.from_crontab(expression, timezone=zone)
    except ValueError as exc:
        raise ConfigError(f"{source}: {key}: bad cron expression {expression!r}: {exc}") from None


def _digest(settings: Settings) -> str:
    return hashlib.sha256(settings.model_dump_json().encode()).hexdigest()[:12]


def job_specs(settings: Settings) -> list[JobSpec]:
    """The jobs the configuration asks for (ConfigError naming the key of a bad entry)."""
    config = settings.scheduler
    source = settings.source or "config"
    zone = _zone(config.timezone, "scheduler.timezone", source)
    digest = _digest(settings)
    specs: list[JobSpec] = []

    def add(job_id: str, func: str, args: tuple[Any, ...], trigger: BaseTrigger, when: str) -> None:
        signature = f"{job_id} | {when} | {config.timezone} | {func} | settings {digest}"
        specs.append(JobSpec(job_id, f"{JOBS}:{func}", (settings, *args), trigger, signature))

    names = [p.name for p in settings.platform]
    for name in settings.offboarding.revocation_platforms:
        if name not in names:
            raise ConfigError(f"{source}: offboarding.revocation_platforms: no platform named {name!r}")
    for key in config.scan_cron:
        if key != "*" and key not in names:
            raise ConfigError(f"{source}: scheduler.scan_cron: no platform named {key!r} "
                              f"(known: {', '.join(names) or 'none configured'})")
    every = config.scan_cron.get("*")
    for name in names:
        expression = config.scan_cron.get(name, every)
        if expression:
            key = f"scheduler.scan_cron.{name if name in config.scan_cron else '*'}"
            add(f"scan:{name}", "scan_platform", (name,), cron_trigger(expression, zone, key, source),
                f"cron {expression}")
    if config.directory_sync_cron:
        trigger = cron_trigger(config.directory_sync_cron, zone, "scheduler.directory_sync_cron", source)
        add("directory-sync", "sync_directory", (), trigger, f"cron {config.directory_sync_cron}")
    minutes = settings.offboarding.recheck_minutes
    if minutes:
        add("offboarding-recheck", "recheck_offboarding", (), IntervalTrigger(minutes=minutes, timezone=zone),
            f"every {minutes} min")
    reports_available = importlib.util.find_spec("auditor.reporting.use_cases") is not None
    for kind, expression in config.report_cron.items():
        if kind not in REPORT_KINDS:
            raise ConfigError(f"{source}: scheduler.report_cron: unknown report kind {kind!r} "
                              f"(one of {', '.join(REPORT_KINDS)})")
        trigger = cron_trigger(expression, zone, f"scheduler.report_cron.{kind}", source)
        if not reports_available:
            log.warning("scheduler.report_cron.%s: the reporting module is not installed; job not registered",
                        kind)
            continue
        add(f"report:{kind}", "build_and_deliver_report", (kind,), trigger, f"cron {expression}")
    if config.retention_cron:
        trigger = cron_trigger(config.retention_cron, zone, "scheduler.retention_cron", source)
        add("retention", "retention", (), trigger, f"cron {config.retention_cron}")
    if config.review_cron:
        trigger = cron_trigger(config.review_cron, zone, "scheduler.review_cron", source)
        add("reviews", "run_reviews", (), trigger, f"cron {config.review_cron}")
    if settings.push.cron:
        if settings.push.target is None:
            raise ConfigError(f"{source}: push.cron is set but push.target is not (syslog or http)")
        add("push", "push_findings", (), cron_trigger(settings.push.cron, zone, "push.cron", source),
            f"cron {settings.push.cron}")
    return specs


# ------------------------------------------------------------------------------------------- executor


class _Slot:
    """What APScheduler's ``run_job`` reads of a job, with the call bound to the guard for one run time."""

    def __init__(self, job: Any, guard: RunGuard, run_time: Any):
        self._job = job
        self.id = job.id
        self.misfire_grace_time = job.misfire_grace_time
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self.func = functools.partial(guard.run, job.id, run_time, job.func, *job.args, **job.kwargs)

    def __str__(self) -> str:
        return str(self._job)


def _run_guarded(guard: RunGuard, job: Any, alias: str, run_times: list[Any], logger_name: str) -> list[Any]:
    events: list[Any] = []
    for run_time in run_times:
        events += run_job(_Slot(job, guard, run_time), alias, [run_time], logger_name)
    return events


class GuardedExecutor(ThreadPoolExecutor):
    """A thread-pool executor that runs every job through ``RunGuard.run`` with its scheduled time."""

    def __init__(self, guard: RunGuard, max_workers: int = 4):
        super().__init__(max_workers)
        self.guard = guard

    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        def callback(future: Any) -> None:
            exc = future.exception()
            if exc:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        future = self._pool.submit(_run_guarded, self.guard, job, job._jobstore_alias, run_times,
                                   self._logger.name)
        future.add_done_callback(callback)


# ------------------------------------------------------------------------------------------ scheduler


class AuditorScheduler(BackgroundScheduler):
    """APScheduler's background scheduler, minus one pass over due jobs after ``shutdown()``.

    APScheduler 3 wakes its loop once more when shut down; a job that is due by then cannot be submitted (the
    executor is gone) but its next run time is still advanced, so a missed run would be lost on a clean stop.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def create_scheduler(settings: Settings, db: Database, *, guard: RunGuard | None = None) -> AuditorScheduler:
    """A (not yet started) background scheduler on ``db``'s job store, running jobs through the guard."""
    config = settings.scheduler
    zone = _zone(config.timezone, "scheduler.timezone", settings.source or "config")
    guard = guard or RunGuard(db, stale_after_seconds=config.lock_stale_seconds)
    return AuditorScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=db.engine)},
        executors={"default": GuardedExecutor(guard, config.max_workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": config.misfire_grace_seconds},
        timezone=zone,
    )


def sync_jobs(scheduler: BackgroundScheduler, specs: list[JobSpec]) -> dict[str, str]:
    """Make the job store hold exactly ``specs``; returns job id -> ``kept`` | ``added`` | ``removed``.

    A stored job whose signature, function and arguments are unchanged is kept with its next run time (so a
    run missed while no scheduler was up is still due); others are (re)added with a fresh next run time.
    """
    stored = {job.id: job for job in scheduler.get_jobs()}
    outcome: dict[str, str] = {}
    for spec in specs:
        job = stored.pop(spec.id, None)
        if job is not None and job.name == spec.signature and job.func_ref == spec.func and job.args == spec.args:
            outcome[spec.id] = "kept"
            continue
        scheduler.add_job(spec.func, trigger=spec.trigger, args=list(spec.args), id=spec.id, name=spec.signature,
                          replace_existing=True)
        outcome[spec.id] = "added"
    for job_id in stored:
        scheduler.remove_job(job_id)
        outcome[job_id] = "removed"
    return outcome


def start_scheduler(scheduler: BackgroundScheduler, specs: list[JobSpec]) -> dict[str, str]:
    """Start paused, bring the job store in line with ``specs``, then resume (missed runs run now)."""
    scheduler.start(paused=True)
    try:
        outcome = sync_jobs(scheduler, specs)
    except BaseException:
        scheduler.shutdown(wait=False)
        raise
    scheduler.resume()
    return outcome


def run_scheduler(settings: Settings, *, stop: threading.Event | None = None,
                  echo: Callable[[str], None] | None = None) -> None:
    """Run the configured jobs until ``stop`` is set (the CLI sets it on SIGINT / SIGTERM)."""
    echo = echo or (lambda _message: None)
    stop = stop or threading.Event()
    specs = job_specs(settings)
    db = open_database(settings.storage_url)
    try:
        from auditor.logging_setup import configure_logging  # ops: JSON logs, metrics on their own port
        from auditor.metrics import start_metrics_server

        if settings.ops.log_format == "json":
            configure_logging(settings.ops)
        start_metrics_server(settings, db)
        scheduler = create_scheduler(settings, db)
        outcome = start_scheduler(scheduler, specs)
        for job in scheduler.get_jobs():
            echo(f"{job.id}: {outcome.get(job.id, 'kept')}, next run {job.next_run_time:%Y-%m-%d %H:%M %Z}")
        if not specs:
            echo("no jobs configured (see [scheduler] in the config); waiting for nothing")
        try:
            stop.wait()
        finally:
            scheduler.shutdown(wait=True)
    finally:
        db.dispose()
