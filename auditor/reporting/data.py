"""Read queries of the audit report: scans, platform states, findings with names, counts and trends.

Each function runs a fixed number of queries (no N+1) and returns JSON-ready data (ISO 8601 strings).
``Scope`` narrows everything to one platform and/or one person.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session

from auditor.findings.lifecycle import EXPIRED_EXCEPTION_RULE, OPENED, REOPENED, RESOLVED_CHANGE, STILL_OPEN
from auditor.findings.texts import Texts, evidence_rows, finding_text, rule_name, where
from auditor.policy.engine import COVERAGE
from auditor.storage.tables import (
    DirectoryPerson,
    Finding,
    FindingEvent,
    InvAccount,
    InvAsset,
    InvGrant,
    Scan,
    ScanPlatform,
)

EVALUATED = ("complete", "partial")
OPEN_CHANGES = (OPENED, REOPENED, STILL_OPEN, "unmuted", "exception_expired")
NEW_CHANGES = (OPENED, REOPENED, "unmuted", "exception_expired")
EVIDENCE_TEXT_LIMIT = 300

_F, _S, _SP = Finding.__table__, Scan.__table__, ScanPlatform.__table__


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report covers: every platform or one, every person or one."""

    platform: str | None = None
    person: str | None = None

    def finding_clauses(self) -> list[ColumnElement[bool]]:
        """WHERE clauses narrowing findings to this scope."""
        clauses: list[ColumnElement[bool]] = []
        if self.platform is not None:
            clauses.append(_F.c.platform == self.platform)
        if self.person is not None:
            clauses.append(_F.c.person == self.person)
        return clauses


def plain(value: Any) -> Any:
    """Datetimes and dates as ISO 8601 strings; everything else unchanged."""
    return value.isoformat() if isinstance(value, datetime | date) else value


def record(row: Any) -> dict[str, Any]:
    """A result mapping as a JSON-ready dict."""
    return {key: plain(value) for key, value in row.items()}


def evaluated_scan(session: Session, platform: str | None = None, before: int | None = None) -> dict[str, Any] | None:
    """The newest scan that evaluated findings (optionally one that read ``platform``, older than ``before``)."""
    query = select(_S.c.id, _S.c.started_at, _S.c.finished_at, _S.c.status, _S.c.trigger).where(
        _S.c.status.in_(EVALUATED))
    if platform is not None:
        query = query.where(_S.c.id.in_(select(_SP.c.scan_id).where(_SP.c.platform == platform)))
    if before is not None:
        query = query.where(_S.c.id < before)
    row = session.exec(query.order_by(_S.c.id.desc()).limit(1)).mappings().first()
    return record(row) if row is not None else None


def first_scan_time(session: Session) -> str | None:
    """When the first evaluated scan started (the start of the recorded history)."""
    return plain(session.exec(select(func.min(_S.c.started_at)).where(_S.c.status.in_(EVALUATED))).scalar())


def platform_states(session: Session, platform: str | None = None) -> list[dict[str, Any]]:
    """The last evaluated state of every platform tenant: status, errors, capabilities, scan id and time."""
    latest = (
        select(func.max(_SP.c.id).label("id"))
        .join(_S, _S.c.id == _SP.c.scan_id)
        .where(_S.c.status.in_(EVALUATED))
        .group_by(_SP.c.platform, _SP.c.tenant)
    )
    if platform is not None:
        latest = latest.where(_SP.c.platform == platform)
    query = (
        select(_SP.c.scan_id, _SP.c.platform, _SP.c.kind, _SP.c.tenant, _SP.c.tenant_name,
               _SP.c.two_factor_required, _SP.c.status, _SP.c.errors, _SP.c.capabilities, _SP.c.counts,
               _S.c.finished_at.label("scanned_at"))
        .join(_S, _S.c.id == _SP.c.scan_id)
        .where(_SP.c.id.in_(latest))
        .order_by(_SP.c.platform, _SP.c.tenant)
    )
    return [record(row) for row in session.exec(query).mappings()]


def known_platforms(session: Session) -> list[str]:
    """Every platform name the stored scans mention."""
    return list(session.exec(select(_SP.c.platform).distinct().order_by(_SP.c.platform)).scalars())


def _evidence_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        text = ", ".join(_evidence_text(v) for v in value) or "—"
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {_evidence_text(v)}" for k, v in sorted(value.items())) or "—"
    else:
        text = "—" if value is None else str(value)
    if len(text) > EVIDENCE_TEXT_LIMIT:
        text = text[:EVIDENCE_TEXT_LIMIT] + f"… (+{len(text) - EVIDENCE_TEXT_LIMIT})"
    return text


def evidence_items(evidence: dict[str, Any] | None) -> list[list[str]]:
    """Evidence as ``[key, text]`` pairs: the judged facts first (one row each), then parameters and the
    rest (scan id, outcome, policy hash); values shortened to a readable length."""
    evidence = dict(evidence or {})
    evidence.pop("rule", None)
    items = [[str(k), _evidence_text(v)] for k, v in sorted((evidence.pop("facts", None) or {}).items())]
    for name, params in sorted((evidence.pop("parameters", None) or {}).items()):
        items.append([f"parameter {name}", _evidence_text(params)])
    items += [[str(k), _evidence_text(v)] for k, v in sorted(evidence.items())]
    return items


def finding_rows(session: Session, scope: Scope, *, statuses: tuple[str, ...] = ("open",),
                 min_rank: int | None = None, unverified_only: bool = False, coverage: bool = False,
                 limit: int | None = None, shown: Texts | None = None) -> list[dict[str, Any]]:
    """Findings in scope with the names of their asset and person, most severe first (one query), each with
    its readable ``title`` and ``text``, asset and role labels and evidence rows in ``shown``'s language.

    ``unverified_only`` keeps the checks that could not be judged (category ``could_not_verify`` or
    outcome ``unknown``). Coverage notes (what a platform does not expose) are left out, unless ``coverage``:
    then only they are returned.
    """
    asset, person = InvAsset.__table__, DirectoryPerson.__table__
    query = (
        select(_F.c.id, _F.c.rule, _F.c.category, _F.c.severity, _F.c.status, _F.c.outcome, _F.c.platform,
               _F.c.tenant, _F.c.account, _F.c.account_email, _F.c.person, _F.c.asset, _F.c.role,
               _F.c.message, _F.c.evidence, _F.c.first_seen, _F.c.last_seen, _F.c.resolved_at,
               _F.c.exception_id, _F.c.subject, asset.c.name.label("asset_name"),
               person.c.display_name.label("person_name"))
        .outerjoin(asset, and_(asset.c.platform == _F.c.platform, asset.c.tenant == _F.c.tenant,
                               asset.c.asset_id == _F.c.asset))
        .outerjoin(person, person.c.uid == _F.c.person)
        .where(_F.c.status.in_(statuses), *scope.finding_clauses())
        .order_by(_F.c.severity_rank.desc(), _F.c.category, _F.c.platform, _F.c.id)
    )
    if min_rank is not None:
        query = query.where(_F.c.severity_rank >= min_rank)
    if unverified_only:
        query = query.where(or_(_F.c.category == "could_not_verify", _F.c.outcome == "unknown"))
    query = query.where(_F.c.outcome == COVERAGE if coverage else func.coalesce(_F.c.outcome, "") != COVERAGE)
    if limit is not None:
        query = query.limit(limit)
    shown = shown or Texts()
    rows = []
    for row in session.exec(query).mappings():
        entry = record(row)
        entry.update(finding_text(row, shown))
        place = where(row, shown)
        entry["asset_label"], entry["role_label"] = place["asset"], place["role"]
        facts = (row["evidence"] or {}).get("facts") or {}
        is_app = str(row["subject"] or "").startswith(("app:", "token:"))
        entry["account_label"] = facts.get("account.label") or row["account_email"] or (
            None if is_app else row["account"])
        entry["rule_name"] = rule_name(row, shown)
        readable = evidence_rows(row, shown, machine=False)
        entry["evidence"] = [[k, v] for k, v in readable] if readable else evidence_items(row["evidence"])
        entry["ref"] = f"F-{row['id']}"
        rows.append(entry)
    return rows


def finding_counts(session: Session, scope: Scope, status: str = "open") -> list[dict[str, Any]]:
    """Counts of findings in scope grouped by severity, category, platform and rule."""
    keys = (_F.c.severity, _F.c.category, _F.c.platform, _F.c.rule)
    query = select(*keys, func.count().label("n")).where(
        _F.c.status == status, func.coalesce(_F.c.outcome, "") != COVERAGE, *scope.finding_clauses())
    return [dict(row) for row in session.exec(query.group_by(*keys)).mappings()]


def expired_exception_rules(session: Session, scope: Scope) -> Counter[tuple[str, str]]:
    """Open ``risk-exception-expired`` findings counted by (the rule they muted, severity)."""
    query = select(_F.c.severity, _F.c.evidence).where(
        _F.c.status == "open", _F.c.rule == EXPIRED_EXCEPTION_RULE, *scope.finding_clauses())
    counts: Counter[tuple[str, str]] = Counter()
    for severity, evidence in session.exec(query):
        counts[(str((evidence or {}).get("muted_rule") or EXPIRED_EXCEPTION_RULE), severity)] += 1
    return counts


def open_at_scan(session: Session, scan_id: int, scope: Scope) -> dict[str, int]:
    """How many findings in scope were open right after scan ``scan_id``, by (current) severity."""
    events = FindingEvent.__table__
    last = (
        select(events.c.finding_id, func.max(events.c.id).label("last_id"))
        .where(events.c.scan_id <= scan_id)
        .group_by(events.c.finding_id)
        .subquery()
    )
    query = (
        select(_F.c.severity, func.count())
        .join(last, last.c.finding_id == _F.c.id)
        .join(events, events.c.id == last.c.last_id)
        .where(events.c.change.in_(OPEN_CHANGES), func.coalesce(_F.c.outcome, "") != COVERAGE,
               *scope.finding_clauses())
        .group_by(_F.c.severity)
    )
    return {severity: count for severity, count in session.exec(query)}


def changes_between(session: Session, after_scan: int, upto_scan: int, scope: Scope) -> dict[str, int]:
    """Findings in scope that opened (or reopened) and that resolved in scans after ``after_scan``."""
    events = FindingEvent.__table__
    query = (
        select(events.c.change, func.count(func.distinct(events.c.finding_id)))
        .join(_F, _F.c.id == events.c.finding_id)
        .where(events.c.scan_id > after_scan, events.c.scan_id <= upto_scan,
               events.c.change.in_((*NEW_CHANGES, RESOLVED_CHANGE)), *scope.finding_clauses())
        .group_by(events.c.change)
    )
    counts = dict(session.exec(query).all())
    return {"opened": sum(counts.get(c, 0) for c in NEW_CHANGES), "resolved": counts.get(RESOLVED_CHANGE, 0)}


def muted_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Accepted (muted) findings in scope per exception id."""
    query = (
        select(_F.c.exception_id, func.count())
        .where(_F.c.status == "accepted", _F.c.exception_id.is_not(None), *scope.finding_clauses())
        .group_by(_F.c.exception_id)
    )
    return {exception_id: count for exception_id, count in session.exec(query)}


def inventory_totals(session: Session, platform: str | None) -> dict[str, int]:
    """Accounts present now and the privileged grants among the present grants, in scope."""
    acc, grant = InvAccount.__table__, InvGrant.__table__
    accounts = select(func.count()).select_from(acc).where(acc.c.gone_at.is_(None))
    privileged = select(func.count()).select_from(grant).where(grant.c.gone_at.is_(None), grant.c.privileged)
    if platform is not None:
        accounts = accounts.where(acc.c.platform == platform)
        privileged = privileged.where(grant.c.platform == platform)
    return {"accounts": int(session.exec(accounts).scalar_one()),
            "privileged_grants": int(session.exec(privileged).scalar_one())}
