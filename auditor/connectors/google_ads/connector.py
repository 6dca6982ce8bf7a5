"""The Google Ads connector (the door to YouTube advertising): users, invitations and changes of customers.

Reads, per customer (``options.customer_ids``, else every customer ``customers:listAccessibleCustomers``
returns plus the manager ``options.login_customer_id``, and every enabled client below those managers found with
``FROM customer_client``, see ``hierarchy``): ``customer`` (name, time zone, manager flag),
``customer_user_access`` (users and roles, ``passkey_enabled``), ``customer_user_access_invitation``
(pending invitations) and ``change_event`` over the last 30 days (the API's limit) as activity, all through
GAQL ``googleAds:search`` with ``pageToken`` paging. Headers: ``Authorization: Bearer``, ``developer-token``
(secret named by ``options.developer_token_env``) and ``login-customer-id`` per customer (itself when reached
directly, the top manager's id for a client reached through it; ``options.login_customer_id`` for configured
``customer_ids``).

Failure policy of ``fetch``: a rejected credential raises ``ConnectorAuthError`` at once; the customer list is
the core (its failure raises, and so does a scan where no customer's users could be read). One customer that
fails (users, invitations, details) is ``snapshot.scope_failed("asset:<id>")`` (invitations also ``"tenant"``,
the scope invitation findings depend on) and the others are still read;
a manager whose client list fails is ``scope_failed("tenant")``; failed change events are
``scope_failed("events")`` and ``activity_since`` stays None (the log does not prove the absence of activity).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any

import httpx
from pydantic import BeforeValidator, Field

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, SecretResolver, register
from auditor.connectors.google_ads import dialect, hierarchy
from auditor.connectors.google_ads.dialect import GoogleAdsHttp
from auditor.connectors.google_ads.mapping import (
    CHANGE_EVENT_DAYS,
    CHANGE_EVENT_LIMIT,
    CUSTOMER_QUERY,
    INVITATION_QUERY,
    api_version,
    change_event_query,
    customer_asset,
    customer_id,
    event_from,
    invitation_account,
    invitation_grant,
    invitation_status,
    local_literal,
    merge_user,
    parse_local,
    time_zone,
    user_access_query,
    user_account,
    user_grant,
)
from auditor.connectors.http import ConnectorAuthError
from auditor.connectors.jobs import bind, gather
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Account, AccountKind, Capabilities, Tenant, TenantSnapshot

DEFAULT_BASE_URL = "https://googleads.googleapis.com/v25"
LOG_MARGIN = timedelta(hours=1)  # the change_event start must stay inside the API's 30 days
MAX_WINDOWS = 20


def _optional_customer_id(value: Any) -> str | None:
    return None if value in (None, "") else customer_id(value)


CustomerId = Annotated[str, BeforeValidator(customer_id)]
"""A customer id as configured ("123-456-7890" or 1234567890), without dashes."""


class GoogleAdsOptions(ConnectorOptions):
    """Google Ads' options: the ``customer_ids`` to read (default: every accessible one), the manager
    ``login_customer_id``, ``developer_token_env`` (the variable of the developer token, required to read) and
    ``read_manager`` (false: do not read the manager account itself)."""

    customer_ids: list[CustomerId] | None = Field(default=None, min_length=1)
    login_customer_id: Annotated[str | None, BeforeValidator(_optional_customer_id)] = None
    developer_token_env: str | None = None
    read_manager: bool = True


@register
class GoogleAdsConnector(Connector):
    """Google Ads customers (ad and manager accounts): user access, invitations, 30 days of changes."""

    kind = "google_ads"
    Options = GoogleAdsOptions
    options: GoogleAdsOptions
    capabilities = Capabilities(
        per_user_2fa=False,
        tenant_2fa=False,
        app_scopes=False,
        audit_log=True,
        account_emails=True,
        activity_from_log=True,
        notes=(
            "Google Ads does not expose two-factor authentication: passkey_enabled (API v24+) is the only "
            "strong-authentication signal, so a user with a passkey counts as two-factor and any other user is "
            "unknown, never 'off' (Google does not report other second factors)",
            "Google Ads has no account-wide 2FA policy in its API",
            "the only OAuth scope is adwords and no API lists other apps or tokens with access to an account",
            "change_event covers the last 30 days only and does not record user-access changes: dormancy over "
            "longer periods and departures older than 30 days cannot be verified from it",
            "YouTube channel owners and managers are not exposed by any API: review them in YouTube Studio "
            "(Settings > Permissions) and upload an admin's export through the generic import",
            "users of a manager account reach every client account below it; they are listed on the manager "
            "account asset",
        ),
    )

    def __init__(self, settings: PlatformSettings, secret: SecretResolver, *,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(settings, secret)
        self._transport = transport

    # -- configuration ---------------------------------------------------------------------------------------

    def _tenant_setting(self) -> str | None:
        value = self.settings.tenant_id
        try:
            return customer_id(value) if value else None
        except ValueError:
            raise ConfigError(f"platform {self.name!r}: tenant_id: not a customer id: {value!r}") from None

    def _credentials(self) -> tuple[str, str]:
        env = self.options.developer_token_env
        if not env:
            raise ConfigError(f"platform {self.name!r}: options.developer_token_env is not set (Google Ads "
                              "requires a developer token)")
        return (self.secret(self.settings.token_env, "platform.token_env"),
                self.secret(env, "platform.options.developer_token_env"))

    def _client(self, token: str, developer_token: str, login: str | None) -> GoogleAdsHttp:
        return GoogleAdsHttp(
            self.name,
            self.settings.base_url or DEFAULT_BASE_URL,
            auth=lambda: {"Authorization": f"Bearer {token}", "developer-token": developer_token},
            headers={"login-customer-id": login} if login else None,
            **self.client_settings(),
            is_rate_limited=dialect.is_rate_limited,
            retry_hint=dialect.retry_hint,
            error_info=dialect.error_info,
            secrets=[token, developer_token],
            transport=self._transport,
        )

    # -- reads -----------------------------------------------------------------------------------------------

    def _routes(self, clients: Callable[[str | None], GoogleAdsHttp]) -> hierarchy.Routes:
        """The customers to read and the login-customer-id of each (see ``hierarchy``)."""
        login = self.options.login_customer_id
        if self.options.customer_ids is not None:
            routes = hierarchy.Routes(login={c: login for c in self._customers(clients(None))})
        else:
            routes = hierarchy.discover(self._customers(clients(None)), lambda c, via: self._rows(
                clients(via), c, hierarchy.CLIENT_QUERY, "customerClient"))
        if login and not self.options.read_manager:
            routes.login.pop(login, None)
        return routes

    def _customers(self, client: GoogleAdsHttp) -> list[str]:
        """Configured customers, else every accessible one; the manager (login customer) first."""
        configured = self.options.customer_ids
        customers = list(dict.fromkeys(configured)) if configured is not None else None
        if customers is None:
            # absolute: a relative "customers:..." would parse as a URL scheme
            body = client.get_json(f"{client.base_url}/customers:listAccessibleCustomers")
            names = body.get("resourceNames") if isinstance(body, dict) else None
            if not isinstance(names, list):
                raise ConnectorError(self.name, "unexpected answer from GET /customers:listAccessibleCustomers")
            try:
                customers = [customer_id(str(n).rsplit("/", 1)[-1]) for n in names]
            except ValueError as exc:
                raise ConnectorError(self.name, f"GET /customers:listAccessibleCustomers: {exc}") from None
        login = self.options.login_customer_id
        if login and login not in customers:
            customers.insert(0, login)
        return customers

    def _rows(self, client: GoogleAdsHttp, cid: str, query: str, key: str) -> list[dict[str, Any]]:
        """The ``key`` objects of every result row of a query (rows without one are reported)."""
        rows = [r.get(key) for page in client.search(cid, query) for r in page]
        good = [r for r in rows if isinstance(r, dict)]
        if len(good) != len(rows):
            raise ConnectorError(self.name, f"{len(rows) - len(good)} result row(s) without {key!r} from customer "
                                            f"{cid}")
        return good

    def _changes(self, client: GoogleAdsHttp, cid: str, start: datetime, end: datetime,
                 zone: tzinfo | None) -> list[dict[str, Any]]:
        """Change events in ``[start, end]``, in windows of at most 10,000 rows (newest first)."""
        found: dict[str, dict[str, Any]] = {}
        upper = local_literal(end, zone)
        for _ in range(MAX_WINDOWS):
            batch = self._rows(client, cid, change_event_query(local_literal(start, zone), upper), "changeEvent")
            fresh = [r for r in batch if str(r.get("resourceName")) not in found]
            for row in batch:
                found.setdefault(str(row.get("resourceName")), row)
            if len(batch) < CHANGE_EVENT_LIMIT or not fresh:
                return list(found.values())
            times = [t for t in (parse_local(r.get("changeDateTime"), zone) for r in batch) if t is not None]
            upper = local_literal(min(times), zone)
        raise ConnectorError(self.name, f"change_event of customer {cid}: more than {MAX_WINDOWS} windows of "
                                        f"{CHANGE_EVENT_LIMIT} rows")

    # -- check -----------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Probe the credentials, the customer list and hierarchy, and one user-access row of each customer."""
        try:
            token, developer_token = self._credentials()
        except ConfigError as exc:
            return [str(exc)]
        version = api_version(self.settings.base_url or DEFAULT_BASE_URL)
        with ExitStack() as stack:
            clients = self._clients(stack, token, developer_token)
            try:
                routes = self._routes(clients)
            except ConnectorError as exc:
                return [str(exc)]
            problems = list(routes.failures)
            for cid, login in routes.login.items():
                try:
                    self._rows(clients(login), cid, f"{user_access_query(version)} LIMIT 1", "customerUserAccess")
                except ConnectorAuthError as exc:
                    return [*problems, str(exc)]
                except ConnectorError as exc:
                    problems.append(str(exc))
        return problems

    def _clients(self, stack: ExitStack, token: str, developer_token: str) -> Callable[[str | None],
                                                                                          GoogleAdsHttp]:
        """One HTTP client per login-customer-id, opened on first use and closed with ``stack``."""
        made: dict[str | None, GoogleAdsHttp] = {}
        lock = threading.Lock()

        def client(login: str | None) -> GoogleAdsHttp:
            with lock:
                if login not in made:
                    made[login] = stack.enter_context(self._client(token, developer_token, login))
                return made[login]
        return client

    # -- fetch -----------------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read every customer; see the module docstring for the failure policy."""
        token, developer_token = self._credentials()
        self._tenant_setting()  # a bad tenant id fails before anything is read
        oldest = now - timedelta(days=CHANGE_EVENT_DAYS) + LOG_MARGIN
        start = max(events_since, oldest) if events_since is not None else oldest
        version = api_version(self.settings.base_url or DEFAULT_BASE_URL)
        with ExitStack() as stack, self.worker_pool() as pool:
            clients = self._clients(stack, token, developer_token)
            routes = self._routes(clients)
            customers = list(routes.login)
            failed: list[str] = []
            infos = gather(pool, [(f"customer:{c}", bind(self._rows, clients(routes.login[c]), c, CUSTOMER_QUERY,
                                                          "customer")) for c in customers], failed)
            details = {c: (rows[0] if rows else None) for c, rows in zip(customers, infos, strict=True)}
            zones = {c: time_zone((details[c] or {}).get("timeZone")) for c in customers}
            jobs: list[tuple[str, Callable[[], Any]]] = []
            for c in customers:
                client = clients(routes.login[c])
                jobs += [(f"users:{c}", bind(self._rows, client, c, user_access_query(version), "customerUserAccess")),
                         (f"invitations:{c}", bind(self._rows, client, c, INVITATION_QUERY,
                                                    "customerUserAccessInvitation")),
                         (f"changes:{c}", bind(self._changes, client, c, start, now, zones[c]))]
            results = gather(pool, jobs, failed)
        reasons = iter(failed)
        scopes = [(f"asset:{c}", next(reasons)) for c, rows in zip(customers, infos, strict=True) if rows is None]
        for index, rows in enumerate(results):
            if rows is None:
                cid = customers[index // 3]
                reason = f"{next(reasons)} (customer {cid})"
                scopes.append(("events" if index % 3 == 2 else f"asset:{cid}", reason))
                if index % 3 == 1:  # invitations are a tenant-level list: their findings depend on `tenant`
                    scopes.append(("tenant", reason))
        if customers and all(results[3 * i] is None for i in range(len(customers))):
            raise ConnectorError(self.name, f"no customer's users could be read: {scopes[-1][1]}")
        errors: list[str] = []
        snap = TenantSnapshot(platform=self.name, kind=self.kind, tenant=self._tenant(customers, details),
                              capabilities=dataclasses.replace(self.capabilities))
        snap.tenant.raw["login_customer_ids"] = dict(routes.login)
        snap.tenant.raw["closed_clients"] = routes.closed
        snap.assets = [customer_asset(c, details[c]) for c in customers]
        for index, cid in enumerate(customers):
            users, invitations = results[3 * index], results[3 * index + 1]
            self._add_users(snap, cid, users or [], zones[cid], errors)
            self._add_invitations(snap, cid, invitations or [], zones[cid])
        changes = [(c, results[3 * i + 2]) for i, c in enumerate(customers)]
        self._add_events(snap, changes, zones, errors)
        snap.activity_since = start if all(rows is not None for _, rows in changes) else None
        snap.errors = errors
        snap.complete = not errors
        for reason in routes.failures:
            snap.scope_failed("tenant", reason)
        for scope, reason in scopes:
            snap.scope_failed(scope, reason)
        return snap

    def _tenant(self, customers: list[str], details: dict[str, dict | None]) -> Tenant:
        tenant_id = self._tenant_setting() or self.options.login_customer_id or customers[0]
        info = details.get(tenant_id) or {}
        return Tenant(platform=self.name, tenant_id=tenant_id, name=info.get("descriptiveName") or tenant_id,
                      two_factor_required=None,
                      raw={"customers": customers, "login_customer_id": self.options.login_customer_id})

    def _add_users(self, snap: TenantSnapshot, cid: str, rows: list[dict], zone: tzinfo | None,
                   errors: list[str]) -> None:
        known = {a.account_id: a for a in snap.accounts}
        for row in rows:
            account = user_account(row, cid, zone)
            if account is None:
                errors.append(f"{self.name}: a user of customer {cid} has no user id")
                continue
            if account.account_id in known:
                merge_user(known[account.account_id], account, cid, row)
            else:
                known[account.account_id] = account
                snap.accounts.append(account)
            snap.grants.append(user_grant(account.account_id, cid, row, zone))

    def _add_invitations(self, snap: TenantSnapshot, cid: str, rows: list[dict], zone: tzinfo | None) -> None:
        closed = snap.tenant.raw.setdefault("closed_invitations", [])
        for row in rows:
            account = invitation_account(row, cid, zone)
            if account is None:
                closed.append({"customer": cid, "invitation_id": row.get("invitationId"),
                               "status": invitation_status(row)})
                continue
            snap.accounts.append(account)
            snap.grants.append(invitation_grant(account, cid))

    def _add_events(self, snap: TenantSnapshot, changes: list[tuple[str, list[dict] | None]],
                    zones: dict[str, tzinfo | None], errors: list[str]) -> None:
        users = {a.account_id: a for a in snap.accounts if a.kind == AccountKind.USER}
        by_email = {e.lower(): a.account_id for a in users.values() for e in a.emails}
        unreadable = 0
        for cid, rows in changes:
            for row in rows or []:
                event = event_from(row, cid, zones[cid], by_email)
                if event is None:
                    unreadable += 1
                    continue
                snap.events.append(event)
                _touch(users.get(event.actor_id or ""), event.time)
        if unreadable:
            errors.append(f"{self.name}: {unreadable} change event(s) without a readable time skipped")


def _touch(account: Account | None, when: datetime) -> None:
    if account is not None and (account.last_activity is None or when > account.last_activity):
        account.last_activity = when
