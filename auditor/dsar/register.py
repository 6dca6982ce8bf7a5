"""The register of data-subject requests: the lifecycle of one request, its clock stops and its history.

Statuses: ``received`` -> ``in_progress`` (work started or identity verified) -> ``answered`` / ``refused`` /
``withdrawn``; on the way ``identity_unverified`` and ``waiting_for_subject`` while the Art. 12(3) clock stands
still for the subject's identity or a clarification, and ``extended`` once an extension was granted. Every
change is one ``dsar_event`` row (who, when, what), so the register explains itself. The functions work in the
caller's session (one transaction) and take ``now`` (an aware datetime) and ``today`` (the controller's calendar
day) from the caller: nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from auditor.dsar import deadlines
from auditor.dsar.errors import DsarError, RequestNotFound, TransitionRefused
from auditor.dsar.tables import DsarClockStop, DsarEvent, DsarPack, DsarRequest
from auditor.dsar.vocabulary import (  # noqa: F401 - the register's vocabulary, re-exported
    ANSWERED,
    CHANNELS,
    CLOSED_STATUSES,
    EXTENDED,
    IDENTITY_UNVERIFIED,
    IN_PROGRESS,
    OPEN_STATUSES,
    RECEIVED,
    REFUSED,
    REQUEST_TYPES,
    STATUSES,
    WAITING,
    WITHDRAWN,
    check_language,
)

_STOP_STATUS = {deadlines.IDENTITY: IDENTITY_UNVERIFIED, deadlines.CLARIFICATION: WAITING}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _clean_emails(emails: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(e.strip().lower() for e in emails if e and e.strip()))
    for email in cleaned:
        if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
            raise DsarError(f"email: {email!r} is not an e-mail address")
    return cleaned


def _clean_handles(handles: dict[str, Iterable[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for platform, values in (handles or {}).items():
        kept = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
        if platform.strip() and kept:
            out[platform.strip()] = kept
    return out


# ------------------------------------------------------------------------------------------------ reading


def load(session: Session, request_id: int) -> DsarRequest:
    """The request row, or RequestNotFound naming the id."""
    row = session.get(DsarRequest, request_id)
    if row is None:
        raise RequestNotFound(f"data-subject request {request_id} not found")
    return row


def stops_of(session: Session, request_ids: Iterable[int]) -> dict[int, list[DsarClockStop]]:
    """The clock stops of these requests, in one query."""
    ids = list(request_ids)
    out: dict[int, list[DsarClockStop]] = {i: [] for i in ids}
    if ids:
        query = select(DsarClockStop).where(DsarClockStop.request_id.in_(ids)).order_by(
            DsarClockStop.stopped_on, DsarClockStop.id)
        for stop in session.exec(query).scalars():
            out[stop.request_id].append(stop)
    return out


def deadline_of(row: DsarRequest, stops: Iterable[DsarClockStop], today: date) -> deadlines.Deadline:
    """The request's Art. 12(3) deadline on ``today``; a closed request's open stop ends on its closing."""
    extension = None
    if row.extension_notice_on is not None:
        extension = deadlines.Extension(row.extension_reason or "", row.extension_notice_on)
    clock = [deadlines.ClockStop(s.reason, s.stopped_on, s.resumed_on) for s in stops]
    return deadlines.compute_deadline(row.received_on, clock, extension, today=max(today, row.received_on))


def summary(row: DsarRequest, stops: list[DsarClockStop], today: date, *, reminder_days: int,
            escalation_days: int) -> dict[str, Any]:
    """One register line: id, status, type, subject, received, due, days_left, alert, ... (JSON-ready)."""
    deadline = deadline_of(row, stops, today)
    closed = row.status in CLOSED_STATUSES
    return {
        "id": row.id,
        "status": row.status,
        "type": row.request_type,
        "subject": row.subject_name,
        "emails": list(row.subject_emails),
        "channel": row.channel,
        "owner": row.owner,
        "received": row.received_on.isoformat(),
        "due": deadline.due.isoformat(),
        "days_left": None if closed else deadline.days_left(today),
        "alert": deadlines.NONE if closed else deadlines.alert_level(
            deadline, today, reminder_days=reminder_days, escalation_days=escalation_days),
        "clock_running": deadline.running,
        "paused_days": deadline.paused_days,
        "extended": deadline.extended,
        "identity_verified": row.identity_verified_at is not None,
        "closed_at": _plain(row.closed_at),
        "pack_sha256": row.pack_sha256,
    }


def list_requests(session: Session, *, status: str = "open", today: date, reminder_days: int = 7,
                  escalation_days: int = 3) -> list[dict[str, Any]]:
    """Register lines (``status``: open, closed, all or one status), soonest due first, in two queries."""
    query = select(DsarRequest)
    if status == "open":
        query = query.where(DsarRequest.status.in_(OPEN_STATUSES))
    elif status == "closed":
        query = query.where(DsarRequest.status.in_(CLOSED_STATUSES))
    elif status in STATUSES:
        query = query.where(DsarRequest.status == status)
    elif status != "all":
        raise DsarError(f"status: unknown value {status!r} (expected open, closed, all or one of {STATUSES})")
    rows = list(session.exec(query.order_by(DsarRequest.due_on, DsarRequest.id)).scalars())
    stops = stops_of(session, [r.id for r in rows if r.id is not None])
    lines = [summary(r, stops[r.id or 0], today, reminder_days=reminder_days, escalation_days=escalation_days)
             for r in rows]
    return sorted(lines, key=lambda line: (line["status"] in CLOSED_STATUSES, line["due"], line["id"]))


def detail(session: Session, request_id: int, *, today: date, reminder_days: int = 7,
           escalation_days: int = 3) -> dict[str, Any]:
    """Everything about one request: the register line plus subject, identity, extension, stops, history, packs."""
    row = load(session, request_id)
    stops = stops_of(session, [request_id])[request_id]
    deadline = deadline_of(row, stops, today)
    events = session.exec(select(DsarEvent).where(DsarEvent.request_id == request_id)
                          .order_by(DsarEvent.at, DsarEvent.id)).scalars()
    packs = session.exec(select(DsarPack).where(DsarPack.request_id == request_id)
                         .order_by(DsarPack.created_at, DsarPack.id)).scalars()
    return {
        **summary(row, stops, today, reminder_days=reminder_days, escalation_days=escalation_days),
        "handles": dict(row.subject_handles),
        "subject_uid": row.subject_uid,
        "received_at": _plain(row.received_at),
        "base_due": deadline.base_due.isoformat(),
        "identity": {"verified_at": _plain(row.identity_verified_at), "verified_by": row.identity_verified_by,
                     "method": row.identity_method},
        "extension": None if row.extension_notice_on is None else {
            "reason": row.extension_reason, "notice_on": row.extension_notice_on.isoformat()},
        "language": row.language,
        "close_reason": row.close_reason,
        "response_channel": row.response_channel,
        "decision": dict(row.decision),
        "created_by": row.created_by,
        "stops": [{"reason": s.reason, "stopped_on": s.stopped_on.isoformat(), "resumed_on": _plain(s.resumed_on),
                   "note": s.note} for s in stops],
        "history": [{"at": _plain(e.at), "actor": e.actor, "kind": e.kind, "detail": e.detail, "note": e.note}
                    for e in events],
        "packs": [{"created_at": _plain(p.created_at), "created_by": p.created_by, "language": p.language,
                   "sha256": p.sha256, "files": p.files, "holds_data": p.holds_data} for p in packs],
    }


# ------------------------------------------------------------------------------------------------ writing


def record_event(session: Session, row: DsarRequest, kind: str, *, actor: str, now: datetime,
                 detail: dict[str, Any] | None = None, note: str | None = None) -> None:
    """Append one history entry and stamp the request as updated."""
    row.updated_at = now
    session.add(DsarEvent(request_id=row.id, at=now, actor=actor, kind=kind, detail=detail or {}, note=note))


def _refresh_due(session: Session, row: DsarRequest, today: date) -> None:
    session.flush()
    row.due_on = deadline_of(row, stops_of(session, [row.id])[row.id], today).due


def require_open(row: DsarRequest, what: str) -> None:
    if row.status in CLOSED_STATUSES:
        raise TransitionRefused(f"request {row.id}: cannot {what}: it is closed ({row.status})")


def _open_stop(session: Session, row: DsarRequest) -> DsarClockStop | None:
    stops = stops_of(session, [row.id])[row.id]
    return next((s for s in stops if s.resumed_on is None), None)


def _working_status(row: DsarRequest) -> str:
    return EXTENDED if row.extension_notice_on is not None else IN_PROGRESS


def open_request(session: Session, *, name: str, emails: Iterable[str], request_type: str = "access",
                 handles: dict[str, Iterable[str]] | None = None, channel: str = "email",
                 received_at: datetime, received_on: date, owner: str | None = None,
                 language: str | None = None, note: str | None = None, actor: str, now: datetime,
                 today: date) -> DsarRequest:
    """Register a new request; DsarError for an empty name, no contact, a bad type/channel or a future date."""
    name = (name or "").strip()
    if not name:
        raise DsarError("name: the subject's name is required")
    if request_type not in REQUEST_TYPES:
        raise DsarError(f"type: unknown value {request_type!r} (expected one of {', '.join(REQUEST_TYPES)})")
    if channel not in CHANNELS:
        raise DsarError(f"channel: unknown value {channel!r} (expected one of {', '.join(CHANNELS)})")
    try:
        check_language(language)
    except ValueError as exc:
        raise DsarError(str(exc)) from None
    cleaned, kept_handles = _clean_emails(emails), _clean_handles(handles)
    if not cleaned and not kept_handles:
        raise DsarError("email: at least one e-mail address (or a platform handle) of the subject is required")
    if received_on > today:
        raise DsarError(f"received: {received_on} is in the future (today is {today})")
    row = DsarRequest(
        request_type=request_type, subject_name=name, subject_emails=cleaned, subject_handles=kept_handles,
        channel=channel, received_at=received_at, received_on=received_on, status=RECEIVED, owner=owner,
        due_on=deadlines.one_month_due(received_on), language=language, created_at=now, created_by=actor,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    record_event(session, row, "opened", actor=actor, now=now, note=note, detail={
        "type": request_type, "channel": channel, "received_on": received_on.isoformat(), "owner": owner})
    return row


def start(session: Session, row: DsarRequest, *, actor: str, now: datetime) -> None:
    """Mark work as started: ``received`` becomes ``in_progress`` (other statuses are left alone)."""
    if row.status == RECEIVED:
        row.status = IN_PROGRESS
        record_event(session, row, "status", actor=actor, now=now, detail={"status": IN_PROGRESS})


def assign(session: Session, row: DsarRequest, *, owner: str, actor: str, now: datetime) -> None:
    """Give the request an owner."""
    owner = owner.strip()
    if not owner:
        raise DsarError(f"request {row.id}: owner: a name is required")
    row.owner = owner
    record_event(session, row, "assigned", actor=actor, now=now, detail={"owner": owner})


def add_note(session: Session, row: DsarRequest, *, text: str, actor: str, now: datetime) -> None:
    """Append a free-text note to the request's history."""
    if not text.strip():
        raise DsarError(f"request {row.id}: note: the text is empty")
    record_event(session, row, "note", actor=actor, now=now, note=text.strip())


def verify_identity(session: Session, row: DsarRequest, *, method: str, actor: str, now: datetime,
                    today: date) -> None:
    """Record how and when the subject's identity was verified (Art. 12(6)); an identity stop ends today."""
    require_open(row, "verify the identity")
    method = method.strip()
    if not method:
        raise DsarError(f"request {row.id}: method: say how the identity was verified")
    row.identity_verified_at, row.identity_verified_by, row.identity_method = now, actor, method
    stop = _open_stop(session, row)
    if stop is not None and stop.reason == deadlines.IDENTITY:
        stop.resumed_on = today
    if row.status in (RECEIVED, IDENTITY_UNVERIFIED):
        row.status = _working_status(row)
    record_event(session, row, "identity_verified", actor=actor, now=now, detail={"method": method})
    _refresh_due(session, row, today)


def stop_clock(session: Session, row: DsarRequest, *, reason: str, actor: str, now: datetime, today: date,
               on: date | None = None, note: str | None = None) -> None:
    """Stop the clock from ``on`` (default today) while waiting for the subject's identity or a clarification."""
    require_open(row, "stop the clock")
    if reason not in deadlines.STOP_REASONS:
        raise DsarError(f"reason: unknown value {reason!r} (expected one of {', '.join(deadlines.STOP_REASONS)})")
    if _open_stop(session, row) is not None:
        raise TransitionRefused(f"request {row.id}: the clock is already stopped")
    on = on or today
    stops = [deadlines.ClockStop(s.reason, s.stopped_on, s.resumed_on) for s in stops_of(session, [row.id])[row.id]]
    deadlines.check_stops(row.received_on, [*stops, deadlines.ClockStop(reason, on)], today)
    session.add(DsarClockStop(request_id=row.id, reason=reason, stopped_on=on, note=note, created_by=actor))
    row.status = _STOP_STATUS[reason]
    record_event(session, row, "clock_stopped", actor=actor, now=now, note=note,
                 detail={"reason": reason, "on": on.isoformat()})
    _refresh_due(session, row, today)


def resume_clock(session: Session, row: DsarRequest, *, actor: str, now: datetime, today: date,
                 on: date | None = None, note: str | None = None) -> None:
    """Restart the clock on ``on`` (default today): the subject answered."""
    require_open(row, "resume the clock")
    stop = _open_stop(session, row)
    if stop is None:
        raise TransitionRefused(f"request {row.id}: the clock is not stopped")
    on = on or today
    if on < stop.stopped_on or on > today:
        raise DsarError(f"request {row.id}: resume date {on} must lie between {stop.stopped_on} and today")
    stop.resumed_on = on
    row.status = _working_status(row)
    record_event(session, row, "clock_resumed", actor=actor, now=now, note=note,
                 detail={"reason": stop.reason, "on": on.isoformat(), "days": (on - stop.stopped_on).days})
    _refresh_due(session, row, today)


def extend(session: Session, row: DsarRequest, *, reason: str, actor: str, now: datetime, today: date,
           notice_on: date | None = None) -> deadlines.Deadline:
    """Grant the Art. 12(3) extension (ExtensionRefused: no reason, late notice, second extension)."""
    require_open(row, "extend it")
    notice_on = notice_on or today
    current = deadline_of(row, stops_of(session, [row.id])[row.id], today)
    extension = deadlines.check_extension(current, reason, notice_on, today=today)
    row.extension_reason, row.extension_notice_on = extension.reason, extension.notice_on
    if row.status in (RECEIVED, IN_PROGRESS):
        row.status = EXTENDED
    _refresh_due(session, row, today)
    record_event(session, row, "extended", actor=actor, now=now, note=extension.reason,
                 detail={"notice_on": notice_on.isoformat(), "due": row.due_on.isoformat()})
    return deadline_of(row, stops_of(session, [row.id])[row.id], today)


def close(session: Session, row: DsarRequest, *, status: str, actor: str, now: datetime, today: date,
          reason: str | None = None, channel: str | None = None) -> None:
    """Close as answered, refused (a reason is required; the letter must name the complaint right) or withdrawn."""
    require_open(row, "close it")
    if status not in CLOSED_STATUSES:
        raise DsarError(f"status: {status!r} does not close a request (expected one of {CLOSED_STATUSES})")
    reason = (reason or "").strip() or None
    if status == REFUSED and not reason:
        raise DsarError(f"request {row.id}: a refusal needs a reason (Art. 12(4): tell the subject why)")
    if channel is not None and channel not in CHANNELS:
        raise DsarError(f"channel: unknown value {channel!r} (expected one of {', '.join(CHANNELS)})")
    stop = _open_stop(session, row)
    if stop is not None:
        stop.resumed_on = today
    row.status, row.closed_at, row.close_reason, row.response_channel = status, now, reason, channel
    _refresh_due(session, row, today)
    record_event(session, row, "closed", actor=actor, now=now, note=reason, detail={
        "status": status, "channel": channel, "on_time": today <= row.due_on})


def record_pack(session: Session, row: DsarRequest, *, sha256: str, files: dict[str, str], language: str,
                holds_data: bool, summary_data: dict[str, Any], actor: str, now: datetime) -> None:
    """Register an answer pack (its files' SHA-256 and the pack's) and keep the latest hash on the request."""
    session.add(DsarPack(request_id=row.id, created_at=now, created_by=actor, language=language, sha256=sha256,
                         files=files, summary=summary_data, holds_data=holds_data))
    row.pack_sha256 = sha256
    record_event(session, row, "pack", actor=actor, now=now, detail={"sha256": sha256, "files": sorted(files)})


def record_decision(session: Session, row: DsarRequest, decision: dict[str, Any], *, actor: str,
                    now: datetime) -> None:
    """Keep an erasure decision (what was erased or kept, and the legal basis) on the request and in its history."""
    row.decision = decision
    record_event(session, row, "erasure_decision", actor=actor, now=now, detail=decision,
                 note=decision.get("basis"))
