"""Small, controlled records in the auditor's database for the retention and erasure tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, insert

from auditor.storage.db import Database
from auditor.storage.tables import (
    AuditEventRow,
    DirectoryPerson,
    Finding,
    FindingEvent,
    InvAccount,
    InvGrant,
    ManualLinkRow,
    PersonChange,
    Scan,
    ScanPlatform,
    UTCDateTime,
)

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PLATFORM, TENANT = "Kwiatek on Meta", "1234567890"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def person(uid: str, name: str, status: str = "active", left_days: int | None = None,
           end: date | None = None) -> dict[str, Any]:
    changed = ago(left_days) if left_days is not None else None
    return {"uid": uid, "display_name": name, "emails": [f"{uid}@kwiatek.example"], "department": "Marketing",
            "manager": "boss", "kind": "employee", "status": status, "status_changed": changed, "end_date": end,
            "dn": f"uid={uid},ou=people,dc=kwiatek,dc=example", "first_seen": ago(3000), "last_seen": ago(1)}


def account(account_id: str, uid: str | None, name: str, *, gone: bool = True,
            emails: list[str] | None = None) -> dict[str, Any]:
    return {"platform": PLATFORM, "tenant": TENANT, "account_id": account_id, "kind": "user", "name": name,
            "emails": emails if emails is not None else [f"{uid}@kwiatek.example"] if uid else [], "two_factor": True,
            "state": "active", "person_uid": uid, "raw": {"name": name}, "first_seen": ago(2500),
            "last_seen": ago(1900) if gone else ago(1), "gone_at": ago(1900) if gone else None}


def event(event_id: str, actor: str, actor_name: str, days: float, *, target: str | None = None,
          target_name: str | None = None) -> dict[str, Any]:
    return {"platform": PLATFORM, "tenant": TENANT, "event_id": event_id, "time": ago(days), "action": "activity",
            "raw_action": "update_campaign_budget", "actor_id": actor, "actor_name": actor_name, "target_id": target,
            "target_name": target_name, "asset_id": "act_1", "raw": {"actor_name": actor_name}}


def finding(fid: int, subject: str, person_uid: str | None, account_id: str | None, message: str,
            evidence: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": fid, "fingerprint": f"fp-{fid}", "rule": "orphaned-access", "category": "orphaned_access",
            "severity": "high", "severity_rank": 3, "outcome": "fail", "status": "resolved", "subject": subject,
            "platform": PLATFORM, "tenant": TENANT, "account": account_id, "account_email": None, "person": person_uid,
            "asset": None, "role": None, "message": message, "evidence": evidence or {}, "first_seen": ago(2000),
            "last_seen": ago(1900)}


def load(db: Database, **tables: list[dict[str, Any]]) -> None:
    """Insert rows per table name: people, changes, accounts, grants, events, findings, scans, links."""
    model = {"people": DirectoryPerson, "changes": PersonChange, "accounts": InvAccount, "grants": InvGrant,
             "events": AuditEventRow, "findings": Finding, "scans": Scan, "scan_platforms": ScanPlatform,
             "finding_events": FindingEvent, "links": ManualLinkRow}
    with db.session() as session:
        for name in ("people", "changes", "accounts", "grants", "events", "scans", "scan_platforms", "findings",
                     "finding_events", "links"):
            if tables.get(name):
                session.exec(insert(model[name].__table__), params=tables[name])


def the_leavers(db: Database) -> None:
    """An active person, a recent leaver (inside the legal hold), an old leaver (hold over), their accounts,
    events, findings and directory history."""
    load(
        db,
        people=[person("anowak", "Anna Nowak"), person("trecent", "Tomasz Recent", "departed", 100),
                person("told", "Teresa Old", "departed", 2000)],
        changes=[{"uid": "told", "at": ago(2000), "field": "status", "old": "active", "new": "departed"},
                 {"uid": "told", "at": ago(2100), "field": "display_name", "old": "Teresa Older",
                  "new": "Teresa Old"}],
        accounts=[account("900", "anowak", "Anna Nowak", gone=False), account("901", "trecent", "Tomasz Recent"),
                  account("902", "told", "Teresa Old")],
        grants=[{"platform": PLATFORM, "tenant": TENANT, "account_id": "902", "asset_id": "act_1", "role": "ADVERTISE",
                 "privileged": False, "raw": {"name": "Teresa Old"}, "first_seen": ago(2500), "last_seen": ago(1900),
                 "gone_at": ago(1900)}],
        events=[event("e-active-old", "900", "Anna Nowak", 500), event("e-active-new", "900", "Anna Nowak", 10),
                event("e-recent-old", "901", "Tomasz Recent", 500),
                event("e-old-old", "902", "Teresa Old", 1950, target="900", target_name="Anna Nowak"),
                event("e-on-old", "900", "Anna Nowak", 1960, target="902", target_name="Teresa Old")],
        findings=[finding(1, "account:902", "told", "902",
                          "Teresa Old (told@kwiatek.example) belongs to told, who is departed",
                          {"name": "Teresa Old", "emails": ["told@kwiatek.example"], "uid": "told"}),
                  finding(2, "account:900", "anowak", "900", "Anna Nowak has no two-factor authentication")],
        links=[{"platform": PLATFORM, "account_id": "902", "email": None, "uid": "told", "note": "old alias",
                "created_at": ago(2400)}],
    )


def scratch_offboarding(db: Database) -> None:
    """Offboarding-shaped tables of our own (the real ones belong to the offboarding area): a case, its items
    and the items' checks, linked by foreign keys."""
    meta = MetaData()
    case = Table("scratch_case", meta, Column("id", Integer, primary_key=True), Column("uid", String),
                 Column("status", String), Column("closed_at", UTCDateTime()))
    item = Table("scratch_item", meta, Column("id", Integer, primary_key=True),
                 Column("case_id", Integer, ForeignKey("scratch_case.id")))
    check = Table("scratch_check", meta, Column("id", Integer, primary_key=True),
                  Column("item_id", Integer, ForeignKey("scratch_item.id")))
    meta.create_all(db.engine)
    with db.session() as session:
        session.exec(insert(case), params=[{"id": 1, "uid": "told", "status": "closed", "closed_at": ago(2000)},
                                           {"id": 2, "uid": "trecent", "status": "closed", "closed_at": ago(30)},
                                           {"id": 3, "uid": "anowak", "status": "open", "closed_at": None}])
        session.exec(insert(item), params=[{"id": 10, "case_id": 1}, {"id": 11, "case_id": 1},
                                           {"id": 12, "case_id": 2}])
        session.exec(insert(check), params=[{"id": 100, "item_id": 10}, {"id": 101, "item_id": 12}])
