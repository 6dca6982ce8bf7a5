"""The tool's own users: add, disable, enable, change role, reset two-factor, set a password, unlock.

Used by the ``auditor users`` commands and the admin pages. Disabling a user or resetting their second factor
ends every session of theirs at once; each change goes to the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.accounts.crypto import hash_password
from auditor.accounts.roles import ROLE_LABELS
from auditor.accounts.tables import WebLoginThrottle, WebRecoveryCode, WebSession, WebUser
from auditor.errors import AuditorError
from auditor.storage.db import Database

ROLES = ROLE_LABELS
"""Role id -> label (defined with the roles, in ``auditor.accounts.roles``)."""

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 256
SYSTEM = Actor(name="cli", role="admin")

_U = WebUser.__table__


class WebUserError(AuditorError):
    """A user change was refused (names the user and the reason)."""


class UnknownUser(WebUserError):
    """No such user."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A tool user without secrets."""

    id: int
    username: str
    display_name: str
    role: str
    enrolled: bool
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None

    @property
    def role_label(self) -> str:
        """The role for people."""
        return ROLES.get(self.role, self.role)


def _info(row: Any) -> UserInfo:
    return UserInfo(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        enrolled=row["totp_secret_enc"] is not None,
        disabled=row["disabled_at"] is not None,
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
    )


def normalise_username(username: str) -> str:
    """Usernames are compared lower-case, without surrounding spaces."""
    return username.strip().lower()


def check_password_policy(password: str, username: str) -> None:
    """Length 12 to 256, not the username, not one repeated character (WebUserError otherwise)."""
    if len(password) < MIN_PASSWORD:
        raise WebUserError(f"password too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise WebUserError(f"password too long: at most {MAX_PASSWORD} characters")
    if password.strip().lower() == username.lower() or len(set(password)) < 4:
        raise WebUserError("password too easy to guess: use a passphrase or a password manager")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise WebUserError(f"unknown role {role!r} (one of {', '.join(ROLES)})")


def get_user(session: Session, username: str) -> UserInfo:
    """One user by name (UnknownUser if none)."""
    row = session.exec(select(_U).where(_U.c.username == normalise_username(username))).mappings().first()
    if row is None:
        raise UnknownUser(f"no user named {username!r}")
    return _info(row)


def get_user_by_id(session: Session, user_id: int) -> UserInfo | None:
    """One user by id, or None."""
    row = session.exec(select(_U).where(_U.c.id == user_id)).mappings().first()
    return _info(row) if row is not None else None


def list_users(session: Session) -> list[UserInfo]:
    """Every user, by name."""
    return [_info(row) for row in session.exec(select(_U).order_by(_U.c.username)).mappings()]


def active_usernames(session: Session, roles: tuple[str, ...]) -> list[str]:
    """Names of enabled users holding one of ``roles`` (e.g. who a finding can be assigned to)."""
    query = select(_U.c.username).where(_U.c.disabled_at.is_(None), _U.c.role.in_(roles)).order_by(_U.c.username)
    return [row[0] for row in session.exec(query)]


def add_user(
    db: Database,
    username: str,
    role: str,
    password: str,
    *,
    display_name: str | None = None,
    actor: Actor = SYSTEM,
    now: datetime | None = None,
) -> UserInfo:
    """Create a user; they enrol their authenticator at their first sign-in."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise WebUserError(
            f"invalid username {username!r}: 1 to 64 of a-z 0-9 . _ @ -, starting with a letter or digit"
        )
    _check_role(role)
    check_password_policy(password, name)
    now = now or datetime.now(UTC)
    password_hash = hash_password(password)
    with db.session(write=True) as session:
        if session.exec(select(_U.c.id).where(_U.c.username == name)).first() is not None:
            raise WebUserError(f"user {name!r} already exists")
        session.exec(
            insert(_U).values(
                username=name,
                display_name=(display_name or name).strip()[:120],
                role=role,
                password_hash=password_hash,
                created_at=now,
                password_changed_at=now,
            )
        )
        web_audit.record(
            session, actor, "user_added", target_kind="user", target_id=name, detail={"role": role}, at=now
        )
        return get_user(session, name)


def end_sessions(session: Session, user_id: int) -> int:
    """Delete every session of a user; returns how many there were."""
    table = WebSession.__table__
    return session.exec(delete(table).where(table.c.user_id == user_id)).rowcount or 0


def _end_sessions_audited(session: Session, user: UserInfo, actor: Actor, action: str, now: datetime | None) -> int:
    """End every session of ``user`` and audit ``action`` with how many ended; returns that number."""
    ended = end_sessions(session, user.id)
    web_audit.record(
        session, actor, action, target_kind="user", target_id=user.username, detail={"sessions_ended": ended}, at=now
    )
    return ended


def _active_admins(session: Session) -> int:
    query = select(func.count()).select_from(_U).where(_U.c.role == "admin", _U.c.disabled_at.is_(None))
    return int(session.exec(query).scalar_one())


def disable_user(
    db: Database, username: str, *, actor: Actor = SYSTEM, now: datetime | None = None, keep_an_admin: bool = False
) -> int:
    """Disable a user and end all their sessions at once; returns the number of sessions ended.

    ``keep_an_admin`` refuses to disable the last enabled administrator (the UI sets it; the CLI can recover).
    """
    now = now or datetime.now(UTC)
    with db.session(write=True) as session:
        user = get_user(session, username)
        if keep_an_admin and user.role == "admin" and not user.disabled and _active_admins(session) <= 1:
            raise WebUserError(f"{user.username} is the last enabled administrator: add another one first")
        session.exec(update(_U).where(_U.c.id == user.id).values(disabled_at=now))
        return _end_sessions_audited(session, user, actor, "user_disabled", now)


def enable_user(db: Database, username: str, *, actor: Actor = SYSTEM, now: datetime | None = None) -> None:
    """Enable a disabled user again."""
    with db.session(write=True) as session:
        user = get_user(session, username)
        session.exec(update(_U).where(_U.c.id == user.id).values(disabled_at=None))
        web_audit.record(session, actor, "user_enabled", target_kind="user", target_id=user.username, at=now)


def set_role(db: Database, username: str, role: str, *, actor: Actor = SYSTEM, now: datetime | None = None) -> None:
    """Change a user's role (effective on their next request); the last administrator keeps theirs."""
    _check_role(role)
    with db.session(write=True) as session:
        user = get_user(session, username)
        if user.role == "admin" and role != "admin" and not user.disabled and _active_admins(session) <= 1:
            raise WebUserError(f"{user.username} is the last enabled administrator: add another one first")
        session.exec(update(_U).where(_U.c.id == user.id).values(role=role))
        web_audit.record(
            session,
            actor,
            "role_changed",
            target_kind="user",
            target_id=user.username,
            detail={"from": user.role, "to": role},
            at=now,
        )


def reset_two_factor(db: Database, username: str, *, actor: Actor = SYSTEM, now: datetime | None = None) -> None:
    """Forget the user's TOTP seed and recovery codes and end their sessions: they enrol again at sign-in."""
    with db.session(write=True) as session:
        user = get_user(session, username)
        session.exec(
            update(_U)
            .where(_U.c.id == user.id)
            .values(
                totp_secret_enc=None,
                totp_pending_enc=None,
                totp_enrolled_at=None,
            )
        )
        codes = WebRecoveryCode.__table__
        session.exec(delete(codes).where(codes.c.user_id == user.id))
        _end_sessions_audited(session, user, actor, "two_factor_reset", now)


def set_password(
    db: Database, username: str, password: str, *, actor: Actor = SYSTEM, now: datetime | None = None
) -> None:
    """Set a new password (administrator or CLI) and end the user's sessions."""
    now = now or datetime.now(UTC)
    name = normalise_username(username)
    check_password_policy(password, name)
    password_hash = hash_password(password)
    with db.session(write=True) as session:
        user = get_user(session, name)
        session.exec(update(_U).where(_U.c.id == user.id).values(password_hash=password_hash, password_changed_at=now))
        end_sessions(session, user.id)
        web_audit.record(session, actor, "password_set", target_kind="user", target_id=user.username, at=now)


def change_own_password(
    db: Database,
    user_id: int,
    new: str,
    *,
    actor: Actor,
    keep_session: str | None = None,
    now: datetime | None = None,
) -> None:
    """A user changes their password (the caller has checked the current one with ``auditor.accounts.reauth``,
    throttled and audited); their other sessions end."""
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = session.exec(select(_U).where(_U.c.id == user_id)).mappings().one()
    check_password_policy(new, row["username"])
    password_hash = hash_password(new)
    sessions = WebSession.__table__
    with db.session(write=True) as session:
        session.exec(update(_U).where(_U.c.id == user_id).values(password_hash=password_hash, password_changed_at=now))
        query = delete(sessions).where(sessions.c.user_id == user_id)
        if keep_session is not None:
            query = query.where(sessions.c.id != keep_session)
        session.exec(query)
        web_audit.record(session, actor, "password_changed", target_kind="user", target_id=row["username"], at=now)


def unlock(db: Database, username: str, *, actor: Actor = SYSTEM, now: datetime | None = None) -> None:
    """Clear the failed-attempt counter and lock of a username."""
    table = WebLoginThrottle.__table__
    name = normalise_username(username)
    with db.session(write=True) as session:
        get_user(session, name)
        session.exec(delete(table).where(table.c.username == name))
        web_audit.record(session, actor, "user_unlocked", target_kind="user", target_id=name, at=now)


def locked_until(session: Session, username: str, now: datetime) -> datetime | None:
    """When the username's lock ends, or None if it is not locked."""
    table = WebLoginThrottle.__table__
    value = session.exec(
        select(table.c.locked_until).where(table.c.username == normalise_username(username))
    ).scalar_one_or_none()
    return value if value is not None and value > now else None
