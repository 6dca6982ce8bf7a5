"""The WooCommerce / WordPress connector: users with their roles, and each user's application passwords
(WordPress REST API, read-only).

Settings: ``tenant_id`` is the site's host (``shop.example``); ``base_url`` defaults to ``https://<tenant_id>/wp-json``;
the token (``token_env``) is ``username:application-password`` of an administrator, sent as HTTP Basic;
``options``: ``site_name``, ``workers``, ``max_wait``.

Failure policy of ``fetch``:

- The user list (``/wp/v2/users?context=edit``) is the core read: any failure raises (401 as
  ``ConnectorAuthError``, 403 as ``ConnectorPermissionError`` naming ``list_users``). ``context=edit`` is always
  sent, because without ``list_users`` the plain list silently returns only authors with published posts.
- A user's application passwords failing (403 without ``edit_user`` on them, 404, a malformed answer) marks
  scope ``account:<user id>`` incomplete. 501 (application passwords disabled, for the site or that user) means
  no password of theirs can sign in: none is listed, and the tenant's raw says so.
- WooCommerce REST API keys are not listed: no REST endpoint exposes them (declared in the capabilities).
- Shop customers (users whose only roles are ``customer`` / ``subscriber``, without administrative capabilities
  or application passwords) hold no back-office access and are not accounts of the audit; their number is
  kept in ``tenant.raw["customers_skipped"]``.
"""

from __future__ import annotations

import base64
import dataclasses
from datetime import datetime
from typing import Any

import httpx

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, SecretResolver, register
from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.jobs import bind, gather
from auditor.connectors.woocommerce import dialect
from auditor.connectors.woocommerce.mapping import (
    is_customer,
    password_account,
    password_grant,
    tenant_from,
    user_account,
    user_grant,
)
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Account, Capabilities, Grant, TenantSnapshot

USERS = "wp/v2/users"


class WooCommerceOptions(ConnectorOptions):
    """WooCommerce's options: ``site_name``, the tenant's display name (default: the site host)."""

    site_name: str | None = None


@register
class WooCommerceConnector(Connector):
    """WordPress users (administrator, shop_manager, editor, ...) and their application passwords."""

    kind = "woocommerce"
    Options = WooCommerceOptions
    options: WooCommerceOptions
    capabilities = Capabilities(
        account_emails=True,
        notes=(
            "WordPress core has no 2FA (plugins add it) and no policy to read: 2FA is unknown",
            "WordPress core keeps no login or activity log for users: dormant users and activity after a "
            "departure cannot be judged; application passwords report their last use and are judged by it",
            "application passwords are listed per user as credential accounts (id <user>:app-password:<uuid>) "
            "holding their owner's role",
            "WooCommerce REST API keys are not listed: no REST endpoint exposes them (table "
            "woocommerce_api_keys; woocommerce/woocommerce@aa094f1 class-wc-install.php) - export them from the "
            "database or WP-CLI and import the export",
        ),
    )

    def __init__(self, settings: PlatformSettings, secret: SecretResolver, *,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(settings, secret)
        self._transport = transport

    def _site(self) -> str:
        value = self.settings.tenant_id or self.settings.business_id
        if not value:
            raise ConfigError(f"platform {self.name!r}: tenant_id (the WordPress site's host) is not set")
        return str(value)

    def _client(self, token: str) -> HttpClient:
        if ":" not in token:
            raise ConfigError(f"platform {self.name!r}: the token must be 'username:application-password'")
        basic = base64.b64encode(token.encode()).decode()
        return HttpClient(self.name, self.settings.base_url or f"https://{self._site()}/wp-json",
                          auth=lambda: {"Authorization": f"Basic {basic}"}, **self.client_settings(),
                          error_info=dialect.error_info, secrets=[token, basic, token.split(":", 1)[1]],
                          transport=self._transport)

    def check(self) -> list[str]:
        """Probe the credentials and the ``list_users`` capability."""
        try:
            site, token = self._site(), self.token()
            client = self._client(token)
        except ConfigError as exc:
            return [str(exc)]
        del site
        with client:
            try:
                client.get_json(USERS, {"context": "edit", "per_page": 1})
            except ConnectorError as exc:
                return [str(exc)]
        return []

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the site's users and their application passwords; see the module docstring."""
        site, token = self._site(), self.token()
        errors: list[str] = []
        scopes: dict[str, str] = {}
        disabled: list[str] = []
        with self._client(token) as client, self.worker_pool() as pool:
            rows = [row for page in dialect.read_pages(client, USERS, {"context": "edit", "orderby": "id"},
                                                       self.settings.page_size) for row in page]
            users = [user_account(r) for r in rows if isinstance(r, dict) and r.get("id") not in (None, "")]
            if len(users) < len(rows):
                errors.append(f"{self.name}: {len(rows) - len(users)} malformed user item(s) skipped")
            passwords = gather(pool, [(u.account_id, bind(self._passwords, client, u, scopes, disabled))
                                      for u in users], errors)
        snap = TenantSnapshot(platform=self.name, kind=self.kind, tenant=tenant_from(self.name, site,
                              self.options.site_name), capabilities=dataclasses.replace(self.capabilities))
        snap.tenant.raw["application_passwords_disabled_for"] = sorted(disabled)
        grants: list[Grant] = []
        accounts: list[Account] = []
        skipped = 0
        for user, items in zip(users, passwords, strict=True):
            grant = user_grant(user)
            if is_customer(user) and not items:
                skipped += 1
                continue
            accounts.append(user)
            grants.append(grant)
            for item in items or []:
                credential = password_account(user, item)
                accounts.append(credential)
                grants.append(password_grant(grant, credential))
        snap.tenant.raw["customers_skipped"] = skipped
        snap.accounts, snap.grants, snap.errors = accounts, grants, errors
        snap.complete = not errors
        for scope, reason in scopes.items():
            snap.scope_failed(scope, reason)
        return snap

    def _passwords(self, client: HttpClient, user: Account, scopes: dict[str, str],
                   disabled: list[str]) -> list[dict[str, Any]]:
        """The application passwords of one user; a failure marks scope ``account:<id>`` (see the docstring)."""
        path = f"{USERS}/{user.account_id}/application-passwords"
        scope = f"account:{user.account_id}"
        try:
            body = client.get_json(path)
        except ConnectorAuthError:
            raise
        except ConnectorError as exc:
            if exc.status == 501:
                disabled.append(user.account_id)
                return []
            scopes.setdefault(scope, str(exc))
            return []
        if not isinstance(body, list):
            scopes.setdefault(scope, f"{self.name}: truncated answer from GET /{path}: not a JSON array")
            return []
        items = [i for i in body if isinstance(i, dict) and i.get("uuid")]
        if len(items) < len(body):
            scopes.setdefault(scope, f"{self.name}: {len(body) - len(items)} malformed application password(s) "
                                     f"of user {user.account_id}")
        return items
