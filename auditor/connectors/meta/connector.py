"""The Meta Business connector: reads one Business Manager through the Graph API (read-only).

Failure policy of ``fetch`` / ``lookup``:

- A rejected token (401 / code 190) anywhere raises ``ConnectorAuthError`` at once: nothing can be read.
- The core reads raise ``ConnectorError`` (after retries): the business node and ``business_users``.
  Without the people list a snapshot would show grants of nobody, so there is nothing worth keeping.
- Any other edge (system users, invitations, asset lists, one asset's ``assigned_users``, apps, a token's
  ``debug_token``, an ad account's activities) that fails is recorded in ``snapshot.errors`` (the message
  names the platform and the request), ``snapshot.complete`` becomes False, and the rest is still read.

Independent reads run concurrently on a small thread pool; results are assembled in submission order,
so the output order is deterministic. The token travels only in the ``Authorization`` header.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
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
from auditor.connectors.meta.revoke import MAX_RETRIES, MetaRevoker
from auditor.connectors.meta.run import Run, assets_of
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind, Capabilities, TenantSnapshot

DEFAULT_BASE_URL = "https://graph.facebook.com/v25.0"
REQUIRED_SCOPES = ("business_management", "ads_read", "pages_show_list", "pages_read_engagement")
DEFAULT_ACTIVITY_DAYS = 90
_PRINCIPALS = (AccountKind.USER, AccountKind.SYSTEM_USER)


class MetaOptions(ConnectorOptions):
    """Meta's options: ``lookup_instagram`` false keeps an offboarding lookup off the Instagram accounts."""

    lookup_instagram: bool = True


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

    def _client(self, token: str, max_retries: int | None = None,
                transport: httpx.BaseTransport | None = None) -> HttpClient:
        settings = self.client_settings()
        if max_retries is not None:
            settings["max_retries"] = max_retries
        return HttpClient(
            self.name,
            self.settings.base_url or DEFAULT_BASE_URL,
            auth=lambda: {"Authorization": f"Bearer {token}"},
            **settings,
            is_rate_limited=dialect.is_rate_limited,
            retry_hint=dialect.retry_hint,
            error_info=dialect.error_info,
            secrets=[token],
            transport=transport or self._transport,
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
        except ConfigError as exc:
            return [str(exc)]
        problems: list[str] = []
        with self._client(token) as client:
            for path, fields in (("/me", "id,name"), (f"/{business_id}", FIELDS["business"])):
                try:
                    client.get_json(path, {"fields": fields})
                except ConnectorAuthError as exc:
                    return [str(exc)]
                except ConnectorError as exc:
                    problems.append(str(exc))
            try:
                body = client.get_json("/debug_token", {"input_token": token})
            except ConnectorError as exc:
                return [*problems, str(exc)]
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            return [*problems, f"{self.name}: debug_token gave no data for the auditor's token"]
        return problems + self._token_problems(data)

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
        expires = data.get("expires_at")
        if isinstance(expires, int | float) and expires > 0:
            when = datetime.fromtimestamp(expires, UTC)
            if when < datetime.now(UTC) + timedelta(days=7):
                problems.append(f"{self.name}: the token expires on {when:%Y-%m-%d %H:%M} UTC")
        return problems

    # -- fetch -----------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the whole business; see the module docstring for the failure policy."""
        business_id = self._business_id()
        token = self.token()
        since = events_since or now - timedelta(days=DEFAULT_ACTIVITY_DAYS)
        with self._client(token) as client, self.worker_pool() as pool:
            run = Run(self.name, client, pool, self.settings.page_size)
            business = run.node(f"/{business_id}", {"fields": FIELDS["business"]})
            snap = self._snapshot(business, business_id)
            tokens = self._inspected_tokens(token, run)
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
                jobs.append((f"debug_token:{ref}", bind(run.node, "/debug_token", {"input_token": value})))
            results = run.gather(jobs, core={"business_users"})
            users, system, pending = results[0], results[1] or [], results[2] or []
            edge_results = dict(zip(BUSINESS_EDGES, results[3:3 + len(BUSINESS_EDGES)], strict=True))
            owned_apps, client_apps = results[3 + len(BUSINESS_EDGES):5 + len(BUSINESS_EDGES)]
            token_answers = results[5 + len(BUSINESS_EDGES):]

            snap.accounts = [business_user_account(u) for u in users]
            snap.accounts += [system_user_account(s) for s in system]
            snap.accounts += [invitation_account(p) for p in pending]
            snap.grants = [business_grant(a) for a in snap.accounts]
            snap.assets = assets_of(edge_results)
            self._read_assignments(run, business_id, snap)
            self._read_activities(run, snap, since, now)
        snap.apps = [app_from_node(a, True) for a in owned_apps or []]
        snap.apps += [app_from_node(a, False) for a in client_apps or []]
        index = user_id_index(snap.accounts)
        for (ref, _), answer in zip(tokens, token_answers, strict=True):
            data = answer.get("data") if isinstance(answer, dict) else None
            if isinstance(data, dict):
                snap.apps.append(app_from_token(data, ref, index))
            elif answer is not None:
                run.errors.append(f"{self.name}: debug_token for {ref} gave no data")
        snap.activity_since = since
        snap.errors = run.errors
        snap.complete = not run.errors
        return snap

    def _inspected_tokens(self, own: str, run: Run) -> list[tuple[str, str]]:
        """("self", own token) plus each configured ``inspect_tokens`` entry that resolves."""
        tokens = [("self", own)]
        for env_name in self.settings.inspect_tokens:
            try:
                tokens.append((env_name, self.secret(env_name, "platform.inspect_tokens")))
            except ConfigError as exc:
                run.errors.append(f"{self.name}: {exc}")
        return tokens

    def _read_assignments(self, run: Run, business_id: str, snap: TenantSnapshot) -> None:
        """``assigned_users`` of every asset -> grants (plus accounts for assignees from elsewhere)."""
        params = {"business": business_id, "fields": FIELDS["assigned_users"]}
        jobs = [(f"assigned_users:{a.asset_id}", bind(run.rows, f"/{a.asset_id}/assigned_users", params))
                for a in snap.assets]
        known = {a.account_id for a in snap.accounts}
        for asset, rows in zip(snap.assets, run.gather(jobs), strict=True):
            for item in rows or []:
                account_id = str(item["id"])
                if account_id not in known:
                    known.add(account_id)
                    snap.accounts.append(assignee_account(item))
                snap.grants.append(asset_grant(asset.kind, asset.asset_id, account_id, item))

    def _read_activities(self, run: Run, snap: TenantSnapshot, since: datetime, now: datetime) -> None:
        """Activities of every ad account since ``since``; sets ``last_activity`` of acting accounts."""
        ad_accounts = [a for a in snap.assets if a.kind == "ad_account"]
        params = {"since": int(since.timestamp()), "until": int(now.timestamp()),
                  "fields": FIELDS["activities"]}
        jobs = [(f"activities:{a.asset_id}", bind(run.rows, f"/{act_id(a.asset_id)}/activities", params,
                                                   need_id=False)) for a in ad_accounts]
        unreadable = 0
        for asset, rows in zip(ad_accounts, run.gather(jobs), strict=True):
            for item in rows or []:
                event = event_from(asset.asset_id, item)
                if event is None:
                    unreadable += 1
                else:
                    snap.events.append(event)
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
