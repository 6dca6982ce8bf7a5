"""The auditor's own records about one subject: directory copies, inventory, findings, audit events, offboarding.

Each function runs a fixed number of queries whatever the subject holds (no N+1) and returns JSON-ready rows
with the columns of ``auditor.dsar.model.CATEGORY_COLUMNS`` (unredacted: ``auditor.dsar.redact`` runs after).
E-mail addresses inside JSON columns are matched with a quoted ``LIKE`` on the column's text (the same on SQLite
and PostgreSQL), then checked exactly in Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, MetaData, Table, Text, and_, cast, false, func, inspect, or_, select
from sqlmodel import Session

from auditor.storage.tables import (
    AuditEventRow,
    DirectoryPerson,
    Finding,
    InvAccount,
    InvApp,
    InvAsset,
    InvGrant,
    PersonChange,
)

OFFBOARDING_CASE_TABLE = "offboarding_case"
OFFBOARDING_ITEM_TABLE = "offboarding_item"
STORED = "auditor"  # the ``source`` of rows read from the auditor's database
_TOKEN = re.compile(r"[A-Za-z0-9_.:@+-]{4,}")

AccountKey = tuple[str, str, str]  # (platform, tenant, account_id)


def plain(value: Any) -> Any:
    """Datetimes and dates as ISO 8601 strings; everything else unchanged."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def json_contains_any(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """True when the JSON list ``column`` (lower-cased text) contains one of ``values`` as a whole string."""
    clauses = [func.lower(cast(column, Text)).like(f'%"{_like_escape(v.lower())}"%', escape="\\")
               for v in sorted(set(values))]
    return or_(*clauses) if clauses else false()


@dataclass(slots=True)
class Identity:
    """What identifies the subject in the auditor's records; grows as records are found."""

    emails: set[str] = field(default_factory=set)
    uids: set[str] = field(default_factory=set)
    handles: dict[str, set[str]] = field(default_factory=dict)  # platform -> account ids
    accounts: set[AccountKey] = field(default_factory=set)

    @property
    def account_ids(self) -> set[str]:
        """Every account id of the subject, on any platform."""
        return {key[2] for key in self.accounts} | {i for ids in self.handles.values() for i in ids}


# --------------------------------------------------------------------------------------------- directory


def stored_people(session: Session, identity: Identity) -> list[dict[str, Any]]:
    """Directory people the auditor keeps (departed ones too) with one of the subject's uids or e-mails."""
    table = DirectoryPerson.__table__
    query = select(table).where(or_(table.c.uid.in_(sorted(identity.uids)),
                                    json_contains_any(table.c.emails, identity.emails)))
    rows = []
    for row in session.exec(query.order_by(table.c.uid)).mappings():
        emails = {e.lower() for e in row["emails"] or []}
        if row["uid"] in identity.uids or emails & identity.emails:
            rows.append({"source": STORED, "uid": row["uid"], "display_name": row["display_name"],
                         "emails": list(row["emails"] or []), "department": row["department"], "kind": row["kind"],
                         "status": row["status"], "status_changed": plain(row["status_changed"]),
                         "end_date": plain(row["end_date"]), "manager": row["manager"],
                         "vanished_at": plain(row["vanished_at"])})
    return rows


def person_history(session: Session, uids: Iterable[str]) -> list[dict[str, Any]]:
    """Recorded changes of these directory people."""
    table = PersonChange.__table__
    query = select(table.c.uid, table.c.at, table.c.field, table.c.old, table.c.new).where(
        table.c.uid.in_(sorted(set(uids)))).order_by(table.c.uid, table.c.at, table.c.id)
    return [{"source": STORED, **{k: plain(v) for k, v in row.items()}} for row in session.exec(query).mappings()]


# --------------------------------------------------------------------------------------------- inventory


def keys_clause(table: Table, keys: Iterable[AccountKey], id_column: str = "account_id") -> ColumnElement[bool]:
    by_tenant: dict[tuple[str, str], list[str]] = {}
    for platform, tenant, account_id in keys:
        by_tenant.setdefault((platform, tenant), []).append(account_id)
    clauses = [and_(table.c.platform == platform, table.c.tenant == tenant, table.c[id_column].in_(sorted(ids)))
               for (platform, tenant), ids in sorted(by_tenant.items())]
    return or_(*clauses) if clauses else false()


def stored_accounts(session: Session, identity: Identity) -> list[dict[str, Any]]:
    """Accounts linked to the subject's uids, carrying one of the e-mails, or named by a handle (gone ones too).

    Adds each account found to ``identity.accounts``.
    """
    acc = InvAccount.__table__
    handle_clauses = [and_(acc.c.platform == platform, acc.c.account_id.in_(sorted(ids)))
                      for platform, ids in sorted(identity.handles.items())]
    query = select(acc).where(or_(acc.c.person_uid.in_(sorted(identity.uids)),
                                  json_contains_any(acc.c.emails, identity.emails), *handle_clauses))
    rows = []
    for row in session.exec(query.order_by(acc.c.platform, acc.c.tenant, acc.c.account_id)).mappings():
        emails = {e.lower() for e in row["emails"] or []}
        by_handle = row["account_id"] in identity.handles.get(row["platform"], set())
        if not (row["person_uid"] in identity.uids or emails & identity.emails or by_handle):
            continue
        identity.accounts.add((row["platform"], row["tenant"], row["account_id"]))
        rows.append({
            "source": STORED, "platform": row["platform"], "tenant": row["tenant"], "account_id": row["account_id"],
            "kind": row["kind"], "name": row["name"], "emails": list(row["emails"] or []),
            "two_factor": row["two_factor"], "last_activity": plain(row["last_activity"]), "state": row["state"],
            "role": row["role"], "created_at": plain(row["created_at"]), "created_by": row["created_by"],
            "first_seen": plain(row["first_seen"]), "last_seen": plain(row["last_seen"]),
            "gone_at": plain(row["gone_at"]),
        })
    return rows


def stored_grants(session: Session, accounts: set[AccountKey]) -> list[dict[str, Any]]:
    """The roles these accounts hold or held, with the asset, and how many other accounts hold the same asset now
    (their identities are withheld: they are other people)."""
    if not accounts:
        return []
    grant, asset = InvGrant.__table__, InvAsset.__table__
    query = (
        select(grant.c.platform, grant.c.tenant, grant.c.account_id, grant.c.asset_id, grant.c.role,
               grant.c.privileged, grant.c.granted_at, grant.c.granted_by, grant.c.first_seen, grant.c.gone_at,
               asset.c.name.label("asset_name"), asset.c.kind.label("asset_kind"))
        .outerjoin(asset, and_(asset.c.platform == grant.c.platform, asset.c.tenant == grant.c.tenant,
                               asset.c.asset_id == grant.c.asset_id))
        .where(keys_clause(grant, accounts))
        .order_by(grant.c.platform, grant.c.tenant, grant.c.account_id, grant.c.asset_id, grant.c.role)
    )
    rows = [{"source": STORED, **{k: plain(v) for k, v in row.items()}} for row in session.exec(query).mappings()]
    held = {(r["platform"], r["tenant"], r["asset_id"]) for r in rows if r["asset_id"]}
    others = _other_holders(session, held, {key[2] for key in accounts})
    for row in rows:
        row["asset_id"] = row["asset_id"] or None
        row["other_holders_withheld"] = others.get((row["platform"], row["tenant"], row["asset_id"] or ""))
    return rows


def _other_holders(session: Session, assets: set[tuple[str, str, str]], own: set[str]) -> dict[tuple, int]:
    """Per asset, the number of other accounts holding a current role on it (one grouped query)."""
    if not assets:
        return {}
    grant = InvGrant.__table__
    query = (
        select(grant.c.platform, grant.c.tenant, grant.c.asset_id, func.count(func.distinct(grant.c.account_id)))
        .where(keys_clause(grant, assets, "asset_id"), grant.c.gone_at.is_(None),
               grant.c.account_id.not_in(sorted(own)))
        .group_by(grant.c.platform, grant.c.tenant, grant.c.asset_id)
    )
    counts = {(p, t, a): int(n) for p, t, a, n in session.exec(query).all()}
    return {key: counts.get(key, 0) for key in assets}


def stored_apps(session: Session, accounts: set[AccountKey]) -> list[dict[str, Any]]:
    """Apps and tokens the subject's accounts authorised."""
    if not accounts:
        return []
    app = InvApp.__table__
    query = (select(app).where(keys_clause(app, accounts, "granted_by"))
             .order_by(app.c.platform, app.c.tenant, app.c.app_id, app.c.token_ref))
    return [{"source": STORED, "platform": r["platform"], "tenant": r["tenant"], "account_id": r["granted_by"],
             "app_id": r["app_id"], "name": r["name"], "scopes": r["scopes"], "last_used": plain(r["last_used"]),
             "first_seen": plain(r["first_seen"]), "gone_at": plain(r["gone_at"])}
            for r in session.exec(query).mappings()]


# ------------------------------------------------------------------------------------ findings and events


def stored_findings(session: Session, identity: Identity) -> list[dict[str, Any]]:
    """Findings about the subject: by person, by account, or naming one of the subject's account ids."""
    table = Finding.__table__
    ids = sorted(identity.account_ids)
    named = [table.c.message.like(f"%{_like_escape(i)}%", escape="\\") for i in ids if len(i) >= 6]
    query = select(table.c.id, table.c.rule, table.c.category, table.c.severity, table.c.status, table.c.platform,
                   table.c.tenant, table.c.account, table.c.person, table.c.message, table.c.first_seen,
                   table.c.last_seen).where(
        or_(table.c.person.in_(sorted(identity.uids)), table.c.account.in_(ids), *named)).order_by(table.c.id)
    keys = identity.accounts
    rows = []
    for row in session.exec(query).mappings():
        own_account = any((row["platform"], row["tenant"], row["account"]) == key for key in keys) or (
            row["account"] in identity.handles.get(row["platform"] or "", set()))
        mentions = {i for i in ids if len(i) >= 6} & tokens(row["message"])
        if row["person"] in identity.uids or own_account or mentions:
            rows.append({"source": STORED, "id": row["id"], "rule": row["rule"], "category": row["category"],
                         "severity": row["severity"], "status": row["status"], "platform": row["platform"],
                         "account": row["account"], "message": row["message"],
                         "first_seen": plain(row["first_seen"]), "last_seen": plain(row["last_seen"])})
    return rows


def stored_events(session: Session, accounts: set[AccountKey]) -> list[dict[str, Any]]:
    """Audit-log entries where one of the subject's accounts is the actor or the target."""
    if not accounts:
        return []
    table = AuditEventRow.__table__
    ids = sorted({key[2] for key in accounts})
    query = (select(table.c.platform, table.c.tenant, table.c.event_id, table.c.time, table.c.action,
                    table.c.raw_action, table.c.actor_id, table.c.actor_name, table.c.target_id,
                    table.c.target_name, table.c.asset_id)
             .where(or_(table.c.actor_id.in_(ids), table.c.target_id.in_(ids)))
             .order_by(table.c.time, table.c.id))
    rows = []
    for row in session.exec(query).mappings():
        mine = {(row["platform"], row["tenant"], row["actor_id"]), (row["platform"], row["tenant"], row["target_id"])}
        if mine & accounts:
            rows.append({"source": STORED, **{k: plain(v) for k, v in row.items()}})
    return rows


def known_principals(session: Session, platform_ids: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Which of these (platform -> ids) are accounts the auditor knows (people, system users, apps)."""
    acc = InvAccount.__table__
    clauses = [and_(acc.c.platform == p, acc.c.account_id.in_(sorted(ids))) for p, ids in platform_ids.items() if ids]
    if not clauses:
        return set()
    return {(p, i) for p, i in session.exec(select(acc.c.platform, acc.c.account_id).where(or_(*clauses))).all()}


def known_uids(session: Session, candidates: Iterable[str]) -> set[str]:
    """Which of these strings are uids of directory people the auditor knows."""
    values = sorted(set(candidates))
    if not values:
        return set()
    table = DirectoryPerson.__table__
    return set(session.exec(select(table.c.uid).where(table.c.uid.in_(values))).scalars())


def tokens(text: str | None) -> set[str]:
    """The id-like words of a text (account ids, uids, e-mail addresses)."""
    return set(_TOKEN.findall(text or ""))


# ---------------------------------------------------------------------------------------------- offboarding


def offboarding_cases(session: Session, uids: Iterable[str], *, case_table: str = OFFBOARDING_CASE_TABLE,
                      item_table: str = OFFBOARDING_ITEM_TABLE) -> list[dict[str, Any]] | None:
    """Offboarding cases of these uids with their number of tracked items; None when this installation has no
    offboarding tables (the source is then "not available"). The tables are reflected, not imported: the
    offboarding area owns them."""
    connection = session.connection()
    inspector = inspect(connection)
    if not inspector.has_table(case_table):
        return None
    cases = Table(case_table, MetaData(), autoload_with=connection)
    wanted = sorted(set(uids))
    if not wanted:
        return []
    rows = [dict(r) for r in session.exec(
        select(cases).where(cases.c.uid.in_(wanted)).order_by(cases.c.id)).mappings()]
    counts: dict[int, int] = {}
    if rows and inspector.has_table(item_table):
        items = Table(item_table, MetaData(), autoload_with=connection)
        query = (select(items.c.case_id, func.count()).where(items.c.case_id.in_([r["id"] for r in rows]))
                 .group_by(items.c.case_id))
        counts = {int(case): int(n) for case, n in session.exec(query).all()}
    return [{"source": STORED, "case_id": r["id"], "uid": r.get("uid"), "opened_at": _aware(r.get("opened_at")),
             "status": r.get("status"), "closed_at": _aware(r.get("closed_at")),
             "last_working_day": plain(r.get("last_working_day")), "items": counts.get(r["id"], 0)} for r in rows]


def _aware(value: Any) -> Any:
    """A reflected datetime (naive UTC on SQLite, because reflection loses the UTC type) as ISO 8601 UTC."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.isoformat() + "+00:00"
    return plain(value)
