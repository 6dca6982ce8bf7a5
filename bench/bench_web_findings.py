"""Benchmark the web UI's findings pages with 100,000 findings (default) in a generated database.

Generates findings spread over rules, categories, severities, platforms and 20,000 people (a third resolved,
some accepted, a tenth with triage rows), then times, through the real Flask app and its test client with a
signed-in session: the findings list (default sort, filters, other sorts, a deep page), a finding's page, the
dashboard, and a full CSV export of the open findings. Each figure is the median of ``--repeat`` runs.

    python bench/bench_web_findings.py [--findings 100000] [--db sqlite:///f.db | postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, update

from auditor.accounts.crypto import generate_encryption_key, generate_secret_key
from auditor.accounts.sessions import create_session
from auditor.accounts.tables import FindingTriage
from auditor.accounts.users import add_user
from auditor.config import Settings, StorageSettings
from auditor.model import CATEGORIES, Severity
from auditor.storage.db import open_database
from auditor.storage.tables import Finding, FindingEvent, Scan
from auditor.web import create_app

RULES = [f"rule-{i:02d}" for i in range(24)]
PLATFORMS = ["Meta", "LinkedIn", "TikTok", "Pinterest", "Google Ads", "X"]
CHUNK = 5000


def generate(url: str, count: int, seed: int = 7) -> None:
    """Fill an empty database with ``count`` findings, one scan, their events and some triage rows."""
    rng = random.Random(seed)
    db = open_database(url)
    now = datetime.now(UTC)
    severities = list(Severity)
    try:
        with db.session(write=True) as session:
            scan_id = session.exec(
                insert(Scan.__table__)
                .values(
                    started_at=now - timedelta(minutes=5),
                    finished_at=now,
                    status="complete",
                    trigger="bench",
                    counts={"open": count * 2 // 3, "opened": count, "resolved": 0},
                    policy_hashes={},
                )
                .returning(Scan.__table__.c.id)
            ).scalar_one()
        for start in range(0, count, CHUNK):
            rows = []
            for index in range(start, min(count, start + CHUNK)):
                severity = rng.choice(severities)
                status = "resolved" if index % 3 == 0 else ("accepted" if index % 50 == 1 else "open")
                seen = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 90))
                rows.append(
                    {
                        "fingerprint": f"{index:064x}",
                        "rule": rng.choice(RULES),
                        "category": rng.choice(CATEGORIES),
                        "severity": severity.value,
                        "severity_rank": severity.rank,
                        "outcome": "fail",
                        "status": status,
                        "subject": f"account:{index}",
                        "platform": rng.choice(PLATFORMS),
                        "tenant": "t1",
                        "account": str(100000 + index),
                        "account_email": f"user{index % 20000}@shop.example",
                        "person": f"p{index % 20000:05d}",
                        "asset": None,
                        "role": "ADMIN",
                        "message": f"Finding {index}: an account holds access it should not",
                        "evidence": {"facts": {"account.kind": "user", "person.uid": f"p{index % 20000:05d}"}},
                        "first_seen": seen,
                        "last_seen": seen,
                        "first_scan_id": scan_id,
                        "last_scan_id": scan_id,
                        "exception_id": "db:1" if status == "accepted" else None,
                    }
                )
            with db.session(write=True) as session:
                session.exec(insert(Finding.__table__), params=rows)
        with db.session(write=True) as session:
            ids = [row[0] for row in session.exec(Finding.__table__.select().with_only_columns(Finding.__table__.c.id))]
            session.exec(
                insert(FindingEvent.__table__),
                params=[{"finding_id": i, "scan_id": scan_id, "at": now, "change": "opened"} for i in ids],
            )
            session.exec(
                insert(FindingTriage.__table__),
                params=[
                    {
                        "finding_id": i,
                        "assignee": "sofia" if i % 2 else None,
                        "acknowledged_at": now,
                        "acknowledged_by": "sofia",
                        "updated_at": now,
                        "updated_by": "sofia",
                    }
                    for i in ids[::10]
                ],
            )
            session.exec(update(Finding.__table__).where(Finding.__table__.c.id == ids[0]).values(status="open"))
    finally:
        db.dispose()


def timed(label: str, repeat: int, func: Callable[[], Any], results: list[dict[str, Any]]) -> None:
    """Run ``func`` ``repeat`` times; record the median and the worst in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    results.append({"what": label, "median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)})
    print(
        f"  {label:<58} median {results[-1]['median_ms']:>8.1f} ms   max {results[-1]['max_ms']:>8.1f} ms", flush=True
    )


def main(argv: list[str] | None = None) -> int:
    """Generate, then time the pages."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="database URL of an EMPTY database (default: a temp SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="bench-web-"))
    url = args.db or f"sqlite:///{folder / 'bench.db'}"
    print(f"generating {args.findings} findings in {url.split('@')[-1]}", flush=True)
    start = time.perf_counter()
    generate(url, args.findings)
    print(f"  generated in {time.perf_counter() - start:.1f} s", flush=True)

    os.environ.setdefault("AUDITOR_SECRET_KEY", generate_secret_key())
    os.environ.setdefault("AUDITOR_ENCRYPTION_KEY", generate_encryption_key())
    settings = Settings(storage=StorageSettings(url=url))
    app = create_app(settings, scan_runner=lambda _s: None)
    db = app.extensions["auditor"].db
    user = add_user(db, "sofia", "security_officer", "bench passphrase 123")
    with db.session(write=True) as session:
        token = create_session(session, user.id, "full", datetime.now(UTC), timedelta(hours=1))
    client = app.test_client()
    client.set_cookie("__Host-auditor-session", token, domain="localhost")

    def page(path: str) -> Callable[[], None]:
        def run() -> None:
            response = client.get(path, base_url="https://localhost")
            assert response.status_code == 200, (path, response.status_code)
            response.get_data()

        return run

    results: list[dict[str, Any]] = []
    deep = args.findings * 2 // 3 // settings.web.page_size // 2
    for label, path in [
        ("findings list, default (open, by severity), page 1", "/findings"),
        ("findings list, severity >= high", "/findings?severity=high"),
        ("findings list, category + platform", "/findings?category=missing_2fa&platform=Meta"),
        ("findings list, one person, all statuses", "/findings?person=p00042&status=all"),
        ("findings list, unassigned + unacknowledged", "/findings?assignee=-&triage=unacknowledged"),
        ("findings list, sorted by newest", "/findings?sort=newest"),
        ("findings list, sorted by platform", "/findings?sort=platform"),
        (f"findings list, deep page {deep}", f"/findings?page={deep}"),
        ("finding detail", "/findings/1"),
        ("dashboard", "/dashboard"),
    ]:
        timed(label, args.repeat, page(path), results)
    timed("CSV export of every open finding (streamed)", 1, page("/findings/export.csv"), results)
    app.extensions["auditor"].db.dispose()
    slow = [r for r in results if r["median_ms"] > 500 and not r["what"].startswith("CSV")]
    print(f"{len(results)} measurements; {len(slow)} page(s) over 500 ms median", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
