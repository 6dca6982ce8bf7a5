"""Benchmark the generic import (kind "import") on a large admin export: 300,000 CSV rows by default.

Writes the export once, then measures in a fresh child process each: reading the same CSV with the ``csv``
module into a list (the floor), and the import connector's ``fetch`` (read, validate, normalise). Prints the
wall time and peak RSS of each and the import's ratio against the floor, so figures from different machines
compare. Not a unit test.

    python bench/bench_import.py [--rows 300000]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def write_export(path: Path, rows: int) -> None:
    """A plausible export: one account per row with email, role, asset, 2FA and last activity."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["account_id", "name", "email", "role", "asset", "two_factor", "last_activity"])
        for i in range(rows):
            writer.writerow([f"u{i}", f"User {i}", f"user{i}@shop.example", "ADMIN" if i % 50 == 0 else "EDITOR",
                             f"page-{i % 100}", "true" if i % 3 else "false", "2026-10-01T10:00:00Z"])


def measure_csv(path: Path) -> int:
    """The floor: the csv module reading every row into a list."""
    with path.open(encoding="utf-8", newline="") as handle:
        return len(list(csv.reader(handle)))


def measure_import(path: Path) -> int:
    """The import connector reading, validating and normalising the export."""
    from auditor.config import PlatformSettings, Settings
    from auditor.connectors.base import connector_for

    options = {"path": str(path), "platform_kind": "x"}
    platform = PlatformSettings(kind="import", name="bench", tenant_id="shop", options=options)
    settings = Settings(platform=[platform])
    snapshot = connector_for(settings, settings.platform[0]).fetch(now=NOW)
    return len(snapshot.accounts)


def child(kind: str, path: Path) -> None:
    """Run one measurement in this process and print it as JSON."""
    started = time.perf_counter()
    count = (measure_csv if kind == "csv" else measure_import)(path)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"kind": kind, "count": count, "seconds": round(elapsed, 2), "peak_mib": round(peak_kib / 1024)}))


def main() -> None:
    """Write the export, measure both readers in child processes, print the figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--child", choices=["csv", "import"])
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.child:
        child(args.child, Path(args.path))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "users.csv"
        write_export(path, args.rows)
        print(f"export: {args.rows} rows, {path.stat().st_size / 2**20:.1f} MiB")
        results = {}
        for kind in ("csv", "import"):
            out = subprocess.run([sys.executable, __file__, "--child", kind, "--path", str(path)],
                                 check=True, capture_output=True, text=True).stdout
            results[kind] = json.loads(out)
            print(out.strip())
        floor, real = results["csv"], results["import"]
        print(f"import / csv: time x{real['seconds'] / max(floor['seconds'], 0.01):.1f}, "
              f"peak RSS x{real['peak_mib'] / max(floor['peak_mib'], 1):.1f}")


if __name__ == "__main__":
    main()
