"""The offboarding case in the database: open it, seed it from the last scan, apply a targeted check, close
it as clean, escalate it past its deadline, and read it back.

All functions take the caller's session (one transaction per use-case) and run a fixed number of queries;
item updates are executemany. Item states: ``present`` / ``gone`` (``gone_at`` = the first check that no
longer saw it) / ``unverified`` (its platform could not be read completely in the latest check).

The escalation finding (rule ``offboarding-deadline-missed``, critical) has tenant ``offboarding``: no scan
ever reads that scope completely, so only the case resolves it (when it closes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, func, insert, select, update
from sqlmodel import Session

from auditor.errors import AuditorError
from auditor.findings.lifecycle import fingerprint
from auditor.model import Severity
from auditor.offboarding.check import Observed, PlatformCheck, account_label, grant_label
from auditor.offboarding.tables import OffboardingCase, OffboardingCheck, OffboardingEvent, OffboardingItem
from auditor.storage.tables import DirectoryPerson, Finding, FindingEvent, InvAccount, InvApp, InvAsset, InvGrant

CASES = OffboardingCase.__table__
ITEMS = OffboardingItem.__table__
CHECKS = OffboardingCheck.__table__
EVENTS = OffboardingEvent.__table__
ESCALATION_RULE = "offboarding-deadline-missed"
ESCALATION_TENANT = "offboarding"
PRESENT, GONE, UNVERIFIED = "present", "gone", "unverified"
_PEOPLE = DirectoryPerson.__table__


class CaseError(AuditorError):
    """A case cannot be opened or changed; ``field`` names the input at fault, ``status`` the HTTP answer."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


def _record(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in row.items()}


# ------------------------------------------------------------------------------------------------ people


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_person(session: Session, *, uid: str | None = None, email: str | None = None) -> dict[str, Any] | None:
    """The directory person with ``uid``, else the one whose addresses include ``email`` (CaseError 409 when
    several do)."""
    columns = (_PEOPLE.c.uid, _PEOPLE.c.display_name, _PEOPLE.c.emails, _PEOPLE.c.status, _PEOPLE.c.manager)
    if uid:
        row = session.execute(select(*columns).where(_PEOPLE.c.uid == uid)).mappings().first()
        return dict(row) if row is not None else None
    if not email:
        return None
    wanted = email.strip().lower()
    pattern = f'%"{_like_escape(wanted)}"%'
    rows = session.execute(select(*columns).where(
        func.lower(cast(_PEOPLE.c.emails, Text)).like(pattern, escape="\\"))).mappings().all()
    exact = [dict(r) for r in rows if wanted in {str(e).lower() for e in r["emails"] or ()}]
    if len(exact) > 1:
        names = ", ".join(sorted(r["uid"] for r in exact))
        raise CaseError(f"email: {email} belongs to several people ({names}); send the uid", field="email",
                        status=409)
    return exact[0] if exact else None


def known_accounts(session: Session, uid: str) -> dict[str, set[str]]:
    """Account ids the last scan linked to ``uid``, per platform (found even when no address matches)."""
    acc = InvAccount.__table__
    found: dict[str, set[str]] = {}
    rows = session.execute(select(acc.c.platform, acc.c.account_id)
                           .where(acc.c.person_uid == uid, acc.c.gone_at.is_(None)))
    for platform, account_id in rows:
        found.setdefault(platform, set()).add(account_id)
    return found


def inventory_items(session: Session, uid: str) -> list[tuple[str, str, Observed, datetime]]:
    """What the last scan saw ``uid`` hold: (platform, tenant, item, last seen), in three queries."""
    acc, grant, asset, app = InvAccount.__table__, InvGrant.__table__, InvAsset.__table__, InvApp.__table__
    held = and_(acc.c.person_uid == uid, acc.c.gone_at.is_(None))
    items: list[tuple[str, str, Observed, datetime]] = []
    for row in session.execute(select(acc).where(held)).mappings():
        kind = "invitation" if row["kind"] == "invitation" else "account"
        detail = {"account_kind": row["kind"], "name": row["name"], "emails": list(row["emails"] or []),
                  "state": row["state"]}
        label = account_label(row["kind"], row["name"], row["account_id"], row["emails"] or [])
        items.append((row["platform"], row["tenant"], Observed(kind, row["account_id"], "", "", label, False, detail),
                      row["last_seen"]))
    joined = and_(acc.c.platform == grant.c.platform, acc.c.tenant == grant.c.tenant,
                  acc.c.account_id == grant.c.account_id)
    on_asset = and_(asset.c.platform == grant.c.platform, asset.c.tenant == grant.c.tenant,
                    asset.c.asset_id == grant.c.asset_id)
    query = (select(grant.c.platform, grant.c.tenant, grant.c.account_id, grant.c.asset_id, grant.c.role,
                    grant.c.privileged, grant.c.last_seen, asset.c.kind.label("asset_kind"),
                    asset.c.name.label("asset_name"))
             .join(acc, joined).outerjoin(asset, on_asset).where(held, grant.c.gone_at.is_(None)))
    for row in session.execute(query).mappings():
        label = grant_label(row["role"], row["asset_kind"], row["asset_name"], row["asset_id"])
        observed = Observed("grant", row["account_id"], row["asset_id"], row["role"], label, bool(row["privileged"]),
                            {"asset_kind": row["asset_kind"], "asset_name": row["asset_name"]})
        items.append((row["platform"], row["tenant"], observed, row["last_seen"]))
    granted = and_(acc.c.platform == app.c.platform, acc.c.tenant == app.c.tenant, acc.c.account_id == app.c.granted_by)
    for row in session.execute(select(app).join(acc, granted).where(held, app.c.gone_at.is_(None))).mappings():
        observed = Observed("app", row["granted_by"], f"{row['app_id']}|{row['token_ref']}", "",
                            f"app {row['name'] or row['app_id']} authorised", False,
                            {"scopes": list(row["scopes"] or [])})
        items.append((row["platform"], row["tenant"], observed, row["last_seen"]))
    return items


# ------------------------------------------------------------------------------------------- open a case


def event_case_id(session: Session, event_id: str) -> int | None:
    """The case an already received webhook event opened (None for a new event id)."""
    return session.execute(select(EVENTS.c.case_id).where(EVENTS.c.event_id == event_id)).scalar_one_or_none()


def open_case_id(session: Session, uid: str) -> int | None:
    """The person's open case, if any."""
    return session.execute(select(CASES.c.id).where(CASES.c.open_key == uid)).scalar_one_or_none()


def insert_case(session: Session, *, uid: str, display_name: str | None, emails: Iterable[str], last_working_day: date,
                manager: str | None, source: str, opened_by: str, now: datetime, deadline: datetime) -> int:
    """Insert an open case (IntegrityError when the person already has one open)."""
    return session.execute(insert(CASES).values(
        uid=uid, open_key=uid, display_name=display_name, emails=sorted({e.lower() for e in emails}),
        last_working_day=last_working_day, manager=manager, source=source, opened_by=opened_by, opened_at=now,
        deadline=deadline, status="open", checks=0,
    ).returning(CASES.c.id)).scalar_one()


def insert_event(session: Session, event_id: str, case_id: int, now: datetime, digest: str) -> None:
    """Remember a webhook event id (IntegrityError when it is a replay)."""
    session.execute(insert(EVENTS).values(event_id=event_id, case_id=case_id, received_at=now, body_sha256=digest))


def seed_items(session: Session, case_id: int, known: list[tuple[str, str, Observed, datetime]], now: datetime) -> int:
    """The case's first items: what the last scan saw (``present`` as of that scan, source ``inventory``)."""
    rows = [_item_row(case_id, plat, tenant, item, seen, "inventory", now) for plat, tenant, item, seen in known]
    rows = list({(r["platform"], r["tenant"], r["kind"], r["account_id"], r["object_id"], r["role"]): r
                 for r in rows}.values())
    if rows:
        session.execute(insert(ITEMS), rows)
    return len(rows)


def _item_row(case_id: int, platform: str, tenant: str, item: Observed, seen: datetime, source: str,
              now: datetime) -> dict[str, Any]:
    return {"case_id": case_id, "platform": platform, "tenant": tenant, "kind": item.kind,
            "account_id": item.account_id, "object_id": item.object_id, "role": item.role, "label": item.label,
            "privileged": item.privileged, "state": PRESENT, "source": source, "first_seen_at": seen,
            "last_seen_at": seen, "gone_at": None, "last_checked_at": now if source == "check" else None,
            "detail": dict(item.detail)}


# ----------------------------------------------------------------------------------------- apply a check


def case_row(session: Session, case_id: int) -> dict[str, Any]:
    """The stored case (CaseError 404 when there is none)."""
    row = session.execute(select(CASES).where(CASES.c.id == case_id)).mappings().first()
    if row is None:
        raise CaseError(f"no offboarding case #{case_id}", status=404)
    return dict(row)


def apply_check(session: Session, case_id: int, checks: list[PlatformCheck], now: datetime) -> dict[str, int]:
    """Record a check's answers and bring every item's state up to date; returns counts by state."""
    stored = [dict(r) for r in session.execute(select(ITEMS).where(ITEMS.c.case_id == case_id)).mappings()]
    by_platform: dict[str, list[dict[str, Any]]] = {}
    for row in stored:
        by_platform.setdefault(row["platform"], []).append(row)
    inventory_apps = _inventory_apps(session, [r for r in stored if r["kind"] == "app"])
    new_rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    check_rows = []
    for check in checks:
        check_rows.append({"case_id": case_id, "platform": check.platform, "tenant": check.tenant, "checked_at": now,
                           "status": check.status, "errors": check.errors, "seconds": round(check.seconds, 3),
                           "counts": {"items": len(check.items)}})
        rows = by_platform.get(check.platform, [])
        known = {(r["tenant"], r["kind"], r["account_id"], r["object_id"], r["role"]): r for r in rows}
        seen: set[int] = set()
        for item in check.items:
            row = known.get((check.tenant, *item.key))
            if row is None:
                new_rows.append(_item_row(case_id, check.platform, check.tenant or "", item, now, "check", now))
                known[(check.tenant, *item.key)] = new_rows[-1]
                continue
            if "id" not in row or row["id"] in seen:
                continue
            seen.add(row["id"])
            changed.append({**_update(row, now), "state": PRESENT, "last_seen_at": now, "gone_at": None,
                            "label": item.label, "privileged": item.privileged, "detail": dict(item.detail)})
        for row in rows:
            if row["id"] in seen:
                continue
            changed.append(_unseen(row, check, now, inventory_apps))
    if new_rows:
        session.execute(insert(ITEMS), new_rows)
    if changed:
        session.execute(update(ITEMS).where(ITEMS.c.id == bindparam("b_id")), changed)
    if check_rows:
        session.execute(insert(CHECKS), check_rows)
    session.execute(update(CASES).where(CASES.c.id == case_id).values(last_checked_at=now, checks=CASES.c.checks + 1))
    return item_counts(session, case_id)


def _update(row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    keys = ("state", "last_seen_at", "gone_at", "label", "privileged", "detail")
    return {"b_id": row["id"], **{k: row[k] for k in keys}, "last_checked_at": now}


def _unseen(row: dict[str, Any], check: PlatformCheck, now: datetime,
            inventory_apps: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """The new state of an item a check did not see."""
    values = _update(row, now)
    if row["state"] == GONE:
        return values
    if check.status == "complete" and row["kind"] in check.covered:
        values.update(state=GONE, gone_at=now)
    elif check.status != "failed" and row["kind"] not in check.covered and row["id"] in inventory_apps:
        inv = inventory_apps[row["id"]]  # the check cannot see it: the last scan's word stands
        values.update(state=GONE if inv["gone_at"] else PRESENT, gone_at=inv["gone_at"],
                      last_seen_at=inv["last_seen"])
    else:
        values.update(state=UNVERIFIED)
    return values


def _inventory_apps(session: Session, rows: list[Mapping[str, Any]]) -> dict[int, Mapping[str, Any]]:
    """The inventory rows of the case's app items (item id -> gone_at / last_seen)."""
    if not rows:
        return {}
    app = InvApp.__table__
    wanted = {(r["platform"], r["tenant"], r["account_id"], r["object_id"]): r["id"] for r in rows}
    accounts = sorted({r["account_id"] for r in rows})
    found: dict[int, Mapping[str, Any]] = {}
    query = select(app.c.platform, app.c.tenant, app.c.granted_by, app.c.app_id, app.c.token_ref, app.c.gone_at,
                   app.c.last_seen).where(app.c.granted_by.in_(accounts))
    for row in session.execute(query).mappings():
        item_id = wanted.get((row["platform"], row["tenant"], row["granted_by"], f"{row['app_id']}|{row['token_ref']}"))
        if item_id is not None:
            found[item_id] = row
    return found


def item_rows(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's items as stored."""
    return [dict(r) for r in session.execute(select(ITEMS).where(ITEMS.c.case_id == case_id)
                                             .order_by(ITEMS.c.id)).mappings()]


def item_counts(session: Session, case_id: int) -> dict[str, int]:
    """Items of the case by state."""
    rows = session.execute(select(ITEMS.c.state, func.count()).where(ITEMS.c.case_id == case_id)
                           .group_by(ITEMS.c.state))
    counts = {PRESENT: 0, GONE: 0, UNVERIFIED: 0}
    counts.update({state: int(n) for state, n in rows})
    return counts


# -------------------------------------------------------------------------------------- close, escalate


def close_clean(session: Session, case_id: int, now: datetime) -> bool:
    """Close the open case as clean (every item gone) and resolve its escalation finding, if any; False when
    another check closed it first (compare-and-set on the status)."""
    closed = session.execute(update(CASES).where(CASES.c.id == case_id, CASES.c.status == "open").values(
        status="closed", resolution="clean", closed_at=now, open_key=None)).rowcount
    if not closed:
        return False
    case = case_row(session, case_id)
    if case["escalation_finding"]:
        table = Finding.__table__
        finding_id = session.execute(
            update(table).where(table.c.fingerprint == case["escalation_finding"], table.c.status == "open")
            .values(status="resolved", resolved_at=now, last_seen=now).returning(table.c.id)).scalar_one_or_none()
        if finding_id is not None:
            session.execute(insert(FindingEvent.__table__).values(finding_id=finding_id, scan_id=None, at=now,
                                                                  change="resolved"))
    return True


def escalate(session: Session, case_id: int, now: datetime) -> dict[str, Any] | None:
    """Mark the case escalated and open its critical finding; returns the finding, or None when another check
    escalated it first (compare-and-set on ``escalated_at``)."""
    subject = f"offboarding-case:{case_id}"
    fp = fingerprint(ESCALATION_RULE, None, ESCALATION_TENANT, subject)
    claimed = session.execute(update(CASES).where(CASES.c.id == case_id, CASES.c.escalated_at.is_(None)).values(
        escalated_at=now, escalation_finding=fp)).rowcount
    if not claimed:
        return None
    case = case_row(session, case_id)
    left = [dict(r) for r in session.execute(
        select(ITEMS.c.platform, ITEMS.c.label, ITEMS.c.state, ITEMS.c.last_seen_at)
        .where(ITEMS.c.case_id == case_id, ITEMS.c.state != GONE)
        .order_by(ITEMS.c.platform, ITEMS.c.kind, ITEMS.c.label)).mappings()]
    platforms = sorted({r["platform"] for r in left})
    who = f"{case['display_name']} ({case['uid']})" if case["display_name"] else case["uid"]
    message = (f"Access of {who} was not revoked by the deadline {case['deadline']:%Y-%m-%d %H:%M} UTC "
               f"(last working day {case['last_working_day']}): {len(left)} item(s) still present or unverified"
               + (f" on {', '.join(platforms)}" if platforms else ""))
    finding = {
        "fingerprint": fp, "rule": ESCALATION_RULE, "category": "orphaned_access", "severity": Severity.CRITICAL.value,
        "severity_rank": Severity.CRITICAL.rank, "outcome": "fail", "status": "open", "subject": subject,
        "platform": None, "tenant": ESCALATION_TENANT, "person": case["uid"], "message": message,
        "evidence": {"case_id": case_id, "deadline": case["deadline"].isoformat(),
                     "last_working_day": case["last_working_day"].isoformat(),
                     "remaining": [{"platform": r["platform"], "item": r["label"], "state": r["state"],
                                    "last_seen": r["last_seen_at"].isoformat()} for r in left[:200]],
                     "control": "terminated access revoked within one business day (ISO 27001 A.5.18)"},
        "first_seen": now, "last_seen": now,
    }
    table = Finding.__table__
    existing = session.execute(select(table.c.id).where(table.c.fingerprint == fp)).scalar_one_or_none()
    if existing is None:
        finding_id = session.execute(insert(table).values(**finding).returning(table.c.id)).scalar_one()
        change = "opened"
    else:
        finding_id = existing
        session.execute(update(table).where(table.c.id == existing).values(
            status="open", resolved_at=None, last_seen=now, message=message, evidence=finding["evidence"]))
        change = "reopened"
    session.execute(insert(FindingEvent.__table__).values(finding_id=finding_id, scan_id=None, at=now, change=change))
    return {**_record(finding), "id": finding_id, "remaining": left}


# ------------------------------------------------------------------------------------------------- reads


def case_view(session: Session, case_id: int) -> dict[str, Any]:
    """The case with its items, the latest check of each platform, and its revocations (JSON-ready)."""
    from auditor.offboarding.revocation import revocations_of

    case = _record(case_row(session, case_id))
    case.pop("open_key", None)
    items = [_record(r) for r in session.execute(
        select(ITEMS).where(ITEMS.c.case_id == case_id)
        .order_by(ITEMS.c.platform, ITEMS.c.kind, ITEMS.c.account_id, ITEMS.c.object_id, ITEMS.c.role)).mappings()]
    latest = select(CHECKS.c.platform, func.max(CHECKS.c.id).label("id")).where(CHECKS.c.case_id == case_id) \
        .group_by(CHECKS.c.platform).subquery()
    platforms = [_record(r) for r in session.execute(
        select(CHECKS.c.platform, CHECKS.c.tenant, CHECKS.c.checked_at, CHECKS.c.status, CHECKS.c.errors,
               CHECKS.c.seconds).join(latest, latest.c.id == CHECKS.c.id).order_by(CHECKS.c.platform)).mappings()]
    counts = {PRESENT: 0, GONE: 0, UNVERIFIED: 0}
    for item in items:
        counts[item["state"]] = counts.get(item["state"], 0) + 1
    return {**case, "counts": counts, "platforms": platforms, "items": items,
            "revocations": revocations_of(session, case_id)}


def list_cases(session: Session, *, status: str | None = None, uid: str | None = None, limit: int = 50,
               offset: int = 0) -> list[dict[str, Any]]:
    """Cases, newest first, each with its item counts (two queries)."""
    query = select(CASES).order_by(CASES.c.id.desc()).limit(limit).offset(offset)
    if status:
        query = query.where(CASES.c.status == status)
    if uid:
        query = query.where(CASES.c.uid == uid)
    cases = [_record(r) for r in session.execute(query).mappings()]
    by_id = {c["id"]: {**c, "counts": {PRESENT: 0, GONE: 0, UNVERIFIED: 0}} for c in cases}
    if by_id:
        rows = session.execute(select(ITEMS.c.case_id, ITEMS.c.state, func.count())
                               .where(ITEMS.c.case_id.in_(list(by_id))).group_by(ITEMS.c.case_id, ITEMS.c.state))
        for case_id, state, count in rows:
            by_id[case_id]["counts"][state] = int(count)
    for case in by_id.values():
        case.pop("open_key", None)
    return list(by_id.values())


def open_case_ids(session: Session) -> list[int]:
    """Ids of every open case, oldest first."""
    return list(session.execute(select(CASES.c.id).where(CASES.c.status == "open").order_by(CASES.c.id)).scalars())


def overdue(case: Mapping[str, Any], now: datetime) -> bool:
    """True when an open, not yet escalated case is past its deadline."""
    return case["status"] == "open" and case["escalated_at"] is None and now > case["deadline"]

