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
from datetime import UTC, datetime, timedelta, tzinfo

from sqlmodel import Session

from auditor import dates
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
from auditor.services.directory_sync import read_directory
from auditor.services.heap import scan_heap
from auditor.services.scan_inputs import platform_key, shared_digest
from auditor.storage.db import open_database
from auditor.storage.event_log import EventCursor, complete_event_logs, event_cursors, events_since
from auditor.storage.people import synced_digest, touch_people
from auditor.storage.repository import (
    ScanRecord,
    ScanSummary,
    last_readings,
    save_scan,
    stored_exceptions,
    stored_links,
    sync_people_counted,
)

log = logging.getLogger("auditor.scan")

Progress = Callable[[str], None]
PlatformProgress = Callable[[str, str, str], None]
"""(platform name, state, detail): state is ``queued``, ``reading``, ``complete`` or ``not verified``."""


@dataclass(slots=True)
class ScanInputs:
    """What a scan reads before touching the database: policies, exceptions, the directory (and its digest)."""

    policies: list
    exceptions: list
    people: list[Person]
    people_digest: str = ""


def read_inputs(settings: Settings, now: datetime, progress: Progress) -> ScanInputs:
    """Load policies, exceptions and the directory; any bad input raises before anything is written."""
    policies = load_policies(
        settings.policies_dir, parameters_file=settings.resolve_path(settings.policies.parameters_file)
    )
    exceptions = load_exceptions(settings.resolve_path(settings.policies.exceptions_file))
    progress(f"policies: {len(policies)} rules loaded")
    people, digest = read_directory(settings, now)
    progress(f"directory: {len(people)} people read")
    return ScanInputs(policies=policies, exceptions=exceptions, people=people, people_digest=digest)


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


def _shared_digest(session: Session, settings: Settings, inputs: ScanInputs, now: datetime,
                   zone: tzinfo) -> str:
    """The digest of what every platform's findings share, as stored now (``scan_inputs.shared_digest``)."""
    return shared_digest(
        settings, now=now, zone=zone, people=inputs.people_digest,
        exceptions=[*inputs.exceptions, *stored_exceptions(session)], links=stored_links(session),
        service_accounts=stored_service_accounts(session, now.date()),
    )


def _unchanged(live: Settings, platforms: list[PlatformSettings], shared: str,
               readings: Mapping[str, dict]) -> tuple[dict[str, str], dict[str, dict]]:
    """(platform -> input key for those whose connector can fingerprint its source, platform -> its last
    reading for those whose key has not moved since)."""
    keys: dict[str, str] = {}
    for p in platforms:
        try:
            fingerprint = connector_for(live, p).source_fingerprint()
        except AuditorError:
            fingerprint = None  # the fetch reports the problem
        if fingerprint is not None:
            keys[p.name] = platform_key(shared, p, fingerprint)
    carried = {name: readings[name] for name, key in keys.items()
               if name in readings and readings[name]["input_key"] == key}
    return keys, carried


def _record(started: datetime, now: datetime | None, trigger: str, inputs: ScanInputs,
            snapshots: list[TenantSnapshot], account_people: dict, verdicts: list, keys: dict[str, str],
            carried: dict[str, dict]) -> ScanRecord:
    return ScanRecord(
        started_at=started, finished_at=datetime.now(UTC) if now is None else started, trigger=trigger,
        snapshots=snapshots, account_people=account_people, verdicts=verdicts, directory_complete=True,
        policy_hashes={p.id: p.content_hash for p in inputs.policies}, input_keys=keys, carried=carried,
    )


def run_scan(settings: Settings, *, platform: str | None = None, trigger: str = "cli",
             progress: Progress | None = None, now: datetime | None = None,
             on_platform: PlatformProgress | None = None) -> ScanSummary:
    """Run one scan end to end and return its summary (``on_platform`` hears each platform's state), with the
    garbage collector tuned for a scan (``services.heap``)."""
    with scan_heap():
        return _run_scan(settings, platform=platform, trigger=trigger, progress=progress, now=now,
                         on_platform=on_platform)


def _run_scan(settings: Settings, *, platform: str | None, trigger: str, progress: Progress | None,
              now: datetime | None, on_platform: PlatformProgress | None) -> ScanSummary:
    """One scan (see ``run_scan``).

    A platform whose input key (``services.scan_inputs``) equals that of its last complete reading is carried
    over: not read, not judged. Should the directory table or the links, exceptions or markings have been
    changed by someone else between that check and the write transaction, such platforms are read after all.
    """
    progress = progress or (lambda _msg: None)
    report = on_platform or (lambda _name, _state, _detail: None)
    started = now or datetime.now(UTC)
    zone = dates.zone(settings.timezone)
    selected_platforms(settings, platform)  # fail on an unknown name before reading anything
    inputs = read_inputs(settings, started, progress)
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            cursors = event_cursors(session)
            shared = _shared_digest(session, settings, inputs, started, zone)
            readings = last_readings(session)
        with live_settings(settings) as live:
            live_platforms = selected_platforms(live, platform)
            keys, carried = _unchanged(live, live_platforms, shared, readings)
            for name, reading in carried.items():
                since = reading["unchanged_since"] or reading["scan_id"]
                report(name, "complete", f"unchanged since scan #{since}: not read again")
                progress(f"{name}: unchanged since scan #{since} (same source, directory, rules, exceptions, "
                         "links and day): its findings carried over")
            to_read = [p for p in live_platforms if p.name not in carried]
            windows = event_windows(to_read, started, cursors)
            snapshots = fetch_all(live, to_read, started, progress, windows, on_platform=on_platform)
        with db.session() as session:
            if carried and not to_read and synced_digest(session) == inputs.people_digest and (
                    _shared_digest(session, settings, inputs, started, zone) == shared):
                # every platform carried over and the stored directory is already this read: nothing to judge
                touch_people(session, started)
                return save_scan(session, _record(started, now, trigger, inputs, [], {}, [], keys, carried),
                                 inputs.exceptions)
            people, people_changes = sync_people_counted(session, inputs.people, started,
                                                         read_digest=inputs.people_digest)
            if carried and (people_changes or _shared_digest(session, settings, inputs, started, zone) != shared):
                progress("directory, links or exceptions changed since the check: reading every platform")
                with live_settings(settings) as live:
                    late = [p for p in selected_platforms(live, platform) if p.name in carried]
                    late_windows = event_windows(late, started, cursors)
                    windows = {**windows, **late_windows}
                    snapshots += fetch_all(live, late, started, progress, late_windows, on_platform=on_platform)
                carried = {}
            reused = complete_event_logs(session, snapshots, cursors, windows)
            if reused:
                progress(f"audit logs: read since the last scan; {reused} stored events of the window reused")
            links = link_accounts(snapshots, people, settings.matching, stored_links(session),
                                  base_dir=settings.base_dir,
                                  service_accounts=stored_service_accounts(session, started.date()))
            context = EvaluationContext(now=started, people=people, snapshots=snapshots, links=links,
                                        timezone=zone)
            verdicts = evaluate(context, inputs.policies)
            progress(f"evaluation: {len(verdicts)} failing or unknown verdicts")
            record = _record(started, now, trigger, inputs, snapshots,
                              {key: link.uid for key, link in links.items()}, verdicts, keys, carried)
            return save_scan(session, record, inputs.exceptions)
    finally:
        db.dispose()
