"""kill -9 at random moments: a scan, a report render and an offboarding re-check leave "before" or "after".

Builds a demo workspace (``auditor.demo.workspace``: its sandbox emulators, its directory history, one scan, one
open offboarding case of a leaver), keeps a pristine copy of its database, and for each of three real CLI
commands run as a subprocess

- ``auditor scan``,
- ``auditor report audit`` (renders and registers a PDF under ``reports-out/``),
- ``auditor offboard UID --check`` (re-checks the open case against the platforms),

runs it once to the end (its duration and the "after" state), then ``--trials`` times: restore the pristine
database, start the command, SIGKILL it after a random delay, and read the database back. Half the delays are
drawn over the whole run ([0, 1.2 x its duration]), half over its end ([0.75, 1.25] x its duration), where the
writes happen; the duration is re-estimated from the runs that finished before their kill (the machine's load
varies). The state is a digest of the rows the command writes (scans, their platform rows, findings by status,
finding events, inventory; the report register; the case, its checks and items): it must equal the digest
before or the one after, never something between. For reports, every registered PDF must exist on disk with
its registered SHA-256 and size (a half-written PDF is never registered); files left on disk that the
register does not know are counted (they are not authentic: ``auditor report verify`` refuses them).

    python bench/kill9.py [--trials 50] [--seed 1] [--only scan,report,offboard] [--dir PATH] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.config import load_settings
from auditor.demo.company import build_company
from auditor.demo.workspace import HISTORY_AGE_DAYS, HISTORY_LDIF, create_workspace

EPOCH = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
AUDITOR = str(Path(sys.executable).with_name("auditor"))
Digest = tuple[Any, ...]


def _rows(db: sqlite3.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.execute(sql).fetchall()]


def scan_digest(db: sqlite3.Connection, _folder: Path) -> Digest:
    """What a scan writes: scans, their platform rows, findings by status, events, inventory, audit log."""
    return (
        _rows(db, "SELECT status, trigger FROM scan ORDER BY id"),
        _rows(db, "SELECT scan_id, platform, status FROM scan_platform ORDER BY id"),
        _rows(db, "SELECT status, count(*) FROM finding GROUP BY status ORDER BY status"),
        _rows(db, "SELECT change, count(*) FROM finding_event GROUP BY change ORDER BY change"),
        _rows(db, "SELECT count(*), count(gone_at) FROM inv_account"),
        _rows(db, "SELECT count(*) FROM inv_grant"),
        _rows(db, "SELECT count(*) FROM audit_event"),
    )


def report_digest(db: sqlite3.Connection, _folder: Path) -> Digest:
    """What a report render writes: the register (its rows, not their ids or times)."""
    return (_rows(db, "SELECT kind, pages > 0 FROM report_register ORDER BY generated_at"),)


def offboard_digest(db: sqlite3.Connection, _folder: Path) -> Digest:
    """What a re-check writes: the case's check count, its checks by platform and status, its items by state."""
    return (
        _rows(db, "SELECT uid, status, checks, last_checked_at IS NOT NULL FROM offboarding_case ORDER BY id"),
        _rows(db, "SELECT platform, status, count(*) FROM offboarding_check GROUP BY platform, status "
                  "ORDER BY platform, status"),
        _rows(db, "SELECT state, count(*) FROM offboarding_item GROUP BY state ORDER BY state"),
    )


def register_problems(db: sqlite3.Connection, folder: Path) -> tuple[int, int]:
    """(registered PDFs missing or differing on disk, PDFs on disk the register does not know)."""
    registered = {row[0]: (row[1], row[2]) for row in db.execute(
        "SELECT id, pdf_sha256, pdf_size FROM report_register")}
    bad = 0
    for report_id, (sha, size) in registered.items():
        path = folder / "reports-out" / f"{report_id}.pdf"
        data = path.read_bytes() if path.exists() else b""
        bad += len(data) != size or hashlib.sha256(data).hexdigest() != sha
    out = folder / "reports-out"
    unknown = [p for p in out.iterdir() if p.stem not in registered] if out.exists() else []
    return bad, len(unknown)


class Workspace:
    """The demo workspace and its pristine database."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.config = create_workspace(folder, now=EPOCH)
        settings = load_settings(self.config)
        from auditor.services.directory_sync import sync_directory
        from auditor.services.scan import run_scan

        earlier = settings.model_copy(update={"directory": settings.directory.model_copy(
            update={"path": HISTORY_LDIF})})
        sync_directory(earlier, now=EPOCH - timedelta(days=HISTORY_AGE_DAYS))
        run_scan(settings, trigger="bench", now=EPOCH)
        company = build_company(settings.sandbox.company_seed, now=settings.sandbox.epoch)
        self.leaver = next(p.person for p in company.planted if p.category == "orphaned_access" and p.person)
        self.cli("offboard", self.leaver, "--no-check", "--last-day", "2026-03-01")
        self.db = folder / "auditor.db"
        self.pristine = folder / "pristine.db"
        shutil.copyfile(self.db, self.pristine)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run the real CLI on the workspace to the end."""
        return subprocess.run([AUDITOR, *args, "--config", str(self.config)], cwd=self.folder, check=False,
                              capture_output=True, text=True, timeout=600)

    def restore(self) -> None:
        """Put the pristine database back (and its journal away) and empty the reports folder."""
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine, self.db)
        shutil.rmtree(self.folder / "reports-out", ignore_errors=True)

    def read(self, digest: Callable[[sqlite3.Connection, Path], Digest]) -> tuple[Digest, tuple[int, int]]:
        """The digest and the register check, read the way the next command would (a hot journal rolls back)."""
        db = sqlite3.connect(self.db)
        try:
            return digest(db, self.folder), register_problems(db, self.folder)
        finally:
            db.close()


def trial_runs(ws: Workspace, name: str, args: list[str], digest: Callable, trials: int,
               rng: random.Random) -> dict[str, Any]:
    """One command: its reference run, then ``trials`` runs killed at random moments."""
    ws.restore()
    before, _ = ws.read(digest)
    started = time.perf_counter()
    done = ws.cli(*args)
    duration = time.perf_counter() - started
    after, problems = ws.read(digest)
    if done.returncode not in (0, 3) or before == after or problems != (0, 0):
        raise SystemExit(f"{name}: the reference run did not change the state as expected "
                         f"(exit {done.returncode}): {done.stderr[-500:]}")
    counts: Counter = Counter()
    delays = []
    estimate = duration
    for trial in range(trials):
        ws.restore()
        delay = rng.uniform(0, 1.2 * estimate) if trial % 2 else rng.uniform(0.75 * estimate, 1.25 * estimate)
        begun = time.perf_counter()
        process = subprocess.Popen([AUDITOR, *args, "--config", str(ws.config)], cwd=ws.folder,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            process.wait(timeout=delay)
            finished = True
            estimate = 0.5 * estimate + 0.5 * (time.perf_counter() - begun)
        except subprocess.TimeoutExpired:
            finished = False
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            estimate = max(estimate, 0.5 * estimate + 0.5 * delay * 1.1)
        delays.append(delay)
        state, (bad_register, unknown_files) = ws.read(digest)
        counts["finished before the kill" if finished else "killed"] += 1
        counts["before" if state == before else "after" if state == after else "BETWEEN"] += 1
        counts["registered PDF missing or half-written"] += bad_register
        counts["unregistered files left"] += unknown_files
    return {"command": " ".join(["auditor", *args]), "trials": trials, "reference_seconds": round(duration, 2),
            "delay_range": [round(min(delays), 2), round(max(delays), 2)], **counts}


def main(argv: list[str] | None = None) -> int:
    """Run the kill -9 trials and print the counts; exit 1 when a state between or a bad register was seen."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="scan,report,offboard")
    parser.add_argument("--dir", type=Path, default=None, help="workspace folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the counts as JSON")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    results = []
    with tempfile.TemporaryDirectory(prefix="kill9-") as tmp:
        ws = Workspace((args.dir or Path(tmp)) / "demo")
        commands = {
            "scan": (["scan"], scan_digest),
            "report": (["report", "audit"], report_digest),
            "offboard": (["offboard", ws.leaver, "--check"], offboard_digest),
        }
        for name in args.only.split(","):
            command, digest = commands[name]
            result = trial_runs(ws, name, command, digest, args.trials, rng)
            results.append(result)
            print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    bad = sum(r.get("BETWEEN", 0) + r.get("registered PDF missing or half-written", 0) for r in results)
    print(f"states between before and after: {sum(r.get('BETWEEN', 0) for r in results)}; registered PDFs "
          f"missing or half-written: {sum(r.get('registered PDF missing or half-written', 0) for r in results)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
