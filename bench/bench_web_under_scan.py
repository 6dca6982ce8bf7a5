"""Benchmark the web UI served by several gunicorn workers on PostgreSQL while scans write.

Starts a private PostgreSQL (or takes ``--db``), a demo workspace whose storage is that database, stores a
first scan of ``--accounts`` accounts (each with a grant and a finding), then serves the app with
``gunicorn -w WORKERS`` on a free loopback port. ``--clients`` threads, signed in, request the findings list,
the high-severity findings, the scan history, the platforms overview and the dashboard in a loop: first for
``--idle`` seconds with no scan running (after a warm-up), then while ``--scans`` further scans (each a
thousand accounts larger) are written one after another. Prints request latency percentiles per phase
(and JSON with ``--json``).

    python bench/bench_web_under_scan.py [--workers 3] [--clients 6] [--accounts 20000] [--scans 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.accounts.sessions import create_session  # noqa: E402
from auditor.accounts.users import add_user  # noqa: E402
from auditor.config import load_settings  # noqa: E402
from auditor.demo.web_setup import ensure_web_secrets  # noqa: E402
from auditor.demo.workspace import create_workspace  # noqa: E402
from auditor.model import Grant, Severity  # noqa: E402
from auditor.storage.db import open_database  # noqa: E402
from auditor.storage.repository import ScanRecord, save_scan  # noqa: E402
from tests.storage.builders import account, at, record, snapshot, verdict  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402

PAGES = ("/findings", "/findings?severity=high", "/scans", "/platforms", "/dashboard")
COOKIE = "__Host-auditor-session"


def scan_record(number: int, accounts: int) -> ScanRecord:
    """Scan ``number``: ``accounts`` + 1,000 x number accounts, each with a grant and a failing check."""
    size = accounts + 1000 * number
    return record(at(number), [snapshot(
        accounts=[account(f"u{i}") for i in range(size)],
        grants=[Grant(f"u{i}", None, "ADMIN" if i % 10 == 0 else "EDITOR", i % 10 == 0) for i in range(size)],
    )], [verdict(subject=f"u{i}", account=f"u{i}", severity=Severity.HIGH if i % 3 else Severity.LOW)
         for i in range(size)])


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def workspace(folder: Path, url: str) -> Path:
    """A demo workspace with web keys whose storage is ``url``; returns its config path."""
    config = create_workspace(folder / "ws")
    ensure_web_secrets(load_settings(config))
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r'(\[storage\]\s*\nurl = )"[^"]*"', rf'\1"{url}"', text, count=1), encoding="utf-8")
    assert load_settings(config).storage_url == url, "the storage URL was not replaced"
    return config


def serve(config: Path, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn with ``workers`` sync workers on a free loopback port, once /healthz answers."""
    port = free_port()
    env = {**os.environ, "AUDITOR_CONFIG": str(config)}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-w", str(workers), "-b", f"127.0.0.1:{port}",
         "--timeout", "120", "auditor.web.ops:wsgi_app()"], env=env, cwd=str(ROOT), stdout=log.open("wb"),
        stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not get ready within 60 s")


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max in milliseconds."""
    if not values:
        return {}
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else ordered * 99
    return {"n": len(ordered), "p50_ms": round(cuts[49] * 1000, 1), "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--accounts", type=int, default=20000)
    parser.add_argument("--scans", type=int, default=3)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds measured before the scans")
    parser.add_argument("--db", help="a PostgreSQL URL (default: a private cluster)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    cluster = None if args.db else PostgresCluster().start()
    url = args.db or cluster.create_database()
    folder = Path(tempfile.mkdtemp(prefix="bench-web-scan-"))
    process = None
    try:
        config = workspace(folder, url)
        db = open_database(url)
        began = time.monotonic()
        with db.session() as session:
            save_scan(session, scan_record(0, args.accounts), [])
        first_scan = time.monotonic() - began
        user = add_user(db, "bench", "admin", "bench-password-long-enough", display_name="Bench")
        with db.session(write=True) as session:
            token = create_session(session, user.id, "full", datetime.now(UTC), timedelta(hours=2))
        process, base = serve(config, args.workers, folder / "gunicorn.log")

        with httpx.Client(base_url=base, headers={"Cookie": f"{COOKIE}={token}"}, timeout=60) as http:
            for path in PAGES * 2 * args.workers:  # warm every worker up (imports, templates) before timing
                http.get(path)
        phase = {"name": "idle"}
        samples: dict[str, list[float]] = {"idle": [], "scan": []}
        errors: list[str] = []
        stop = threading.Event()

        def client(n: int) -> None:
            with httpx.Client(base_url=base, headers={"Cookie": f"{COOKIE}={token}"}, timeout=60) as http:
                i = n
                while not stop.is_set():
                    path = PAGES[i % len(PAGES)]
                    i += 1
                    name = phase["name"]
                    t0 = time.monotonic()
                    response = http.get(path)
                    elapsed = time.monotonic() - t0
                    if response.status_code != 200:
                        errors.append(f"{path}: {response.status_code}")
                    samples[name].append(elapsed)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(args.idle)
        phase["name"] = "scan"
        writes = []
        for number in range(1, args.scans + 1):
            scan = scan_record(number, args.accounts)
            t0 = time.monotonic()
            with db.session() as session:
                save_scan(session, scan, [])
            writes.append(round(time.monotonic() - t0, 2))
        stop.set()
        for thread in threads:
            thread.join(120)
        db.dispose()
        result: dict[str, Any] = {
            "workers": args.workers, "clients": args.clients, "accounts": args.accounts,
            "first_scan_write_s": round(first_scan, 2), "scan_writes_s": writes,
            "idle": percentiles(samples["idle"]), "during_scans": percentiles(samples["scan"]),
            "errors": len(errors), "error_examples": errors[:5], "cpus": os.cpu_count(),
        }
    finally:
        if process is not None:
            process.terminate()
            process.wait(30)
        if cluster is not None:
            cluster.stop()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"gunicorn -w {args.workers}, {args.clients} clients, {args.accounts}+ accounts per scan "
              f"(first scan written in {result['first_scan_write_s']} s; during: {writes} s)")
        for name in ("idle", "during_scans"):
            figures = result[name]
            print(f"  {name:13} n={figures.get('n', 0):5}  p50 {figures.get('p50_ms')} ms  "
                  f"p95 {figures.get('p95_ms')} ms  p99 {figures.get('p99_ms')} ms  max {figures.get('max_ms')} ms")
        print(f"  errors: {result['errors']} {result['error_examples']}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
