"""The scan use-case: directory sync, platform fetches, matching, policy evaluation and reconciliation.

Everything that can fail on input (config, policies, exceptions, directory) is read before the database is
touched; the database is then written in one transaction, so a crash leaves the previous state. Audit logs
are read from each platform's stored cursor (``storage.event_log``), the rest of the window from storage.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auditor.config import PlatformSettings, Settings
from auditor.connectors.base import connector_for
from auditor.connectors.live import live_settings
from auditor.errors import AuditorError, ConfigError, ConnectorError
from auditor.findings.exceptions import load_exceptions
from auditor.identities.use_cases import stored_service_accounts
from auditor.matching import link_accounts
from auditor.model import Capabilities, Person, Tenant, TenantSnapshot
from auditor.policy.engine import evaluate
from auditor.policy.facts import EvaluationContext
from auditor.policy.loader import load_policies
from auditor.services.directory_sync import read_people
from auditor.storage.db import open_database
from auditor.storage.event_log import EventCursor, complete_event_logs, event_cursors, events_since
from auditor.storage.repository import ScanRecord, ScanSummary, save_scan, stored_links, sync_people

log = logging.getLogger("auditor.scan")

Progress = Callable[[str], None]
PlatformProgress = Callable[[str, str, str], None]
"""(platform name, state, detail): state is ``queued``, ``reading``, ``complete`` or ``not verified``."""


@dataclass(slots=True)
class ScanInputs:
    """What a scan reads before touching the database: policies, exceptions, the directory."""

    policies: list
    exceptions: list
    people: list[Person]


def read_inputs(settings: Settings, now: datetime, progress: Progress) -> ScanInputs:
    """Load policies, exceptions and the directory; any bad input raises before anything is written."""
    policies = load_policies(
        settings.policies_dir, parameters_file=settings.resolve_path(settings.policies.parameters_file)
    )
    exceptions = load_exceptions(settings.resolve_path(settings.policies.exceptions_file))
    progress(f"policies: {len(policies)} rules loaded")
    people = read_people(settings, now)
    progress(f"directory: {len(people)} people read")
    return ScanInputs(policies=policies, exceptions=exceptions, people=people)


def selected_platforms(settings: Settings, only: str | None) -> list[PlatformSettings]:
    """The platforms to scan: all, or the one named (ConfigError if no such name)."""
    if only is None:
        return list(settings.platform)
    chosen = [p for p in settings.platform if p.name == only]
    if not chosen:
        names = ", ".join(p.name for p in settings.platform) or "none configured"
        raise ConfigError(f"{settings.source or 'config'}: no platform named {only!r} (known: {names})")
    return chosen


def tenant_id_of(platform: PlatformSettings) -> str:
    """The tenant id a platform's settings name (business id for Meta, tenant id elsewhere)."""
    return platform.business_id or platform.tenant_id or platform.name


def failed_snapshot(platform: PlatformSettings, error: str) -> TenantSnapshot:
    """An empty, incomplete snapshot standing for a platform that could not be read at all."""
    tenant = Tenant(platform=platform.name, tenant_id=tenant_id_of(platform), name=platform.name)
    return TenantSnapshot(
        platform=platform.name, kind=platform.kind, tenant=tenant, capabilities=Capabilities(),
        complete=False, errors=[error],
    )


def fetch_platform(settings: Settings, platform: PlatformSettings, now: datetime,
                   events_since: datetime | None) -> TenantSnapshot:
    """Fetch one platform; any connector failure becomes an incomplete snapshot, never an exception."""
    try:
        connector = connector_for(settings, platform)
        return connector.fetch(now=now, events_since=events_since)
    except ConfigError:
        raise
    except ConnectorError as exc:
        log.warning("%s", exc)
        return failed_snapshot(platform, str(exc))
    except AuditorError as exc:
        return failed_snapshot(platform, f"{platform.name}: {exc}")


def event_windows(platforms: list[PlatformSettings], now: datetime,
                  cursors: Mapping[str, EventCursor]) -> dict[str, tuple[datetime, datetime]]:
    """Platform name -> (start of its activity window, where to start reading its audit log).

    The log is read from the stored cursor minus an overlap when the stored log covers the rest of the
    window (``storage.event_log``), else over the whole window.
    """
    windows = {}
    for p in platforms:
        start = now - timedelta(days=p.activity_days)
        windows[p.name] = (start, events_since(cursors.get(p.name), start, now))
    return windows


def fetch_all(settings: Settings, platforms: list[PlatformSettings], now: datetime,
              progress: Progress, windows: Mapping[str, tuple[datetime, datetime]] | None = None,
              on_platform: PlatformProgress | None = None) -> list[TenantSnapshot]:
    """Fetch every platform concurrently, with its audit log from where ``windows`` says (default: the
    platform's whole activity window; ``complete_event_logs`` then adds the stored rest of the window, so
    the rules judging dormancy and post-departure activity always see a complete log of ``activity_days``).
    """
    windows = windows or event_windows(platforms, now, {})
    report = on_platform or (lambda _name, _state, _detail: None)

    def fetch(platform: PlatformSettings) -> TenantSnapshot:
        report(platform.name, "reading", "")
        return fetch_platform(settings, platform, now, windows[platform.name][1])

    for p in platforms:
        report(p.name, "queued", "")
    with ThreadPoolExecutor(max_workers=max(1, min(4, len(platforms)))) as pool:
        futures = [pool.submit(fetch, p) for p in platforms]
        for future in as_completed(futures):
            snap = future.result()
            report(snap.platform, "complete" if snap.complete else "not verified",
                   f"{len(snap.accounts)} accounts, {len(snap.grants)} grants" if snap.complete
                   else "; ".join(snap.errors))
        snapshots = [f.result() for f in futures]
    for snap in snapshots:
        state = "complete" if snap.complete else "NOT VERIFIED: " + "; ".join(snap.errors)
        progress(f"{snap.platform}: {len(snap.accounts)} accounts, {len(snap.grants)} grants, "
                 f"{len(snap.apps)} apps, {len(snap.events)} events ({state})")
        for scope, reason in snap.incomplete_scopes.items():
            progress(f"{snap.platform}: {scope} read incompletely ({reason}); its findings are kept as they were")
    return snapshots


def run_scan(settings: Settings, *, platform: str | None = None, trigger: str = "cli",
             progress: Progress | None = None, now: datetime | None = None,
             on_platform: PlatformProgress | None = None) -> ScanSummary:
    """Run one scan end to end and return its summary (``on_platform`` hears each platform's state)."""
    progress = progress or (lambda _msg: None)
    started = now or datetime.now(UTC)
    selected_platforms(settings, platform)  # fail on an unknown name before reading anything
    inputs = read_inputs(settings, started, progress)
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            cursors = event_cursors(session)
        with live_settings(settings) as live:
            live_platforms = selected_platforms(live, platform)
            windows = event_windows(live_platforms, started, cursors)
            snapshots = fetch_all(live, live_platforms, started, progress, windows, on_platform=on_platform)
        with db.session() as session:
            reused = complete_event_logs(session, snapshots, cursors, windows)
            if reused:
                progress(f"audit logs: read since the last scan; {reused} stored events of the window reused")
            people = sync_people(session, inputs.people, started)
            links = link_accounts(snapshots, people, settings.matching, stored_links(session),
                                  base_dir=settings.base_dir,
                                  service_accounts=stored_service_accounts(session, started.date()))
            context = EvaluationContext(now=started, people=people, snapshots=snapshots, links=links)
            verdicts = evaluate(context, inputs.policies)
            progress(f"evaluation: {len(verdicts)} failing or unknown verdicts")
            record = ScanRecord(
                started_at=started,
                finished_at=datetime.now(UTC) if now is None else started,
                trigger=trigger,
                snapshots=snapshots,
                account_people={key: link.uid for key, link in links.items()},
                verdicts=verdicts,
                directory_complete=True,
                policy_hashes={p.id: p.content_hash for p in inputs.policies},
            )
            return save_scan(session, record, inputs.exceptions)
    finally:
        db.dispose()
