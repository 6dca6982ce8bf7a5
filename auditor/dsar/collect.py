"""Collection: find what the company's systems hold about one subject, source by source, then redact.

Sources, in order: the company directory (live), the auditor's own records (directory copies and history,
inventory of accounts / roles / apps, findings, audit-log entries, offboarding cases) and, for every
configured platform, what its connector's targeted ``lookup(now=, emails=, account_ids=)`` answers now.
Each source ends as one ``SourceResult``: found, searched and nothing found, partial (searched with gaps),
could not search (with the reason) or not available (the source does not exist in this installation).
A failing source never stops the others. The caller passes settings whose sandbox platforms are already
served (``auditor.demo.runtime.running_sandboxes``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlmodel import Session

from auditor.config import PlatformSettings, Settings
from auditor.connectors.base import Connector, connector_for
from auditor.dsar import records as stored
from auditor.dsar.model import (
    CATEGORIES,
    COULD_NOT_SEARCH,
    FOUND,
    NOT_AVAILABLE,
    NOTHING_FOUND,
    PARTIAL,
    Collection,
    SourceResult,
    Subject,
)
from auditor.dsar.redact import Redactor, candidate_tokens
from auditor.errors import AuditorError
from auditor.model import Person, TenantSnapshot

ConnectorFactory = Callable[[PlatformSettings], Connector]
LIVE = "platform"  # ``source`` prefix of rows a platform answered live


def _result(source: str, label: str, rows: dict[str, list[dict[str, Any]]], searched_by: list[str],
            *, reason: str | None = None, partial: bool = False) -> SourceResult:
    counts = {category: len(items) for category, items in rows.items() if items}
    status = PARTIAL if partial else FOUND if counts else NOTHING_FOUND
    return SourceResult(source, label, status, reason, searched_by, counts)


# -------------------------------------------------------------------------------------------- directory


def _person_row(person: Person) -> dict[str, Any]:
    return {"source": "directory", "uid": person.uid, "display_name": person.display_name,
            "emails": list(person.emails), "department": person.department, "kind": str(person.kind),
            "status": str(person.status), "status_changed": stored.plain(person.status_changed),
            "end_date": stored.plain(person.end_date), "manager": person.manager}


def search_directory(settings: Settings, identity: stored.Identity, now: datetime) -> tuple[SourceResult, list]:
    """The live directory, by each e-mail address; adds the people found to ``identity``."""
    from auditor.directory.base import open_directory

    label = "Company directory"
    if not identity.emails:
        return SourceResult("directory", label, COULD_NOT_SEARCH, "no e-mail address of the subject is known",
                            []), []
    try:
        directory = open_directory(settings)
        people: dict[str, Person] = {}
        for email in sorted(identity.emails):
            person = directory.find_by_email(email, now=now)
            if person is not None:
                people[person.uid] = person
    except AuditorError as exc:
        return SourceResult("directory", label, COULD_NOT_SEARCH, str(exc), ["e-mail"]), []
    for person in people.values():
        identity.uids.add(person.uid)
        identity.emails.update(e.lower() for e in person.emails)
    rows = [_person_row(p) for _, p in sorted(people.items())]
    return _result("directory", label, {"identity": rows}, ["e-mail"]), rows


# ------------------------------------------------------------------------------------- auditor records


def search_records(session: Session, identity: stored.Identity) -> tuple[list[SourceResult], dict[str, list]]:
    """The auditor's own database; grows ``identity`` with the uids and accounts it finds."""
    rows: dict[str, list[dict[str, Any]]] = {c: [] for c in CATEGORIES}
    people = stored.stored_people(session, identity)
    for person in people:
        identity.uids.add(person["uid"])
        identity.emails.update(e.lower() for e in person["emails"])
    rows["identity"] = [{k: v for k, v in p.items() if k != "vanished_at"} for p in people]
    rows["directory_history"] = stored.person_history(session, identity.uids)
    results = [_result("auditor.directory", "Directory records kept by the auditor", {
        "identity": rows["identity"], "directory_history": rows["directory_history"]}, ["e-mail", "directory uid"])]

    rows["platform_accounts"] = stored.stored_accounts(session, identity)
    rows["access_rights"] = stored.stored_grants(session, identity.accounts)
    rows["connected_apps"] = stored.stored_apps(session, identity.accounts)
    results.append(_result("auditor.inventory", "Inventory of platform accounts, roles and apps", {
        k: rows[k] for k in ("platform_accounts", "access_rights", "connected_apps")},
        ["directory uid", "e-mail", "account id"]))

    rows["findings"] = stored.stored_findings(session, identity)
    results.append(_result("auditor.findings.lifecycle", "Audit findings", {"findings": rows["findings"]},
                           ["directory uid", "account id"]))
    rows["activity_log"] = stored.stored_events(session, identity.accounts)
    results.append(_result("auditor.events", "Platform activity logs kept by the auditor",
                           {"activity_log": rows["activity_log"]}, ["account id"]))

    cases = stored.offboarding_cases(session, identity.uids)
    if cases is None:
        results.append(SourceResult("auditor.offboarding", "Offboarding cases", NOT_AVAILABLE,
                                    "source not available: offboarding is not set up in this installation",
                                    ["directory uid"]))
    else:
        rows["offboarding_cases"] = cases
        results.append(_result("auditor.offboarding", "Offboarding cases", {"offboarding_cases": cases},
                               ["directory uid"]))
    return results, rows


# ----------------------------------------------------------------------------------------- platforms


def _default_factory(settings: Settings) -> ConnectorFactory:
    return lambda platform: connector_for(settings, platform)


def _snapshot_rows(snap: TenantSnapshot) -> dict[str, list[dict[str, Any]]]:
    source = f"{LIVE}:{snap.platform}"
    tenant = snap.tenant.tenant_id
    assets = {a.asset_id: a for a in snap.assets}
    plain = stored.plain
    accounts = [{"source": source, "platform": snap.platform, "tenant": tenant, "account_id": a.account_id,
                 "kind": str(a.kind), "name": a.name, "emails": list(a.emails), "two_factor": a.two_factor,
                 "last_activity": plain(a.last_activity), "state": a.state, "role": a.role,
                 "created_at": plain(a.created_at), "created_by": a.created_by, "first_seen": None,
                 "last_seen": None, "gone_at": None} for a in snap.accounts]
    grants = [{"source": source, "platform": snap.platform, "tenant": tenant, "account_id": g.account_id,
               "asset_id": g.asset_id, "asset_name": assets[g.asset_id].name if g.asset_id in assets else None,
               "asset_kind": assets[g.asset_id].kind if g.asset_id in assets else None, "role": g.role,
               "privileged": g.privileged, "granted_at": plain(g.granted_at), "granted_by": g.granted_by,
               "first_seen": None, "gone_at": None, "other_holders_withheld": None} for g in snap.grants]
    apps = [{"source": source, "platform": snap.platform, "tenant": tenant, "account_id": a.granted_by,
             "app_id": a.app_id, "name": a.name, "scopes": list(a.scopes) if a.scopes is not None else None,
             "last_used": plain(a.last_used), "first_seen": None, "gone_at": None} for a in snap.apps]
    events = [{"source": source, "platform": snap.platform, "tenant": tenant, "event_id": e.event_id,
               "time": plain(e.time), "action": e.action, "raw_action": e.raw_action, "actor_id": e.actor_id,
               "actor_name": e.actor_name, "target_id": e.target_id, "target_name": e.target_name,
               "asset_id": e.asset_id} for e in snap.events]
    return {"platform_accounts": accounts, "access_rights": grants, "connected_apps": apps, "activity_log": events}


def lookup_platform(factory: ConnectorFactory, platform: PlatformSettings, emails: set[str], ids: set[str],
                    now: datetime) -> tuple[SourceResult, dict[str, list[dict[str, Any]]]]:
    """One platform's targeted lookup; every failure becomes "could not search" with its reason."""
    source, label = f"{LIVE}:{platform.name}", f"{platform.name} (asked live)"
    searched_by = (["e-mail"] if emails else []) + (["account id"] if ids else [])
    try:
        connector = factory(platform)
        if not connector.capabilities.account_emails and not ids:
            return SourceResult(source, label, COULD_NOT_SEARCH,
                                "the platform does not reveal e-mail addresses and no account id or handle of "
                                "the subject is known", searched_by), {}
        snap = connector.lookup(now=now, emails=sorted(emails), account_ids=sorted(ids))
    except AuditorError as exc:
        return SourceResult(source, label, COULD_NOT_SEARCH, str(exc), searched_by), {}
    rows = _snapshot_rows(snap)
    reason = "; ".join(snap.errors) or None
    return _result(source, label, rows, searched_by, reason=reason, partial=not snap.complete), rows


def search_platforms(settings: Settings, identity: stored.Identity, now: datetime,
                     factory: ConnectorFactory | None = None) -> list[tuple[SourceResult, dict[str, list]]]:
    """Every configured platform, concurrently (at most four at a time), in config order."""
    factory = factory or _default_factory(settings)
    jobs = []
    for platform in settings.platform:
        ids = {key[2] for key in identity.accounts if key[0] == platform.name}
        ids |= identity.handles.get(platform.name, set())
        jobs.append((platform, ids))
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(4, len(jobs)), thread_name_prefix="dsar-lookup") as pool:
        futures = [pool.submit(lookup_platform, factory, p, set(identity.emails), ids, now) for p, ids in jobs]
        return [f.result() for f in futures]


# ------------------------------------------------------------------------------------------- together


def collect(settings: Settings, session: Session, subject: Subject, *, now: datetime,
            factory: ConnectorFactory | None = None) -> Collection:
    """Search every source for ``subject`` and return the redacted collection (see the module docstring)."""
    identity = stored.Identity(emails={e.lower() for e in subject.emails},
                               handles={p: set(ids) for p, ids in subject.handles.items()})
    directory_result, directory_rows = search_directory(settings, identity, now)
    record_results, rows = search_records(session, identity)
    rows["identity"] = directory_rows + rows["identity"]
    sources = [directory_result, *record_results]
    for result, found in search_platforms(settings, identity, now, factory):
        sources.append(result)
        for category, items in found.items():
            rows[category].extend(items)
        identity.accounts |= {(r["platform"], r["tenant"], r["account_id"]) for r in found.get("platform_accounts", [])}
    redactor = _redactor(session, identity, rows)
    collection = Collection(subject=subject, collected_at=now, sources=sources, records=redactor.apply(rows),
                            uids=sorted(identity.uids))
    collection.redactions = dict(redactor.counts)
    return collection


def _redactor(session: Session, identity: stored.Identity, rows: dict[str, list[dict[str, Any]]]) -> Redactor:
    """A redactor knowing the subject's identifiers and which other strings are other people's ids or uids."""
    own_ids = identity.account_ids
    candidates = candidate_tokens(rows) - own_ids - identity.uids
    platforms = {row.get("platform") for category in ("findings", "activity_log") for row in rows[category]}
    others = {i for _, i in stored.known_principals(session, {p: candidates for p in platforms if p})}
    return Redactor(own_ids=own_ids, own_emails=set(identity.emails), own_uids=set(identity.uids),
                    other_ids=others - own_ids, other_uids=stored.known_uids(session, candidates) - identity.uids)


def subject_from(name: str, emails: Iterable[str], handles: dict[str, Iterable[str]] | None = None) -> Subject:
    """A Subject with lower-cased e-mail addresses and handles per platform."""
    return Subject(name=name, emails=tuple(sorted({e.lower() for e in emails})),
                   handles={p: tuple(v) for p, v in (handles or {}).items()})
