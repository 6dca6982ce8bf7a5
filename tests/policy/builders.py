"""Small in-memory snapshots, people and contexts for the policy tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from auditor.config import MatchingSettings
from auditor.matching import link_accounts
from auditor.model import (
    Account,
    AccountKind,
    App,
    Asset,
    AuditEvent,
    Capabilities,
    Grant,
    Person,
    PersonKind,
    PersonStatus,
    Tenant,
    TenantSnapshot,
)
from auditor.policy.facts import EvaluationContext

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PLATFORM = "shop-meta"
TENANT = "biz-1"
POLICIES = Path(__file__).resolve().parents[2] / "policies"
FULL = Capabilities(per_user_2fa=True, tenant_2fa=True, app_scopes=True, audit_log=True, account_emails=True)


def ago(days: float) -> datetime:
    """A moment ``days`` before NOW."""
    return NOW - timedelta(days=days)


def person(
    uid: str,
    *emails: str,
    status: str = "active",
    kind: str = "employee",
    left_days: float | None = None,
    end_days: int | None = None,
) -> Person:
    """A directory person; ``left_days`` sets status_changed, ``end_days`` the end date relative to NOW."""
    return Person(
        uid=uid,
        display_name=uid.title(),
        emails=emails or (f"{uid}@corp.example",),
        kind=PersonKind(kind),
        status=PersonStatus(status),
        status_changed=ago(left_days) if left_days is not None else None,
        end_date=(NOW.date() + timedelta(days=end_days)) if end_days is not None else None,
    )


def user(
    account_id: str,
    *emails: str,
    two_factor: bool | None = True,
    kind: str = "user",
    state: str | None = None,
    created_days: float | None = None,
    **extra: Any,
) -> Account:
    """A platform account (a human user unless ``kind`` says otherwise)."""
    account_kind = AccountKind(kind)
    default_state = "pending" if account_kind == AccountKind.INVITATION else "active"
    return Account(
        account_id=account_id,
        kind=account_kind,
        name=account_id.title(),
        emails=emails,
        two_factor=two_factor,
        state=state or default_state,
        created_at=ago(created_days) if created_days is not None else None,
        **extra,
    )


def grant(
    account_id: str, asset_id: str | None = None, role: str = "EMPLOYEE", privileged: bool = False
) -> Grant:
    """A grant of ``role`` on an asset (None: on the tenant)."""
    return Grant(account_id=account_id, asset_id=asset_id, role=role, privileged=privileged)


def event(
    actor: str | None,
    days_ago: float,
    *,
    target: str | None = None,
    asset: str | None = "act_1",
    action: str = "activity",
) -> AuditEvent:
    """An audit event ``days_ago`` before NOW."""
    return AuditEvent(
        event_id=f"{actor}-{target}-{days_ago}",
        time=ago(days_ago),
        action=action,
        raw_action=action,
        actor_id=actor,
        target_id=target,
        asset_id=asset,
    )


def snapshot(
    accounts: Iterable[Account] = (),
    grants: Iterable[Grant] = (),
    *,
    assets: Iterable[Asset] = (),
    apps: Iterable[App] = (),
    events: Iterable[AuditEvent] = (),
    two_factor: str | None = "all",
    capabilities: Capabilities = FULL,
    activity_since: datetime | None = None,
    complete: bool = True,
    errors: Iterable[str] = (),
    platform: str = PLATFORM,
    kind: str = "test",
    tenant_id: str = TENANT,
) -> TenantSnapshot:
    """A snapshot of one tenant (kind "meta" declares Meta's audit log: ad accounts only)."""
    if kind == "meta":
        capabilities = dataclasses.replace(capabilities, audit_log_asset_kinds=("ad_account",))
    return TenantSnapshot(
        platform=platform,
        kind=kind,
        tenant=Tenant(platform=platform, tenant_id=tenant_id, name="Shop", two_factor_required=two_factor),
        capabilities=capabilities,
        accounts=list(accounts),
        assets=list(assets),
        grants=list(grants),
        apps=list(apps),
        events=list(events),
        activity_since=activity_since,
        complete=complete,
        errors=list(errors),
    )


def context(
    snapshots: TenantSnapshot | list[TenantSnapshot],
    people: Iterable[Person] = (),
    settings: MatchingSettings | None = None,
    now: datetime = NOW,
) -> EvaluationContext:
    """An evaluation context with the accounts linked by the real matcher."""
    snaps = snapshots if isinstance(snapshots, list) else [snapshots]
    people = list(people)
    links = link_accounts(snaps, people, settings or MatchingSettings(company_domains=["corp.example"]))
    return EvaluationContext(now=now, people=people, snapshots=snaps, links=links)


def asset(asset_id: str, kind: str = "page", name: str | None = None) -> Asset:
    """An asset."""
    return Asset(asset_id=asset_id, kind=kind, name=name or asset_id)


def end_date(days: int) -> date:
    """NOW's date plus ``days``."""
    return NOW.date() + timedelta(days=days)
