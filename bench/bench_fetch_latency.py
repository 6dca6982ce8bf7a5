"""Benchmark the Meta fetch's scheduling when every request is slow: how close 4 workers get to their ideal.

Generates the fictional company at ``--size`` people (default 5,000; its Meta data grown to ``--grants``
grants, default 5 per person, as in ``bench_scale.py``) and serves its Meta business through the emulator
over loopback HTTP from a child process, behind a WSGI middleware that counts the requests and sleeps
``--latency`` seconds (default 0.1) before answering each one. The server is threaded, so concurrent requests
overlap their sleeps like requests to the real Graph API overlap their network time.

Then runs ``MetaConnector.fetch`` (the real code, the connector's default ``options.workers``) and compares
its wall time with the anchor measured in the same run:

    anchor = requests made x median latency of one small request / workers

The median latency is measured (``--samples`` sequential requests of the business node through the same
server, sleep included), not taken from ``--latency``: it also carries the loopback round trip and the
emulator's own work. With the injected latency dominating, the anchor is the wall time of a fetch whose
workers are never idle, so ``ratio = wall / anchor`` measures idle workers: phase barriers, long paged edges
read one page after another, fewer jobs than workers. Goal (the issue): ratio <= 1.2.

The middleware also records when each request was in flight; the figures include the seconds spent with
0, 1, ... requests in flight (``in_flight_seconds``: idle workers show as time below ``workers``) and, per
kind of request (the path with ids replaced by ``{id}``), its count and when its first and last requests
ran (``--trace`` prints them). Causes of idle workers that are not scheduling are measured beside: the
CPU seconds of this process during the fetch (``cpu_seconds``: parsing and mapping hold the GIL the
workers need to send and read), of which those in cyclic garbage collection (``gc_seconds``: a collection
stops every thread; the fetch runs with the collector settings of a scan, ``services.heap``), and the peak
resident memory (``peak_mib``; the server lives in the child). The
figures go to ``--json`` (default ``bench/out/bench_fetch_latency-<size>.json``).

    python bench/bench_fetch_latency.py [--size 50000] [--latency 0.1] [--trace]
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import platform as host
import re
import resource
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_scale import TOKEN, densify, request_latency  # noqa: E402  (the same business as bench_scale's)

from auditor.config import PlatformSettings  # noqa: E402
from auditor.connectors.meta import MetaConnector  # noqa: E402
from auditor.demo.company import build_company  # noqa: E402
from auditor.demo.meta.emulator import MetaEmulator  # noqa: E402
from auditor.demo.server import serve  # noqa: E402
from auditor.services.heap import scan_heap  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
GOAL = 1.2
_ID = re.compile(r"/(act_)?\d+(?=/|$)")
_VERSION = re.compile(r"^/v\d+\.\d+")


def request_kind(path: str) -> str:
    """A request's kind: its path without the version prefix, ids replaced by ``{id}``."""
    return _ID.sub("/{id}", _VERSION.sub("", path)) or "/"


class SlowCounting:
    """WSGI middleware: sleeps ``latency`` seconds before each request, counts requests and records when
    each one was in flight (start, end, kind) since the last ``reset``."""

    def __init__(self, app: Any, latency: float):
        self.app, self.latency, self._lock = app, latency, threading.Lock()
        self.count = 0
        self.spans: list[tuple[float, float, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        start = time.monotonic()
        time.sleep(self.latency)
        body = list(self.app(environ, start_response))
        with self._lock:
            self.count += 1
            self.spans.append((start, time.monotonic(), request_kind(environ.get("PATH_INFO", "/"))))
        return body

    def reset(self) -> None:
        """Forget the recorded spans (the count keeps growing)."""
        with self._lock:
            self.spans = []


def serve_platform(conn: Any, size: int, grants: int, now: datetime, latency: float) -> None:
    """Child process: build the company, serve its Meta business behind the slow middleware until told to
    stop; answers "count", "reset" and "spans" on ``conn``."""
    started = time.perf_counter()
    company = build_company(size=size, now=now)
    meta = next(t for t in company.tenants if t.kind == "meta")
    total = densify(meta.data, grants)
    meta.data["tokens"] = {TOKEN if t == meta.token else t: v for t, v in meta.data["tokens"].items()}
    app = SlowCounting(MetaEmulator(meta.data, token=TOKEN, max_limit=1000), latency)
    with serve(app) as server:
        threaded = bool(getattr(server._server, "multithread", False))
        conn.send({"url": server.url, "business_id": meta.data["business"]["id"], "grants": total,
                   "threaded": threaded, "seconds": time.perf_counter() - started})
        while (command := conn.recv()) != "stop":
            if command == "count":
                conn.send(app.count)
            elif command == "reset":
                app.reset()
                conn.send(time.monotonic())
            elif command == "spans":
                conn.send(app.spans)


def profile(spans: list[tuple[float, float, str]], since: float, until: float) -> dict[str, Any]:
    """Seconds spent with each number of requests in flight between ``since`` and ``until``, and per request
    kind its count and the first start / last end (seconds after ``since``), in order of first start."""
    edges = sorted([(s, 1) for s, _, _ in spans] + [(e, -1) for _, e, _ in spans] + [(until, 0)])
    level, last, seconds = 0, since, Counter[int]()
    for when, step in edges:
        seconds[level] += max(0.0, min(when, until) - last)
        last, level = max(last, min(when, until)), level + step
    kinds: dict[str, dict[str, Any]] = {}
    for start, end, kind in sorted(spans):
        entry = kinds.setdefault(kind, {"requests": 0, "first": round(start - since, 2), "last": 0.0})
        entry["requests"] += 1
        entry["last"] = max(entry["last"], round(end - since, 2))
    return {"in_flight_seconds": {str(k): round(v, 2) for k, v in sorted(seconds.items())}, "kinds": kinds}


class GcClock:
    """Seconds spent in the cyclic garbage collector of this process while active (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds, self._started = 0.0, 0.0

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started


def main(argv: list[str] | None = None) -> int:
    """Serve the slow emulator, fetch once, print and write the figures against the anchor."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=5_000, help="directory people (also tried: 50000)")
    parser.add_argument("--grants", type=int, default=None, help="grow the Meta data to this many grants "
                        "(default: 5 per person, as bench_scale.py)")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds slept per request (default 0.1)")
    parser.add_argument("--samples", type=int, default=30, help="requests timed for the median latency")
    parser.add_argument("--trace", action="store_true", help="print when each kind of request ran")
    parser.add_argument("--json", type=Path, default=None, help="where to write the figures")
    args = parser.parse_args(argv)
    grants = args.grants or 5 * args.size
    now = datetime.now(UTC)
    out = args.json or OUT / f"bench_fetch_latency-{args.size}.json"

    conn, child_conn = multiprocessing.get_context("fork").Pipe()
    server = multiprocessing.get_context("fork").Process(
        target=serve_platform, args=(child_conn, args.size, grants, now, args.latency))
    server.start()
    try:
        served = conn.recv()
        if not served["threaded"]:
            raise SystemExit("the emulator's server is not threaded: concurrent requests would queue")
        print(f"company of {args.size} people, {served['grants']} Meta grants, served with {args.latency} s per "
              f"request in a child process ({served['seconds']:.1f} s to build)", flush=True)
        settings = PlatformSettings(
            kind="meta", name="Kwiatek on Meta", base_url=served["url"] + "/v25.0",
            business_id=served["business_id"], token_env="BENCH_TOKEN", page_size=1000, backoff=0,
        )
        connector = MetaConnector(settings, lambda _env, _key: TOKEN)
        workers = connector.options.workers
        latency = request_latency(served["url"], served["business_id"], args.samples)
        conn.send("count")
        before = conn.recv()
        conn.send("reset")
        since = conn.recv()
        with GcClock() as collecting, scan_heap():  # the collector's settings of a scan (services.heap)
            start, cpu = time.perf_counter(), time.process_time()
            snapshot = connector.fetch(now=now, events_since=now - timedelta(days=90))
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        conn.send("count")
        requests = conn.recv() - before
        conn.send("spans")
        spans = conn.recv()
    finally:
        conn.send("stop")
        server.join(timeout=30)
    anchor = requests * latency / workers
    found = profile(spans, since, since + wall)
    result = {
        "machine": {"cores": os.cpu_count(), "python": host.python_version(), "system": host.platform()},
        "size": args.size, "grants": served["grants"], "workers": workers, "latency_nominal_s": args.latency,
        "latency_median_s": round(latency, 5), "requests": requests, "wall_s": round(wall, 3),
        "anchor_s": round(anchor, 3), "ratio": round(wall / anchor, 3), "goal": GOAL,
        "cpu_seconds": round(cpu, 3), "gc_seconds": round(collecting.seconds, 3),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "snapshot": {"accounts": len(snapshot.accounts), "grants": len(snapshot.grants), "assets": len(snapshot.assets),
                     "events": len(snapshot.events), "complete": snapshot.complete},
        **found,
    }
    print(f"  requests {requests}, median latency {latency * 1000:.1f} ms, workers {workers}")
    print(f"  fetch {wall:.2f} s, anchor {anchor:.2f} s, ratio {wall / anchor:.2f} (goal <= {GOAL})")
    print(f"  seconds by requests in flight: {found['in_flight_seconds']}")
    print(f"  CPU {cpu:.2f} s, of which garbage collection {collecting.seconds:.2f} s; peak {result['peak_mib']} MiB")
    if args.trace:
        for kind, entry in found["kinds"].items():
            print(f"    {kind:<40} {entry['requests']:>6}  {entry['first']:>8.2f} .. {entry['last']:>8.2f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
