"""Findings for the web UI: a filtered, sorted page (fast at 100,000 rows), one finding in detail, and
streamed exports of the current filter.

A page is two indexed queries (rows with LIMIT/OFFSET, and a count); the triage state comes from a LEFT JOIN
on ``finding_triage`` by primary key, so there is no query per row. Exports read the filter in chunks of
2,000 by id (keyset), so 100,000 findings stream without being held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, cast, false, func, not_, or_, select
from sqlmodel import Session

from auditor.accounts.tables import FindingComment, FindingTriage
from auditor.findings.fields import EXPORT_FIELDS, FINDING_FIELDS
from auditor.findings.lifecycle import STATUSES
from auditor.model import CATEGORIES, Severity
from auditor.policy.engine import COVERAGE
from auditor.storage.db import Database
from auditor.storage.tables import DirectoryPerson, Finding, FindingEvent, InvAccount, InvAsset, RiskExceptionRow, Scan

_F = Finding.__table__
_T = FindingTriage.__table__

UNASSIGNED = "-"
SEVERITY_VALUES = (*(s.value for s in Severity), *(f"={s.value}" for s in Severity))
"""``high`` means high or worse; ``=high`` means exactly high."""
TRIAGE_STATES = ("acknowledged", "unacknowledged")
EXPORT_CHUNK = 2000
LIST_COLUMNS = (
    "id",
    "rule",
    "severity",
    "category",
    "status",
    "platform",
    "tenant",
    "account",
    "account_email",
    "person",
    "asset",
    "role",
    "message",
    "outcome",
    "evidence",
    "first_seen",
    "last_seen",
    "exception_id",
)
SORTS: dict[str, tuple[str, ...]] = {
    "severity": ("-severity_rank", "-last_seen", "-id"),
    "newest": ("-first_seen", "-id"),
    "last_seen": ("-last_seen", "-id"),
    "category": ("category", "-severity_rank", "-id"),
    "platform": ("platform", "-severity_rank", "-id"),
    "person": ("person", "-severity_rank", "-id"),
}
"""Sort name -> columns (``-`` for descending); always ends with the id so pages are stable."""


TEXT_FIELDS = ("platform", "person", "rule", "assignee", "q", "not_q", "not_platform", "not_rule")
MAX_TEXT = 200


class FilterError(ValueError):
    """A filter value is not one of the allowed values (names the field)."""


def contains_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern (escape ``\\``) for "contains ``text``"."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_match(text: str) -> ColumnElement[bool]:
    """Findings whose person (uid, name, e-mail), account (id, e-mail, name) or asset (id, name) contains
    ``text``; never NULL, so it can be negated for an exclude filter."""
    pattern = contains_pattern(text)

    def has(column: Any) -> ColumnElement[bool]:
        return func.lower(func.coalesce(column, "")).like(pattern, escape="\\")

    people, accounts, assets = DirectoryPerson.__table__, InvAccount.__table__, InvAsset.__table__
    return or_(
        false(),
        has(_F.c.person), has(_F.c.account_email), has(_F.c.account), has(_F.c.asset),
        func.coalesce(_F.c.person, "").in_(
            select(people.c.uid).where(or_(has(people.c.display_name), has(cast(people.c.emails, String))))
        ),
        func.coalesce(_F.c.account, "").in_(
            select(accounts.c.account_id).where(or_(has(accounts.c.name), has(cast(accounts.c.emails, String))))
        ),
        func.coalesce(_F.c.asset, "").in_(select(assets.c.asset_id).where(has(assets.c.name))),
    )


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """What the findings list shows. ``severity`` is a minimum (``=high``: exactly high); ``assignee`` ``-``
    means unassigned."""

    status: str = "open"
    category: str | None = None
    severity: str | None = None
    platform: str | None = None
    person: str | None = None
    rule: str | None = None
    assignee: str | None = None
    triage: str | None = None
    q: str | None = None  # free text: person, e-mail, account, asset
    not_q: str | None = None  # exclude findings whose person, e-mail, account or asset contains this
    not_platform: str | None = None
    not_category: str | None = None
    not_rule: str | None = None
    sort: str = "severity"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> FindingFilter:
        """Build from query arguments; empty values mean "any"; FilterError for a value out of range."""
        values = {name: (args.get(name) or "").strip() or None for name in cls.__dataclass_fields__}
        values["status"] = values["status"] or "open"
        values["sort"] = values["sort"] or "severity"
        checks = {
            "status": (*STATUSES, "all"),
            "category": CATEGORIES,
            "not_category": CATEGORIES,
            "severity": SEVERITY_VALUES,
            "triage": TRIAGE_STATES,
            "sort": tuple(SORTS),
        }
        for name, allowed in checks.items():
            if values[name] is not None and values[name] not in allowed:
                raise FilterError(f"{name}: unknown value {values[name]!r}")
        for name in TEXT_FIELDS:
            if values[name] is not None and len(values[name]) > MAX_TEXT:
                raise FilterError(f"{name}: too long")
        return cls(**values)

    def args(self, **changes: Any) -> dict[str, str]:
        """The non-default values as query arguments (for links), with ``changes`` applied."""
        data = asdict(replace(self, **changes))
        defaults = asdict(FindingFilter())
        return {key: value for key, value in data.items() if value is not None and value != defaults[key]}

    def clauses(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of this filter."""
        where: list[ColumnElement[bool]] = [not_coverage()]
        if self.status != "all":
            where.append(_F.c.status == self.status)
        if self.category:
            where.append(_F.c.category == self.category)
        if self.severity and self.severity.startswith("="):
            where.append(_F.c.severity_rank == Severity(self.severity[1:]).rank)
        elif self.severity:
            where.append(_F.c.severity_rank >= Severity(self.severity).rank)
        for name in ("platform", "person", "rule"):
            value = getattr(self, name)
            if value:
                where.append(_F.c[name] == value)
        if self.assignee == UNASSIGNED:
            where.append(_T.c.assignee.is_(None))
        elif self.assignee:
            where.append(_T.c.assignee == self.assignee)
        if self.triage == "acknowledged":
            where.append(_T.c.acknowledged_at.is_not(None))
        elif self.triage == "unacknowledged":
            where.append(_T.c.acknowledged_at.is_(None))
        if self.q:
            where.append(text_match(self.q))
        if self.not_q:
            where.append(not_(text_match(self.not_q)))
        if self.not_platform:
            where.append(func.coalesce(_F.c.platform, "") != self.not_platform)
        if self.not_category:
            where.append(_F.c.category != self.not_category)
        if self.not_rule:
            where.append(_F.c.rule != self.not_rule)
        return where

    @property
    def needs_triage(self) -> bool:
        """Whether the filter reads triage columns."""
        return bool(self.assignee or self.triage)


def not_coverage() -> ColumnElement[bool]:
    """Leaves out coverage notes (what a platform does not expose): they are shown per platform, not queued."""
    return func.coalesce(_F.c.outcome, "") != COVERAGE


def _order(sort: str) -> list[Any]:
    order = []
    for name in SORTS[sort]:
        column = _F.c[name.lstrip("-")]
        order.append(column.desc() if name.startswith("-") else column.asc())
    return order


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


@dataclass(slots=True)
class Page:
    """One page of rows with the total and page numbers (1-based)."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def count_findings(session: Session, flt: FindingFilter) -> int:
    """How many findings match (joins the triage table only when the filter needs it)."""
    source = _F.outerjoin(_T, _T.c.finding_id == _F.c.id) if flt.needs_triage else _F
    return int(session.exec(select(func.count()).select_from(source).where(*flt.clauses())).scalar_one())


def list_page(session: Session, flt: FindingFilter, page: int, page_size: int) -> Page:
    """One page of findings with their triage state, in two queries."""
    total = count_findings(session, flt)
    page = max(1, min(page, max(1, -(-total // page_size))))
    query = (
        select(*(_F.c[name] for name in LIST_COLUMNS), _T.c.assignee, _T.c.acknowledged_at, _T.c.acknowledged_by)
        .select_from(_F.outerjoin(_T, _T.c.finding_id == _F.c.id))
        .where(*flt.clauses())
        .order_by(*_order(flt.sort))
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    rows = [dict(row) for row in session.exec(query).mappings()]
    return Page(rows=rows, total=total, page=page, page_size=page_size)


def matching_ids(session: Session, flt: FindingFilter, limit: int) -> list[int]:
    """The ids of the findings the filter matches, in id order, at most ``limit`` (select all matching)."""
    source = _F.outerjoin(_T, _T.c.finding_id == _F.c.id) if flt.needs_triage else _F
    query = select(_F.c.id).select_from(source).where(*flt.clauses()).order_by(_F.c.id).limit(limit)
    return [row[0] for row in session.exec(query)]


def facets(session: Session) -> dict[str, list[str]]:
    """Values for the filter menus: platforms and rules present, assignees in use."""
    platforms = [
        r[0]
        for r in session.exec(
            select(_F.c.platform).distinct().where(_F.c.platform.is_not(None)).order_by(_F.c.platform)
        )
    ]
    rules = [r[0] for r in session.exec(select(_F.c.rule).distinct().order_by(_F.c.rule))]
    return {"platforms": platforms, "rules": rules}


def finding_detail(session: Session, finding_id: int) -> dict[str, Any] | None:
    """One finding with triage state, comments, lifecycle events and its risk exception row (if any)."""
    row = session.exec(select(_F).where(_F.c.id == finding_id)).mappings().first()
    if row is None:
        return None
    finding = dict(row)
    triage = session.exec(select(_T).where(_T.c.finding_id == finding_id)).mappings().first()
    comments_table = FindingComment.__table__
    comments = [
        dict(r)
        for r in session.exec(
            select(comments_table)
            .where(comments_table.c.finding_id == finding_id)
            .order_by(comments_table.c.at, comments_table.c.id)
        ).mappings()
    ]
    events_table, scans = FindingEvent.__table__, Scan.__table__
    events = [
        dict(r)
        for r in session.exec(
            select(events_table.c.at, events_table.c.change, events_table.c.scan_id, scans.c.trigger)
            .select_from(events_table.outerjoin(scans, scans.c.id == events_table.c.scan_id))
            .where(events_table.c.finding_id == finding_id)
            .order_by(events_table.c.at, events_table.c.id)
        ).mappings()
    ]
    exception = None
    exception_id = finding.get("exception_id") or ""
    if exception_id.startswith("db:") and exception_id[3:].isdigit():
        table = RiskExceptionRow.__table__
        found = session.exec(select(table).where(table.c.id == int(exception_id[3:]))).mappings().first()
        exception = dict(found) if found is not None else None
    return {
        "finding": finding,
        "triage": dict(triage) if triage else None,
        "comments": comments,
        "events": events,
        "exception": exception,
    }


def brief_rows(session: Session, finding_ids: list[int]) -> list[dict[str, Any]]:
    """The findings of ``finding_ids`` in brief (id, rule, severity, category, status, message, evidence: for its
    readable text), most severe first:
    what a bulk action is about to change."""
    query = (
        select(_F.c.id, _F.c.rule, _F.c.severity, _F.c.category, _F.c.status, _F.c.message, _F.c.evidence)
        .where(_F.c.id.in_(finding_ids))
        .order_by(_F.c.severity_rank.desc(), _F.c.id)
    )
    return [dict(row) for row in session.exec(query).mappings()]


def export_rows(db: Database, flt: FindingFilter) -> Iterator[dict[str, Any]]:
    """Every finding of the filter as a dict of ``EXPORT_FIELDS`` (JSON-ready), in id order, read in chunks."""
    columns = [_F.c[key] for key in FINDING_FIELDS]
    columns += [_T.c.assignee, _T.c.acknowledged_at, _T.c.acknowledged_by, _F.c.exception_id]
    last_id = 0
    while True:
        query = (
            select(*columns)
            .select_from(_F.outerjoin(_T, _T.c.finding_id == _F.c.id))
            .where(*flt.clauses(), _F.c.id > last_id)
            .order_by(_F.c.id)
            .limit(EXPORT_CHUNK)
        )
        with db.session() as session:
            chunk = [dict(row) for row in session.exec(query).mappings()]
        for row in chunk:
            yield {key: _plain(row.get(key)) for key in EXPORT_FIELDS}
        if len(chunk) < EXPORT_CHUNK:
            return
        last_id = chunk[-1]["id"]
