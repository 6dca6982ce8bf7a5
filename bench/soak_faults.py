"""Fault soak: randomised platform faults over many scans of the demo company, through the real scan pipeline.

One demo workspace (``auditor.demo.workspace``), its directory history synced once, every emulator served once
on loopback with a fault plan the soak arms before each scan. A clean scan of the whole demo gives the
baseline: the open findings (compared with the planted cases) and the request paths each platform uses. Then
``--scans`` scans, each of one platform (every ``--whole-every``-th scan the whole demo), each with 1-3 random
faults on the scanned platforms: the platform's own rate-limit signal, 429, 500/503, timeouts, malformed,
truncated and data-less JSON, a missing permission, the token revoked after a random number of requests, or
one path (one asset, one principal, one list) failing on every request. The data never changes, so:

- **falsely resolved**: a baseline finding resolved in a scan that read its platform incompletely;
- **lost**: a baseline finding missing after a scan that read its platform completely;
- **unreported**: a platform reported complete although a fault no retry could absorb (armed for every
  request it matched, or the revoked token) hit it;
- **reason missing**: an incomplete scope (or a failed platform) without its reason, or a scan row whose
  stored scopes differ from the summary's.

All four must be 0 (exit code 1 otherwise). Policies and the directory are read once (they never change here;
``read_inputs`` is memoised): every scan's fetch, evaluation and reconciliation is the real code.

    python bench/soak_faults.py [--scans 1000] [--seed 1] [--whole-every 25] [--dir PATH] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

import auditor.services.scan as scan_service
from auditor.config import Settings, load_settings
from auditor.connectors.live import sandbox_kind
from auditor.demo.company import build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.platforms import demo_platforms, sandbox_platforms
from auditor.demo.server import ServerHandle, serve
from auditor.demo.workspace import HISTORY_AGE_DAYS, HISTORY_LDIF, create_workspace
from auditor.services.directory_sync import sync_directory
from auditor.storage.db import Database, open_database
from auditor.storage.tables import Finding, ScanPlatform

EPOCH = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TIMEOUT = 0.25  # the platforms' HTTP timeout in the soak; a "timeout" fault answers after TIMEOUT + 0.25 s
FAULTS = ("429", "rate_limit", "500", "503", "timeout", "malformed", "truncated", "missing_data", "permission",
          "401", "revoked", "one_path")
TRANSIENT_WEIGHT = 3  # the transient kinds are drawn this many times more often than a revoked token


class SoakPlan(FaultPlan):
    """A fault plan that records the paths it is asked about and can revoke the token after N requests."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.revoke_after: int | None = None
        self.revoked = Fault("401", None, None)
        self._count = 0
        self._count_lock = threading.Lock()

    def take(self, path: str) -> Fault | None:
        """The revoked token's 401 once ``revoke_after`` requests were answered, else the armed faults."""
        with self._count_lock:
            self._count += 1
            self.paths.append(path)
            revoked = self.revoke_after is not None and self._count > self.revoke_after
        if revoked:
            self.revoked.hits += 1
            return self.revoked
        return super().take(path)

    def reset(self) -> None:
        """Disarm everything and forget the recorded paths."""
        self.clear()
        with self._count_lock:
            self.paths.clear()
            self._count = 0
            self.revoke_after = None
            self.revoked = Fault("401", None, None)


@dataclass(slots=True)
class Armed:
    """One fault armed for one scan: its kind, the platform, and whether no retry can absorb it."""

    kind: str
    platform: str
    fault: Fault
    persistent: bool


@dataclass(slots=True)
class Counts:
    """What the soak counted."""

    scans: int = 0
    whole_demo_scans: int = 0
    by_platform: Counter = field(default_factory=Counter)
    armed: Counter = field(default_factory=Counter)
    hit: Counter = field(default_factory=Counter)
    status: Counter = field(default_factory=Counter)
    incomplete_scopes: int = 0
    falsely_resolved: int = 0
    lost: int = 0
    unreported: int = 0
    reason_missing: int = 0
    spurious: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        """Keep the first problems for the report."""
        if len(self.problems) < 20:
            self.problems.append(text)


class Soak:
    """The workspace, its emulators and the checks after each scan."""

    def __init__(self, directory: Path, rng: random.Random):
        self.rng = rng
        config = create_workspace(directory, now=EPOCH)
        settings = load_settings(config)
        self.company = build_company(settings.sandbox.company_seed, now=settings.sandbox.epoch)
        kinds = {p.name: kind for p in settings.platform if (kind := sandbox_kind(p)) is not None}
        tenants = demo_platforms(self.company, kinds=set(kinds.values()))
        self.plans: dict[str, SoakPlan] = {}
        self.apps: dict[str, Any] = {}
        self.handles: list[ServerHandle] = []
        platforms = []
        for platform in settings.platform:
            if platform.name in kinds:
                app, prefix = emulator_for(platform.kind, self.company, settings, platform, tenants)
                app.faults = self.plans[platform.name] = SoakPlan()
                self.apps[platform.name] = app
                handle = serve(app)
                self.handles.append(handle)
                platform = platform.model_copy(update={
                    "base_url": handle.url + prefix, "backoff": 0.0, "max_retries": 1, "timeout": TIMEOUT,
                    "options": {**platform.options, "max_wait": 0.0}})
            platforms.append(platform)
        self.settings: Settings = settings.model_copy(update={"platform": platforms})
        earlier = self.settings.model_copy(update={"directory": self.settings.directory.model_copy(
            update={"path": HISTORY_LDIF})})
        sync_directory(earlier, now=EPOCH - timedelta(days=HISTORY_AGE_DAYS))
        self.db: Database = open_database(self.settings.storage_url)
        self.paths: dict[str, list[str]] = {}
        self.baseline: dict[str, str] = {}  # fingerprint -> platform
        self.clean_scopes: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        """Stop the emulators and close the database."""
        for handle in self.handles:
            handle.stop()
        self.db.dispose()

    def open_findings(self) -> dict[str, Finding]:
        """Open findings by fingerprint."""
        with self.db.session() as session:
            rows = session.exec(select(Finding).where(Finding.status == "open")).scalars().all()
            return {row.fingerprint: row for row in rows}

    def scan_rows(self, scan_id: int) -> dict[str, ScanPlatform]:
        """The platform rows of one scan."""
        with self.db.session() as session:
            rows = session.exec(select(ScanPlatform).where(ScanPlatform.scan_id == scan_id)).scalars().all()
            return {row.platform: row for row in rows}

    def take_baseline(self) -> tuple[Any, Counter, Counter]:
        """One clean scan of the whole demo: the baseline findings and each platform's request paths."""
        for plan in self.plans.values():
            plan.reset()
        summary = scan_service.run_scan(self.settings, now=EPOCH)
        self.paths = {name: sorted(set(plan.paths)) for name, plan in self.plans.items()}
        found = self.open_findings()
        self.baseline = {fp: row.platform for fp, row in found.items()}
        self.clean_scopes = {name: dict(scopes) for name, scopes in summary.incomplete_scopes.items()}
        planted = list(self.company.planted) + [p for t in sandbox_platforms(self.company) for p in t.planted]
        keys = Counter((r.category, r.platform, r.account, r.asset) for r in found.values())
        return summary, keys, Counter(p.key for p in planted)

    def arm(self, platform: str) -> list[Armed]:
        """Arm 1-3 random faults on one platform; returns what was armed."""
        plan, paths, armed = self.plans[platform], self.paths[platform], []
        pool = [k for k in FAULTS if k != "revoked"] * TRANSIENT_WEIGHT + ["revoked"]
        for _ in range(self.rng.randint(1, 3)):
            kind = self.rng.choice(pool)
            if kind == "revoked":
                plan.revoke_after = self.rng.randint(1, max(1, len(paths)))
                armed.append(Armed("revoked", platform, plan.revoked, True))
                continue
            path = self.rng.choice(paths) if paths and self.rng.random() < 0.8 else None
            if kind == "one_path":  # one asset / principal / list failing on every request
                fault = plan.add(self.rng.choice(("500", "503", "malformed", "truncated")), path or paths[0],
                                 times=None, delay=TIMEOUT + 0.25)
                armed.append(Armed("one_path", platform, fault, True))
                continue
            times = self.rng.choice((1, 1, 2, None))
            fault = plan.add(kind, path, times=times, delay=TIMEOUT + 0.25, retry_after=0.0, regain_minutes=0.0)
            armed.append(Armed(kind, platform, fault, times is None))
        return armed

    def run(self, index: int, names: list[str], counts: Counts) -> None:
        """One scan of ``names`` (one platform, or all when several) with faults, then every check."""
        for plan in self.plans.values():
            plan.reset()
        for app in self.apps.values():  # the emulators record requests: keep memory flat over the soak
            if isinstance(getattr(app, "requests", None), list):
                app.requests.clear()
        targets = [n for n in names if n in self.plans]
        faulted = self.rng.sample(targets, k=min(len(targets), self.rng.randint(1, 3))) if len(names) > 1 \
            else targets
        armed = [a for name in faulted for a in self.arm(name)]
        before = set(self.open_findings())
        only = names[0] if len(names) == 1 else None
        summary = scan_service.run_scan(self.settings, platform=only, trigger="soak",
                                        now=EPOCH + timedelta(seconds=index + 1))
        counts.scans += 1
        counts.whole_demo_scans += only is None
        counts.by_platform.update(names)
        counts.armed.update(a.kind for a in armed)
        counts.hit.update(a.kind for a in armed if a.fault.hits)
        self.check(index, summary, armed, before, counts)

    def check(self, index: int, summary: Any, armed: list[Armed], before: set[str], counts: Counts) -> None:
        """The four checks of the module docstring, counted (a finding once per loss: open before the scan)."""
        rows = self.scan_rows(summary.scan_id)
        incomplete = set()
        for name, status, errors in summary.platforms:
            counts.status[status] += 1
            scopes = summary.incomplete_scopes.get(name, {})
            row = rows.get(name)
            if status != "complete":
                incomplete.add(name)
                counts.incomplete_scopes += len(scopes)
                if (not scopes and not any(e.strip() for e in errors)) or not all(
                        str(reason).strip() for reason in scopes.values()):
                    counts.reason_missing += 1
                    counts.problem(f"scan {index}: {name} {status} without a reason: {scopes or errors}")
            if row is None or dict(row.incomplete_scopes or {}) != dict(scopes) or row.status != status:
                counts.reason_missing += 1
                counts.problem(f"scan {index}: {name}: the scan row does not say what the summary says")
            if status == "complete":
                missed = [a for a in armed if a.platform == name and a.persistent and a.fault.hits]
                if missed:
                    counts.unreported += 1
                    what = [(a.kind, a.fault.kind, a.fault.path_contains, a.fault.hits) for a in missed]
                    counts.problem(f"scan {index}: {name} complete despite {what}")
        found = self.open_findings()
        scanned = {name for name, _status, _errors in summary.platforms}
        for fingerprint, platform in self.baseline.items():
            if fingerprint in found or fingerprint not in before or platform not in scanned:
                continue
            if platform in incomplete:
                counts.falsely_resolved += 1
                counts.problem(f"scan {index}: {fingerprint} of {platform} resolved while {platform} was "
                               f"read incompletely: {summary.incomplete_scopes.get(platform)}")
            else:
                counts.lost += 1
                counts.problem(f"scan {index}: {fingerprint} of {platform} lost after a complete read")
        for fingerprint, row in found.items():
            if fingerprint not in self.baseline and row.category != "could_not_verify" and row.platform in scanned:
                counts.spurious[row.category] += 1


def read_once(read_inputs: Any) -> Any:
    """``read_inputs`` memoised: the soak's policies and directory never change."""
    cache: dict[str, Any] = {}

    def wrapper(settings: Settings, now: datetime, progress: Any) -> Any:
        if "inputs" not in cache:
            cache["inputs"] = read_inputs(settings, now, progress)
        return cache["inputs"]
    return wrapper


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print the counts; exit 1 when a finding was falsely resolved, lost or unreported."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--whole-every", type=int, default=25, help="every Nth scan covers the whole demo")
    parser.add_argument("--dir", type=Path, default=None, help="workspace folder (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the counts as JSON")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # each fault logs its retry or failure: thousands of lines
    rng = random.Random(args.seed)
    scan_service.read_inputs = read_once(scan_service.read_inputs)
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        soak = Soak((args.dir or Path(tmp)) / "demo", rng)
        try:
            started = time.perf_counter()
            summary, found, planted = soak.take_baseline()
            print(f"baseline: scan #{summary.scan_id} {summary.status}, {len(soak.baseline)} open findings; "
                  f"planted {sum(planted.values())}, matching the planted cases: {found == planted}")
            for name, scopes in soak.clean_scopes.items():
                print(f"  without faults, {name} already reads incompletely: {', '.join(sorted(scopes))}")
            names = list(soak.plans)
            counts = Counts()
            for index in range(args.scans):
                whole = args.whole_every and (index + 1) % args.whole_every == 0
                soak.run(index, [p.name for p in soak.settings.platform] if whole else [rng.choice(names)], counts)
                if (index + 1) % 100 == 0:
                    print(f"  {index + 1} scans, {time.perf_counter() - started:.0f} s", flush=True)
            elapsed = time.perf_counter() - started
        finally:
            soak.close()
    report = {
        "scans": counts.scans, "whole_demo_scans": counts.whole_demo_scans, "seconds": round(elapsed, 1),
        "scans_by_platform": dict(sorted(counts.by_platform.items())),
        "faults_armed": dict(sorted(counts.armed.items())), "faults_hit": dict(sorted(counts.hit.items())),
        "platform_results": dict(counts.status), "incomplete_scopes_reported": counts.incomplete_scopes,
        "falsely_resolved": counts.falsely_resolved, "lost": counts.lost, "unreported": counts.unreported,
        "reason_missing": counts.reason_missing, "new_findings_other_than_could_not_verify": dict(counts.spurious),
    }
    for key, value in report.items():
        print(f"{key}: {value}")
    for problem in counts.problems:
        print(f"  ! {problem}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    bad = counts.falsely_resolved + counts.lost + counts.unreported + counts.reason_missing
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
