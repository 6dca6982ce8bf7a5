"""Signing in a user whose identity the OpenID Provider vouched for: role from groups, user row, session.

- The role comes from the ``groups_claim`` through ``[oidc] group_roles`` (first listed group wins); no mapped
  group: refused. The IdP is the source: the role is updated at each sign-in.
- The username is the ``username_claim`` (``email`` when it is missing), lower-cased. A new name creates a
  user whose password can never match (``!sso:<sub>``, not an argon2 hash) and who has no TOTP: the second
  factor is the IdP's own MFA. An existing user of the same name is signed in, but refused when disabled,
  when it is the break-glass admin (local only), or when it was created for another ``sub``.
- Success swaps any session the browser had for a new full one (session rotation). Every sign-in and every
  refusal goes to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.accounts.login import Client
from auditor.accounts.roles import ALL_ROLES
from auditor.accounts.sessions import FULL, consume_session, create_session
from auditor.accounts.tables import WebAudit, WebUser
from auditor.accounts.users import USERNAME_PATTERN, normalise_username
from auditor.config import OidcSettings, WebSettings
from auditor.errors import ConfigError
from auditor.storage.db import Database

SSO_MARK = "!sso:"
"""Prefix of the password column of users created by single sign-on: never a valid hash, so no password works."""

_U = WebUser.__table__
_A = WebAudit.__table__


class Refused(Exception):
    """The signed-in identity may not use the tool (``reason`` goes to the audit trail)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SsoSignIn:
    """A completed sign-in: the new session token and the user."""

    token: str
    username: str
    role: str
    created: bool


def check_mapping(oidc: OidcSettings) -> None:
    """Every mapped role must exist (ConfigError naming the group otherwise)."""
    for group, role in oidc.group_roles.items():
        if role not in ALL_ROLES:
            raise ConfigError(f"oidc.group_roles: group {group!r} maps to unknown role {role!r} "
                              f"(one of {', '.join(ALL_ROLES)})")


def role_for(oidc: OidcSettings, claims: dict[str, Any]) -> str | None:
    """The role of the first configured group the claims list, or None."""
    groups = claims.get(oidc.groups_claim)
    if isinstance(groups, str):
        groups = [groups]
    if not isinstance(groups, list):
        return None
    held = {group for group in groups if isinstance(group, str)}
    return next((role for group, role in oidc.group_roles.items() if group in held), None)


def username_for(oidc: OidcSettings, claims: dict[str, Any]) -> str | None:
    """The local username of the claims (``username_claim``, else ``email``), or None when unusable."""
    value = claims.get(oidc.username_claim) or claims.get("email")
    if not isinstance(value, str):
        return None
    name = normalise_username(value)
    return name if USERNAME_PATTERN.match(name) else None


def password_allowed(oidc: OidcSettings | None, username: str) -> bool:
    """Whether password sign-in is open to ``username`` (always without SSO; else the break-glass admin)."""
    if oidc is None or oidc.local_login:
        return True
    return oidc.break_glass_admin is not None and normalise_username(username) == normalise_username(
        oidc.break_glass_admin
    )


def claim_state(db: Database, state_digest: str, now: datetime, client: Client) -> bool:
    """Mark one authorization ``state`` as used (an audit entry); False when it was used before (a replay)."""
    with db.session(write=True) as session:
        used = session.exec(
            select(_A.c.id).where(_A.c.target_kind == "sso_state", _A.c.target_id == state_digest)
        ).first()
        if used is not None:
            return False
        web_audit.record(session, Actor(None, ip=client.ip), "sso_callback", target_kind="sso_state",
                         target_id=state_digest, at=now)
    return True


def refuse(
    db: Database, name: str | None, reason: str, now: datetime, client: Client, *,
    action: str = "sso_login_refused", **detail: Any
) -> None:
    """Audit a refused single sign-on (or, with ``action``, a password sign-in refused because SSO is required)."""
    with db.session(write=True) as session:
        web_audit.record(session, Actor(name, ip=client.ip), action, outcome="denied",
                         target_kind="user", target_id=name, detail={"reason": reason, **detail}, at=now)


def sign_in(
    db: Database,
    web: WebSettings,
    oidc: OidcSettings,
    claims: dict[str, Any],
    now: datetime,
    client: Client,
    *,
    previous_session: str | None = None,
) -> SsoSignIn:
    """Create or update the user of validated ``claims`` and open a full session (Refused otherwise)."""
    name = username_for(oidc, claims)
    sub = str(claims["sub"])
    if name is None:
        raise Refused("no usable username claim")
    if oidc.break_glass_admin and name == normalise_username(oidc.break_glass_admin):
        raise Refused("break-glass admin signs in locally only")
    role = role_for(oidc, claims)
    if role is None:
        raise Refused("no group maps to a role")
    display = claims.get("name") if isinstance(claims.get("name"), str) else name
    with db.session(write=True) as session:
        row = session.exec(select(_U).where(_U.c.username == name)).mappings().first()
        if row is not None and row["disabled_at"] is not None:
            raise Refused("user disabled")
        if row is not None and row["password_hash"].startswith(SSO_MARK) and row["password_hash"] != SSO_MARK + sub:
            raise Refused("username belongs to another subject")
        actor = Actor(name, role, client.ip)
        if row is None:
            user_id = session.exec(
                insert(_U).values(username=name, display_name=display[:120], role=role,
                                  password_hash=SSO_MARK + sub, created_at=now, password_changed_at=now,
                                  last_login_at=now).returning(_U.c.id)
            ).scalar_one()
            web_audit.record(session, actor, "user_added", target_kind="user", target_id=name,
                             detail={"role": role, "by": "sso"}, at=now)
        else:
            user_id = row["id"]
            session.exec(update(_U).where(_U.c.id == user_id).values(role=role, last_login_at=now))
            if row["role"] != role:
                web_audit.record(session, actor, "user_role_changed", target_kind="user", target_id=name,
                                 detail={"from": row["role"], "to": role, "by": "sso"}, at=now)
        if previous_session is not None:
            consume_session(session, previous_session)
        token = create_session(session, user_id, FULL, now, timedelta(hours=web.session_absolute_hours),
                               client.ip, client.user_agent)
        web_audit.record(session, actor, "login", target_kind="user", target_id=name,
                         detail={"method": "sso", "issuer": oidc.issuer, "sub": sub[:200]}, at=now)
    return SsoSignIn(token=token, username=name, role=role, created=row is None)
