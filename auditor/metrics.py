"""Prometheus metrics: the scan figures read from the database at scrape time, plus this process's counters.

The database figures are the same in every process (the web UI, each gunicorn worker, the scheduler): the last
scan of each platform (duration, result, errors, when), scans by status, open findings by severity and
offboarding cases past their deadline. The counters are this process's own: rate-limit waits of the HTTP
client per platform (the scheduler runs the scans, so scrape its ``ops.metrics_port`` for them).

``/metrics`` in the web UI (``auditor/web/ops.py``) needs a bearer token; the scheduler serves the same
registry on a separate port when ``ops.metrics_port`` is set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from auditor.config import Settings
    from auditor.storage.db import Database

log = logging.getLogger("auditor.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROCESS = CollectorRegistry(auto_describe=True)
"""This process's counters (module level: the HTTP client increments them wherever it runs)."""
RATE_LIMIT_WAITS = Counter("auditor_rate_limit_waits", "Waits of the HTTP client on a platform's rate limit "
                           "(in this process)", ["platform"], registry=PROCESS)
_lock = threading.Lock()


def record_rate_limit_wait(platform: str) -> None:
    """Count one wait of the HTTP client on ``platform``'s rate limit."""
    RATE_LIMIT_WAITS.labels(platform=platform).inc()


class DatabaseCollector(Collector):
    """Reads the scan, finding and offboarding figures from the database on every scrape."""

    def __init__(self, db: Database, clock: Callable[[], datetime]):
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        """The gauges (nothing when the database cannot be read: the scrape still answers)."""
        try:
            yield from self._collect()
        except Exception as exc:  # a scrape must not fail because the database is away: /readyz tells that
            log.warning("metrics: cannot read the database: %s", type(exc).__name__)

    def _collect(self) -> Iterator[Metric]:
        from sqlalchemy import func, select  # here: the HTTP client imports this module for its counter

        from auditor.model import Severity
        from auditor.offboarding.tables import OffboardingCase
        from auditor.storage.tables import Finding, Scan, ScanPlatform

        scans, platforms, findings = Scan.__table__, ScanPlatform.__table__, Finding.__table__
        cases = OffboardingCase.__table__
        duration = GaugeMetricFamily("auditor_scan_duration_seconds", "Duration of the last scan of each platform",
                                     labels=["platform"])
        result = GaugeMetricFamily("auditor_scan_result", "Result of the last scan of each platform (1 for the "
                                   "result it had: complete, partial or failed)", labels=["platform", "result"])
        errors = GaugeMetricFamily("auditor_platform_errors", "Errors of the last scan of each platform",
                                   labels=["platform"])
        when = GaugeMetricFamily("auditor_scan_last_timestamp_seconds", "Start of the last scan of each platform",
                                 labels=["platform"])
        by_status = GaugeMetricFamily("auditor_scans", "Stored scans by status", labels=["status"])
        open_findings = GaugeMetricFamily("auditor_findings_open", "Open findings by severity", labels=["severity"])
        overdue = GaugeMetricFamily("auditor_offboarding_cases_overdue",
                                    "Open offboarding cases past their deadline")
        with self.db.session() as session:
            latest = (select(platforms.c.platform, func.max(platforms.c.scan_id).label("scan_id"))
                      .group_by(platforms.c.platform).subquery())
            rows = session.execute(
                select(platforms.c.platform, platforms.c.status, platforms.c.errors, scans.c.started_at,
                       scans.c.finished_at)
                .join(latest, (latest.c.platform == platforms.c.platform) & (latest.c.scan_id == platforms.c.scan_id))
                .join(scans, scans.c.id == platforms.c.scan_id)
            ).all()
            for row in rows:
                if row.finished_at is not None:
                    duration.add_metric([row.platform], (row.finished_at - row.started_at).total_seconds())
                for state in ("complete", "partial", "failed"):
                    result.add_metric([row.platform, state], 1.0 if row.status == state else 0.0)
                errors.add_metric([row.platform], float(len(row.errors or [])))
                when.add_metric([row.platform], row.started_at.timestamp())
            for status, count in session.execute(select(scans.c.status, func.count()).group_by(scans.c.status)):
                by_status.add_metric([status], float(count))
            counts = dict(session.execute(select(findings.c.severity, func.count())
                                          .where(findings.c.status == "open").group_by(findings.c.severity)).all())
            for severity in Severity:
                open_findings.add_metric([severity.value], float(counts.get(severity.value, 0)))
            late = session.execute(select(func.count()).select_from(cases).where(
                cases.c.status == "open", cases.c.deadline < self.clock())).scalar_one()
            overdue.add_metric([], float(late))
        yield from (duration, result, errors, when, by_status, open_findings, overdue)


def build_registry(db: Database, clock: Callable[[], datetime]) -> CollectorRegistry:
    """A registry with the database figures of ``db`` and this process's counters."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db, clock))
    registry.register(_ProcessCounters())
    return registry


class _ProcessCounters(Collector):
    """This process's counters, shared by every registry built here."""

    def collect(self) -> Iterator[Metric]:
        """The counters of ``PROCESS``."""
        yield from PROCESS.collect()


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition format of ``registry``."""
    return generate_latest(registry)


def start_metrics_server(settings: Settings, db: Database,
                         clock: Callable[[], datetime] | None = None) -> object | None:
    """Serve the metrics on ``ops.metrics_host``:``ops.metrics_port`` in a thread (None when no port is set)."""
    port = settings.ops.metrics_port
    if port is None:
        return None
    with _lock:
        registry = build_registry(db, clock or (lambda: datetime.now(UTC)))
        server = start_http_server(port, addr=settings.ops.metrics_host, registry=registry)
    log.info("metrics on http://%s:%s/metrics", settings.ops.metrics_host, port)
    return server
