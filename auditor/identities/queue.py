"""The queue: what to fix first, one entry per person (leavers first, then by the worst open finding), each
with its open findings as a checklist and the grants to remove with a link to the platform's own admin
screen; and the same grouping for accounts that match nobody (one entry per identity: the same e-mail on
several platforms is one entry).

The order is computed on one aggregate row per person / identity; details are read only for the page shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, tuple_
from sqlmodel import Session

from auditor.accounts.tables import FindingTriage
from auditor.findings.queries import not_coverage
from auditor.identities.admin_links import PEOPLE, admin_link
from auditor.model import Severity
from auditor.storage.tables import DirectoryPerson, Finding, InvAccount, InvAsset, InvGrant, ScanPlatform

_F = Finding.__table__
_T = FindingTriage.__table__
_P = DirectoryPerson.__table__
_A = InvAccount.__table__
_G = InvGrant.__table__
_S = InvAsset.__table__
_SP = ScanPlatform.__table__
_RANKS = {s.rank: s.value for s in Severity}
_FINDING_COLUMNS = (_F.c.id, _F.c.rule, _F.c.severity, _F.c.category, _F.c.platform, _F.c.tenant, _F.c.account,
                    _F.c.account_email, _F.c.asset, _F.c.role, _F.c.message, _F.c.person,
                    _F.c.evidence)  # evidence: the rule's texts, shown in the page's language


@dataclass(slots=True)
class QueueEntry:
    """One person or unmatched identity in the queue."""

    key: str
    name: str
    leaver: bool
    status: str | None
    worst: str
    count: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Queue:
    """A page of queue entries and the total."""

    entries: list[QueueEntry]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def _is_leaver(person: dict[str, Any] | None, today: date) -> bool:
    if person is None:
        return True  # named by a finding but no longer in the directory
    end = person.get("end_date")
    return person["status"] != "active" or (end is not None and end <= today)


def _platform_kinds(session: Session) -> dict[str, str]:
    return {row[0]: row[1] for row in session.exec(select(_SP.c.platform, _SP.c.kind).distinct())}


def _findings(session: Session, where: Any) -> list[dict[str, Any]]:
    query = (
        select(*_FINDING_COLUMNS, _T.c.acknowledged_at)
        .select_from(_F.outerjoin(_T, _T.c.finding_id == _F.c.id))
        .where(_F.c.status == "open", not_coverage(), where)
        .order_by(_F.c.severity_rank.desc(), _F.c.id)
    )
    return [dict(r) for r in session.exec(query).mappings()]


def _grants(session: Session, accounts: list[tuple[str, str, str]], kinds: dict[str, str]) -> list[dict[str, Any]]:
    """Live grants of live accounts, each with its asset's name and the admin screen's link."""
    if not accounts:
        return []
    query = (
        select(_G.c.platform, _G.c.tenant, _G.c.account_id, _G.c.asset_id, _G.c.role, _G.c.privileged,
               _S.c.name.label("asset_name"), _S.c.kind.label("asset_kind"))
        .select_from(_G.outerjoin(_S, and_(_S.c.platform == _G.c.platform, _S.c.tenant == _G.c.tenant,
                                           _S.c.asset_id == _G.c.asset_id)))
        .where(_G.c.gone_at.is_(None), tuple_(_G.c.platform, _G.c.tenant, _G.c.account_id).in_(accounts))
        .order_by(_G.c.platform, _G.c.asset_id, _G.c.role)
    )
    rows = []
    for row in session.exec(query).mappings():
        grant = dict(row)
        kind = kinds.get(grant["platform"])
        grant["link"] = (admin_link(kind, grant["asset_kind"], tenant=grant["tenant"], asset=grant["asset_id"])
                         if grant["asset_id"] else admin_link(kind, PEOPLE, tenant=grant["tenant"]))
        rows.append(grant)
    return rows


def _accounts(session: Session, where: Any, kinds: dict[str, str]) -> list[dict[str, Any]]:
    query = select(_A.c.platform, _A.c.tenant, _A.c.account_id, _A.c.kind, _A.c.name, _A.c.emails,
                   _A.c.person_uid).where(_A.c.gone_at.is_(None), where).order_by(_A.c.platform, _A.c.account_id)
    rows = []
    for row in session.exec(query).mappings():
        account = dict(row)
        account["link"] = admin_link(kinds.get(account["platform"]), PEOPLE, tenant=account["tenant"])
        rows.append(account)
    return rows


def person_queue(session: Session, today: date, page: int = 1, page_size: int = 25) -> Queue:
    """People with open findings: leavers first, then by the worst finding and their number."""
    aggregate = session.exec(
        select(_F.c.person, func.max(_F.c.severity_rank), func.count())
        .where(_F.c.status == "open", not_coverage(), _F.c.person.is_not(None))
        .group_by(_F.c.person)
    ).all()
    people = {
        row["uid"]: dict(row)
        for row in session.exec(
            select(_P.c.uid, _P.c.display_name, _P.c.status, _P.c.end_date)
            .where(_P.c.uid.in_([r[0] for r in aggregate]))
        ).mappings()
    }
    order = sorted(
        aggregate,
        key=lambda r: (not _is_leaver(people.get(r[0]), today), -r[1], -r[2], r[0]),
    )
    page = max(1, min(page, max(1, -(-len(order) // page_size))))
    chosen = order[(page - 1) * page_size: page * page_size]
    entries = []
    for uid, rank, count in chosen:
        person = people.get(uid)
        entries.append(QueueEntry(
            key=uid, name=person["display_name"] if person else uid, leaver=_is_leaver(person, today),
            status=person["status"] if person else "gone", worst=_RANKS.get(rank, "info"), count=count,
        ))
    _fill_people(session, entries)
    return Queue(entries=entries, total=len(order), page=page, page_size=page_size)


def _fill_people(session: Session, entries: list[QueueEntry]) -> None:
    if not entries:
        return
    kinds = _platform_kinds(session)
    uids = [e.key for e in entries]
    findings = defaultdict(list)
    for row in _findings(session, _F.c.person.in_(uids)):
        findings[row["person"]].append(row)
    accounts = defaultdict(list)
    for row in _accounts(session, _A.c.person_uid.in_(uids), kinds):
        accounts[row["person_uid"]].append(row)
    owner = {(a["platform"], a["tenant"], a["account_id"]): a["person_uid"] for rows in accounts.values()
             for a in rows}
    grants = defaultdict(list)
    for grant in _grants(session, list(owner), kinds):
        grants[owner[(grant["platform"], grant["tenant"], grant["account_id"])]].append(grant)
    for entry in entries:
        entry.findings = findings[entry.key]
        named = {(f["platform"], f["account"], f["asset"]) for f in entry.findings}
        accounts_named = {(f["platform"], f["account"]) for f in entry.findings}
        if entry.leaver:  # everything a leaver holds goes
            entry.grants = grants[entry.key]
            entry.accounts = accounts[entry.key]
        else:  # only the grants a finding names (an account-level finding names its account's screen)
            entry.grants = [g for g in grants[entry.key] if (g["platform"], g["account_id"], g["asset_id"]) in named]
            entry.accounts = [a for a in accounts[entry.key] if (a["platform"], a["account_id"]) in accounts_named]
        entry.platforms = sorted({f["platform"] for f in entry.findings if f["platform"]}
                                 | {a["platform"] for a in entry.accounts})


def _identity_key() -> Any:
    return func.coalesce(func.lower(_F.c.account_email), func.coalesce(_F.c.platform, "") + literal(":") + _F.c.account)


def unmatched_queue(session: Session, page: int = 1, page_size: int = 25) -> Queue:
    """Open findings about accounts that belong to nobody, one entry per identity (e-mail, else account)."""
    key = _identity_key()
    where = and_(_F.c.status == "open", not_coverage(), _F.c.person.is_(None), _F.c.account.is_not(None))
    aggregate = session.exec(
        select(key, func.max(_F.c.severity_rank), func.count()).where(where).group_by(key)
    ).all()
    order = sorted(aggregate, key=lambda r: (-r[1], -r[2], r[0]))
    page = max(1, min(page, max(1, -(-len(order) // page_size))))
    chosen = order[(page - 1) * page_size: page * page_size]
    entries = [QueueEntry(key=k, name=k, leaver=False, status=None, worst=_RANKS.get(rank, "info"), count=count)
               for k, rank, count in chosen]
    if entries:
        kinds = _platform_kinds(session)
        findings = defaultdict(list)
        for row in _findings(session, and_(where, key.in_([e.key for e in entries]))):
            email = (row["account_email"] or "").lower()
            findings[email or f"{row['platform'] or ''}:{row['account']}"].append(row)
        for entry in entries:
            entry.findings = findings[entry.key]
            named = {(f["platform"], f["account"]) for f in entry.findings}
            entry.accounts = _accounts(session, or_(*(and_(_A.c.platform == p, _A.c.account_id == a)
                                                      for p, a in named)), kinds) if named else []
            entry.name = next((a["name"] for a in entry.accounts if a["name"]), entry.key)
            entry.platforms = sorted({p for p, _ in named if p})
            entry.grants = _grants(session, [(a["platform"], a["tenant"], a["account_id"]) for a in entry.accounts],
                                   kinds)
    return Queue(entries=entries, total=len(order), page=page, page_size=page_size)


def fix_first(session: Session, today: date, limit: int = 5) -> dict[str, Any]:
    """The dashboard's panel: the first people of the queue and how many unmatched identities wait."""
    queue = person_queue(session, today, 1, limit)
    key = _identity_key()
    unmatched = session.exec(
        select(func.count(func.distinct(key))).where(
            _F.c.status == "open", not_coverage(), _F.c.person.is_(None), _F.c.account.is_not(None)
        )
    ).scalar_one()
    return {"people": queue.entries, "people_total": queue.total, "unmatched": int(unmatched or 0)}
