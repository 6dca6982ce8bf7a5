"""The Meta Business connector: reads one Business Manager through the Graph API (read-only).

Failure policy of ``fetch`` / ``lookup``:

- The auditor's token rejected (401 / code 190) raises ``ConnectorAuthError`` at once: nothing can be read.
  A Page-token-only edge refusing it (code 190 or 210, "Page Access Token") is a permission error of that
  edge, and a refused derived Page token only sends its Page to the per-principal views (``page_access``).
- The core reads raise ``ConnectorError`` (after retries): the business node and ``business_users``.
  Without the people list a snapshot would show grants of nobody, so there is nothing worth keeping.
- Any other edge (system users, invitations, asset lists, one asset's ``assigned_users``, one principal's
  ``assigned_pages``, apps, an ad account's activities) that fails is recorded in ``snapshot.errors`` (the
  message names the platform and the request), ``snapshot.complete`` becomes False, and the rest is read.
- A token that cannot be inspected (``meta.tokens``) is a capability note ("could not verify scopes"), as
  is a token or its data access expiring soon; neither makes the snapshot incomplete.
- Direct Page roles and Page agencies (``meta.partners``) are readable only with a Page token of a principal
  holding a task on the Page (MANAGE for agencies): a real shop grants the auditor's system user MANAGE on
  each Page, plus pages_manage_metadata on its token. A Page it cannot read that way is an incomplete scope,
  so the scan never silently passes; a shop that deliberately withholds those tasks sets
  ``options.page_roles: false`` and gets one declared coverage note on the platform instead.

Reads run concurrently on a small thread pool (``options.workers``), each started as soon as what it needs
is known (the asset reads when the asset lists are in, the Page reads when ``/me/accounts`` is), not after
the slowest read of a previous step; results are then assembled in a fixed order, so the output (and its
order) is the same however the reads were timed. All clients of a fetch (its token, the Page tokens, token
inspection) share one connection pool. The token travels only in the ``Authorization`` header; with an app
secret configured each call also carries ``appsecret_proof`` (derived from the token, never the token).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, Revoker, SecretResolver, register
from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.jobs import Job, bind
from auditor.connectors.meta import dialect
from auditor.connectors.meta.lookup import read_people, read_user_views
from auditor.connectors.meta.mapping import (
    BUSINESS_EDGES,
    FIELDS,
    act_id,
    app_from_node,
    app_from_token,
    asset_grant,
    assignee_account,
    business_grant,
    business_user_account,
    event_from,
    invitation_account,
    system_user_account,
    tenant_from,
    user_id_index,
)
from auditor.connectors.meta.page_access import PageTokens, page_tokens, read_pages, start_page_tokens, start_pages
from auditor.connectors.meta.partners import PartnerReader
from auditor.connectors.meta.revoke import MAX_RETRIES, MetaRevoker
from auditor.connectors.meta.run import Pending, Run, Started, assets_of
from auditor.connectors.meta.tokens import appsecret_proof, expiry_notes, inspect_token
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind, Asset, AuditEvent, Capabilities, TenantSnapshot

DEFAULT_BASE_URL = "https://graph.facebook.com/v25.0"
REQUIRED_SCOPES = ("business_management", "ads_read", "pages_show_list", "pages_read_engagement")
PAGE_ROLES_SCOPE = "pages_manage_metadata"
"""Needed (with MANAGE on each Page) to read Page assignees, roles and agencies (``options.page_roles``)."""
DEFAULT_ACTIVITY_DAYS = 90
_PRINCIPALS = (AccountKind.USER, AccountKind.SYSTEM_USER)


class MetaOptions(ConnectorOptions):
    """Meta's options: ``lookup_instagram`` false keeps an offboarding lookup off the Instagram accounts;
    ``app_id`` and ``app_secret_env`` (the name of the environment variable holding the app secret, never the
    secret itself) let the auditor inspect tokens with the app token and send ``appsecret_proof``."""

    lookup_instagram: bool = True
    app_id: str | None = None
    app_secret_env: str | None = None
    page_roles: bool = True
    """Read direct Page roles and Page agencies (needs MANAGE on each Page for the auditor's principal and
    pages_manage_metadata); false declares the Pages it cannot read a coverage gap, not an incomplete scope."""


@register
class MetaConnector(Connector):
    """Meta Business Manager: people, system users, invitations, asset roles, apps, ad-account activity.
    It can revoke (``revoker``): remove a business user, cancel a pending invitation."""

    kind = "meta"
    Options = MetaOptions
    options: MetaOptions
    capabilities = Capabilities(
        per_user_2fa=True,
        tenant_2fa=True,
        app_scopes=True,
        audit_log=True,
        account_emails=True,
        audit_log_asset_kinds=("ad_account",),
        activity_from_log=True,
        notes=(
            "two_fac_status values are not documented: unrecognised values are reported as unknown",
            "app scopes are known only for the tokens the auditor inspects (debug_token)",
            "the audit log covers ad accounts only (no Business Manager level log exists)",
        ),
    )

    def __init__(
        self,
        settings: PlatformSettings,
        secret: SecretResolver,
        *,
        transport: httpx.BaseTransport | None = None,
    ):
        super().__init__(settings, secret)
        self._transport = transport

    # -- plumbing ------------------------------------------------------------------------------------

    def _business_id(self) -> str:
        if not self.settings.business_id:
            raise ConfigError(f"platform {self.name!r}: business_id is not set")
        return self.settings.business_id

    def _app_secret(self) -> str | None:
        """The app secret named by ``options.app_secret_env`` (None when not configured or not set)."""
        if not self.options.app_secret_env:
            return None
        try:
            return self.secret(self.options.app_secret_env, "platform.options.app_secret_env")
        except ConfigError:
            return None

    def _app_problems(self) -> list[str]:
        """Why a configured app token cannot be used (an unset secret, a missing app id): reported, not fatal."""
        if not self.options.app_secret_env:
            return []
        try:
            self.secret(self.options.app_secret_env, "platform.options.app_secret_env")
        except ConfigError as exc:
            return [f"{self.name}: {exc}: tokens are inspected without the app token"]
        if not self.options.app_id:
            return [f"{self.name}: options.app_secret_env is set but options.app_id is not: tokens are "
                    "inspected without the app token"]
        return []

    def _app_token(self) -> str | None:
        """The app access token ``{app-id}|{app-secret}`` when both are configured."""
        secret = self._app_secret()
        return f"{self.options.app_id}|{secret}" if secret and self.options.app_id else None

    def _client(self, token: str, max_retries: int | None = None,
                transport: httpx.BaseTransport | None = None, *, proof: bool = True,
                share: HttpClient | None = None) -> HttpClient:
        """A Graph client for ``token``; with ``proof`` and a configured app secret every call carries
        ``appsecret_proof`` (apps with "Require App Secret" refuse calls without it). ``share``: send through
        that client's connection pool (the other tokens of one fetch) instead of opening one."""
        settings = self.client_settings()
        if max_retries is not None:
            settings["max_retries"] = max_retries
        secret = self._app_secret() if proof else None
        signed = appsecret_proof(secret, token) if secret else None
        return HttpClient(
            self.name,
            self.settings.base_url or DEFAULT_BASE_URL,
            auth=lambda: {"Authorization": f"Bearer {token}"},
            **settings,
            is_rate_limited=dialect.is_rate_limited,
            retry_hint=dialect.retry_hint,
            error_info=dialect.error_info,
            secrets=[token, *([secret, signed] if secret and signed else [])],
            transport=transport or self._transport,
            params={"appsecret_proof": signed} if signed else None,
            share=share,
        )

    def revoker(self, *, transport: httpx.BaseTransport | None = None) -> Revoker:
        """Meta can revoke: remove a business user, cancel a pending invitation (see ``meta.revoke``)."""
        return MetaRevoker(self.name, lambda: self._client(self.token(), MAX_RETRIES, transport))

    def _snapshot(self, business: dict, business_id: str) -> TenantSnapshot:
        return TenantSnapshot(
            platform=self.name,
            kind=self.kind,
            tenant=tenant_from(self.name, business, business_id),
            capabilities=dataclasses.replace(self.capabilities),
        )

    # -- check -----------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Probe the token (/me), the business node and the token's scopes; return the problems found."""
        try:
            business_id = self._business_id()
            token = self.token()
            app_token = self._app_token()
        except ConfigError as exc:
            return [str(exc)]
        problems = self._app_problems()
        with self._client(token) as client:
            for path, fields in (("/me", "id,name"), (f"/{business_id}", FIELDS["business"])):
                try:
                    client.get_json(path, {"fields": fields})
                except ConnectorAuthError as exc:
                    return [str(exc)]
                except ConnectorError as exc:
                    problems.append(str(exc))
        inspection = inspect_token(self.name, token, "self", self._inspector(token, app_token), app_token)
        problems += inspection.notes
        if inspection.data is None:
            return problems
        return problems + self._token_problems(inspection.data)

    def _inspector(self, own: str, app_token: str | None,
                   share: HttpClient | None = None) -> Callable[[str], HttpClient]:
        """Clients for token inspection: the proof goes only with the auditor's own and app tokens (an
        inspected token of another app would be refused with a proof made from this app's secret)."""
        return lambda caller: self._client(caller, proof=caller in (own, app_token), share=share)

    def _token_problems(self, data: dict[str, Any]) -> list[str]:
        problems = []
        if data.get("is_valid") is False:
            problems.append(f"{self.name}: the auditor's token is not valid (debug_token is_valid=false)")
        scopes = {str(s) for s in data.get("scopes") or []}
        if "ads_management" in scopes:
            scopes.add("ads_read")
        missing = [s for s in REQUIRED_SCOPES if s not in scopes]
        if missing:
            problems.append(f"{self.name}: the token lacks permission(s): {', '.join(missing)}")
        if self.options.page_roles and PAGE_ROLES_SCOPE not in scopes:
            problems.append(f"{self.name}: the token lacks {PAGE_ROLES_SCOPE}: Page assignees, roles and "
                            "agencies cannot be read with Page tokens (grant it, or set options.page_roles "
                            "false to declare the gap)")
        return problems + expiry_notes(self.name, "self", data, datetime.now(UTC))

    # -- fetch -----------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the whole business; see the module docstring for the failure policy."""
        business_id = self._business_id()
        token = self.token()
        since = events_since or now - timedelta(days=DEFAULT_ACTIVITY_DAYS)
        with self._client(token) as client, self.worker_pool() as pool, ExitStack() as stack:
            stack.callback(_drop_queued, pool)
            run = Run(self.name, client, pool, self.settings.page_size)
            business = run.node(f"/{business_id}", {"fields": FIELDS["business"]})
            snap = self._snapshot(business, business_id)
            tokens = self._inspected_tokens(token, run)
            app_token = self._app_token()
            inspector = self._inspector(token, app_token, share=client)
            for _, value in tokens:
                client.add_secret(value)
            jobs: list[Job] = [
                ("business_users", lambda: run.rows(f"/{business_id}/business_users",
                                                    {"fields": FIELDS["business_users"]})),
                ("system_users", lambda: run.rows(f"/{business_id}/system_users",
                                                  {"fields": FIELDS["system_users"]})),
                ("pending_users", lambda: run.rows(f"/{business_id}/pending_users",
                                                   {"fields": FIELDS["pending_users"]})),
            ]
            for edge, (kind, _) in BUSINESS_EDGES.items():
                jobs.append((edge, bind(run.rows, f"/{business_id}/{edge}", {"fields": FIELDS[kind]})))
            for edge in ("owned_apps", "client_apps"):
                jobs.append((edge, bind(run.rows, f"/{business_id}/{edge}", {"fields": FIELDS["apps"]})))
            for ref, value in tokens:
                jobs.append((f"token:{ref}", bind(inspect_token, self.name, value, ref, inspector, app_token)))
            first = run.start(jobs, core={"business_users"})
            page_client = functools.partial(self._client, share=client)
            partners = stack.enter_context(PartnerReader(run, business_id, snap, page_client,
                                                         page_roles=self.options.page_roles))
            partners.start_lists()
            ahead = self._start_ahead(run, business_id, first[3:3 + len(BUSINESS_EDGES)], partners, since, now,
                                      page_client)

            results = run.collect(first, core={"business_users"})
            users, system, pending = results[0], results[1] or [], results[2] or []
            edge_results = dict(zip(BUSINESS_EDGES, results[3:3 + len(BUSINESS_EDGES)], strict=True))
            owned_apps, client_apps = results[3 + len(BUSINESS_EDGES):5 + len(BUSINESS_EDGES)]
            token_answers = results[5 + len(BUSINESS_EDGES):]

            snap.accounts = [business_user_account(u) for u in users]
            snap.accounts += [system_user_account(s) for s in system]
            snap.accounts += [invitation_account(p) for p in pending]
            snap.grants = [business_grant(a) for a in snap.accounts]
            snap.assets = assets_of(edge_results)
            if ahead.page_list is not None:
                ahead.page_list.settle()
            self._read_assignments(run, business_id, snap, ahead, page_client)
            partners.read()
            self._read_activities(run, snap, ahead.activities)
        snap.apps = [app_from_node(a, True) for a in owned_apps or []]
        snap.apps += [app_from_node(a, False) for a in client_apps or []]
        index = user_id_index(snap.accounts)
        notes = self._app_problems()
        for (ref, _), inspection in zip(tokens, token_answers, strict=True):
            notes += inspection.notes
            if inspection.data is not None:
                snap.apps.append(app_from_token(inspection.data, ref, index))
                notes += expiry_notes(self.name, ref, inspection.data, now)
            else:  # its scopes are unknown: the token's findings must not look resolved
                snap.scope_failed(f"token:{ref}", "; ".join(inspection.notes)
                                  or f"{self.name}: could not inspect token {ref}")
        snap.capabilities.notes = (*snap.capabilities.notes, *notes)
        snap.activity_since = since
        snap.errors = run.errors + snap.errors
        snap.complete = snap.complete and not run.errors
        return snap

    def _start_ahead(self, run: Run, business_id: str, asset_lists: Started, partners: PartnerReader,
                     since: datetime, now: datetime, page_client: Callable[[str], HttpClient]) -> _Ahead:
        """Start every read that needs only the business's assets and Page tokens, as soon as they are known:
        waits for the asset lists (not for the people lists), then for ``/me/accounts``. The snapshot is
        assembled afterwards in the fixed order (``fetch``), consuming these reads at their place."""
        assets = assets_of({edge: pending.peek_or_none() for edge, (_, pending)
                            in zip(BUSINESS_EDGES, asset_lists, strict=True)})
        pages = [a for a in assets if a.kind == "page"]
        ahead = _Ahead(page_list=start_page_tokens(run) if pages else None)
        ahead.assigned = self._start_assignments(run, business_id, assets)
        partners.start_holders(assets)
        ahead.activities = self._start_activities(run, assets, since, now)
        partners.start_listed_holders(assets)
        if ahead.page_list is not None:
            ahead.pages = page_tokens(run, ahead.page_list)
        ahead.direct = start_pages(run, business_id, [a.asset_id for a in pages], page_client, ahead.pages)
        partners.start_pages(ahead.pages, pages)
        return ahead

    def _inspected_tokens(self, own: str, run: Run) -> list[tuple[str, str]]:
        """("self", own token) plus each configured ``inspect_tokens`` entry that resolves."""
        tokens = [("self", own)]
        for env_name in self.settings.inspect_tokens:
            try:
                tokens.append((env_name, self.secret(env_name, "platform.inspect_tokens")))
            except ConfigError as exc:
                run.errors.append(f"{self.name}: {exc}")
        return tokens

    def _start_assignments(self, run: Run, business_id: str, assets: list[Asset]) -> Started:
        """Start ``assigned_users`` of every asset but the Pages (their reads need Page tokens)."""
        params = {"business": business_id, "fields": FIELDS["assigned_users"]}
        waba = {**params, "fields": FIELDS["assigned_users_waba"]}
        return run.start((f"assigned_users:{a.asset_id}", bind(
            run.rows, f"/{a.asset_id}/assigned_users", waba if a.kind == "whatsapp_business_account" else params))
            for a in assets if a.kind != "page")

    def _read_assignments(self, run: Run, business_id: str, snap: TenantSnapshot, ahead: _Ahead,
                          page_client: Callable[[str], HttpClient]) -> None:
        """``assigned_users`` of every asset -> grants (plus accounts for assignees from elsewhere); Pages
        through their Page tokens or the per-principal views (``meta.page_access``). The reads were started
        by ``_start_ahead``: ``ahead.direct`` (Page tokens), ``ahead.assigned`` (the other assets)."""
        pages = [a for a in snap.assets if a.kind == "page"]
        others = [a for a in snap.assets if a.kind != "page"]
        jobs = ahead.assigned
        assert [label for label, _ in jobs] == [f"assigned_users:{a.asset_id}" for a in others]
        principals = [a.account_id for a in snap.accounts if a.kind in _PRINCIPALS]
        page_rows, failed = read_pages(run, business_id, [a.asset_id for a in pages], principals, page_client,
                                       ahead.pages, ahead.direct)
        for scope, reason in failed.items():
            snap.scope_failed(scope, reason)
        known = {a.account_id for a in snap.accounts}
        results = [page_rows.get(a.asset_id) for a in pages] + run.collect(jobs)
        for asset, rows in zip(pages + others, results, strict=True):
            for item in rows or []:
                account_id = str(item["id"])
                if account_id not in known:
                    known.add(account_id)
                    snap.accounts.append(assignee_account(item))
                snap.grants.append(asset_grant(asset.kind, asset.asset_id, account_id, item))

    def _start_activities(self, run: Run, assets: list[Asset], since: datetime, now: datetime) -> Started:
        """Start reading the activities of every ad account since ``since`` (mapped to events on the pool)."""
        params = {"since": int(since.timestamp()), "until": int(now.timestamp()),
                  "fields": FIELDS["activities"]}
        return run.start((f"activities:{a.asset_id}", bind(_events, run, a.asset_id, params))
                         for a in assets if a.kind == "ad_account")

    def _read_activities(self, run: Run, snap: TenantSnapshot, started: Started) -> None:
        """Activities of every ad account (``started`` by ``_start_activities``); sets ``last_activity`` of
        acting accounts."""
        ad_accounts = [a for a in snap.assets if a.kind == "ad_account"]
        assert [label for label, _ in started] == [f"activities:{a.asset_id}" for a in ad_accounts]
        unreadable = 0
        for read in run.collect(started):
            events, bad = read or ([], 0)
            snap.events += events
            unreadable += bad
        if unreadable:
            run.errors.append(f"{self.name}: {unreadable} activity item(s) without a readable time skipped")
        people = {a.account_id: a for a in snap.accounts if a.kind in _PRINCIPALS}
        for event in snap.events:
            account = people.get(event.actor_id or "")
            if account is not None and (account.last_activity is None or event.time > account.last_activity):
                account.last_activity = event.time

    # -- lookup ----------------------------------------------------------------------------------------

    def lookup(
        self, *, now: datetime, emails: Iterable[str] = (), account_ids: Iterable[str] = ()
    ) -> TenantSnapshot:
        """What these emails / account ids hold now, without walking every asset (see ``meta.lookup``)."""
        business_id = self._business_id()
        token = self.token()
        wanted_emails = {e.strip().lower() for e in emails if e and e.strip()}
        wanted_ids = {str(i) for i in account_ids}
        with self._client(token) as client, self.worker_pool() as pool:
            run = Run(self.name, client, pool, self.settings.page_size)
            snap = self._snapshot(run.node(f"/{business_id}", {"fields": FIELDS["business"]}), business_id)
            if not wanted_emails and not wanted_ids:
                return snap
            people, invites = read_people(run, business_id, wanted_ids, wanted_emails)
            snap.assets, grants = read_user_views(run, business_id, people,
                                                  walk_instagram=self.options.lookup_instagram)
        snap.accounts = people + invites
        snap.grants = [business_grant(a) for a in snap.accounts] + grants
        snap.errors = run.errors
        snap.complete = not run.errors
        return snap


def _events(run: Run, asset_id: str, params: dict[str, Any]) -> tuple[list[AuditEvent], int]:
    """One ad account's activities as events, and how many of them had no readable time."""
    events, unreadable = [], 0
    for item in run.rows(f"/{act_id(asset_id)}/activities", params, need_id=False):
        event = event_from(asset_id, item)
        if event is None:
            unreadable += 1
        else:
            events.append(event)
    return events, unreadable


@dataclasses.dataclass(slots=True)
class _Ahead:
    """The reads one fetch starts ahead of assembling the snapshot (``MetaConnector._start_ahead``)."""

    page_list: Pending | None = None
    pages: PageTokens = dataclasses.field(default_factory=PageTokens)
    direct: Started = dataclasses.field(default_factory=list)
    assigned: Started = dataclasses.field(default_factory=list)
    activities: Started = dataclasses.field(default_factory=list)


def _drop_queued(pool: ThreadPoolExecutor) -> None:
    """Cancel the reads still queued when a fetch ends: none unless it failed (then they are not needed)."""
    pool.shutdown(wait=False, cancel_futures=True)
