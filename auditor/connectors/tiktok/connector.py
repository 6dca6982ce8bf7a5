"""The TikTok for Business connector: one Business Center through the API for Business v1.3 (read-only).

Reads ``/bc/get/`` (the Business Center and the caller's role), ``/bc/member/get/`` (members with role,
finance role and relation status), ``/bc/asset/admin/get/`` per asset type, ``/bc/asset/member/get/`` per ad
account, catalog and lead library (the only types it accepts, 20 per page), ``/bc/partner/get/`` (partner
Business Centers) with ``/bc/partner/asset/get/`` (our ad accounts and catalogs shared with each) and
``/bc/asset/partner/get/`` (partners holding a pixel or lead library), and ``/changelog/get/``.

Failure policy of ``fetch``: a rejected token raises ``ConnectorAuthError`` at once; the Business Center
and its member list are the core (their failure raises ``ConnectorError`` or ``ConnectorPermissionError``);
an asset whose holders fail is recorded as scope ``asset:<id>``, a partner whose assets fail as
``account:<partner id>``, the partner list as ``tenant``; any other read that fails is recorded in
``snapshot.errors``; either makes the snapshot incomplete and the rest is still read. An error
envelope sent with HTTP 200 is an error (see ``dialect``); the rate-limit code is retried with backoff.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import httpx

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, Id, SecretResolver, register
from auditor.connectors.http import ConnectorPermissionError, HttpClient
from auditor.connectors.jobs import bind
from auditor.connectors.tiktok import dialect
from auditor.connectors.tiktok.mapping import (
    ASSET_PARTNER_TYPES,
    DEFAULT_ASSET_TYPES,
    MEMBER_ROLE_FIELDS,
    PARTNER_ASSET_TYPES,
    asset_from,
    asset_grant,
    event_from,
    member_account,
    member_grants,
    member_key,
    name_index,
    partner_account,
    relation,
    shared_asset_grant,
    tenant_from,
)
from auditor.connectors.tiktok.run import Run, filtering
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Capabilities, TenantSnapshot

DEFAULT_BASE_URL = "https://business-api.tiktok.com/open_api/v1.3"
DEFAULT_ACTIVITY_DAYS = 180
MEMBER_PAGE_MAX = 20
LIST_PAGE_MAX = 50
LOG_SCOPE = "business_center"
"""The audit-log coverage label: the changelog records Business Center management, no asset's activity."""


class TikTokOptions(ConnectorOptions):
    """TikTok's options: ``bc_id`` (when ``tenant_id`` is not set) and the ``asset_types`` to list."""

    bc_id: Id | None = None
    asset_types: list[str] | None = None


@register
class TikTokConnector(Connector):
    """TikTok Business Center: members, invitations, assets and their member roles, the BC changelog."""

    kind = "tiktok"
    Options = TikTokOptions
    options: TikTokOptions
    capabilities = Capabilities(
        per_user_2fa=False,
        tenant_2fa=False,
        app_scopes=False,
        audit_log=True,
        account_emails=True,
        audit_log_asset_kinds=(LOG_SCOPE,),
        invitation_dates=False,
        notes=(
            "TikTok does not expose two-factor authentication, neither per member nor as a Business Center "
            "policy",
            "TikTok does not list the apps connected to a Business Center nor the permissions of a token",
            "the Business Center changelog records membership, permission and asset management, not campaign "
            "work: it shows activity after a departure but cannot show that an account is dormant",
            "changelog entries name their operator by user id; the member acted upon appears only in free text, "
            "kept as evidence",
            "pending invitations carry no sending date, so their age is unknown",
            "TikTok lists the members of ad accounts, catalogs and lead libraries only: people holding a TikTok "
            "Shop, a TikTok account or a pixel are not read",
            "partners holding a pixel or lead library are read without their role (TikTok does not report it)",
        ),
    )

    def __init__(self, settings: PlatformSettings, secret: SecretResolver, *,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(settings, secret)
        self._transport = transport

    # -- plumbing ------------------------------------------------------------------------------------------

    def _bc_id(self) -> str:
        bc_id = self.settings.tenant_id or self.options.bc_id
        if not bc_id:
            raise ConfigError(f"platform {self.name!r}: tenant_id (the Business Center id, bc_id) is not set")
        return str(bc_id)

    def _client(self, token: str) -> HttpClient:
        inner = self._transport or httpx.HTTPTransport()
        return HttpClient(
            self.name,
            self.settings.base_url or DEFAULT_BASE_URL,
            auth=lambda: {"Access-Token": token},
            **self.client_settings(),
            error_info=dialect.error_info,
            secrets=[token],
            transport=dialect.EnvelopeTransport(inner),
        )

    def _page(self, maximum: int) -> int:
        return max(1, min(self.settings.page_size, maximum))

    def _asset_types(self) -> list[str]:
        configured = self.options.asset_types
        if configured is None:
            return list(DEFAULT_ASSET_TYPES)
        return [t.upper() for t in configured]

    def _business_center(self, run: Run, bc_id: str) -> dict:
        """The ``/bc/get/`` entry of the configured Business Center (ConnectorPermissionError if absent)."""
        for entry in run.rows("/bc/get/", {"bc_id": bc_id}, LIST_PAGE_MAX):
            info = entry.get("bc_info")
            if isinstance(info, dict) and str(info.get("bc_id")) == bc_id:
                return entry
        raise ConnectorPermissionError(
            self.name, f"the token's user is not a member of Business Center {bc_id} (GET /bc/get/); invite it "
                       "as a Business Center admin")

    # -- check -----------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Probe the token, the Business Center, the caller's role and one page of members and changelog."""
        try:
            bc_id, token = self._bc_id(), self.token()
        except ConfigError as exc:
            return [str(exc)]
        problems: list[str] = []
        with self._client(token) as client, self.worker_pool() as pool:
            run = Run(self.name, client, pool)
            try:
                entry = self._business_center(run, bc_id)
            except ConnectorError as exc:  # a rejected token included: nothing else can be probed
                return [str(exc)]
            if entry.get("user_role") != "ADMIN":
                problems.append(f"{self.name}: the token's user is {entry.get('user_role')!r} in Business Center "
                                f"{bc_id}; listing every asset (/bc/asset/admin/get/) needs a Business Center ADMIN")
            probes = (("/bc/member/get/", {"bc_id": bc_id}), ("/changelog/get/", {"bc_id": bc_id}))
            for path, params in probes:
                try:
                    run.data(path, {**params, "page": 1, "page_size": 1})
                except ConnectorError as exc:
                    problems.append(str(exc))
        return problems

    # -- fetch -----------------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the whole Business Center; see the module docstring for the failure policy."""
        bc_id, token = self._bc_id(), self.token()
        since = events_since or now - timedelta(days=DEFAULT_ACTIVITY_DAYS)
        types = self._asset_types()
        with self._client(token) as client, self.worker_pool() as pool:
            run = Run(self.name, client, pool)
            snap = TenantSnapshot(platform=self.name, kind=self.kind,
                                  tenant=tenant_from(self.name, self._business_center(run, bc_id), bc_id),
                                  capabilities=dataclasses.replace(self.capabilities))
            log_filter = filtering(start_date=since.date().isoformat(), end_date=now.date().isoformat(),
                                   activity_type="ALL")
            jobs = [("members", bind(run.rows, "/bc/member/get/", {"bc_id": bc_id}, self._page(MEMBER_PAGE_MAX)))]
            jobs += [(f"assets:{t}", bind(run.rows, "/bc/asset/admin/get/", {"bc_id": bc_id, "asset_type": t},
                                          self._page(LIST_PAGE_MAX))) for t in types]
            jobs.append(("changelog", bind(run.rows, "/changelog/get/", {
                "bc_id": bc_id, "filtering": log_filter, "lang": "en", "sort_field": "operation_time",
                "sort_type": "DESC"}, self._page(LIST_PAGE_MAX), "changelog_list")))
            results = run.gather(jobs, core={"members"})
            members, changelog = results[0], results[-1]
            self._read_members(snap, members, run)
            for asset_type, rows in zip(types, results[1:-1], strict=True):
                snap.assets += [asset_from(item, asset_type) for item in rows or [] if item.get("asset_id")]
            self._read_asset_members(run, bc_id, snap)
            self._read_partners(run, bc_id, snap)
        self._read_changelog(snap, changelog, run)
        snap.activity_since = since if changelog is not None else None
        snap.errors = run.errors
        snap.complete = not run.errors
        for scope, reason in run.scopes.items():
            snap.scope_failed(scope, reason)
        return snap

    def _read_members(self, snap: TenantSnapshot, members: list[dict], run: Run) -> None:
        not_live: list[dict] = []
        unusable = 0
        for item in members:
            account = member_account(item)
            if account is not None:
                snap.accounts.append(account)
                snap.grants += member_grants(account)
            elif member_key(item) is None:
                unusable += 1
            else:
                not_live.append({"account": member_key(item), "relation_status": relation(item)})
        snap.tenant.raw["members_without_access"] = not_live
        if unusable:
            run.errors.append(f"{self.name}: {unusable} member(s) without user_id or user_email skipped")

    def _read_asset_members(self, run: Run, bc_id: str, snap: TenantSnapshot) -> None:
        """Members of every asset whose type has member roles -> grants (and accounts not seen before)."""
        readable = [a for a in snap.assets if a.raw.get("asset_type") in MEMBER_ROLE_FIELDS]
        jobs = [(f"asset:{a.asset_id}", bind(
            run.rows, "/bc/asset/member/get/",
            {"bc_id": bc_id, "asset_type": a.raw["asset_type"], "asset_id": a.asset_id}, self._page(MEMBER_PAGE_MAX),
        )) for a in readable]
        known = {a.account_id: a for a in snap.accounts}
        for asset, rows in zip(readable, run.gather_scoped(jobs), strict=True):
            for item in rows or []:
                key = member_key(item)
                if key is None:
                    run.errors.append(f"{self.name}: a member of asset {asset.asset_id} has no user id or email")
                    continue
                if key not in known:
                    account = member_account(item)
                    if account is None:
                        continue  # rejected or unbound: no access
                    account.raw = {"source": "asset_member", **account.raw}
                    known[key] = account
                    snap.accounts.append(account)
                snap.grants.append(asset_grant(asset.raw["asset_type"], asset.asset_id, key, item))

    def _read_partners(self, run: Run, bc_id: str, snap: TenantSnapshot) -> None:
        """Partner Business Centers -> PARTNER accounts with grants on the assets shared with them."""
        listed = run.gather_scoped([("tenant", bind(run.rows, "/bc/partner/get/", {"bc_id": bc_id},
                                                    self._page(LIST_PAGE_MAX)))])[0]
        partners = {a.account_id: a for a in map(partner_account, listed or []) if a is not None}
        jobs = [(f"account:{p}", bind(run.rows, "/bc/partner/asset/get/", {
            "bc_id": bc_id, "partner_id": p, "asset_type": t, "share_type": "SHARING"}, self._page(LIST_PAGE_MAX)))
            for p in partners for t in PARTNER_ASSET_TYPES]
        for (scope, _), rows in zip(jobs, run.gather_scoped(jobs), strict=True):
            partner_id = scope.removeprefix("account:")
            for item in rows or []:
                if item.get("asset_id") and item.get("asset_type") in MEMBER_ROLE_FIELDS:
                    snap.grants.append(asset_grant(item["asset_type"], str(item["asset_id"]), partner_id, item))
        pixels = [a for a in snap.assets if a.raw.get("asset_type") in ASSET_PARTNER_TYPES]
        jobs = [(f"asset:{a.asset_id}", bind(run.rows, "/bc/asset/partner/get/", {
            "bc_id": bc_id, "asset_type": a.raw["asset_type"], "asset_id": a.asset_id}, self._page(LIST_PAGE_MAX)))
            for a in pixels]
        for asset, rows in zip(pixels, run.gather_scoped(jobs), strict=True):
            for account in filter(None, map(partner_account, rows or [])):
                partners.setdefault(account.account_id, account)
                snap.grants.append(shared_asset_grant(asset.asset_id, account.account_id))
        snap.accounts += partners.values()

    def _read_changelog(self, snap: TenantSnapshot, changelog: list[dict] | None, run: Run) -> None:
        names = name_index(snap.accounts)
        unreadable = 0
        for item in changelog or []:
            event = event_from(item, names)
            if event is None:
                unreadable += 1
            else:
                snap.events.append(event)
        if unreadable:
            run.errors.append(f"{self.name}: {unreadable} changelog entr(y/ies) without a readable time skipped")

