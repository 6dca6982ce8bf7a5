"""Benchmark HR offboarding at company scale: from the webhook to the first verdict for one leaver.

Generates the fictional company at ``--size`` people with its Meta data grown to ``--grants`` grants (as
``bench_scale.py`` does), serves it through the emulator over loopback HTTP, syncs the directory and stores one
full scan (the data already synced). Then, for ``--repeat`` different leavers each:

- synced data: a case opened from the stored inventory alone (``open_case(check=False)``): the first verdict
  the tool can give without calling any platform; then the live re-fetch of that same case;
- live re-fetch: a signed ``POST /api/offboarding`` through the Flask blueprint, which opens the case and runs
  the targeted check (Meta's per-user views, the business user list, the Instagram assets) before answering;
- re-check: the scheduler's re-check of that open case.

    python bench/bench_offboarding.py [--size 50000] [--grants 250000] [--repeat 3] [--db URL] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import Flask

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import TOKEN, densify, peak_mib  # noqa: E402

from auditor.config import DirectorySettings, OffboardingSettings, PlatformSettings, Settings  # noqa: E402
from auditor.demo.company import build_company  # noqa: E402
from auditor.demo.ldif_writer import ldif_text  # noqa: E402
from auditor.demo.meta.emulator import MetaEmulator  # noqa: E402
from auditor.demo.server import serve  # noqa: E402
from auditor.offboarding.use_cases import check_case, open_case  # noqa: E402
from auditor.offboarding.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature  # noqa: E402
from auditor.services.directory_sync import sync_directory  # noqa: E402
from auditor.services.scan import run_scan  # noqa: E402
from auditor.storage.db import open_database  # noqa: E402
from auditor.web.offboarding_api import bp  # noqa: E402

SECRET = "bench-hr-secret-0123456789abcdef0123"
LAST_DAY = date(2026, 10, 30)


def timed(label: str, func: Any) -> tuple[Any, float]:
    """Run ``func``; print and return its result and wall time."""
    start = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - start
    print(f"  {label:<52} {seconds:>8.3f} s   peak {peak_mib():>6.0f} MiB", flush=True)
    return value, seconds


def leavers(company: Any, count: int) -> list[str]:
    """Uids of active directory people who are Meta business users (several assets each)."""
    meta = next(t for t in company.tenants if t.kind == "meta")
    users = {str(u["email"]).lower() for u in meta.data["business_users"]}
    found = []
    for entry in company.people:
        if entry.get("employeeType") == ["employee"] and "ou=people" in entry["dn"][0] \
                and users & {m.lower() for m in entry["mail"]}:
            found.append(entry["uid"][0])
        if len(found) == count:
            break
    return found


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--grants", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    os.environ["BENCH_TOKEN"] = TOKEN
    os.environ["BENCH_HR_SECRET"] = SECRET
    now = datetime.now(UTC)
    figures: dict[str, list[float]] = {"synced": [], "refetch": [], "webhook": [], "recheck": []}
    details: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.db or f"sqlite:///{work / 'bench.db'}"
        company, _ = timed(f"generate company ({args.size} people)", lambda: build_company(size=args.size, now=now))
        meta = next(t for t in company.tenants if t.kind == "meta")
        grants, _ = timed(f"densify to {args.grants} grants", lambda: densify(meta.data, args.grants))
        meta.data["tokens"] = {TOKEN if t == meta.token else t: v for t, v in meta.data["tokens"].items()}
        ldif = work / "people.ldif"
        ldif.write_text(ldif_text(company), encoding="utf-8")
        emulator = MetaEmulator(meta.data, token=TOKEN, max_limit=1000)
        with serve(emulator) as server:
            settings = Settings(
                storage={"url": url},
                directory=DirectorySettings(kind="ldif", path=str(ldif), **company.directory_settings),
                platform=[PlatformSettings(kind="meta", name="Kwiatek on Meta", base_url=server.url + "/v25.0",
                                           business_id=meta.data["business"]["id"], token_env="BENCH_TOKEN",
                                           page_size=1000, backoff=0)],
                matching={"company_domains": company.company_domains},
                offboarding=OffboardingSettings(webhook_secret_env="BENCH_HR_SECRET", evidence_report=False),
            )
            timed("directory sync", lambda: sync_directory(settings, now=now))
            timed("full scan stored (the data already synced)", lambda: run_scan(settings, now=now))
            db = open_database(url)
            app = Flask("bench")
            app.register_blueprint(bp)
            app.extensions["auditor"] = SimpleNamespace(settings=settings, db=db, now=lambda: datetime.now(UTC))
            client = app.test_client()
            people = leavers(company, 2 * args.repeat)
            for n in range(args.repeat):
                synced_uid, live_uid = people[2 * n], people[2 * n + 1]
                seeded, seconds = timed(f"{n + 1}: synced data -> first verdict ({synced_uid})", lambda u=synced_uid:
                                        open_case(settings, uid=u, last_working_day=LAST_DAY, check=False, db=db))
                figures["synced"].append(seconds)
                fetched, seconds = timed(f"{n + 1}: live re-fetch of the same case ({synced_uid})",
                                         lambda c=seeded["case"]["id"]: check_case(settings, c, db=db))
                figures["refetch"].append(seconds)
                event = {"event_id": f"bench-{n}", "uid": live_uid, "last_working_day": LAST_DAY.isoformat()}
                body = json.dumps(event).encode()
                stamp = str(int(time.time()))
                headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(SECRET, stamp, body),
                           "Content-Type": "application/json"}
                before = len(emulator.requests)
                answer, seconds = timed(f"{n + 1}: webhook -> live verdict ({live_uid})",
                                        lambda b=body, h=headers: client.post("/api/offboarding", data=b, headers=h))
                figures["webhook"].append(seconds)
                case = answer.get_json()["case"]
                calls = len(emulator.requests) - before
                _, seconds = timed(f"{n + 1}: re-check of the open case",
                                   lambda c=case["id"]: check_case(settings, c, db=db))
                figures["recheck"].append(seconds)
                details.append({"synced_items": len(seeded["case"]["items"]), "refetched": fetched["counts"],
                                "status": answer.status_code, "live_items": len(case["items"]),
                                "counts": case["counts"], "http_requests": calls})
                print(f"     {synced_uid}: {details[-1]['synced_items']} items from the synced data, after the "
                      f"re-fetch {fetched['counts']}; {live_uid}: {case['counts']}, {calls} requests to the "
                      "emulator", flush=True)
            db.dispose()
    summary = {k: round(statistics.median(v), 3) for k, v in figures.items()}
    print(f"median: synced data {summary['synced']} s, live re-fetch {summary['refetch']} s, webhook with live "
          f"re-fetch {summary['webhook']} s, re-check {summary['recheck']} s ({grants} grants)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"size": args.size, "grants": grants, "db": url.split("://")[0],
                                         "median_seconds": summary, "runs": details}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
