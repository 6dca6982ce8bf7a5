"""The scheduler: jobs from the config, the run guard (one run per scheduled time, no overlap, crash
recovery) on SQLite and PostgreSQL, two real schedulers on one PostgreSQL, and missed runs on start."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from auditor.config import PlatformSettings, SchedulerSettings, Settings
from auditor.errors import ConfigError
from auditor.offboarding.tables import SchedulerLock, SchedulerRun
from auditor.scheduler import JobSpec, create_scheduler, job_specs, start_scheduler, sync_jobs
from auditor.services.jobs import RunGuard, current_run, retention
from auditor.storage.db import Database, open_database

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
RUNS = SchedulerRun.__table__

CALLS: list[tuple[str, datetime, str]] = []
CALLS_LOCK = threading.Lock()
ENOUGH = threading.Event()
WANTED = {"slots": 3}


def record_call() -> None:
    """A job for the scheduler tests: records which run called it."""
    run = current_run()
    assert run is not None
    with CALLS_LOCK:
        CALLS.append((run.job_id, run.scheduled_for, run.owner))
        if len({slot for _, slot, _ in CALLS}) >= WANTED["slots"]:
            ENOUGH.set()


@pytest.fixture(autouse=True)
def _reset_calls() -> Iterator[None]:
    CALLS.clear()
    ENOUGH.clear()
    yield
    CALLS.clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'auditor.db'}"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    yield url
    cluster.drop_database(make_url(url).database or "")


@pytest.fixture
def pg_url(postgres_cluster) -> Iterator[str]:
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(make_url(url).database or "")


def _open(url: str) -> Database:
    return open_database(url)


def _ledger(db: Database) -> list[dict]:
    with db.session() as session:
        return [dict(r) for r in session.execute(select(RUNS).order_by(RUNS.c.id)).mappings()]


# --------------------------------------------------------------------------------------------- config


def test_job_specs_follow_the_config():
    settings = Settings(
        platform=[PlatformSettings(kind="meta", name="Shop on Meta"), PlatformSettings(kind="meta", name="Other")],
        scheduler=SchedulerSettings(timezone="Europe/Warsaw", scan_cron={"*": "0 2 * * *", "Other": "30 3 * * 1"},
                                    directory_sync_cron="15 1 * * *", retention_cron="0 4 * * 0",
                                    report_cron={"audit": "0 6 1 * *"}),
    )
    specs = {spec.id: spec for spec in job_specs(settings)}
    assert set(specs) == {"scan:Shop on Meta", "scan:Other", "directory-sync", "offboarding-recheck", "report:audit",
                          "retention"}
    assert specs["scan:Shop on Meta"].func == "auditor.services.jobs:scan_platform"
    assert specs["scan:Shop on Meta"].args == (settings, "Shop on Meta")
    assert "cron 0 2 * * *" in specs["scan:Shop on Meta"].signature
    assert "cron 30 3 * * 1" in specs["scan:Other"].signature
    assert str(specs["scan:Other"].trigger.timezone) == "Europe/Warsaw"
    assert specs["report:audit"].args == (settings, "audit")
    assert "every 60 min" in specs["offboarding-recheck"].signature


@pytest.mark.parametrize(("scheduler", "message"), [
    ({"scan_cron": {"*": "61 2 * * *"}}, "scheduler.scan_cron.*: bad cron expression"),
    ({"scan_cron": {"Nope": "0 2 * * *"}}, "scheduler.scan_cron: no platform named 'Nope'"),
    ({"report_cron": {"weekly": "0 2 * * *"}}, "scheduler.report_cron: unknown report kind 'weekly'"),
    ({"timezone": "Mars/Olympus"}, "scheduler.timezone: unknown time zone"),
    ({"directory_sync_cron": "every day"}, "scheduler.directory_sync_cron: bad cron expression"),
])
def test_bad_schedules_name_their_key(scheduler, message):
    settings = Settings(platform=[PlatformSettings(kind="meta", name="Shop")],
                        scheduler=SchedulerSettings(**scheduler))
    with pytest.raises(ConfigError, match=message.replace("*", r"\*").replace("(", r"\(")):
        job_specs(settings)


def test_revocation_for_an_unknown_platform_is_refused_at_start():
    settings = Settings(platform=[PlatformSettings(kind="meta", name="Shop")],
                        offboarding={"revocation_platforms": ["Shop on Meta"]})
    with pytest.raises(ConfigError, match="offboarding.revocation_platforms: no platform named 'Shop on Meta'"):
        job_specs(settings)


# ------------------------------------------------------------------------------------------ run guard


def test_one_scheduled_run_runs_once_and_never_overlaps(db_url):
    """Two guards (two schedulers' connections): a run in progress blocks every other run of the job;
    a run already done is not done again; the next scheduled time runs."""
    db_a, db_b = _open(db_url), _open(db_url)
    guard_a, guard_b = RunGuard(db_a, owner="a"), RunGuard(db_b, owner="b")
    inside, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(who: str) -> None:
        calls.append(who)
        inside.set()
        assert release.wait(30)

    try:
        outcome: dict[str, str] = {}
        worker = threading.Thread(target=lambda: outcome.update(a=guard_a.run("scan:x", T0, slow, "a")))
        worker.start()
        assert inside.wait(30)
        assert guard_b.run("scan:x", T0, calls.append, "b-same") == "duplicate"
        assert guard_b.run("scan:x", T0 + timedelta(hours=1), calls.append, "b-next") == "busy"
        assert guard_b.run("other", T0, calls.append, "b-other-job") == "done"
        release.set()
        worker.join(30)
        assert outcome == {"a": "done"}
        assert guard_b.run("scan:x", T0, calls.append, "b-again") == "duplicate"
        assert guard_a.run("scan:x", T0, calls.append, "a-again") == "duplicate"
        assert guard_b.run("scan:x", T0 + timedelta(hours=2), calls.append, "b-later") == "done"
        assert calls == ["a", "b-other-job", "b-later"]
        rows = {(r["job_id"], r["scheduled_for"]): r for r in _ledger(db_a)}
        assert rows[("scan:x", T0)]["status"] == "done" and rows[("scan:x", T0)]["owner"] == "a"
        assert rows[("scan:x", T0 + timedelta(hours=1))]["status"] == "skipped"
        assert rows[("scan:x", T0 + timedelta(hours=2))]["owner"] == "b"
        with db_a.session() as session:  # the SQLite lock rows are gone once released
            assert session.execute(select(SchedulerLock.__table__)).all() == []
    finally:
        release.set()
        db_a.dispose()
        db_b.dispose()


def test_a_failing_job_is_recorded_and_the_next_run_goes_ahead(db_url):
    db = _open(db_url)
    guard = RunGuard(db, owner="a")

    def boom() -> None:
        raise RuntimeError("platform exploded")

    try:
        with pytest.raises(RuntimeError):
            guard.run("scan:x", T0, boom)
        assert guard.run("scan:x", T0 + timedelta(hours=1), lambda: None) == "done"
        statuses = [(r["status"], r["error"]) for r in _ledger(db)]
        assert statuses == [("failed", "RuntimeError: platform exploded"), ("done", None)]
    finally:
        db.dispose()


def test_sqlite_lock_of_a_dead_scheduler_is_taken_over_once_stale(tmp_path):
    db = _open(f"sqlite:///{tmp_path / 'a.db'}")
    crashed_at = T0
    try:
        with db.session() as session:  # what a scheduler that died mid-scan leaves behind
            session.execute(insert(SchedulerLock.__table__).values(
                name="scan:x", owner="dead:1", acquired_at=crashed_at, heartbeat_at=crashed_at))
            session.execute(insert(RUNS).values(job_id="scan:x", scheduled_for=crashed_at, owner="dead:1",
                                                status="running", started_at=crashed_at))
        soon = RunGuard(db, owner="b", stale_after_seconds=600, clock=lambda: crashed_at + timedelta(minutes=5))
        assert soon.run("scan:x", T0 + timedelta(hours=1), lambda: None) == "busy"
        later = RunGuard(db, owner="c", stale_after_seconds=600, clock=lambda: crashed_at + timedelta(minutes=11))
        assert later.run("scan:x", T0 + timedelta(hours=2), lambda: None) == "done"
        rows = [(r["owner"], r["status"]) for r in _ledger(db)]
        assert rows == [("dead:1", "abandoned"), ("b", "skipped"), ("c", "done")]
    finally:
        db.dispose()


def _wait_until_released(url, namespace: int, key: int) -> None:
    """Poll pg_locks (at most ~10 s) until no session holds the advisory lock: a closed client's backend
    releases its session locks when it has exited, which the server does shortly after the close."""
    with psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                         autocommit=True) as probe:
        for _ in range(200):
            held = probe.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                 "AND classid::bigint = %s AND objid::bigint = %s AND granted",
                                 (namespace, key & 0xFFFFFFFF)).fetchone()[0]  # pg_locks shows oids
            if not held:
                return
            time.sleep(0.05)
    raise AssertionError("the dead connection's advisory lock was never released")


def test_postgres_lock_of_a_dead_connection_is_released(pg_url):
    db = _open(pg_url)
    url = make_url(pg_url)
    try:
        guard = RunGuard(db, owner="b")
        holder = psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database,
                                 autocommit=True)
        from auditor.services.jobs import _PG_NAMESPACE, _lock_key

        holder.execute("SELECT pg_advisory_lock(%s, %s)", (_PG_NAMESPACE, _lock_key("scan:x")))
        assert guard.run("scan:x", T0, lambda: None) == "busy"
        holder.close()  # the scheduler holding it dies: the server drops its session locks
        _wait_until_released(url, _PG_NAMESPACE, _lock_key("scan:x"))  # the backend exits asynchronously
        assert guard.run("scan:x", T0 + timedelta(hours=1), lambda: None) == "done"
    finally:
        db.dispose()


def test_retention_deletes_old_ledger_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    db = _open(url)
    try:
        guard = RunGuard(db, owner="a", clock=lambda: T0)
        guard.run("scan:x", T0, lambda: None)
        later = RunGuard(db, owner="a", clock=lambda: T0 + timedelta(days=500))
        later.run("scan:x", T0 + timedelta(days=500), lambda: None)
        counts = retention(Settings(storage={"url": url}), now=T0 + timedelta(days=501))
        assert counts["scheduler_runs"] == 1
        assert [r["scheduled_for"] for r in _ledger(db)] == [T0 + timedelta(days=500)]
    finally:
        db.dispose()


# -------------------------------------------------------------------------------------- real schedulers


def _spec(seconds: float, signature: str = "test every second") -> JobSpec:
    return JobSpec("test-job", "tests.test_scheduler:record_call", (),
                   IntervalTrigger(seconds=seconds, timezone=UTC), signature)


def test_two_schedulers_on_one_postgres_never_run_one_job_twice(pg_url):
    settings = Settings(storage={"url": pg_url}, scheduler=SchedulerSettings(misfire_grace_seconds=3600))
    dbs = [_open(pg_url), _open(pg_url)]
    schedulers = [create_scheduler(settings, db, guard=RunGuard(db, owner=f"s{i}")) for i, db in enumerate(dbs)]
    try:
        for scheduler in schedulers:
            start_scheduler(scheduler, [_spec(1)])
        assert ENOUGH.wait(30), f"only {len(CALLS)} run(s) happened"
    finally:
        for scheduler in schedulers:
            scheduler.shutdown(wait=True)
    try:
        slots = [slot for _, slot, _ in CALLS]
        assert len(slots) >= 3
        assert len(slots) == len(set(slots)), f"a scheduled time ran twice: {CALLS}"
        ledger = _ledger(dbs[0])
        assert {r["status"] for r in ledger} == {"done"}, "no scheduled time may be lost to the other scheduler"
        assert sorted(r["scheduled_for"] for r in ledger) == sorted(slots)
    finally:
        for db in dbs:
            db.dispose()


def test_missed_runs_run_once_on_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    settings = Settings(storage={"url": url}, scheduler=SchedulerSettings(misfire_grace_seconds=3600))
    spec = _spec(60, "test every minute")
    WANTED["slots"] = 1
    db = _open(url)
    try:
        first = create_scheduler(settings, db)
        first.start(paused=True)
        assert sync_jobs(first, [spec]) == {"test-job": "added"}
        missed_since = datetime.now(UTC) - timedelta(minutes=5, seconds=30)
        first.modify_job("test-job", next_run_time=missed_since)  # then the process was down 5 minutes
        first.shutdown(wait=True)

        second = create_scheduler(settings, db)
        try:
            assert start_scheduler(second, [spec]) == {"test-job": "kept"}
            assert ENOUGH.wait(30)
        finally:
            second.shutdown(wait=True)
        assert len(CALLS) == 1, "six missed runs coalesce into one"
        assert CALLS[0][1] > missed_since + timedelta(minutes=4)  # the latest missed time ran
        rows = _ledger(db)
        assert [r["status"] for r in rows] == ["done"]
        third = create_scheduler(settings, db)
        third.start(paused=True)
        try:
            job = third.get_job("test-job")
            assert job.next_run_time > datetime.now(UTC)
            changed = _spec(120, "test every two minutes")
            assert sync_jobs(third, [changed]) == {"test-job": "added"}
            assert sync_jobs(third, []) == {"test-job": "removed"}
        finally:
            third.shutdown(wait=False)
    finally:
        WANTED["slots"] = 3
        db.dispose()
