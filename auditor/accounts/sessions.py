"""Server-side sessions of the web UI.

The browser holds a random token; the database holds its SHA-256 with the user, the stage (``totp`` or
``enrol`` while the second factor is pending, ``full`` once signed in), and the absolute expiry. Every request
checks the row, the idle timeout and that the user is still enabled, so deleting a user's rows or disabling
the user ends their sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from auditor.accounts.crypto import new_token, token_digest
from auditor.accounts.tables import WebSession, WebUser
from auditor.storage.db import Database

FULL = "full"
PENDING_TOTP = "totp"
PENDING_ENROL = "enrol"
TOUCH_EVERY = timedelta(seconds=30)

_S = WebSession.__table__
_U = WebUser.__table__


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A live session with its user."""

    id: str
    user_id: int
    username: str
    display_name: str
    role: str
    stage: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    language: str | None = None  # the user's UI language setting (None: the browser's)

    @property
    def full(self) -> bool:
        """Signed in with both factors."""
        return self.stage == FULL


def create_session(
    session: Session,
    user_id: int,
    stage: str,
    now: datetime,
    lifetime: timedelta,
    ip: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Store a new session and return its token (the only time the token exists outside the browser)."""
    token = new_token()
    session.exec(
        insert(_S).values(
            id=token_digest(token),
            user_id=user_id,
            stage=stage,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            ip=(ip or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    return token


def load_session(db: Database, token: str | None, now: datetime, idle: timedelta) -> SessionInfo | None:
    """The live session for ``token``, or None (unknown, expired, idle too long, or user disabled).

    A dead session's row is deleted; a live one's ``last_seen_at`` moves (at most every 30 seconds).
    """
    if not token or len(token) > 100:
        return None
    digest = token_digest(token)
    query = (
        select(
            _S.c.id,
            _S.c.user_id,
            _S.c.stage,
            _S.c.created_at,
            _S.c.last_seen_at,
            _S.c.expires_at,
            _U.c.username,
            _U.c.display_name,
            _U.c.role,
            _U.c.disabled_at,
            _U.c.language,
        )
        .join(_U, _U.c.id == _S.c.user_id)
        .where(_S.c.id == digest)
    )
    with db.session() as session:
        row = session.exec(query).mappings().first()
    if row is None:
        return None
    dead = row["disabled_at"] is not None or row["expires_at"] <= now or row["last_seen_at"] + idle <= now
    if dead:
        with db.session(write=True) as session:
            session.exec(delete(_S).where(_S.c.id == digest))
        return None
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        with db.session(write=True) as session:
            session.exec(update(_S).where(_S.c.id == digest).values(last_seen_at=now))
    return SessionInfo(
        id=digest,
        user_id=row["user_id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        stage=row["stage"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
        language=row["language"],
    )


def consume_session(session: Session, session_id: str) -> bool:
    """Delete one session row inside the caller's transaction; False if it was already gone."""
    return bool(session.exec(delete(_S).where(_S.c.id == session_id)).rowcount)


def end_session(db: Database, session_id: str) -> None:
    """Sign out one session."""
    with db.session(write=True) as session:
        consume_session(session, session_id)


def count_sessions(session: Session, user_id: int, stage: str | None = FULL) -> int:
    """How many sessions a user has (of one stage, or all with ``stage=None``)."""
    query = select(_S.c.id).where(_S.c.user_id == user_id)
    if stage is not None:
        query = query.where(_S.c.stage == stage)
    return len(session.exec(query).all())


def purge_expired(db: Database, now: datetime) -> int:
    """Delete sessions past their absolute expiry; returns how many."""
    with db.session(write=True) as session:
        return session.exec(delete(_S).where(_S.c.expires_at <= now)).rowcount or 0
