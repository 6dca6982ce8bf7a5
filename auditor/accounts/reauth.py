"""Re-authentication for sensitive self-service actions (change the password, make new recovery codes).

A stolen session must not be enough to take the account over, so each such action asks for the password again.
The check shares the sign-in throttle (``login.reserve_attempt``: the attempt is counted before the check, so
parallel guesses count too, and given back when the password was right); after ``max_failed_logins`` failures the
account is locked for sign-in and re-authentication alike, and the session that hit the lock is ended. Every
failure and refusal goes to the audit trail with the action it was for (``detail.for``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.accounts.crypto import verify_password
from auditor.accounts.login import INVALID, LOCKED, OK, Client, Step, release_attempt, reserve_attempt
from auditor.accounts.sessions import SessionInfo, consume_session
from auditor.accounts.tables import WebUser
from auditor.config import WebSettings
from auditor.storage.db import Database

PASSWORD_CHANGE = "password_change"  # noqa: S105 - an action name
RECOVERY_CODES = "recovery_codes"
PURPOSES = (PASSWORD_CHANGE, RECOVERY_CODES)
"""The self-service actions that need the password again."""

_U = WebUser.__table__


def confirm_password(
    db: Database, web: WebSettings, user: SessionInfo, password: str, now: datetime, client: Client, *, purpose: str
) -> Step:
    """Check the signed-in ``user``'s password before ``purpose``; ok, invalid or locked (the session ended)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown re-authentication purpose {purpose!r}")
    actor = Actor(user.username, user.role, client.ip)
    locked = reserve_attempt(db, user.username, now, web, client)
    if locked is not None:
        with db.session(write=True) as session:
            consume_session(session, user.id)
            web_audit.record(
                session,
                actor,
                "reauth_refused_locked",
                outcome="denied",
                target_kind="user",
                target_id=user.username,
                detail={"for": purpose, "until": locked.isoformat(), "session_ended": True},
                at=now,
            )
        return Step(LOCKED, locked_until=locked)
    with db.session() as session:
        row = session.exec(select(_U.c.password_hash, _U.c.disabled_at).where(_U.c.id == user.user_id)).first()
    if row is None or row.disabled_at is not None or not verify_password(row.password_hash, password):
        with db.session(write=True) as session:
            web_audit.record(
                session,
                actor,
                "reauth_failed",
                outcome="failed",
                target_kind="user",
                target_id=user.username,
                detail={"for": purpose},
                at=now,
            )
        return Step(INVALID)
    release_attempt(db, user.username)
    return Step(OK)
