"""Identity changes made in the web UI: link accounts to a person, mark them as an agency / external person's
accounts (owner, agency, expiry) or as service accounts (owner), undo either; and saved views.

Each change is written with the audit entry that records it, in one transaction. Nothing here changes a
finding: the next scan reads the links (``storage.repository.stored_links``) and the markings
(``stored_service_accounts``) beside the YAML configuration, and its reconciliation resolves what they settle.
A link and a marking of the same account exclude each other: making one removes the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.config import ServiceAccount
from auditor.errors import AuditorError
from auditor.identities.tables import AGENCY, MARKING_KINDS, IdentityMarking, SavedView
from auditor.storage.db import Database
from auditor.storage.tables import DirectoryPerson, InvAccount, ManualLinkRow

MAX_ACCOUNTS = 200
MAX_AGENCY_DAYS = 366
MAX_VIEWS = 50
MAX_NOTE = 1000

_A = InvAccount.__table__
_L = ManualLinkRow.__table__
_M = IdentityMarking.__table__
_P = DirectoryPerson.__table__
_V = SavedView.__table__

AccountKey = tuple[str, str]
"""(platform, account_id) as stored in the inventory."""


class IdentityError(AuditorError):
    """An identity change was refused (names the field or account and the reason)."""


def parse_account_keys(values: Iterable[str]) -> list[AccountKey]:
    """``platform|account_id`` form values as keys (IdentityError for a malformed one, none, or too many)."""
    keys: list[AccountKey] = []
    for value in values:
        platform, sep, account_id = value.partition("|")
        if not sep or not platform or not account_id or len(value) > 400:
            raise IdentityError(f"account: malformed value {value[:60]!r}")
        keys.append((platform, account_id))
    keys = sorted(set(keys))
    if not keys:
        raise IdentityError("account: select at least one account")
    if len(keys) > MAX_ACCOUNTS:
        raise IdentityError(f"account: at most {MAX_ACCOUNTS} accounts at once")
    return keys


def _check_accounts(session: Session, keys: list[AccountKey]) -> None:
    for platform, account_id in keys:
        found = session.exec(
            select(_A.c.id).where(_A.c.platform == platform, _A.c.account_id == account_id)
        ).first()
        if found is None:
            raise IdentityError(f"account {account_id!r} on {platform!r}: not in the inventory")


def _check_person(session: Session, uid: str, field: str, *, active: bool) -> str:
    uid = uid.strip()
    if not uid or len(uid) > 200:
        raise IdentityError(f"{field}: name a directory person (uid)")
    row = session.exec(select(_P.c.status).where(_P.c.uid == uid)).first()
    if row is None:
        raise IdentityError(f"{field}: {uid!r} is not a directory person")
    if active and row[0] != "active":
        raise IdentityError(f"{field}: {uid!r} is {row[0]}, not active")
    return uid


def _clear(session: Session, platform: str, account_id: str) -> None:
    session.exec(delete(_L).where(_L.c.platform == platform, _L.c.account_id == account_id))
    session.exec(delete(_M).where(_M.c.platform == platform, _M.c.account_id == account_id))


def link_to_person(db: Database, actor: Actor, keys: list[AccountKey], uid: str, now: datetime) -> int:
    """Link accounts to a directory person (applied by the next scan); returns how many."""
    with db.session(write=True) as session:
        uid = _check_person(session, uid, "person", active=False)
        _check_accounts(session, keys)
        for platform, account_id in keys:
            _clear(session, platform, account_id)
            session.exec(
                insert(_L).values(platform=platform, account_id=account_id, uid=uid, created_at=now,
                                  note=f"linked in the web UI by {actor.name}")
            )
            web_audit.record(session, actor, "identity_linked", target_kind="account",
                             target_id=f"{platform}|{account_id}", detail={"uid": uid}, at=now)
    return len(keys)


def mark(
    db: Database,
    actor: Actor,
    keys: list[AccountKey],
    *,
    kind: str,
    owner: str,
    agency: str = "",
    expires: str = "",
    note: str = "",
    now: datetime,
) -> int:
    """Mark accounts as an agency / external person's (owner, agency, expiry within a year) or as service
    accounts (owner); the owner must be an active directory person. Returns how many."""
    if kind not in MARKING_KINDS:
        raise IdentityError(f"kind: one of {', '.join(MARKING_KINDS)}")
    expires_on: date | None = None
    if kind == AGENCY:
        try:
            expires_on = date.fromisoformat(expires.strip())
        except ValueError as exc:
            raise IdentityError("expiry: a date in the form YYYY-MM-DD is required for an agency account") from exc
        if expires_on <= now.date():
            raise IdentityError("expiry: the date must be in the future")
        if expires_on > now.date() + timedelta(days=MAX_AGENCY_DAYS):
            raise IdentityError(f"expiry: at most {MAX_AGENCY_DAYS} days ahead")
        if not agency.strip() or len(agency) > 200:
            raise IdentityError("agency: name the outside company the person works for")
    if len(note) > MAX_NOTE:
        raise IdentityError(f"note: at most {MAX_NOTE} characters")
    with db.session(write=True) as session:
        owner = _check_person(session, owner, "owner", active=True)
        _check_accounts(session, keys)
        for platform, account_id in keys:
            _clear(session, platform, account_id)
            session.exec(
                insert(_M).values(
                    platform=platform, account_id=account_id, kind=kind, owner=owner,
                    agency=(agency.strip() or None) if kind == AGENCY else None, expires_on=expires_on,
                    note=note.strip() or None, created_at=now, created_by=actor.name or "?",
                )
            )
            web_audit.record(
                session, actor, "identity_marked", target_kind="account", target_id=f"{platform}|{account_id}",
                detail={"kind": kind, "owner": owner, "agency": agency.strip() or None,
                        "expires_on": expires_on.isoformat() if expires_on else None}, at=now,
            )
    return len(keys)


def undo(db: Database, actor: Actor, keys: list[AccountKey], now: datetime) -> int:
    """Remove the UI link or marking of accounts (YAML links stay); returns how many had one."""
    changed = 0
    with db.session(write=True) as session:
        for platform, account_id in keys:
            linked = session.exec(
                select(_L.c.uid).where(_L.c.platform == platform, _L.c.account_id == account_id)
            ).first()
            marked = session.exec(
                select(_M.c.kind).where(_M.c.platform == platform, _M.c.account_id == account_id)
            ).first()
            if linked is None and marked is None:
                continue
            _clear(session, platform, account_id)
            changed += 1
            web_audit.record(
                session, actor, "identity_unlinked", target_kind="account", target_id=f"{platform}|{account_id}",
                detail={"uid": linked[0] if linked else None, "marking": marked[0] if marked else None}, at=now,
            )
    if not changed:
        raise IdentityError("account: no link or marking made in the web UI to remove")
    return changed


def stored_service_accounts(session: Session, today: date) -> list[ServiceAccount]:
    """The markings in force on ``today`` as service-account registrations for matching (an agency account
    answers to its owner like a service account; an expired agency marking is left out, so the account is
    judged unmatched again)."""
    rows = session.exec(select(_M).order_by(_M.c.id)).mappings()
    entries = []
    for row in rows:
        if row["kind"] == AGENCY and (row["expires_on"] is None or row["expires_on"] <= today):
            continue
        note = (f"agency {row['agency'] or '?'} until {row['expires_on']}" if row["kind"] == AGENCY
                else "service account") + " (marked in the web UI)"
        entries.append(ServiceAccount(platform=row["platform"], account_id=row["account_id"], owner=row["owner"],
                                      note=note))
    return entries


def markings(session: Session) -> dict[AccountKey, dict[str, object]]:
    """Every marking by account."""
    return {(r["platform"], r["account_id"]): dict(r) for r in session.exec(select(_M)).mappings()}


def ui_links(session: Session) -> dict[AccountKey, str]:
    """Every link made in the web UI by account (links by e-mail are left out)."""
    rows = session.exec(select(_L.c.platform, _L.c.account_id, _L.c.uid).where(_L.c.account_id.is_not(None)))
    return {(r[0], r[1]): r[2] for r in rows}


def _clean_query(query: str) -> str:
    query = query.strip().lstrip("?")
    if len(query) > 2000 or any(not ch.isprintable() for ch in query):
        raise IdentityError("view: the filter is too long or not plain text")
    return query


def save_view(db: Database, actor: Actor, name: str, query: str, now: datetime) -> None:
    """Save (or replace) one of the actor's named findings filters."""
    name = name.strip()
    if not name or len(name) > 80:
        raise IdentityError("view name: 1 to 80 characters")
    query = _clean_query(query)
    with db.session(write=True) as session:
        existing = session.exec(select(_V.c.id).where(_V.c.username == actor.name, _V.c.name == name)).first()
        if existing is None:
            count = len(list(session.exec(select(_V.c.id).where(_V.c.username == actor.name))))
            if count >= MAX_VIEWS:
                raise IdentityError(f"view: at most {MAX_VIEWS} saved views per user")
        session.exec(delete(_V).where(_V.c.username == actor.name, _V.c.name == name))
        session.exec(insert(_V).values(username=actor.name, name=name, query=query, created_at=now))
        web_audit.record(session, actor, "view_saved", target_kind="saved_view", target_id=name,
                         detail={"query": query}, at=now)


def delete_view(db: Database, actor: Actor, view_id: int, now: datetime) -> None:
    """Delete one of the actor's saved views (another user's is not found)."""
    with db.session(write=True) as session:
        row = session.exec(select(_V.c.name).where(_V.c.id == view_id, _V.c.username == actor.name)).first()
        if row is None:
            raise IdentityError("view: not found")
        session.exec(delete(_V).where(_V.c.id == view_id))
        web_audit.record(session, actor, "view_deleted", target_kind="saved_view", target_id=row[0], at=now)


def views_of(session: Session, username: str) -> list[dict[str, object]]:
    """A user's saved views by name."""
    query = select(_V.c.id, _V.c.name, _V.c.query).where(_V.c.username == username).order_by(_V.c.name)
    return [dict(r) for r in session.exec(query).mappings()]
