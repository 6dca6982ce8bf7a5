"""The Shopify connector: staff members, the auditor's own app and its scopes, other app installations
(Admin GraphQL API, read-only).

Settings: ``tenant_id`` is the shop's ``*.myshopify.com`` domain; ``base_url`` defaults to
``https://<tenant_id>/admin/api``; ``options``: ``api_version`` (``YYYY-MM`` or ``unstable``, default
``DEFAULT_API_VERSION``), ``workers``, ``max_wait`` (the cap on any throttle wait).

Failure policy of ``fetch``:

- A rejected token (401) raises ``ConnectorAuthError``; the shop query is the core read and raises on failure.
- ``staffMembers`` refused with ``ACCESS_DENIED`` (no ``read_users``: it needs Shopify Plus or Advanced, or a
  finance embedded app, and Shopify Support must enable it) marks scope ``tenant`` incomplete with that reason
  and the way out (import an admin export of the staff list with the ``file_import`` connector); never an
  empty staff list. Any other failure of the staff list is scope ``tenant`` too.
- ``appInstallations`` (other apps) is read only when the app holds ``read_apps``; its failure is scope
  ``tenant``. The own installation failing is recorded in ``errors``.
- The API version that actually ran (``X-Shopify-Api-Version``) is kept in ``tenant.raw``; a mismatch with the
  requested one (an unsupported version is served by the oldest supported) is logged and noted.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from pydantic import Field

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, SecretResolver, register
from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.shopify import dialect
from auditor.connectors.shopify.mapping import app_from, staff_account, staff_grant, tenant_from
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Account, Capabilities, TenantSnapshot

log = logging.getLogger("auditor.connectors.shopify")

SELF_TOKEN = "self"  # noqa: S105 - the token_ref of the auditor's own app, not a secret

DEFAULT_API_VERSION = "2025-10"
READ_SCOPES = ("read_users", "read_apps")
"""The access scopes the audit needs (``read_apps`` only to list other app installations)."""
READ_USERS_NEEDED = (
    "staffMembers needs the read_users access scope, which Shopify grants only to apps on a Shopify Plus or "
    "Advanced store (or finance embedded apps) and Shopify Support must enable; the staff list was NOT read - "
    "import an admin export of the staff list (Settings > Users) with a file_import platform instead"
)

SHOP_QUERY = "query Shop { shop { id name myshopifyDomain plan { displayName shopifyPlus } } }"
SELF_QUERY = "query Self { currentAppInstallation { id app { id title developerName } accessScopes { handle } } }"
STAFF_QUERY = (
    "query Staff($first: Int!, $after: String) { staffMembers(first: $first, after: $after) { "
    "pageInfo { hasNextPage endCursor } nodes { id name email active isShopOwner accountType "
    "privateData { createdAt permissions } } } }"
)
APPS_QUERY = (
    "query Apps($first: Int!, $after: String) { appInstallations(first: $first, after: $after) { "
    "pageInfo { hasNextPage endCursor } nodes { id app { id title developerName } accessScopes { handle } } } }"
)


class ShopifyOptions(ConnectorOptions):
    """Shopify's options: ``api_version``, the quarterly ``YYYY-MM`` handle asked for (or ``unstable``)."""

    api_version: str = Field(default=DEFAULT_API_VERSION, pattern=r"^(\d{4}-(0[1-9]|1[0-2])|unstable)$")


@register
class ShopifyConnector(Connector):
    """Shopify Admin GraphQL: staff members (collaborators included) and app installations with scopes."""

    kind = "shopify"
    Options = ShopifyOptions
    options: ShopifyOptions
    capabilities = Capabilities(
        account_emails=True,
        app_scopes=True,
        notes=(
            "Shopify does not expose 2FA per staff member or as a shop policy; SAML accounts sign in through the "
            "company's identity provider and count as SSO",
            "Shopify has no staff activity or audit log API: dormant access and activity after a departure "
            "cannot be judged",
            "the staff list needs read_users (Shopify Plus or Advanced); without it the staff list is reported "
            "as not verified and an admin export can be imported instead",
            "collaborator accounts (COLLABORATOR, COLLABORATOR_TEAM_MEMBER) are people of Shopify Partners "
            "(agencies, developers); no partner organisation object is exposed",
            "other installed apps are listed only when the auditor's app holds read_apps (custom apps only)",
        ),
    )

    def __init__(self, settings: PlatformSettings, secret: SecretResolver, *,
                 transport: httpx.BaseTransport | None = None, sleep: Callable[[float], None] = time.sleep):
        super().__init__(settings, secret)
        self._transport = transport
        self._sleep = sleep

    # -- plumbing ------------------------------------------------------------------------------------------

    def _shop(self) -> str:
        value = self.settings.tenant_id or self.settings.business_id
        if not value:
            raise ConfigError(f"platform {self.name!r}: tenant_id (the shop's myshopify.com domain) is not set")
        return str(value)

    def _graphql(self, client: HttpClient) -> dialect.GraphQL:
        return dialect.GraphQL(client, f"{self.options.api_version}/graphql.json", sleep=self._sleep,
                               max_wait=self.options.max_wait)

    def _client(self, token: str) -> HttpClient:
        return HttpClient(
            self.name,
            self.settings.base_url or f"https://{self._shop()}/admin/api",
            auth=lambda: {"X-Shopify-Access-Token": token},
            **self.client_settings(),
            retry_hint=dialect.retry_hint,
            error_info=dialect.error_info,
            secrets=[token],
            transport=self._transport,
            sleep=self._sleep,
        )

    # -- check ---------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Probe the token, the shop and the staff list (``read_users``)."""
        try:
            token = self.token()
            self._shop()
        except ConfigError as exc:
            return [str(exc)]
        problems: list[str] = []
        with self._client(token) as client:
            graphql = self._graphql(client)
            for text, variables in ((SHOP_QUERY, {}), (STAFF_QUERY, {"first": 1, "after": None})):
                try:
                    graphql.query(text, variables)
                except ConnectorAuthError as exc:
                    return [str(exc)]
                except dialect.AccessDenied:
                    problems.append(f"{self.name}: {READ_USERS_NEEDED}")
                except ConnectorError as exc:
                    problems.append(str(exc))
        return problems

    # -- fetch ---------------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the shop; see the module docstring for the failure policy."""
        shop_domain = self._shop()
        token = self.token()
        errors: list[str] = []
        scopes: dict[str, str] = {}
        with self._client(token) as client:
            graphql = self._graphql(client)
            shop = graphql.query(SHOP_QUERY).get("shop")
            if not isinstance(shop, dict):
                raise ConnectorError(self.name, "truncated answer: no 'shop' object")
            own = self._own_app(graphql, errors)
            staff = self._read_all(graphql, STAFF_QUERY, "staffMembers", scopes, READ_USERS_NEEDED)
            others: list[Any] = []
            if own is not None and "read_apps" in (own.scopes or ()):
                others = self._read_all(graphql, APPS_QUERY, "appInstallations", scopes,
                                        "appInstallations was refused although the app holds read_apps")
            served = graphql.served_version
        snap = TenantSnapshot(platform=self.name, kind=self.kind, tenant=tenant_from(self.name, shop, shop_domain),
                              capabilities=dataclasses.replace(self.capabilities))
        self._note_version(snap, served)
        snap.accounts = self._accounts(staff, errors)
        snap.grants = [g for a in snap.accounts if (g := staff_grant(a)) is not None]
        snap.apps = [own] if own is not None else []
        own_id = own.raw.get("installation_id") if own is not None else None
        snap.apps += [app_from(item) for item in others if isinstance(item, dict) and item.get("id") != own_id]
        snap.errors = errors
        snap.complete = not errors
        for scope, reason in scopes.items():
            snap.scope_failed(scope, reason)
        return snap

    def _own_app(self, graphql: dialect.GraphQL, errors: list[str]) -> Any:
        try:
            installation = graphql.query(SELF_QUERY).get("currentAppInstallation")
        except ConnectorAuthError:
            raise
        except ConnectorError as exc:
            errors.append(f"{self.name}: the auditor's own app installation could not be read: {exc}")
            return None
        if not isinstance(installation, dict):
            errors.append(f"{self.name}: no currentAppInstallation in the answer")
            return None
        return app_from(installation, token_ref=SELF_TOKEN)

    def _read_all(self, graphql: dialect.GraphQL, text: str, field: str, scopes: dict[str, str],
                  denied: str) -> list[Any]:
        """Every node of connection ``field``; a failure marks scope ``tenant`` (never a short list)."""
        rows: list[Any] = []
        try:
            for page in graphql.nodes(text, field, self.settings.page_size):
                rows.extend(page)
        except ConnectorAuthError:
            raise
        except dialect.AccessDenied:
            scopes.setdefault("tenant", f"{self.name}: {denied}")
            return []
        except ConnectorError as exc:
            scopes.setdefault("tenant", f"{exc} (the {field} list is incomplete)")
        return rows

    def _accounts(self, rows: list[Any], errors: list[str]) -> list[Account]:
        accounts = [staff_account(row) for row in rows if isinstance(row, dict) and row.get("id")]
        if len(accounts) < len(rows):
            errors.append(f"{self.name}: {len(rows) - len(accounts)} malformed staffMembers node(s) skipped")
        return accounts

    def _note_version(self, snap: TenantSnapshot, served: str | None) -> None:
        wanted = self.options.api_version
        snap.tenant.raw["api_version_requested"] = wanted
        snap.tenant.raw["api_version_served"] = served
        if served and served != wanted:
            log.warning("%s: asked for Admin API %s, Shopify served %s (the requested version is not supported)",
                        self.name, wanted, served)
            snap.capabilities.notes = (*snap.capabilities.notes,
                                       f"Admin API {wanted} was asked for and {served} was served")
