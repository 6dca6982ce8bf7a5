"""PostgreSQL under a team's load: the web's read queries while a scan writes, and two scheduler processes
started at once for the same job.

(a) A writer stores scans (thousands of accounts, grants and findings each, one transaction per scan) while
three reader threads, each with its own connection pool like a web worker, run the findings list, the scan
history and the platforms overview in a loop. No read waits longer than ``READ_BOUND``, reads really
overlap the writes, and every read (one ``snapshot`` session, as one page) sees the state after some
complete scan: never a mix of two scans, never a scan in the middle of being written. (With a plain
session, PostgreSQL's READ COMMITTED let about 1 read in 70 mix two scans: a page's total from one scan, its
rows from the next.)

(b) Two OS processes, each a scheduler's ``RunGuard`` on its own connection, race for the same job at the
same scheduled times: exactly one of them runs each time, the other is told ``duplicate``.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from auditor.findings.queries import FindingFilter, count_findings, list_page
from auditor.model import Grant, Severity
from auditor.offboarding.tables import SchedulerRun
from auditor.services.jobs import RunGuard
from auditor.storage.db import Database, open_database
from auditor.storage.inventory_queries import platforms_overview, scans_page
from auditor.storage.repository import save_scan
from tests.storage.builders import account, at, record, snapshot, verdict

READ_BOUND = 2.0  # seconds: the longest a web read may take while a scan writes
READERS = 3
SCANS = 3  # written one after the other while the readers run
T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def pg_url(postgres_cluster) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database."""
    url = postgres_cluster.create_database()
    open_database(url).dispose()  # migrate once, before anyone races
    yield url
    postgres_cluster.drop_database(make_url(url).database or "")


# ---------------------------------------------------------------------------------- (a) readers vs a scan


def _scan_record(number: int) -> Any:
    """Scan ``number``: 2,000 + 1,000 x number accounts, each with a grant and a failing check, so each scan
    adds accounts and findings (and its write takes a while)."""
    size = 2000 + 1000 * number
    accounts = [account(f"u{i}") for i in range(size)]
    grants = [Grant(f"u{i}", None, "ADMIN" if i % 10 == 0 else "EDITOR", i % 10 == 0) for i in range(size)]
    verdicts = [verdict(subject=f"u{i}", account=f"u{i}", severity=Severity.HIGH if i % 3 else Severity.LOW)
                for i in range(size)]
    return record(at(number), [snapshot(accounts=accounts, grants=grants)], verdicts)


def _web_read(db: Database) -> tuple[Any, ...]:
    """What the findings, scans and platforms pages read, in one snapshot session as one page does."""
    with db.session(snapshot=True) as session:
        findings = list_page(session, FindingFilter(), 1, 50)
        count = count_findings(session, FindingFilter(severity="high"))
        scans = scans_page(session, 1, 20)
        platforms = platforms_overview(session)
    latest = scans.rows[0]["id"] if scans.rows else None
    return (latest, scans.total, findings.total, count, tuple(p["accounts"] for p in platforms))


def test_readers_never_wait_long_and_never_see_half_a_scan(pg_url):
    writer_db = open_database(pg_url, migrate=False)
    with writer_db.session() as session:
        save_scan(session, _scan_record(0), [])
    states = [_web_read(writer_db)]  # the state after each complete scan, as a reader must see it
    writes: list[tuple[float, float]] = []
    reads: list[tuple[float, float, tuple[Any, ...]]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        db = open_database(pg_url, migrate=False)  # its own pool, like a web worker process
        try:
            while not stop.is_set():
                began = time.monotonic()
                seen = _web_read(db)
                reads.append((began, time.monotonic(), seen))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=reader, name=f"reader-{n}") for n in range(READERS)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.3)  # the readers are going before the first write begins
        for number in range(1, SCANS + 1):
            scan = _scan_record(number)
            began = time.monotonic()
            with writer_db.session() as session:
                save_scan(session, scan, [])
            writes.append((began, time.monotonic()))
            states.append(_web_read(writer_db))
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
        writer_db.dispose()
    assert not failures, failures
    assert len(set(states)) == SCANS + 1  # each scan changed what the pages show
    slowest = max(end - began for began, end, _ in reads)
    assert slowest < READ_BOUND, f"a read took {slowest:.2f} s while a scan was written"
    during = [r for r in reads if any(w0 < r[0] and r[1] < w1 for w0, w1 in writes)]
    assert len(during) >= READERS, f"only {len(during)} read(s) ran inside a scan's write: nothing overlapped"
    mixed = [seen for _, _, seen in reads if seen not in states]
    assert not mixed, f"{len(mixed)} of {len(reads)} reads saw a mix of scans, e.g. {mixed[0]} (states {states})"


# ------------------------------------------------------------------------------ (b) two scheduler processes

SLOTS = 4  # scheduled times both processes race for


def scheduler_process(url: str, owner: str, barrier: Any, ran_file: str, outcomes: Any) -> None:
    """One scheduler process: for each scheduled time, wait for the other, then run the job through the guard."""
    db = open_database(url, migrate=False)
    guard = RunGuard(db, owner=owner)

    def job(slot: datetime) -> None:
        with open(ran_file, "a", encoding="utf-8") as handle:  # O_APPEND: both processes append safely
            handle.write(f"{slot.isoformat()} {owner}\n")
        time.sleep(0.3)  # a scan takes a while: the other process arrives while it runs

    try:
        for n in range(SLOTS):
            slot = T0 + timedelta(hours=n)
            barrier.wait(30)
            outcomes.put((owner, n, guard.run("scan:Kwiatek on LinkedIn", slot, job, slot)))
    finally:
        db.dispose()


def test_two_scheduler_processes_started_at_once_run_a_job_once(pg_url, tmp_path: Path):
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters, as two `auditor schedule` processes
    barrier, outcomes = spawn.Barrier(2), spawn.Queue()
    ran_file = tmp_path / "ran.txt"
    processes = [spawn.Process(target=scheduler_process, args=(pg_url, f"sched-{n}", barrier, str(ran_file),
                                                               outcomes)) for n in range(2)]
    for process in processes:
        process.start()
    results = [outcomes.get(timeout=120) for _ in range(2 * SLOTS)]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    by_slot: dict[int, list[str]] = {}
    for _owner, n, outcome in results:
        by_slot.setdefault(n, []).append(outcome)
    assert all(sorted(by_slot[n]) == ["done", "duplicate"] for n in range(SLOTS)), by_slot
    ran = ran_file.read_text(encoding="utf-8").splitlines()
    assert sorted(line.split()[0] for line in ran) == [(T0 + timedelta(hours=n)).isoformat() for n in range(SLOTS)]
    assert {line.split()[1] for line in ran} <= {"sched-0", "sched-1"}
    db = open_database(pg_url, migrate=False)
    try:
        with db.session() as session:
            ledger = session.execute(select(SchedulerRun.__table__)).mappings().all()
    finally:
        db.dispose()
    assert sorted((r["scheduled_for"], r["status"]) for r in ledger) == [
        (T0 + timedelta(hours=n), "done") for n in range(SLOTS)]
    assert os.path.getsize(ran_file) > 0
