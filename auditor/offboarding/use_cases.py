"""Offboarding use-cases for the edges: the HR webhook, ``auditor offboard``, the web pages, the scheduler.

Opening a case seeds it with what the last scan saw the person hold and runs a targeted check at once; the
scheduler re-checks open cases until every item is gone (then the case closes as clean and the evidence
report is attached) or the deadline passes (then a critical finding opens and security is notified).
Platform calls never run inside a database transaction.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from auditor.config import Settings
from auditor.connectors.live import live_settings
from auditor.errors import AuditorError, ConfigError
from auditor.offboarding import cases, revocation
from auditor.offboarding.check import check_all
from auditor.offboarding.deadline import deadline as deadline_of
from auditor.offboarding.webhook import WebhookRejected, body_digest, parse, verify
from auditor.storage.db import Database, open_database

log = logging.getLogger("auditor.offboarding")


@dataclass(slots=True)
class WebhookAnswer:
    """The HTTP answer to a webhook request: status and JSON body."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


@contextmanager
def _database(settings: Settings, db: Database | None) -> Iterator[Database]:
    if db is not None:
        yield db
        return
    opened = open_database(settings.storage_url)
    try:
        yield opened
    finally:
        opened.dispose()


# ------------------------------------------------------------------------------------------- open a case


def open_case(settings: Settings, *, uid: str | None = None, email: str | None = None, last_working_day: date,
              manager: str | None = None, source: str = "cli", opened_by: str = "cli", event: tuple[str, str] | None
              = None, check: bool = True, now: datetime | None = None, db: Database | None = None) -> dict[str, Any]:
    """Open (or find) the person's case and, for a new case, run the targeted check at once.

    Returns ``{"case": view, "created": bool, "replayed": bool}``. ``event`` is ``(event id, body sha256)`` of
    a webhook: an event id seen before returns its case and changes nothing. CaseError names the field when
    the person cannot be found.
    """
    now = _now(now)
    with _database(settings, db) as database:
        for attempt in (1, 2):
            try:
                with database.session(write=True, raw_integrity_errors=True) as session:
                    case_id, created, replayed = _open(session, settings, uid, email, last_working_day, manager,
                                                       source, opened_by, event, now)
                break
            except IntegrityError:  # a concurrent request opened the case or stored the event first
                if attempt == 2:
                    raise
        if created and check:
            view = check_case(settings, case_id, now=now, db=database)
        else:
            with database.session(write=True, raw_integrity_errors=True) as session:
                view = cases.case_view(session, case_id)
    return {"case": view, "created": created, "replayed": replayed}


def _open(session: Session, settings: Settings, uid: str | None, email: str | None, last_working_day: date,
          manager: str | None, source: str, opened_by: str, event: tuple[str, str] | None,
          now: datetime) -> tuple[int, bool, bool]:
    if event is not None:
        seen = cases.event_case_id(session, event[0])
        if seen is not None:
            return seen, False, True
    person = cases.find_person(session, uid=uid, email=email)
    if person is None and not email:
        raise cases.CaseError(f"uid: no person {uid!r} in the directory (sync the directory, or send the email "
                              "too)", field="uid")
    who = person["uid"] if person else (uid or str(email).lower())
    emails = {str(e).lower() for e in (person["emails"] if person else ()) or ()}
    if email:
        emails.add(email.strip().lower())
    case_id = cases.open_case_id(session, who)
    created = case_id is None
    if case_id is None:
        case_id = cases.insert_case(
            session, uid=who, display_name=person["display_name"] if person else None, emails=emails,
            last_working_day=last_working_day, manager=manager or (person or {}).get("manager"), source=source,
            opened_by=opened_by, now=now, deadline=deadline_of(last_working_day, settings.offboarding))
        cases.seed_items(session, case_id, cases.inventory_items(session, who), now)
    if event is not None:
        cases.insert_event(session, event[0], case_id, now, event[1])
    return case_id, created, False


def receive_webhook(settings: Settings, body: bytes, headers: Mapping[str, str], *, now: datetime | None = None,
                    db: Database | None = None) -> WebhookAnswer:
    """``POST /api/offboarding``: verify, validate, open (or find) the case, check it; nothing is written
    for a request that is refused."""
    now = _now(now)
    config = settings.offboarding
    try:
        if len(body) > config.max_body_bytes:
            raise WebhookRejected(413, f"body: larger than {config.max_body_bytes} bytes")
        try:
            secret = settings.secret(config.webhook_secret_env, key="offboarding.webhook_secret_env")
        except ConfigError as exc:
            log.error("HR webhook refused: %s", exc)
            return WebhookAnswer(503, {"error": "the HR webhook is not configured on this server"})
        verify(secret, headers, body, now)
        request = parse(body)
    except WebhookRejected as exc:
        log.warning("HR webhook refused (%d): %s", exc.status, exc.message)
        return WebhookAnswer(exc.status, exc.body())
    try:
        result = open_case(settings, uid=request.uid, email=request.email, last_working_day=request.last_working_day,
                           manager=request.manager, source="webhook", opened_by="hr-webhook",
                           event=(request.event_id, body_digest(body)), now=now, db=db)
    except cases.CaseError as exc:
        answer: dict[str, Any] = {"error": str(exc)}
        if exc.field:
            answer["field"] = exc.field
        return WebhookAnswer(exc.status, answer)
    status = 201 if result["created"] else 200
    return WebhookAnswer(status, {"event_id": request.event_id, **result})


# ------------------------------------------------------------------------------------------------ checks


def check_case(settings: Settings, case_id: int, *, now: datetime | None = None, db: Database | None = None,
               transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """Re-check an open case on every platform: update items, close it when clean, escalate it when overdue."""
    now = _now(now)
    with _database(settings, db) as database:
        with database.session(write=True, raw_integrity_errors=True) as session:
            case = cases.case_row(session, case_id)
            if case["status"] != "open":
                return cases.case_view(session, case_id)
            accounts = cases.known_accounts(session, case["uid"])
            for item in cases.item_rows(session, case_id):
                accounts.setdefault(item["platform"], set()).add(item["account_id"])
        checks = check_all(settings, case["emails"], accounts, now)
        for attempt in (1, 2):
            try:
                closed, escalation, case = _record_check(settings, database, case_id, checks, now)
                break
            except IntegrityError:  # a concurrent check of the same case added the same new item first
                if attempt == 2:
                    raise
        if escalation is not None:
            from auditor.notify import deliver, escalation_notice

            deliver(settings, escalation_notice(settings.notifications, case, escalation["remaining"],
                                                settings.timezone))
        if closed and settings.offboarding.evidence_report:
            _attach_evidence(settings, database, case, now)
        with database.session(write=True, raw_integrity_errors=True) as session:
            return cases.case_view(session, case_id)


def _record_check(settings: Settings, database: Database, case_id: int, checks: list[Any],
                  now: datetime) -> tuple[bool, dict[str, Any] | None, dict[str, Any]]:
    """Apply a check in one transaction: close when clean, else propose revocations and escalate if overdue."""
    closed, escalation = False, None
    with database.session(write=True, raw_integrity_errors=True) as session:
        if cases.case_row(session, case_id)["status"] != "open":
            return False, None, cases.case_row(session, case_id)  # closed meanwhile by a concurrent check
        counts = cases.apply_check(session, case_id, checks, now)
        clean = bool(checks) and all(c.status == "complete" for c in checks) \
            and counts[cases.PRESENT] == 0 and counts[cases.UNVERIFIED] == 0
        if clean:
            closed = cases.close_clean(session, case_id, now)
        else:
            revocation.propose(session, settings, case_id, cases.item_rows(session, case_id), now)
            if cases.overdue(cases.case_row(session, case_id), now):
                escalation = cases.escalate(session, case_id, now)
        return closed, escalation, cases.case_row(session, case_id)


def _attach_evidence(settings: Settings, database: Database, case: Mapping[str, Any], now: datetime) -> None:
    """Build the offboarding evidence PDF (reporting module) and record it on the closed case."""
    report_id = path = error = None
    if importlib.util.find_spec("auditor.reporting.use_cases") is None:
        error = "the reporting module is not installed: no evidence PDF"
    else:
        from auditor.reporting.use_cases import write_report

        try:
            written, entry = write_report(settings, "offboarding", generated_by=f"offboarding case #{case['id']}",
                                          person=case["uid"], now=now)
            report_id, path = entry.id, str(written)
        except AuditorError as exc:
            error = str(exc)
            log.error("offboarding case #%s: evidence report failed: %s", case["id"], exc)
    with database.session(write=True, raw_integrity_errors=True) as session:
        session.execute(cases.CASES.update().where(cases.CASES.c.id == case["id"]).values(
            evidence_report_id=report_id, evidence_path=path, evidence_error=error))


def recheck_open_cases(settings: Settings, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Re-check every open case (the scheduler's job); a case whose check fails is logged and skipped."""
    now = _now(now)
    views = []
    with _database(settings, None) as database:
        with database.session(write=True, raw_integrity_errors=True) as session:
            ids = cases.open_case_ids(session)
        for case_id in ids:
            try:
                views.append(check_case(settings, case_id, now=now, db=database))
            except AuditorError as exc:
                log.error("offboarding case #%s: re-check failed: %s", case_id, exc)
    return views


# ----------------------------------------------------------------------------------------------- reading


def get_case(settings: Settings, case_id: int, *, db: Database | None = None) -> dict[str, Any]:
    """One case with items, platforms and revocations (CaseError 404 when there is none)."""
    with _database(settings, db) as database, database.session(write=True, raw_integrity_errors=True) as session:
        return cases.case_view(session, case_id)


def latest_case_for(settings: Settings, uid: str, *, db: Database | None = None) -> dict[str, Any] | None:
    """The person's newest case (open or closed), or None."""
    with _database(settings, db) as database, database.session(write=True, raw_integrity_errors=True) as session:
        found = cases.list_cases(session, uid=uid, limit=1)
        return cases.case_view(session, found[0]["id"]) if found else None


def find_cases(settings: Settings, *, status: str | None = None, limit: int = 50, offset: int = 0,
               db: Database | None = None) -> list[dict[str, Any]]:
    """Cases, newest first, with item counts."""
    with _database(settings, db) as database, database.session(write=True, raw_integrity_errors=True) as session:
        return cases.list_cases(session, status=status, limit=limit, offset=offset)


# -------------------------------------------------------------------------------------------- revocation


def decide_revocation(settings: Settings, revocation_id: int, *, by: str, role: str, approve: bool,
                      reason: str | None = None, now: datetime | None = None, db: Database | None = None,
                      transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """A security officer approves (then it runs at once, and the case is re-checked) or rejects a proposal."""
    now = _now(now)
    with _database(settings, db) as database:
        with database.session(write=True, raw_integrity_errors=True) as session:
            row = revocation.revocation_row(session, revocation_id)
            case = cases.case_row(session, row["case_id"])
            revocation.decide(session, revocation_id, by=by, role=role, approve=approve,
                              opened_by=case["opened_by"], reason=reason, now=now)
        if not approve:
            return get_case(settings, row["case_id"], db=database)
        run_revocation(settings, revocation_id, now=now, db=database, transport=transport)
        return check_case(settings, row["case_id"], now=now, db=database)


def run_revocation(settings: Settings, revocation_id: int, *, now: datetime | None = None,
                   db: Database | None = None, transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """Carry out one approved proposal and record every call; returns the stored proposal."""
    now = _now(now)
    with _database(settings, db) as database:
        with database.session(write=True, raw_integrity_errors=True) as session:
            row = revocation.claim(session, revocation_id)
        calls: list[dict[str, Any]] = []

        def record(method: str, path: str, status: int | None, outcome: str, detail: str | None) -> None:
            calls.append({"at": datetime.now(UTC), "method": method, "path": path, "status": status,
                          "outcome": outcome, "detail": detail})

        error = None
        try:
            with live_settings(settings, now=now) as live:
                revoker = revocation.revoker_for(live, row["platform"], transport=transport)
                if revoker is None:
                    raise revocation.RevocationError(f"{row['platform']}: revocation is not enabled for it")
                revoker.execute(row["action"], row["target"], record)
        except AuditorError as exc:
            error = str(exc)
            log.error("revocation #%s failed: %s", revocation_id, exc)
        with database.session(write=True, raw_integrity_errors=True) as session:
            revocation.finish(session, revocation_id, calls, error, now)
            return revocation.revocation_row(session, revocation_id)
