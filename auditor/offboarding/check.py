"""The targeted check: what does this person hold on each platform right now, without a full scan.

Each configured platform's connector answers ``lookup(now=, emails=, account_ids=)`` (a cheap targeted read
where the connector has one, e.g. Meta's per-user views; otherwise a full fetch, filtered). The answer
becomes ``Observed`` items: accounts, pending invitations, grants and authorised apps, each with a stable
key. ``covered`` says which item kinds the answer can vouch for: an item of another kind that was not seen
is not evidence that it is gone (Meta's targeted read, for instance, does not re-read apps).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.config import PlatformSettings, Settings
from auditor.connectors.base import Connector, connector_for
from auditor.connectors.live import live_settings
from auditor.errors import AuditorError, ConfigError, ConnectorError
from auditor.model import AccountKind, TenantSnapshot

log = logging.getLogger("auditor.offboarding")

ITEM_KINDS = ("account", "invitation", "grant", "app")
_ACCOUNT_LABELS = {AccountKind.USER: "user", AccountKind.SYSTEM_USER: "system user",
                   AccountKind.INVITATION: "pending invitation", AccountKind.APP: "app account"}

Key = tuple[str, str, str, str]
"""(kind, account id, object id, role): an item's identity within one platform tenant."""


@dataclass(frozen=True, slots=True)
class Observed:
    """One thing a person holds on one platform tenant."""

    kind: str  # account | invitation | grant | app
    account_id: str
    object_id: str
    role: str
    label: str
    privileged: bool = False
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> Key:
        """The item's identity within its platform tenant."""
        return (self.kind, self.account_id, self.object_id, self.role)


@dataclass(slots=True)
class PlatformCheck:
    """One platform's answer to a targeted check."""

    platform: str
    kind: str
    tenant: str | None
    status: str  # complete | partial | failed
    errors: list[str]
    items: list[Observed]
    covered: frozenset[str]
    seconds: float = 0.0


def account_label(kind: AccountKind | str, name: str | None, account_id: str, emails: Iterable[str]) -> str:
    """``user Jane Doe <jane@corp.example>`` style."""
    try:
        kind_label = _ACCOUNT_LABELS[AccountKind(kind)]
    except ValueError:
        kind_label = str(kind)
    addresses = ", ".join(emails)
    return f"{kind_label} {name or account_id}" + (f" <{addresses}>" if addresses else "")


def grant_label(role: str, asset_kind: str | None, asset_name: str | None, asset_id: str) -> str:
    """``ADVERTISE+ANALYZE on ad_account Kwiatek – Brand`` style ('the tenant' for a tenant role)."""
    if not asset_id:
        return f"{role} on the tenant"
    return f"{role} on {asset_kind or 'asset'} {asset_name or asset_id}"


def observed_items(snapshot: TenantSnapshot) -> list[Observed]:
    """The accounts, invitations, grants and authorised apps of a lookup snapshot."""
    assets = {a.asset_id: a for a in snapshot.assets}
    accounts = {a.account_id for a in snapshot.accounts}
    items: list[Observed] = []
    for account in snapshot.accounts:
        kind = "invitation" if account.kind == AccountKind.INVITATION else "account"
        detail = {"account_kind": account.kind.value, "name": account.name, "emails": list(account.emails),
                  "state": account.state}
        items.append(Observed(kind, account.account_id, "", "",
                              account_label(account.kind, account.name, account.account_id, account.emails),
                              False, detail))
    for grant in snapshot.grants:
        asset = assets.get(grant.asset_id or "")
        asset_kind, asset_name = (asset.kind, asset.name) if asset else (None, None)
        items.append(Observed("grant", grant.account_id, grant.asset_id or "", grant.role,
                              grant_label(grant.role, asset_kind, asset_name, grant.asset_id or ""),
                              grant.privileged, {"asset_kind": asset_kind, "asset_name": asset_name}))
    for app in snapshot.apps:
        if app.granted_by in accounts:
            items.append(Observed("app", app.granted_by or "", f"{app.app_id}|{app.token_ref or ''}", "",
                                  f"app {app.name or app.app_id} authorised", False,
                                  {"scopes": list(app.scopes or [])}))
    return items


def covered_kinds(connector: Connector) -> frozenset[str]:
    """Item kinds a connector's lookup re-reads: everything for the default (full fetch, filtered)."""
    if type(connector).lookup is Connector.lookup:
        return frozenset(ITEM_KINDS)
    return frozenset({"account", "invitation", "grant"})


def check_platform(settings: Settings, platform: PlatformSettings, emails: Iterable[str],
                   account_ids: Iterable[str], now: datetime) -> PlatformCheck:
    """One platform's targeted check; a failure becomes a ``failed`` check naming the platform."""
    started = time.perf_counter()
    tenant = platform.business_id or platform.tenant_id
    try:
        connector = connector_for(settings, platform)
        snapshot = connector.lookup(now=now, emails=list(emails), account_ids=list(account_ids))
    except ConfigError as exc:
        return PlatformCheck(platform.name, platform.kind, tenant, "failed", [str(exc)], [], frozenset(),
                             time.perf_counter() - started)
    except (ConnectorError, AuditorError) as exc:
        log.warning("offboarding check: %s", exc)
        message = str(exc) if str(exc).startswith(platform.name) else f"{platform.name}: {exc}"
        return PlatformCheck(platform.name, platform.kind, tenant, "failed", [message], [], frozenset(),
                             time.perf_counter() - started)
    status = "complete" if snapshot.complete else "partial"
    return PlatformCheck(platform.name, platform.kind, snapshot.tenant.tenant_id, status, list(snapshot.errors),
                         observed_items(snapshot), covered_kinds(connector), time.perf_counter() - started)


def check_all(settings: Settings, emails: Iterable[str], account_ids: Mapping[str, Iterable[str]],
              now: datetime) -> list[PlatformCheck]:
    """Check every configured platform concurrently (sandbox platforms through their emulators)."""
    emails = sorted({e.strip().lower() for e in emails if e and e.strip()})
    if not settings.platform:
        return []
    with live_settings(settings, now=now) as live:
        workers = max(1, min(4, len(live.platform)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="offboarding") as pool:
            futures = [pool.submit(check_platform, live, p, emails, sorted(account_ids.get(p.name, ())), now)
                       for p in live.platform]
            return [future.result() for future in futures]
