"""Small builders of snapshots, verdicts and scan records for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from auditor.model import (
    Account,
    AccountKind,
    App,
    Asset,
    AuditEvent,
    Capabilities,
    Grant,
    Person,
    Severity,
    Tenant,
    TenantSnapshot,
    Verdict,
)
from auditor.storage.repository import ScanRecord

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(days: int) -> datetime:
    """T0 plus ``days`` days."""
    return T0 + timedelta(days=days)


def person(uid: str, **fields) -> Person:
    """A directory person with an email derived from the uid."""
    return Person(uid=uid, display_name=fields.pop("display_name", uid.title()),
                  emails=fields.pop("emails", (f"{uid}@shop.example",)), **fields)


def account(account_id: str, **fields) -> Account:
    """A human user account."""
    return Account(account_id=account_id, kind=fields.pop("kind", AccountKind.USER),
                   name=fields.pop("name", account_id), **fields)


def snapshot(platform: str = "meta", tenant: str = "biz1", *, accounts=(), assets=(), grants=(), apps=(),
             events=(), complete: bool = True, errors=()) -> TenantSnapshot:
    """A tenant snapshot holding the given records."""
    return TenantSnapshot(
        platform=platform, kind="meta",
        tenant=Tenant(platform=platform, tenant_id=tenant, name=f"{tenant} name"),
        capabilities=Capabilities(per_user_2fa=True), accounts=list(accounts), assets=list(assets),
        grants=list(grants), apps=list(apps), events=list(events), complete=complete, errors=list(errors),
    )


def standard_snapshot(**overrides) -> TenantSnapshot:
    """Two accounts on two pages, one app, two events."""
    records = {
        "accounts": [account("u1", emails=("ann@shop.example",), two_factor=False),
                     account("u2", emails=("bob@shop.example",), two_factor=True)],
        "assets": [Asset("p1", "page", "Shop page"), Asset("p2", "page", "Outlet page")],
        "grants": [Grant("u1", "p1", "ADMIN", True), Grant("u2", "p2", "EDITOR", False),
                   Grant("u1", None, "ADMIN", True)],
        "apps": [App("app1", "Scheduler", ("pages_manage_posts",), granted_by="u1")],
        "events": [event("e1", 0), event("e2", 1)],
    }
    records.update(overrides)
    return snapshot(**records)


def event(event_id: str, hours: int, actor: str = "u1") -> AuditEvent:
    """A role_granted audit event ``hours`` after T0."""
    return AuditEvent(event_id=event_id, time=T0 + timedelta(hours=hours), action="role_granted",
                      raw_action="add_user", actor_id=actor, target_id="u2")


def verdict(rule: str = "missing-2fa", subject: str = "u1", *, platform: str | None = "meta",
            tenant: str | None = "biz1", category: str = "missing_2fa", severity: Severity = Severity.HIGH,
            **fields) -> Verdict:
    """A failing verdict."""
    return Verdict(rule=rule, category=category, severity=severity, outcome=fields.pop("outcome", "fail"),
                   subject=subject, platform=platform, tenant=tenant,
                   message=fields.pop("message", f"{rule} fails for {subject}"), **fields)


def record(when: datetime, snapshots, verdicts, *, directory_complete: bool = True,
           account_people=None) -> ScanRecord:
    """A scan record finishing at ``when``."""
    return ScanRecord(
        started_at=when - timedelta(minutes=5), finished_at=when, trigger="test", snapshots=list(snapshots),
        account_people=dict(account_people or {}), verdicts=list(verdicts),
        directory_complete=directory_complete,
        policy_hashes={"missing-2fa": "sha256:abc"},
    )
