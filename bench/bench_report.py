"""Benchmark the security audit PDF on 1,000 open findings (defaults): time and peak memory.

Generates its own data straight into a fresh SQLite database: two scans over ``--platforms`` platforms,
``--findings`` open findings of the shipped rules (realistic severities, unicode names, evidence facts) plus
lifecycle events for the trend, and an inventory of ``--findings`` accounts. Then times each stage of
``build_report(settings, "audit")`` with the real code: inputs, view-model, HTML, WeasyPrint, register.
Peak memory is the process's maximum resident set size after each stage; ``--heap`` adds one more end-to-end
run under tracemalloc for the Python heap peak (tracemalloc slows WeasyPrint several times over, so its time
is not a measurement).

    python bench/bench_report.py [--findings 1000] [--platforms 5] [--out bench/out/audit-1000.pdf] [--heap]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from auditor.config import Settings, load_settings, shipped_dir
from auditor.policy.loader import load_policies
from auditor.storage.db import open_database
from auditor.storage.tables import Finding, FindingEvent, InvAccount, InvGrant, Scan, ScanPlatform

SEVERITY_WEIGHTS = {"critical": 5, "high": 20, "medium": 35, "low": 30, "info": 10}
RANKS = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
FIRST = ("Łukasz", "Zoë", "Małgorzata", "Søren", "José", "Agnieszka", "Paweł", "Priya", "Björn", "Oliwia")
LAST = ("Żółć", "Lefèvre", "Wiśniewska", "Nielsen", "García", "Zając", "Kamiński", "O'Connor", "Andersson")


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(settings: Settings, findings: int, platforms: int, seed: int = 5) -> None:
    """Two complete scans, ``findings`` open findings with events, and as many accounts with grants."""
    rng = random.Random(seed)
    rules = load_policies(shipped_dir("policies"))
    now = datetime.now(UTC).replace(microsecond=0)
    first, second = now - timedelta(days=7), now - timedelta(hours=1)
    names = [f"Kwiatek on Platform {i + 1}" for i in range(platforms)]
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            session.exec(insert(Scan.__table__), params=[
                {"id": i + 1, "started_at": when, "finished_at": when + timedelta(minutes=2), "status": "complete",
                 "trigger": "bench", "counts": {}, "policy_hashes": {}} for i, when in enumerate((first, second))])
            session.exec(insert(ScanPlatform.__table__), params=[
                {"scan_id": scan, "platform": name, "kind": "bench", "tenant": f"t{i}", "tenant_name": f"Shop {i}",
                 "two_factor_required": "admins", "status": "complete", "errors": [], "counts": {},
                 "capabilities": {"notes": ["the audit log covers ad accounts only"]}}
                for scan in (1, 2) for i, name in enumerate(names)])
            rows, events = [], []
            for n in range(findings):
                rule = rng.choice(rules)
                severity = rng.choices(list(SEVERITY_WEIGHTS), weights=list(SEVERITY_WEIGHTS.values()))[0]
                person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
                email = f"user{n}@kwiatek.example"
                new = n % 10 == 0
                rows.append({
                    "id": n + 1, "fingerprint": f"{n:064x}", "rule": rule.id, "category": rule.category,
                    "severity": severity, "severity_rank": RANKS[severity], "outcome": "fail", "status": "open",
                    "subject": f"account:{n}", "platform": names[n % platforms], "tenant": f"t{n % platforms}",
                    "account": str(100000 + n), "account_email": email, "person": f"u{n}", "asset": None,
                    "role": "ADMIN" if n % 7 == 0 else "EMPLOYEE",
                    "message": f"{person} ({email}) {rule.title.lower()}; seen on {names[n % platforms]} with "
                               f"{rng.randint(1, 9)} roles, last activity {rng.randint(1, 400)} days ago",
                    "evidence": {"facts": {"account.email": email, "account.name": person,
                                           "account.grant_count": rng.randint(1, 9), "person.status": "departed"},
                                 "parameters": dict(rule.parameters), "scan_id": 2, "outcome": "fail"},
                    "first_seen": second if new else first, "last_seen": second,
                    "first_scan_id": 2 if new else 1, "last_scan_id": 2,
                })
                if not new:
                    events.append({"finding_id": n + 1, "scan_id": 1, "at": first, "change": "opened"})
                events.append({"finding_id": n + 1, "scan_id": 2, "at": second,
                               "change": "opened" if new else "still_open"})
            session.exec(insert(Finding.__table__), params=rows)
            session.exec(insert(FindingEvent.__table__), params=events)
            session.exec(insert(InvAccount.__table__), params=[
                {"platform": names[n % platforms], "tenant": f"t{n % platforms}", "account_id": str(100000 + n),
                 "kind": "user", "name": f"user {n}", "emails": [f"user{n}@kwiatek.example"], "two_factor": None,
                 "state": "active", "raw": {}, "first_seen": first, "last_seen": second} for n in range(findings)])
            session.exec(insert(InvGrant.__table__), params=[
                {"platform": names[n % platforms], "tenant": f"t{n % platforms}", "account_id": str(100000 + n),
                 "asset_id": "", "role": "ADMIN" if n % 7 == 0 else "EMPLOYEE", "privileged": n % 7 == 0,
                 "raw": {}, "first_seen": first, "last_seen": second} for n in range(findings)])
    finally:
        db.dispose()


def timed(results: list[dict[str, Any]], stage: str, func: Callable[[], Any]) -> Any:
    """Run one stage; record its wall and CPU time and the process's peak RSS after it."""
    start, cpu = time.perf_counter(), time.process_time()
    value = func()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    results.append({"stage": stage, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                    "rss_peak_mib": round(peak_rss_mib())})
    print(f"  {stage:<28} {seconds:>7.2f} s wall {cpu:>7.2f} s CPU   RSS peak {peak_rss_mib():>6.0f} MiB", flush=True)
    return value


def heap_peak(func: Callable[[], Any]) -> float:
    """The Python heap peak (MiB) while ``func`` runs, under tracemalloc."""
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(findings: int, platforms: int, out: Path | None, heap: bool = False) -> list[dict[str, Any]]:
    """Generate the data and time the audit report stage by stage."""
    from auditor.reporting.audit import build_audit
    from auditor.reporting.i18n import load_translator
    from auditor.reporting.manifest import build_manifest, manifest_sha256
    from auditor.reporting.render import html_to_pdf, page_css, render_html
    from auditor.reporting.use_cases import build_report, report_inputs

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "auditor.toml"
        config.write_text('[storage]\nurl = "sqlite:///bench.db"\n', encoding="utf-8")
        settings = load_settings(config)
        timed(results, f"generate {findings} findings", lambda: generate(settings, findings, platforms))
        timed(results, "import weasyprint", lambda: __import__("weasyprint"))
        inputs = timed(results, "inputs (policies, i18n)", lambda: report_inputs(settings, "audit"))
        db = open_database(settings.storage_url)
        with db.session() as session:
            content = timed(results, "view-model (queries)", lambda: build_audit(session, inputs))
        db.dispose()
        translator = load_translator(settings.reports_dir, settings.language)
        header = {"id": "AUD-BENCH", "kind": "audit", "title": "Security audit", "generated_at": "",
                  "generated_by": "bench", "language": "en", "scan_ids": [2], "tool": "bench",
                  "scope": {"platform": None, "person": None, "by_manager": False}}
        digest = timed(results, "manifest SHA-256", lambda: manifest_sha256(build_manifest(header, content)))
        html = timed(results, "HTML (Jinja2)", lambda: render_html(
            settings.reports_dir, "audit", {"report": header, "content": content, "manifest_sha256": digest},
            translator))
        css = page_css(translator, "AUD-BENCH", digest, "Security audit", "A4")
        pdf = timed(results, "PDF (WeasyPrint)", lambda: html_to_pdf(html, settings.reports_dir, css))
        results[-1]["pages"] = pdf.pages
        data, entry = timed(results, "build_report end to end", lambda: build_report(
            settings, "audit", generated_by="bench"))
        results[-1]["pages"] = entry.pages
        if heap:
            peak = heap_peak(lambda: build_report(settings, "audit", generated_by="bench"))
            results.append({"stage": "Python heap peak (tracemalloc)", "heap_peak_mib": round(peak, 1)})
            print(f"  {'Python heap peak':<28} {peak:>7.1f} MiB (build_report under tracemalloc)")
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            print(f"  wrote {out} ({entry.pages} pages, {len(data) / 1024:.0f} KiB)")
    return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=1000)
    parser.add_argument("--platforms", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("bench/out/audit-1000.pdf"))
    parser.add_argument("--heap", action="store_true", help="Also measure the Python heap peak (slow).")
    parser.add_argument("--json", action="store_true", help="Print the results as JSON at the end.")
    args = parser.parse_args(argv)
    print(f"audit report: {args.findings} open findings on {args.platforms} platforms")
    results = run(args.findings, args.platforms, args.out, heap=args.heap)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
