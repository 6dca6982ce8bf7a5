"""Benchmark the real ``auditor scan`` command end to end: a real slapd with ``--size`` people and an admin export
of ``--grants`` grants, then the same scan again with nothing changed. The directory is generated as in
``bench_directory.py`` (inetOrgPerson entries with the attributes an HR feed carries, one group per 100 people,
every 40th person marked departed by ``employeeType``) and loaded into a private slapd
(``tests/support/slapd.py``) with the syncprov overlay, as a replicated OpenLDAP runs (``--no-syncprov``:
without it, so each rescan also lists every DN). The export (kind "import", a YouTube-style role table) holds
one account per 1.75 people (about 28,500 at 50,000), each with several grants on 500 channels: accounts of
leavers, unknown e-mail addresses, owners without 2FA and long-idle accounts are in it, so the scan has findings
to write. The directory is read incrementally (``directory.incremental``), as a deployment at this size would
configure it.

Each scan is the ``auditor scan`` command in a child process; its wall time and peak resident memory come
from the operating system (``wait4``). Anchors in the same run: ``ldapsearch`` of the same entries and the
``csv`` module reading the export. Figures: the first scan against the goal (30 s), the rescan over the
first scan (goal 0.1; the median of the rescans when ``--scans`` runs several), peak RSS (goal 1 GiB).
``--db`` takes a PostgreSQL URL; ``--postgres`` starts a private PostgreSQL cluster for the run. The figures
go to ``--json`` (default ``bench/out/bench_end_to_end-<size>-<db>.json``), which the README's performance
table is made from.

    python bench/bench_end_to_end.py [--size 50000] [--grants 250000] [--postgres] [--scans 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform as host
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_directory import SUFFIX, ldapsearch, people_ldif  # noqa: E402

from auditor.config import DirectorySettings  # noqa: E402
from auditor.directory.groups import GROUP_FILTER  # noqa: E402
from auditor.directory.ldap import person_filter  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from tests.support.slapd import start_slapd  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
GOALS = {"full_scan_seconds": 30.0, "rescan_vs_full_scan": 0.1, "peak_mib": 1024}
ROLES = ("VIEWER", "VIEWER", "EDITOR", "VIEWER", "EDITOR_LIMITED", "VIEWER", "EDITOR", "VIEWER", "MANAGER")
CHANNELS = 500
DEPARTED_EVERY = 40


def directory_ldif(size: int) -> str:
    """The benchmark directory with every ``DEPARTED_EVERY``-th person marked departed."""
    text = people_ldif(size)
    for i in range(0, size, DEPARTED_EVERY):
        uid = f"user{i:06d}"
        text = text.replace(f"uid: {uid}\n", f"uid: {uid}\nemployeeType: departed\n", 1) if i % 17 else text
    return text


def write_export(path: Path, size: int, grants: int, now: datetime) -> int:
    """The admin export: accounts of directory people (and some unknown addresses) with their grants."""
    accounts = max(1, int(size / 1.75))
    per_account = max(1, grants // accounts)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["account_id", "name", "email", "role", "asset", "two_factor", "last_activity"])
        for a in range(accounts):
            person = (a * 7) % size
            email = f"user{person:06d}@bench.example" if a % 50 else f"stranger{a}@agency.example"
            idle = 200 if a % 23 == 0 else a % 60
            active = (now - timedelta(days=idle, hours=a % 24)).strftime("%Y-%m-%dT%H:%M:%SZ")
            two_factor = "false" if a % 31 == 0 else "true"
            count = per_account + (1 if a < grants - per_account * accounts else 0)
            for g in range(count):
                role = "OWNER" if g == 0 and a % 97 == 0 else ROLES[(a + g) % len(ROLES)]
                writer.writerow([f"acc{a:06d}", f"User {person}", email, role,
                                 f"channel-{(a * 13 + g * 101) % CHANNELS:03d}", two_factor, active])
                written += 1
    return written


def write_config(folder: Path, server: Any, export: Path, db_url: str) -> Path:
    """The ``auditor.toml`` of the run: the slapd directory (incremental), the export, the database."""
    config = folder / "auditor.toml"
    config.write_text(f"""
data_dir = "{folder / 'data'}"

[storage]
url = "{db_url}"

[directory]
kind = "ldap"
url = "{server.url}"
bind_dn = "{server.bind_dn}"
password_env = "BENCH_LDAP_PASSWORD"
base_dn = "{SUFFIX}"
flavor = "openldap"
receive_timeout = 300
incremental = true
status_rules = [{{attribute = "employeeType", equals = "departed", status = "departed"}}]

[[platform]]
kind = "import"
name = "Kwiatek on YouTube (admin export)"
tenant_id = "kwiatek-youtube"
options = {{path = "{export}", platform_kind = "youtube", tenant_name = "Kwiatek channels"}}
""", encoding="utf-8")
    return config


def run_scan(config: Path, password: str, profile: Path | None = None) -> dict[str, Any]:
    """``auditor scan`` in a child process: exit code, wall seconds, peak RSS (MiB), the last output lines.

    With ``profile``, the scan runs under cProfile and writes its statistics there (the times then include
    the profiler's overhead).
    """
    env = {**os.environ, "BENCH_LDAP_PASSWORD": password}
    command = [str(Path(sys.executable).with_name("auditor")), "--config", str(config), "scan"]
    if profile is not None:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), *command]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _pid, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 3):
        raise SystemExit(f"auditor scan failed with exit code {code}:\n{text[-3000:]}")
    return {"exit_code": code, "seconds": round(seconds, 3), "peak_mib": round(usage.ru_maxrss / 1024),
            "output": text.strip().splitlines()[-12:]}


def csv_anchor(path: Path) -> float:
    """The floor of reading the export: the ``csv`` module reading every row into a list."""
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle))
    assert rows > 1
    return round(time.perf_counter() - started, 3)


def main(argv: list[str] | None = None) -> int:
    """Set up slapd, the export and the database; run the scans; print and write the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=5_000, help="directory people (the issue's scale: 50000)")
    parser.add_argument("--grants", type=int, default=None, help="grants in the export (default 5 per person)")
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file in the temp folder)")
    parser.add_argument("--postgres", action="store_true", help="start a private PostgreSQL cluster for the run")
    parser.add_argument("--scans", type=int, default=2)
    parser.add_argument("--no-syncprov", action="store_true", help="serve the directory without the syncprov "
                        "overlay (no contextCSN: every rescan lists the DNs to see deletions)")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--profile", type=Path, default=None, help="folder for a cProfile file per scan")
    args = parser.parse_args(argv)
    grants = args.grants or 5 * args.size
    now = datetime.now(UTC)
    cluster = PostgresCluster().start() if args.postgres else None
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        folder = Path(tmp)
        (folder / "data").mkdir(mode=0o700)
        db_url = args.db or (cluster.create_database() if cluster else f"sqlite:///{folder / 'auditor.db'}")
        engine = db_url.split(":")[0].split("+")[0]
        started = time.perf_counter()
        server = start_slapd(folder / "slapd", SUFFIX, directory_ldif(args.size), syncprov=not args.no_syncprov)
        export = folder / "youtube-permissions.csv"
        rows = write_export(export, args.size, grants, now)
        print(f"slapd with {args.size} people and an export of {rows} grants "
              f"({export.stat().st_size / 2**20:.1f} MiB) ready in {time.perf_counter() - started:.1f} s",
              flush=True)
        try:
            settings = DirectorySettings.model_validate({"kind": "ldap", "url": server.url, "base_dn": SUFFIX,
                                                         "flavor": "openldap"})
            anchors = {
                "ldapsearch": round(sum(_timed(lambda f=f: ldapsearch(server.url, server.bind_dn, server.password, f))
                                        for f in (person_filter(settings), GROUP_FILTER)), 3),
                "csv": csv_anchor(export),
            }
            print(f"anchors: ldapsearch {anchors['ldapsearch']} s, csv {anchors['csv']} s", flush=True)
            config = write_config(folder, server, export, db_url)
            scans = []
            for n in range(1, args.scans + 1):
                profile = args.profile / f"scan-{n}.prof" if args.profile else None
                scan = run_scan(config, server.password, profile)
                scans.append(scan)
                print(f"scan {n} ({engine}): {scan['seconds']:.2f} s, peak {scan['peak_mib']} MiB, "
                      f"exit {scan['exit_code']}", flush=True)
                for line in scan["output"][-4:]:
                    print(f"    {line}")
        finally:
            server.stop()
            if cluster:
                cluster.stop()
    first, last = scans[0], scans[-1]
    found = {"full_scan_seconds": first["seconds"], "peak_mib": max(s["peak_mib"] for s in scans),
             "full_vs_anchors": round(first["seconds"] / (anchors["ldapsearch"] + anchors["csv"]), 2)}
    if len(scans) > 1:  # every scan after the first is the same rescan: their median is its figure
        found["rescan_seconds"] = round(statistics.median(s["seconds"] for s in scans[1:]), 3)
        found["rescan_vs_full_scan"] = round(found["rescan_seconds"] / first["seconds"], 3)
        found["rescan_peak_mib"] = last["peak_mib"]
    print("figures (goal):")
    for name, value in found.items():
        goal = GOALS.get(name)
        print(f"  {name:<24} {value:>9}" + (f"   (<= {goal})" if goal is not None else ""))
    result = {
        "machine": {"cores": os.cpu_count(), "python": host.python_version(), "system": host.platform()},
        "at": now.isoformat(timespec="seconds"), "size": args.size, "grants": rows, "db": engine,
        "syncprov": not args.no_syncprov,
        "anchors": anchors, "scans": scans, "figures": found, "goals": GOALS,
        "met": {k: found[k] <= g for k, g in GOALS.items() if k in found},
    }
    out = args.json or OUT / f"bench_end_to_end-{args.size}-{engine}{'-no-syncprov' if args.no_syncprov else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"figures written to {out}")
    return 0


def _timed(func: Any) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
