"""Benchmark a scan at company scale, each stage beside its anchor measured in the same run on the same data.

Generates the fictional company at ``--size`` people (quick default 5,000; the issue's figures are at
``--size 50000``, about 250,000 grants), writes its directory as LDIF and serves its Meta business through the
emulator over loopback HTTP from a child process (so this process's peak memory is the scan's alone), then
runs ``--scans`` scans with the real code, stage by stage: directory read, Meta fetch (its audit log from the
stored cursor, as ``auditor scan`` does), stored audit log, directory sync, matching, evaluation, persistence
(one transaction). Anchors and ratios (see bench/scale_anchors.py):

- persistence of the first scan / raw ``sqlite3`` executemany (PostgreSQL: ``COPY``) of the same rows;
- persistence of a rescan / raw ``INSERT ... ON CONFLICT DO UPDATE`` of the same rows;
- fetch / (requests made x median request latency / the connector's workers);
- a rescan with nothing changed / the first scan (end to end), and the peak resident memory.

The figures go to ``--json`` (default ``bench/out/bench_scale-<size>-<db>.json``), which the README's
performance table is made from.

    python bench/bench_scale.py [--size 50000] [--postgres | --db postgresql+psycopg://... --anchor-db ...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform as host
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_anchors import persistence_anchor, row_count, scan_rows  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from auditor.config import DirectorySettings, PlatformSettings, Settings  # noqa: E402
from auditor.connectors.meta import MetaConnector  # noqa: E402
from auditor.demo.company import build_company  # noqa: E402
from auditor.demo.ldif_writer import ldif_text  # noqa: E402
from auditor.demo.meta.emulator import MetaEmulator  # noqa: E402
from auditor.demo.server import serve  # noqa: E402
from auditor.directory.ldif import LdifDirectory  # noqa: E402
from auditor.matching import link_accounts  # noqa: E402
from auditor.policy.engine import evaluate  # noqa: E402
from auditor.policy.facts import EvaluationContext  # noqa: E402
from auditor.policy.loader import load_policies  # noqa: E402
from auditor.services.heap import scan_heap  # noqa: E402
from auditor.services.scan import event_windows  # noqa: E402
from auditor.storage.db import open_database  # noqa: E402
from auditor.storage.event_log import complete_event_logs, event_cursors  # noqa: E402
from auditor.storage.repository import ScanRecord, save_scan, sync_people  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402

TOKEN = "bench-token"  # the emulator's own throwaway token
OUT = Path(__file__).resolve().parent / "out"
GOALS = {"persistence_vs_anchor": 3.0, "rescan_persistence_vs_anchor": 2.0, "rescan_vs_full_scan": 0.1,
         "peak_mib": 1024}


def peak_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(results: dict[str, float], stage: str, func: Callable[[], Any]) -> Any:
    """Run one stage, record its wall time; print it with the peak RSS after it."""
    start = time.perf_counter()
    value = func()
    results[stage] = round(time.perf_counter() - start, 3)
    print(f"  {stage:<24} {results[stage]:>8.2f} s   peak {round(peak_mib()):>6} MiB", flush=True)
    return value


ASSET_EDGES = ("owned_pages", "client_pages", "owned_ad_accounts", "client_ad_accounts", "owned_instagram_assets",
               "owned_whatsapp_business_accounts")


def densify(meta: dict[str, Any], target_grants: int) -> int:
    """Add read-only asset assignments for existing business users until there are ``target_grants`` grants.

    The generated company has about 2.3 grants per person; a shop with agencies and many brands has more.
    Added assignments are plain ANALYZE tasks (not privileged, so they add volume, not findings).
    """
    assets = [a for edge in ASSET_EDGES for a in meta.get(edge, [])]
    users = [u for u in meta["business_users"] if u.get("two_fac_status") == "enabled"]
    held = {(a["id"], u["id"]) for a in assets for u in a["assigned_users"]}
    grants = len(held) + len(meta["business_users"]) + len(meta["system_users"])
    index = 0
    while grants < target_grants and index < len(users) * len(assets):
        user, asset = users[index % len(users)], assets[(index // len(users) + index) % len(assets)]
        index += 1
        if (asset["id"], user["id"]) in held:
            continue
        held.add((asset["id"], user["id"]))
        asset["assigned_users"].append({"id": user["id"], "name": user["name"], "user_type": "business_user",
                                        "tasks": ["ANALYZE"], "permitted_tasks": ["ANALYZE"]})
        grants += 1
    return grants


class Counting:
    """WSGI middleware counting the requests it serves."""

    def __init__(self, app: Any):
        self.app, self.count, self._lock = app, 0, threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._lock:
            self.count += 1
        return self.app(environ, start_response)


def serve_platform(conn: Any, size: int, grants: int, now: datetime, ldif: Path) -> None:
    """Child process: build the company, write its LDIF, serve its Meta business until told to stop."""
    started = time.perf_counter()
    company = build_company(size=size, now=now)
    meta = next(t for t in company.tenants if t.kind == "meta")
    total = densify(meta.data, grants)
    meta.data["tokens"] = {TOKEN if t == meta.token else t: v for t, v in meta.data["tokens"].items()}
    ldif.write_text(ldif_text(company), encoding="utf-8")
    app = Counting(MetaEmulator(meta.data, token=TOKEN, max_limit=1000))
    with serve(app) as server:
        conn.send({"url": server.url, "business_id": meta.data["business"]["id"], "grants": total,
                   "directory": company.directory_settings, "seconds": time.perf_counter() - started})
        while conn.recv() == "count":
            conn.send(app.count)


def request_latency(url: str, business_id: str, samples: int = 30) -> float:
    """Median seconds of one small request to the emulator (the fetch anchor's unit)."""
    times = []
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        for _ in range(samples):
            start = time.perf_counter()
            client.get(f"{url}/v25.0/{business_id}", params={"fields": "id,name"}).raise_for_status()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def in_child(func: Callable[[], float]) -> float:
    """Run ``func`` in a forked process (its memory never counts in this process's peak); its result."""
    reader, writer = multiprocessing.get_context("fork").Pipe(duplex=False)

    def run() -> None:
        writer.send(func())

    child = multiprocessing.get_context("fork").Process(target=run)
    child.start()
    value = reader.recv()
    child.join()
    return value


class Bench:
    """One benchmark run: the served platform, the database, and the figures so far."""

    def __init__(self, args: argparse.Namespace, work: Path, conn: Any, served: dict[str, Any]):
        self.args, self.conn, self.now = args, conn, args.now
        self.ldif = work / "people.ldif"
        self.url = args.db or f"sqlite:///{work / 'bench.db'}"
        self.anchor_url = args.anchor_db or (f"sqlite:///{work / 'anchor.db'}" if self.url.startswith("sqlite")
                                             else None)
        self.settings = Settings(directory=DirectorySettings(kind="ldif", path=str(self.ldif),
                                                             **served["directory"]))
        self.platform = PlatformSettings(
            kind="meta", name="Kwiatek on Meta", base_url=served["url"] + "/v25.0",
            business_id=served["business_id"], token_env="BENCH_TOKEN", page_size=1000, backoff=0,
        )
        self.connector = MetaConnector(self.platform, lambda _env, _key: TOKEN)
        self.latency = request_latency(served["url"], served["business_id"])
        self.policies = load_policies(self.settings.policies_dir)
        self.db = open_database(self.url)

    def requests(self) -> int:
        """Requests the platform has served so far."""
        self.conn.send("count")
        return self.conn.recv()

    def scan(self, n: int) -> dict[str, Any]:
        """One scan, stage by stage, with the real code; its figures and anchors."""
        now, stages = self.now, {}
        people_now = timed(stages, "directory read", lambda: list(LdifDirectory(self.ldif, self.settings.directory)
                                                                   .people(now)))
        with self.db.session() as session:
            cursors = event_cursors(session)
        windows = event_windows([self.platform], now, cursors)
        before = self.requests()
        snapshot = timed(stages, "fetch (Meta, HTTP)", lambda: self.connector.fetch(
            now=now, events_since=windows[self.platform.name][1]))
        requests = self.requests() - before
        with self.db.session() as session:
            timed(stages, "stored audit log", lambda: complete_event_logs(session, [snapshot], cursors, windows))
            people = timed(stages, "directory sync", lambda: sync_people(session, people_now, now))
            links = timed(stages, "matching", lambda: link_accounts([snapshot], people, self.settings.matching))
            context = EvaluationContext(now=now, people=people, snapshots=[snapshot], links=links)
            verdicts = timed(stages, "evaluation", lambda: evaluate(context, self.policies))
            record = ScanRecord(
                started_at=now, finished_at=now + timedelta(seconds=n), trigger="bench", snapshots=[snapshot],
                account_people={k: v.uid for k, v in links.items()}, verdicts=verdicts, directory_complete=True,
            )
            summary = timed(stages, "persistence", lambda: save_scan(session, record, []))
        peak = round(peak_mib())
        counts = {"people": len(people), "accounts": len(snapshot.accounts), "grants": len(snapshot.grants),
                  "events": len(snapshot.events), "verdicts": len(verdicts),
                  "open_findings": sum(summary.open_by_severity.values()), "requests": requests}
        anchors = {"fetch": round(requests * self.latency / self.connector.options.workers, 3)}
        if self.anchor_url:
            sqlite = self.anchor_url.startswith("sqlite")
            url, upsert = self.anchor_url, n > 1

            def write() -> float:
                rows = scan_rows(snapshot, verdicts, now, sqlite)
                counts["anchor_rows"] = row_count(rows)
                return persistence_anchor(url, rows, upsert=upsert)

            anchors["persistence"] = round(in_child(write), 3)
        print(f"  -> {counts}; anchors {anchors}", flush=True)
        return {"scan": n, "stages": stages, "total": round(sum(stages.values()), 3), "anchors": anchors,
                "counts": counts, "peak_mib": peak}


def ratios(scans: list[dict[str, Any]]) -> dict[str, float]:
    """The figures the goals are set on: each stage over its anchor, the rescan over the first scan."""
    first, last = scans[0], scans[-1]
    found: dict[str, float] = {"peak_mib": max(s["peak_mib"] for s in scans)}
    if "persistence" in first["anchors"]:
        found["persistence_vs_anchor"] = round(first["stages"]["persistence"] / first["anchors"]["persistence"], 2)
    found["fetch_vs_anchor"] = round(first["stages"]["fetch (Meta, HTTP)"] / first["anchors"]["fetch"], 2)
    if len(scans) > 1:
        if "persistence" in last["anchors"]:
            found["rescan_persistence_vs_anchor"] = round(
                last["stages"]["persistence"] / last["anchors"]["persistence"], 2)
        found["rescan_vs_full_scan"] = round(last["total"] / first["total"], 2)
        found["rescan_fetch_vs_anchor"] = round(last["stages"]["fetch (Meta, HTTP)"] / last["anchors"]["fetch"], 2)
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the stages beside their anchors and the ratios, write the JSON file."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=5_000, help="directory people (the issue's scale: 50000)")
    parser.add_argument("--grants", type=int, default=None, help="grow the Meta data to this many grants "
                        "(default: 5 per person)")
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--anchor-db", default=None, help="an empty database for the driver-only anchor "
                        "(default: a SQLite file beside --db's; needed for PostgreSQL)")
    parser.add_argument("--postgres", action="store_true", help="start a private PostgreSQL cluster for the run "
                        "(the scan's database and the anchor's)")
    parser.add_argument("--scans", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
    args = parser.parse_args(argv)
    args.grants = args.grants or 5 * args.size
    args.now = datetime.now(UTC)
    cluster = PostgresCluster().start() if args.postgres else None
    if cluster is not None:
        args.db, args.anchor_db = cluster.create_database(), cluster.create_database()
    engine = (args.db or "sqlite").split(":")[0].split("+")[0]
    out = args.json or OUT / f"bench_scale-{args.size}-{engine}.json"

    with tempfile.TemporaryDirectory() as tmp:
        conn, child_conn = multiprocessing.get_context("fork").Pipe()
        server = multiprocessing.get_context("fork").Process(
            target=serve_platform, args=(child_conn, args.size, args.grants, args.now, Path(tmp) / "people.ldif"))
        server.start()
        try:
            served = conn.recv()
            print(f"company of {args.size} people, {served['grants']} Meta grants, served in a child process "
                  f"({served['seconds']:.1f} s to build)", flush=True)
            bench = Bench(args, Path(tmp), conn, served)
            scans = []
            for n in range(1, args.scans + 1):
                print(f"scan {n} against {bench.url.split('@')[-1].split('://')[0]}", flush=True)
                with scan_heap():  # the collector's settings of a real scan (services.heap)
                    scans.append(bench.scan(n))
            bench.db.dispose()
        finally:
            conn.send("stop")
            server.join(timeout=30)
            if cluster is not None:
                cluster.stop()
    found = ratios(scans)
    print("ratios (goal):")
    for name, value in found.items():
        goal = GOALS.get(name)
        print(f"  {name:<30} {value:>8}" + (f"   (<= {goal})" if goal is not None else ""))
    result = {
        "machine": {"cores": os.cpu_count(), "python": host.python_version(), "system": host.platform()},
        "size": args.size, "grants": args.grants, "db": engine, "request_latency_s": round(bench.latency, 5),
        "workers": bench.connector.options.workers, "scans": scans, "ratios": found, "goals": GOALS,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
