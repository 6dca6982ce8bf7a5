"""Signing in to the web UI: password, then TOTP (or a recovery code), or first-time TOTP enrolment.

- Attempts are throttled per username across sessions: each attempt is reserved in the database *before*
  the check (so parallel guesses count) and given back when a password was right; ``max_failed_logins``
  failures in a row are allowed, the next attempt locks the name for ``lockout_minutes``. A complete
  sign-in clears the counter. Unknown names are throttled the same way. Rows whose window is over (no lock in
  force, no attempt for ``lockout_minutes``) are purged at each attempt. Re-authentication for sensitive
  account actions (``auditor.accounts.reauth``) shares this throttle.
- A TOTP code is accepted once: the matched time step is written with a compare-and-set
  (``UPDATE ... WHERE totp_last_step < :step``) in the same transaction that swaps the pending session for a
  new full one, so N parallel requests with one code yield exactly one session. A reuse is logged and the
  user is told, now and at their next sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlmodel import Session

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.accounts.crypto import (
    WebKeys,
    new_recovery_codes,
    recovery_code_digest,
    verify_password,
)
from auditor.accounts.sessions import (
    FULL,
    PENDING_ENROL,
    PENDING_TOTP,
    SessionInfo,
    consume_session,
    create_session,
)
from auditor.accounts.tables import WebLoginThrottle, WebRecoveryCode, WebUser
from auditor.accounts.totp import matching_step, new_secret
from auditor.accounts.users import normalise_username
from auditor.config import WebSettings
from auditor.storage.db import Database

OK = "ok"
INVALID = "invalid"
LOCKED = "locked"
REPLAY = "replay"
EXPIRED = "expired"

_U = WebUser.__table__
_T = WebLoginThrottle.__table__
_R = WebRecoveryCode.__table__


@dataclass(slots=True)
class Step:
    """The result of one sign-in step.

    ``status``: ok, invalid, locked, replay, expired, or (after the password) the pending stage ``totp`` /
    ``enrol``. ``token`` is set when a new session was created; ``notices`` are messages for the user.
    """

    status: str
    token: str | None = None
    locked_until: datetime | None = None
    recovery_codes: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Client:
    """Where a request came from (for the audit trail and the session row)."""

    ip: str | None = None
    user_agent: str | None = None


def _throttle_row(session: Session, name: str, now: datetime) -> dict:
    """The throttle row of ``name``, created if missing, and locked until the transaction ends.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: PostgreSQL guarantees it either inserts or updates
    (and locks) even when another transaction deletes the row meanwhile; SQLite runs it under BEGIN IMMEDIATE.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(_T).values(username=name, failures=0, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[_T.c.username], set_={"username": statement.excluded.username}
    ).returning(*_T.c)
    return dict(session.exec(statement).mappings().one())


def purge_throttle(session: Session, now: datetime, web: WebSettings) -> int:
    """Forget throttle rows whose window is over: no lock in force and no attempt for ``lockout_minutes``.

    Keeps the table as small as the names tried in the last window (a guess at a name that never existed leaves
    no row behind); the limit stays the same: at most ``max_failed_logins`` failures per window and name.
    """
    since = now - timedelta(minutes=web.lockout_minutes)
    expired = or_(_T.c.locked_until.is_(None), _T.c.locked_until <= now)
    return session.exec(delete(_T).where(expired, _T.c.updated_at < since)).rowcount or 0


def reserve_attempt(db: Database, username: str, now: datetime, web: WebSettings, client: Client) -> datetime | None:
    """Count one attempt for ``username`` before checking it; returns the lock's end when it is locked."""
    name = normalise_username(username)[:100]
    with db.session(write=True) as session:
        purge_throttle(session, now, web)
        row = _throttle_row(session, name, now)
        if row["locked_until"] is not None and row["locked_until"] > now:
            web_audit.record(
                session,
                Actor(name, ip=client.ip),
                "login_refused_locked",
                outcome="denied",
                target_kind="user",
                target_id=name,
                at=now,
            )
            return row["locked_until"]
        failures = 0 if row["locked_until"] is not None else row["failures"]
        if failures >= web.max_failed_logins:
            until = now + timedelta(minutes=web.lockout_minutes)
            session.exec(
                update(_T).where(_T.c.username == name).values(failures=failures, locked_until=until, updated_at=now)
            )
            web_audit.record(
                session,
                Actor(name, ip=client.ip),
                "account_locked",
                outcome="denied",
                target_kind="user",
                target_id=name,
                detail={"until": until.isoformat()},
                at=now,
            )
            return until
        session.exec(
            update(_T).where(_T.c.username == name).values(failures=failures + 1, locked_until=None, updated_at=now)
        )
    return None


def release_attempt(db: Database, username: str) -> None:
    """Give back the attempt reserved for a check that passed (a right password is not a failure)."""
    name = normalise_username(username)[:100]
    with db.session(write=True) as session:
        session.exec(update(_T).where(_T.c.username == name, _T.c.failures > 0).values(failures=_T.c.failures - 1))


def _clear_attempts(session: Session, username: str) -> None:
    session.exec(delete(_T).where(_T.c.username == normalise_username(username)[:100]))


def _user_row(db: Database, *, name: str | None = None, user_id: int | None = None) -> dict | None:
    query = select(_U).where(_U.c.username == name) if name is not None else select(_U).where(_U.c.id == user_id)
    with db.session() as session:
        row = session.exec(query).mappings().first()
    return dict(row) if row is not None else None


def _fail(db: Database, actor: Actor, action: str, now: datetime, reason: str, status: str = INVALID) -> Step:
    with db.session(write=True) as session:
        web_audit.record(
            session,
            actor,
            action,
            outcome="failed" if status == INVALID else "denied",
            target_kind="user",
            target_id=actor.name,
            detail={"reason": reason},
            at=now,
        )
    return Step(status)


def password_step(db: Database, web: WebSettings, username: str, password: str, now: datetime, client: Client) -> Step:
    """Check the password; on success create a pending session (stage ``totp`` or ``enrol``)."""
    name = normalise_username(username)
    locked = reserve_attempt(db, name, now, web, client)
    if locked is not None:
        return Step(LOCKED, locked_until=locked)
    row = _user_row(db, name=name)
    password_ok = verify_password(row["password_hash"] if row else None, password)
    actor = Actor(name[:100], row["role"] if row else None, client.ip)
    if row is None or not password_ok or row["disabled_at"] is not None:
        reason = "unknown user" if row is None else ("disabled" if password_ok else "wrong password")
        return _fail(db, actor, "login_failed", now, reason)
    release_attempt(db, name)
    stage = PENDING_TOTP if row["totp_secret_enc"] else PENDING_ENROL
    with db.session(write=True) as session:
        token = create_session(
            session, row["id"], stage, now, timedelta(minutes=web.pending_login_minutes), client.ip, client.user_agent
        )
        web_audit.record(
            session, actor, "password_accepted", target_kind="user", target_id=name, detail={"next": stage}, at=now
        )
    return Step(stage, token=token)


class _Abort(Exception):
    """Roll the sign-in transaction back (the pending session was already used)."""


def _promote(session: Session, pending: SessionInfo, web: WebSettings, now: datetime, client: Client) -> str:
    """Swap the pending session for a new full one (session rotation); _Abort if it is gone."""
    if not consume_session(session, pending.id):
        raise _Abort
    _clear_attempts(session, pending.username)
    return create_session(
        session, pending.user_id, FULL, now, timedelta(hours=web.session_absolute_hours), client.ip, client.user_agent
    )


def _second_factor_start(
    db: Database, web: WebSettings, pending: SessionInfo, now: datetime, client: Client
) -> tuple[Actor, Step | None]:
    """The actor of a second-factor step, and ``Step(LOCKED)`` when the attempt is refused (too many)."""
    actor = Actor(pending.username, pending.role, client.ip)
    locked = reserve_attempt(db, pending.username, now, web, client)
    return actor, (Step(LOCKED, locked_until=locked) if locked is not None else None)


def _record_login(session: Session, actor: Actor, pending: SessionInfo, now: datetime, detail: dict) -> None:
    """Audit a completed sign-in (``detail`` names the method)."""
    web_audit.record(session, actor, "login", target_kind="user", target_id=pending.username, detail=detail, at=now)


def _replay_notices(db: Database, username: str, since: datetime | None) -> list[str]:
    with db.session() as session:
        reuses = web_audit.events_since(session, username, "totp_replay", since)
    if not reuses:
        return []
    last = reuses[0]
    return [
        f"Since your previous sign-in, {len(reuses)} attempt(s) to reuse one of your codes were rejected "
        f"(last at {last['at']:%Y-%m-%d %H:%M} UTC from {last['ip'] or 'an unknown address'}). "
        "If that was not you, change your password and tell an administrator."
    ]


def totp_step(
    db: Database, web: WebSettings, keys: WebKeys, pending: SessionInfo, code: str, now: datetime, client: Client
) -> Step:
    """Check a TOTP code for a pending session; accept each time step once."""
    actor, refused = _second_factor_start(db, web, pending, now, client)
    if refused is not None:
        return refused
    row = _user_row(db, user_id=pending.user_id)
    if row is None or not row["totp_secret_enc"] or pending.stage != PENDING_TOTP:
        return _fail(db, actor, "totp_failed", now, "not enrolled", EXPIRED)
    step = matching_step(keys.seed_cipher.decrypt(row["totp_secret_enc"], row["id"]), code, now)
    if step is None:
        return _fail(db, actor, "totp_failed", now, "wrong code")
    try:
        with db.session(write=True) as session:
            accepted = session.exec(
                update(_U)
                .where(
                    _U.c.id == pending.user_id,
                    _U.c.disabled_at.is_(None),
                    or_(_U.c.totp_last_step.is_(None), _U.c.totp_last_step < step),
                )
                .values(totp_last_step=step, last_login_at=now)
            ).rowcount
            if accepted != 1:
                web_audit.record(
                    session,
                    actor,
                    "totp_replay",
                    outcome="denied",
                    target_kind="user",
                    target_id=pending.username,
                    detail={"step": step},
                    at=now,
                )
                return Step(REPLAY)
            token = _promote(session, pending, web, now, client)
            _record_login(session, actor, pending, now, {"method": "totp"})
    except _Abort:
        return Step(EXPIRED)
    return Step(OK, token=token, notices=_replay_notices(db, pending.username, row["last_login_at"]))


def recovery_step(
    db: Database, web: WebSettings, pending: SessionInfo, code: str, now: datetime, client: Client
) -> Step:
    """Sign in with a single-use recovery code instead of a TOTP code."""
    actor, refused = _second_factor_start(db, web, pending, now, client)
    if refused is not None:
        return refused
    if pending.stage != PENDING_TOTP:
        return _fail(db, actor, "recovery_code_failed", now, "not enrolled", EXPIRED)
    row = _user_row(db, user_id=pending.user_id)
    try:
        with db.session(write=True) as session:
            used = session.exec(
                update(_R)
                .where(
                    _R.c.user_id == pending.user_id,
                    _R.c.code_hash == recovery_code_digest(code),
                    _R.c.used_at.is_(None),
                )
                .values(used_at=now)
            ).rowcount
            if used != 1:
                web_audit.record(
                    session,
                    actor,
                    "recovery_code_failed",
                    outcome="failed",
                    target_kind="user",
                    target_id=pending.username,
                    at=now,
                )
                return Step(INVALID)
            session.exec(update(_U).where(_U.c.id == pending.user_id).values(last_login_at=now))
            token = _promote(session, pending, web, now, client)
            left = recovery_codes_left(session, pending.user_id)
            _record_login(session, actor, pending, now, {"method": "recovery_code", "codes_left": left})
    except _Abort:
        return Step(EXPIRED)
    notices = [
        f"You signed in with a recovery code; {left} left. Create new ones on your account page "
        "if you lost your authenticator."
    ]
    return Step(
        OK, token=token, notices=notices + _replay_notices(db, pending.username, row["last_login_at"] if row else None)
    )


def enrolment_secret(db: Database, keys: WebKeys, pending: SessionInfo) -> str:
    """The TOTP seed being enrolled for a pending session (created on first call, kept encrypted)."""
    with db.session(write=True) as session:
        row = session.exec(select(_U.c.totp_pending_enc).where(_U.c.id == pending.user_id)).mappings().one()
        if row["totp_pending_enc"]:
            return keys.seed_cipher.decrypt(row["totp_pending_enc"], pending.user_id)
        secret = new_secret()
        session.exec(
            update(_U)
            .where(_U.c.id == pending.user_id)
            .values(totp_pending_enc=keys.seed_cipher.encrypt(secret, pending.user_id))
        )
        return secret


def recovery_codes_left(session: Session, user_id: int) -> int:
    """How many of a user's recovery codes are still unused."""
    return len(session.exec(select(_R.c.id).where(_R.c.user_id == user_id, _R.c.used_at.is_(None))).all())


def replace_recovery_codes(session: Session, user_id: int, now: datetime) -> list[str]:
    """Delete a user's recovery codes and store fresh ones; returns them (shown once)."""
    codes = new_recovery_codes()
    session.exec(delete(_R).where(_R.c.user_id == user_id))
    session.exec(
        insert(_R),
        params=[{"user_id": user_id, "code_hash": recovery_code_digest(code), "created_at": now} for code in codes],
    )
    return codes


def enrol_step(
    db: Database, web: WebSettings, keys: WebKeys, pending: SessionInfo, code: str, now: datetime, client: Client
) -> Step:
    """Confirm enrolment with a first valid code: the seed becomes active, recovery codes are made."""
    actor, refused = _second_factor_start(db, web, pending, now, client)
    if refused is not None:
        return refused
    row = _user_row(db, user_id=pending.user_id)
    if row is None or pending.stage != PENDING_ENROL or not row["totp_pending_enc"] or row["totp_secret_enc"]:
        return _fail(db, actor, "enrolment_failed", now, "no enrolment in progress", EXPIRED)
    step = matching_step(keys.seed_cipher.decrypt(row["totp_pending_enc"], row["id"]), code, now)
    if step is None:
        return _fail(db, actor, "enrolment_failed", now, "wrong code")
    try:
        with db.session(write=True) as session:
            accepted = session.exec(
                update(_U)
                .where(
                    _U.c.id == pending.user_id,
                    _U.c.disabled_at.is_(None),
                    _U.c.totp_secret_enc.is_(None),
                    _U.c.totp_pending_enc == row["totp_pending_enc"],
                    or_(_U.c.totp_last_step.is_(None), _U.c.totp_last_step < step),
                )
                .values(
                    totp_secret_enc=row["totp_pending_enc"],
                    totp_pending_enc=None,
                    totp_enrolled_at=now,
                    totp_last_step=step,
                    last_login_at=now,
                )
            ).rowcount
            if accepted != 1:
                raise _Abort
            codes = replace_recovery_codes(session, pending.user_id, now)
            token = _promote(session, pending, web, now, client)
            web_audit.record(
                session, actor, "two_factor_enrolled", target_kind="user", target_id=pending.username, at=now
            )
            _record_login(session, actor, pending, now, {"method": "totp"})
    except _Abort:
        return Step(EXPIRED)
    return Step(OK, token=token, recovery_codes=codes)


def regenerate_recovery_codes(db: Database, user: SessionInfo, now: datetime, client: Client) -> list[str]:
    """New recovery codes for a signed-in user (the old ones stop working)."""
    with db.session(write=True) as session:
        codes = replace_recovery_codes(session, user.user_id, now)
        web_audit.record(
            session,
            Actor(user.username, user.role, client.ip),
            "recovery_codes_regenerated",
            target_kind="user",
            target_id=user.username,
            at=now,
        )
    return codes


def sign_out(db: Database, user: SessionInfo, now: datetime, client: Client, *, everywhere: bool = False) -> int:
    """End this session, or every session of the user; returns how many ended."""
    from auditor.accounts.users import end_sessions

    with db.session(write=True) as session:
        ended = end_sessions(session, user.user_id) if everywhere else int(consume_session(session, user.id))
        web_audit.record(
            session,
            Actor(user.username, user.role, client.ip),
            "logout_everywhere" if everywhere else "logout",
            target_kind="user",
            target_id=user.username,
            detail={"sessions_ended": ended},
            at=now,
        )
    return ended
