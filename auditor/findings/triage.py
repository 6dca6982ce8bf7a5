"""Triage of findings from the web UI: acknowledge, assign, comment, accept the risk, reopen; one finding or
many at once. Every change is written with the audit entry that records it, in one transaction.

Accepting a risk stores a ``RiskExceptionRow`` for the finding's fingerprint (which every later scan honours
through ``save_scan``) and mutes the finding at once (status ``accepted``, event ``muted``). Reopening
withdraws that exception (exceptions from the YAML file can only be withdrawn by editing the file) and clears
the acknowledgement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.accounts.tables import FindingComment, FindingTriage, WebUser
from auditor.errors import AuditorError
from auditor.findings.lifecycle import ACCEPTED, OPEN, RESOLVED
from auditor.storage.db import Database
from auditor.storage.tables import Finding, FindingEvent, RiskExceptionRow

MAX_BULK = 500
MAX_COMMENT = 5000
MAX_REASON = 2000
TRIAGE_ROLES = ("admin", "security_officer")

_F = Finding.__table__
_T = FindingTriage.__table__


class TriageError(AuditorError):
    """A triage action was refused (names the finding and the reason)."""


def _ids(finding_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in finding_ids})
    if not ids:
        raise TriageError("no finding selected")
    if len(ids) > MAX_BULK:
        raise TriageError(f"too many findings selected ({len(ids)}; at most {MAX_BULK} at once)")
    return ids


def _findings(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = session.exec(
        select(_F.c.id, _F.c.rule, _F.c.fingerprint, _F.c.status, _F.c.platform, _F.c.exception_id).where(
            _F.c.id.in_(ids)
        )
    ).mappings()
    found = {row["id"]: dict(row) for row in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise TriageError(f"finding {missing[0]} not found")
    return found


def _upsert_triage(session: Session, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Insert or update triage rows (one statement per row kind; executemany)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(_T)
    statement = statement.on_conflict_do_update(
        index_elements=[_T.c.finding_id],
        set_={name: statement.excluded[name] for name in (*columns, "updated_at", "updated_by")},
    )
    session.exec(statement, params=rows)


def _audit_each(
    session: Session, actor: Actor, action: str, ids: list[int], now: datetime, detail: dict[str, Any] | None = None
) -> None:
    for finding_id in ids:
        web_audit.record(session, actor, action, target_kind="finding", target_id=finding_id, detail=detail, at=now)


def acknowledge(db: Database, actor: Actor, finding_ids: Iterable[int], now: datetime) -> int:
    """Mark findings as seen and being handled; returns how many."""
    ids = _ids(finding_ids)
    with db.session(write=True) as session:
        _findings(session, ids)
        rows = [
            {
                "finding_id": i,
                "acknowledged_at": now,
                "acknowledged_by": actor.name,
                "updated_at": now,
                "updated_by": actor.name,
            }
            for i in ids
        ]
        _upsert_triage(session, rows, ("acknowledged_at", "acknowledged_by"))
        _audit_each(session, actor, "finding_acknowledged", ids, now)
    return len(ids)


def assign(db: Database, actor: Actor, finding_ids: Iterable[int], assignee: str | None, now: datetime) -> int:
    """Assign findings to a user who can triage (or unassign with None)."""
    ids = _ids(finding_ids)
    users = WebUser.__table__
    with db.session(write=True) as session:
        if assignee is not None:
            ok = session.exec(
                select(users.c.id).where(
                    users.c.username == assignee, users.c.disabled_at.is_(None), users.c.role.in_(TRIAGE_ROLES)
                )
            ).first()
            if ok is None:
                raise TriageError(f"cannot assign to {assignee!r}: not an enabled administrator or security officer")
        _findings(session, ids)
        rows = [{"finding_id": i, "assignee": assignee, "updated_at": now, "updated_by": actor.name} for i in ids]
        _upsert_triage(session, rows, ("assignee",))
        _audit_each(session, actor, "finding_assigned", ids, now, {"assignee": assignee})
    return len(ids)


def comment(db: Database, actor: Actor, finding_id: int, body: str, now: datetime) -> None:
    """Add a comment to a finding."""
    text = body.strip()
    if not text:
        raise TriageError("the comment is empty")
    if len(text) > MAX_COMMENT:
        raise TriageError(f"the comment is too long (at most {MAX_COMMENT} characters)")
    with db.session(write=True) as session:
        _findings(session, [finding_id])
        session.exec(
            insert(FindingComment.__table__).values(finding_id=finding_id, at=now, author=actor.name, body=text)
        )
        web_audit.record(
            session,
            actor,
            "finding_commented",
            target_kind="finding",
            target_id=finding_id,
            detail={"length": len(text)},
            at=now,
        )


def check_exception_input(reason: str, approver: str, expires: str, today: date, max_days: int) -> date:
    """Validate an accept-risk form: reason, approver and an expiry date after today, at most ``max_days``."""
    if len(reason.strip()) < 10:
        raise TriageError("reason: say why the risk is accepted (at least 10 characters)")
    if len(reason) > MAX_REASON:
        raise TriageError(f"reason: at most {MAX_REASON} characters")
    if not approver.strip() or len(approver) > 200:
        raise TriageError("approver: name who approved the exception")
    try:
        expires_on = date.fromisoformat(expires.strip())
    except ValueError as exc:
        raise TriageError("expiry: a date in the form YYYY-MM-DD is required") from exc
    if expires_on <= today:
        raise TriageError("expiry: the date must be in the future")
    if expires_on > today + timedelta(days=max_days):
        raise TriageError(f"expiry: at most {max_days} days ahead ({(today + timedelta(days=max_days)).isoformat()})")
    return expires_on


def accept_risk(
    db: Database,
    actor: Actor,
    finding_ids: Iterable[int],
    *,
    reason: str,
    approver: str,
    expires: str,
    now: datetime,
    max_days: int,
) -> int:
    """Accept the risk of open findings until an expiry date: one exception per finding fingerprint."""
    ids = _ids(finding_ids)
    expires_on = check_exception_input(reason, approver, expires, now.date(), max_days)
    exceptions = RiskExceptionRow.__table__
    with db.session(write=True) as session:
        found = _findings(session, ids)
        for finding_id in ids:
            if found[finding_id]["status"] != OPEN:
                raise TriageError(
                    f"finding {finding_id} is {found[finding_id]['status']}: only open findings can be accepted"
                )
        for finding_id in ids:
            row = found[finding_id]
            exception_id = session.exec(
                insert(exceptions)
                .values(
                    rule=row["rule"],
                    fingerprint=row["fingerprint"],
                    reason=reason.strip(),
                    approved_by=approver.strip(),
                    created_at=now,
                    expires_on=expires_on,
                )
                .returning(exceptions.c.id)
            ).scalar_one()
            session.exec(
                update(_F).where(_F.c.id == finding_id).values(status=ACCEPTED, exception_id=f"db:{exception_id}")
            )
            web_audit.record(
                session,
                actor,
                "risk_accepted",
                target_kind="finding",
                target_id=finding_id,
                detail={
                    "exception": f"db:{exception_id}",
                    "approved_by": approver.strip(),
                    "expires_on": expires_on.isoformat(),
                    "reason": reason.strip(),
                },
                at=now,
            )
        session.exec(
            insert(FindingEvent.__table__),
            params=[{"finding_id": i, "scan_id": None, "at": now, "change": "muted"} for i in ids],
        )
    return len(ids)


def reopen(db: Database, actor: Actor, finding_ids: Iterable[int], now: datetime) -> int:
    """Clear the acknowledgement and withdraw a UI risk exception; returns how many findings changed."""
    ids = _ids(finding_ids)
    exceptions = RiskExceptionRow.__table__
    with db.session(write=True) as session:
        found = _findings(session, ids)
        unmuted = []
        for finding_id in ids:
            row = found[finding_id]
            if row["status"] == ACCEPTED:
                exception_id = row["exception_id"] or ""
                if not exception_id.startswith("db:"):
                    raise TriageError(
                        f"finding {finding_id} is muted by the exceptions file ({exception_id}): withdraw it there"
                    )
                session.exec(delete(exceptions).where(exceptions.c.id == int(exception_id[3:])))
                session.exec(update(_F).where(_F.c.id == finding_id).values(status=OPEN, exception_id=None))
                unmuted.append(finding_id)
            elif row["status"] == RESOLVED:
                raise TriageError(f"finding {finding_id} is resolved: the next scan reopens it if it fails again")
        session.exec(
            update(_T)
            .where(_T.c.finding_id.in_(ids))
            .values(acknowledged_at=None, acknowledged_by=None, updated_at=now, updated_by=actor.name)
        )
        if unmuted:
            session.exec(
                insert(FindingEvent.__table__),
                params=[{"finding_id": i, "scan_id": None, "at": now, "change": "unmuted"} for i in unmuted],
            )
        for finding_id in ids:
            web_audit.record(
                session,
                actor,
                "finding_reopened",
                target_kind="finding",
                target_id=finding_id,
                detail={"exception_withdrawn": found[finding_id]["exception_id"] if finding_id in unmuted else None},
                at=now,
            )
    return len(ids)
