"""The Pinterest connector: members, system users, partners, asset permissions and invites (API v5, read-only).

Settings: ``tenant_id`` (or ``business_id``) is the Pinterest business id; ``options``: ``business_name``
(the member endpoints carry no business name), ``workers`` (concurrent reads, default 4), ``max_wait``.

Failure policy of ``fetch``:

- A rejected token (401) anywhere raises ``ConnectorAuthError``.
- The members list (``/businesses/{id}/members``) is the core read: any failure raises (a 403 as
  ``ConnectorPermissionError`` naming ``biz_access:read``).
- The asset list is read once per asset type (the API lists ad accounts only unless ``asset_type`` is given).
  System users, invites and the asset list are recorded in ``snapshot.errors`` when they fail (``complete``
  False); the partner list failing is scope ``tenant``; an asset whose members or partners fail is scope
  ``asset:<id>``. The rest is kept.
"""

from __future__ import annotations

import dataclasses
import functools
from datetime import datetime
from typing import Any

import httpx

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, SecretResolver, register
from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.jobs import Job, bind, gather
from auditor.connectors.pinterest import dialect
from auditor.connectors.pinterest.mapping import (
    asset_from,
    asset_grant,
    asset_member_account,
    business_grant,
    invitation_account,
    invite_status,
    is_live_invite,
    member_account,
    member_id,
    partner_account,
    tenant_from,
    user_of,
)
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Account, AccountKind, Asset, Capabilities, Grant, TenantSnapshot

DEFAULT_BASE_URL = "https://api.pinterest.com/v5"
REQUIRED_SCOPES = ("biz_access:read",)
ASSET_TYPES = ("AD_ACCOUNT", "PROFILE", "CATALOG", "ASSET_GROUP")
"""The asset types listed, one call each (the response type AssetTypeResponse knows no other)."""
HOLDERS = (("members", {"fetch_system_users": "false"}), ("members", {"fetch_system_users": "true"}),
           ("partners", {}))
"""Per asset: its members, its system users and the partner businesses holding it."""


class PinterestOptions(ConnectorOptions):
    """Pinterest's options: ``business_name``, the tenant's name when the API does not give one."""

    business_name: str | None = None


@register
class PinterestConnector(Connector):
    """Pinterest Business Access: members, system users, per-asset permissions, pending invites."""

    kind = "pinterest"
    Options = PinterestOptions
    options: PinterestOptions
    capabilities = Capabilities(
        account_emails=True,
        notes=(
            "Pinterest does not expose 2FA, per member or as a business policy",
            "Pinterest has no audit or activity log API: dormant access and activity after a departure cannot "
            "be judged",
            "Pinterest lists no connected apps and has no token introspection API (the token debugger is a web "
            "page): app scopes are not verified",
            "partner businesses are read as partner accounts with their permissions per asset; the people "
            "inside a partner business are not listed",
            "only PENDING membership invites (and invites in an unknown status) are live; accepted, declined, "
            "cancelled and expired ones are kept on the tenant as evidence",
        ),
    )

    def __init__(self, settings: PlatformSettings, secret: SecretResolver, *,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(settings, secret)
        self._transport = transport

    # -- plumbing ------------------------------------------------------------------------------------------

    def _business_id(self) -> str:
        value = self.settings.tenant_id or self.settings.business_id
        if not value:
            raise ConfigError(f"platform {self.name!r}: tenant_id (the Pinterest business id) is not set")
        return str(value)

    def _client(self, token: str) -> HttpClient:
        return HttpClient(
            self.name,
            self.settings.base_url or DEFAULT_BASE_URL,
            auth=lambda: {"Authorization": f"Bearer {token}"},
            **self.client_settings(),
            error_info=dialect.error_info,
            secrets=[token],
            transport=self._transport,
        )

    def _read(self, client: HttpClient, path: str, params: dict[str, Any]) -> list[Any]:
        rows: list[Any] = []
        for page in dialect.read_items(client, path, params, self.settings.page_size):
            rows.extend(page)
        return rows

    # -- check ---------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Probe the token and its access to the business's members, invites and assets."""
        try:
            business = self._business_id()
            token = self.token()
        except ConfigError as exc:
            return [str(exc)]
        problems: list[str] = []
        with self._client(token) as client:
            for path in ("members", "invites", "assets", "partners"):
                try:
                    client.get_json(f"businesses/{business}/{path}", {"page_size": 1})
                except ConnectorAuthError as exc:
                    return [str(exc)]
                except ConnectorError as exc:
                    problems.append(str(exc))
        return problems

    # -- fetch ---------------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the whole business; see the module docstring for the failure policy."""
        business = self._business_id()
        token = self.token()
        base = f"businesses/{business}"
        errors: list[str] = []
        scopes: dict[str, str] = {}
        with self._client(token) as client, self.worker_pool() as pool:
            read = functools.partial(self._read, client)
            members, system, invites, partners, *asset_rows = gather(pool, [
                ("members", bind(read, f"{base}/members", {"fetch_system_users": "false"})),
                ("system_users", bind(read, f"{base}/members", {"fetch_system_users": "true"})),
                ("invites", bind(read, f"{base}/invites", {"is_member": "true"})),
                ("partners", bind(self._scoped, scopes, "tenant", read, f"{base}/partners",
                                  {"partner_type": "INTERNAL"})),
                *((f"assets:{t}", bind(read, f"{base}/assets", {"asset_type": t})) for t in ASSET_TYPES),
            ], errors, core=frozenset({"members"}))
            assets = self._assets([row for rows in asset_rows for row in rows or []], errors)
            jobs: list[Job] = [
                (f"{a.asset_id}:{what}", bind(self._scoped, scopes, f"asset:{a.asset_id}", read,
                                              f"{base}/assets/{a.asset_id}/{what}", params))
                for a in assets for what, params in HOLDERS
            ]
            holders = gather(pool, jobs, errors)
        snap = TenantSnapshot(platform=self.name, kind=self.kind,
                              tenant=tenant_from(self.name, business, self.options.business_name),
                              capabilities=dataclasses.replace(self.capabilities), assets=assets)
        snap.accounts = self._members(members, False, errors) + self._members(system or [], True, errors)
        snap.accounts += self._invitations(invites or [], snap, errors)
        snap.accounts += [partner_account(item) for item in partners or [] if member_id(item)]
        snap.grants = [business_grant(a) for a in snap.accounts if a.kind != AccountKind.PARTNER]
        snap.grants += self._asset_grants(assets, holders, snap.accounts, errors)
        snap.errors = errors
        snap.complete = not errors
        for scope, reason in scopes.items():
            snap.scope_failed(scope, reason)
        return snap

    @staticmethod
    def _scoped(scopes: dict[str, str], scope: str, read: Any, path: str, params: dict[str, Any]) -> list[Any]:
        """One read whose failure (a rejected token aside) marks ``scope`` incomplete instead of the snapshot."""
        try:
            return read(path, params)
        except ConnectorAuthError:
            raise
        except ConnectorError as exc:
            scopes.setdefault(scope, str(exc))
            return []

    def _members(self, rows: list[Any], system: bool, errors: list[str]) -> list[Account]:
        accounts = [member_account(item, system=system) for item in rows if member_id(item)]
        if len(accounts) < len(rows):
            what = "system user" if system else "member"
            errors.append(f"{self.name}: {len(rows) - len(accounts)} malformed {what} item(s) skipped")
        return accounts

    def _invitations(self, rows: list[Any], snap: TenantSnapshot, errors: list[str]) -> list[Account]:
        live: list[Account] = []
        closed: list[dict[str, Any]] = []
        bad = 0
        for item in rows:
            if not isinstance(item, dict) or item.get("id") in (None, ""):
                bad += 1
            elif is_live_invite(item):
                live.append(invitation_account(item))
            else:
                closed.append({"id": str(item["id"]), "status": invite_status(item)})
        snap.tenant.raw["closed_invites"] = closed
        if bad:
            errors.append(f"{self.name}: {bad} malformed invite item(s) skipped")
        return live

    def _assets(self, rows: list[Any], errors: list[str]) -> list[Asset]:
        assets: dict[str, Asset] = {}
        bad = 0
        for item in rows:
            if isinstance(item, dict) and item.get("asset_id") not in (None, ""):
                assets.setdefault(str(item["asset_id"]), asset_from(item))
            else:
                bad += 1
        if bad:
            errors.append(f"{self.name}: {bad} malformed asset item(s) skipped")
        return list(assets.values())

    def _asset_grants(self, assets: list[Asset], results: list[Any], accounts: list[Account],
                      errors: list[str]) -> list[Grant]:
        """Grants from each asset's members, system users and partners; unknown holders become accounts."""
        known = {a.account_id for a in accounts}
        grants: list[Grant] = []
        bad = 0
        for index, rows in enumerate(results):
            asset, holder = assets[index // len(HOLDERS)], index % len(HOLDERS)
            for item in rows or []:
                user_id = user_of(item).get("id") if isinstance(item, dict) else None
                if user_id in (None, ""):
                    bad += 1
                    continue
                if str(user_id) not in known:
                    known.add(str(user_id))
                    accounts.append(asset_member_account(item, system=holder == 1) if holder < 2 else
                                    dataclasses.replace(partner_account(item), raw={
                                        "user": dict(user_of(item)), "source": "asset_partners"}))
                grants.append(asset_grant(asset.asset_id, str(user_id), item))
        if bad:
            errors.append(f"{self.name}: {bad} malformed asset member item(s) skipped")
        return grants
