"""Benchmark a scan at company scale: 50,000 people and about 250,000 grants (defaults).

Generates the fictional company at ``--size`` people, writes its directory as LDIF, serves its Meta business
through the emulator over loopback HTTP, and times each stage of a scan with the real code: directory read,
directory sync, platform fetch, matching + evaluation, persistence (one transaction). Peak memory is the
process's maximum resident set size after each stage. Run twice against one database to see a rescan.

    python bench/bench_scale.py [--size 50000] [--db sqlite:///bench.db | postgresql+psycopg://...] [--scans 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.config import DirectorySettings, PlatformSettings, Settings
from auditor.connectors.meta import MetaConnector
from auditor.demo.company import build_company
from auditor.demo.ldif_writer import ldif_text
from auditor.demo.meta.emulator import MetaEmulator
from auditor.demo.server import serve
from auditor.directory.ldif import LdifDirectory
from auditor.matching import link_accounts
from auditor.policy.engine import evaluate
from auditor.policy.facts import EvaluationContext
from auditor.policy.loader import load_policies
from auditor.storage.db import open_database
from auditor.storage.repository import ScanRecord, save_scan, sync_people

TOKEN = "bench-token"  # the emulator's own throwaway token


def peak_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(results: list[dict[str, Any]], stage: str, func: Callable[[], Any]) -> Any:
    """Run one stage, record its wall time and the peak RSS after it."""
    start = time.perf_counter()
    value = func()
    results.append({"stage": stage, "seconds": round(time.perf_counter() - start, 2), "peak_mib": round(peak_mib())})
    print(f"  {stage:<34} {results[-1]['seconds']:>8.2f} s   peak {results[-1]['peak_mib']:>6} MiB", flush=True)
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


def scan_once(results: list[dict[str, Any]], n: int, now: datetime, ldif: Path, settings: Settings,
              connector: MetaConnector, db: Any, policies: list[Any]) -> None:
    """One scan, stage by stage, with the real code."""
    directory = LdifDirectory(ldif, settings.directory)
    people_now = timed(results, f"scan {n}: directory read", lambda: list(directory.people(now)))
    snapshot = timed(results, f"scan {n}: Meta fetch over HTTP",
                     lambda: connector.fetch(now=now, events_since=now - timedelta(days=180)))
    with db.session() as session:
        people = timed(results, f"scan {n}: directory sync", lambda: sync_people(session, people_now, now))
        links = timed(results, f"scan {n}: matching", lambda: link_accounts([snapshot], people, settings.matching))
        context = EvaluationContext(now=now, people=people, snapshots=[snapshot], links=links)
        verdicts = timed(results, f"scan {n}: evaluation", lambda: evaluate(context, policies))
        record = ScanRecord(
            started_at=now, finished_at=now + timedelta(seconds=n), trigger="bench",
            snapshots=[snapshot], account_people={k: v.uid for k, v in links.items()},
            verdicts=verdicts, directory_complete=True, policy_hashes={},
        )
        summary = timed(results, f"scan {n}: persistence (one transaction)", lambda: save_scan(session, record, []))
    print(f"  -> {len(people)} people, {len(snapshot.accounts)} accounts, {len(snapshot.grants)} grants, "
          f"{len(snapshot.events)} events, {len(verdicts)} verdicts, "
          f"{sum(summary.open_by_severity.values())} open findings", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally write) the stage figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=50_000)
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--scans", type=int, default=2)
    parser.add_argument("--grants", type=int, default=250_000, help="grow the Meta data to this many grants")
    parser.add_argument("--json", type=Path, default=None, help="write the figures to this file")
    args = parser.parse_args(argv)

    results: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.db or f"sqlite:///{work / 'bench.db'}"
        company = timed(results, f"generate company ({args.size} people)",
                        lambda: build_company(size=args.size, now=now))
        meta = next(t for t in company.tenants if t.kind == "meta")
        timed(results, f"densify to {args.grants} grants", lambda: densify(meta.data, args.grants))
        meta.data["tokens"] = {TOKEN if t == meta.token else t: v for t, v in meta.data["tokens"].items()}
        ldif = work / "people.ldif"
        timed(results, "write LDIF", lambda: ldif.write_text(ldif_text(company), encoding="utf-8"))
        settings = Settings(directory=DirectorySettings(kind="ldif", path=str(ldif), **company.directory_settings))
        policies = load_policies(settings.policies_dir)
        db = open_database(url)
        with serve(MetaEmulator(meta.data, token=TOKEN, max_limit=1000)) as server:
            platform = PlatformSettings(
                kind="meta", name="Kwiatek on Meta", base_url=server.url + "/v25.0",
                business_id=meta.data["business"]["id"], token_env="BENCH_TOKEN", page_size=1000, backoff=0,
            )
            connector = MetaConnector(platform, lambda _env, _key: TOKEN)
            for n in range(1, args.scans + 1):
                print(f"scan {n} against {url.split('@')[-1]}", flush=True)
                scan_once(results, n, now, ldif, settings, connector, db, policies)
        db.dispose()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"size": args.size, "db": url.split("://")[0], "stages": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
