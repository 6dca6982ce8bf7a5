"""The X Ads connector: what the X Ads API tells about who holds an ads account (read-only).

The API lists only the caller's own permissions (``authenticated_user_access``) and the promotable users
(the owner handle, ``FULL``, and handles whose posts may be promoted, ``RETWEETS_ONLY``); no endpoint lists
every user of an ads account. The connector says so in its capabilities; the rest comes from an admin's
export through the ``import`` connector, configured as its own platform entry.

Settings: ``options.ad_account_ids`` (or ``tenant_id`` as the single ads account), ``token_env`` naming
``consumer_key:consumer_secret:access_token:access_token_secret`` - or, when ``options`` names
``consumer_key_env``, ``consumer_secret_env`` and ``access_token_secret_env``, the access token alone.

Failure policy of ``fetch``: a rejected signature (401) raises ``ConnectorAuthError`` at once; a base URL
naming an end-of-life API version is a ``ConfigError`` before any call. Any failure of one ads account's
reads (403/404 on an account the user cannot see, 5xx, timeouts and 429 after retries, malformed or truncated
answers) is ``snapshot.scope_failed("asset:<id>", reason)`` and the other ads accounts are still read; when
no ads account could be read at all, the first missing permission (``ConnectorPermissionError``, saying what
to grant) or failure is raised.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, SecretResolver, register
from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError, HttpClient
from auditor.connectors.x import dialect
from auditor.connectors.x.mapping import (
    READ_ONLY_PERMISSIONS,
    ad_account_asset,
    caller_account,
    permission_grants,
    promotable_account,
    promotable_evidence,
    promotable_grant,
    promotable_holder,
    user_id,
)
from auditor.connectors.x.oauth import OAuth1Credentials, OAuth1Transport, parse_credentials
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Account, Asset, Capabilities, Grant, Tenant, TenantSnapshot

DEFAULT_BASE_URL = "https://ads-api.x.com/12"
GAP_NOTE = ("X Ads lists only the caller's own permissions and the promotable users: no API lists every user "
            "of an ads account; import an admin's export (kind \"import\") for the others")
_SPLIT_ENVS = ("consumer_key_env", "consumer_secret_env", "access_token_secret_env")


class XOptions(ConnectorOptions):
    """X's options: the ads accounts, the three variables of split OAuth credentials, the tenant's name."""

    ad_account_ids: list[str] | None = None
    consumer_key_env: str | None = None
    consumer_secret_env: str | None = None
    access_token_secret_env: str | None = None
    tenant_name: str | None = None

    def split_envs(self) -> dict[str, str] | None:
        """Option key -> variable of the split credentials, when all three are named; None otherwise."""
        envs = {"consumer_key_env": self.consumer_key_env, "consumer_secret_env": self.consumer_secret_env,
                "access_token_secret_env": self.access_token_secret_env}
        return {k: v for k, v in envs.items() if v} if all(envs.values()) else None


@dataclasses.dataclass(slots=True)
class _AdAccountRead:
    """What was read for one ads account (None: that read failed and was recorded)."""

    account_id: str
    node: dict[str, Any] | None = None
    access: dict[str, Any] | None = None
    promotable: list[dict[str, Any]] | None = None


@register
class XConnector(Connector):
    """X Ads: the caller's permissions and the owner handle of each ads account; declares the gap."""

    Options = XOptions
    options: XOptions

    kind = "x"
    capabilities = Capabilities(
        per_user_2fa=False,
        tenant_2fa=False,
        app_scopes=False,
        audit_log=False,
        account_emails=False,
        notes=(
            GAP_NOTE,
            "X does not expose two-factor authentication, emails or an activity log through the Ads API",
            "OAuth 1.0a tokens have no scopes to inspect; apps connected to the account are not listed",
            "promotable users of type RETWEETS_ONLY are kept as evidence on the ads account, not as access",
        ),
    )

    def __init__(
        self,
        settings: PlatformSettings,
        secret: SecretResolver,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(settings, secret)
        self._transport = transport
        self._sleep = sleep

    # -- settings --------------------------------------------------------------------------------------

    def ad_account_ids(self) -> list[str]:
        """The ads accounts to read: ``options.ad_account_ids`` or ``tenant_id``; ConfigError when neither."""
        value = self.options.ad_account_ids
        if value is None and self.settings.tenant_id:
            value = [self.settings.tenant_id]
        if not value or not all(v.strip() for v in value):
            raise ConfigError(f"platform {self.name!r}: options.ad_account_ids must list the X ads account ids "
                              "(or set tenant_id to the one ads account)")
        return list(dict.fromkeys(v.strip() for v in value))

    def credentials(self) -> OAuth1Credentials:
        """The OAuth 1.0a credentials, from one combined secret or four separate ones."""
        token = self.token()
        split = self.options.split_envs()
        if split:
            key, secret, token_secret = (self.secret(env, f"platform.options.{k}") for k, env in split.items())
            return OAuth1Credentials(key, secret, token, token_secret)
        parsed = parse_credentials(token)
        if parsed is None:
            raise ConfigError(
                f"platform {self.name!r}: the secret named by token_env ({self.settings.token_env}) must be "
                "consumer_key:consumer_secret:access_token:access_token_secret (X Ads uses OAuth 1.0a), or set "
                f"options {', '.join(_SPLIT_ENVS)}"
            )
        return parsed

    def base_url(self) -> str:
        """The API root; ConfigError when it names an end-of-life version (the real API no longer serves it)."""
        url = self.settings.base_url or DEFAULT_BASE_URL
        version = dialect.end_of_life_version(url)
        if version is not None:
            raise ConfigError(f"platform {self.name!r}: base_url names X Ads API version {version}, which is end of "
                              f"life; use {', '.join('/' + v for v in dialect.ACTIVE_VERSIONS)} "
                              f"(e.g. {DEFAULT_BASE_URL})")
        return url

    def _client(self, credentials: OAuth1Credentials) -> HttpClient:
        return HttpClient(
            self.name,
            self.base_url(),
            **self.client_settings(),
            retry_hint=dialect.retry_hint,
            error_info=dialect.error_info,
            secrets=credentials.secrets,
            transport=OAuth1Transport(credentials, self._transport),
            sleep=self._sleep,
        )

    # -- check -----------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Probe each ads account's ``authenticated_user_access``; flag permissions beyond read-only."""
        try:
            ids = self.ad_account_ids()
            credentials = self.credentials()
            self.base_url()
        except ConfigError as exc:
            return [str(exc)]
        problems: list[str] = []
        with self._client(credentials) as client:
            for account_id in ids:
                try:
                    body = client.get_json(f"accounts/{account_id}/authenticated_user_access")
                except ConnectorAuthError as exc:
                    return [str(exc)]
                except ConnectorError as exc:
                    problems.append(str(exc))
                    continue
                data = body.get("data") if isinstance(body, dict) else None
                permissions = data.get("permissions") if isinstance(data, dict) else None
                if not isinstance(permissions, list):
                    problems.append(f"{self.name}: authenticated_user_access of {account_id} gave no permissions")
                    continue
                extra = sorted({str(p) for p in permissions} - READ_ONLY_PERMISSIONS)
                if extra:
                    problems.append(f"{self.name}: the auditor's X user holds {', '.join(extra)} on ads account "
                                    f"{account_id}; read-only access (ANALYST) is enough")
        return problems

    # -- fetch -----------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read every configured ads account; see the module docstring for the failure policy."""
        ids = self.ad_account_ids()
        credentials = self.credentials()
        self.base_url()
        failures: dict[str, list[ConnectorError]] = {}
        with self._client(credentials) as client, self.worker_pool() as pool:
            reads = [_AdAccountRead(i) for i in ids]
            jobs: list[tuple[_AdAccountRead, str, Any]] = []
            for read in reads:
                base = f"accounts/{read.account_id}"
                jobs.append((read, "node", pool.submit(self._data, client, base, dict)))
                jobs.append((read, "access", pool.submit(self._data, client, f"{base}/authenticated_user_access",
                                                         dict)))
                jobs.append((read, "promotable", pool.submit(self._promotable, client, base)))
            self._collect(jobs, failures)
        if all(r.node is None and r.access is None and r.promotable is None for r in reads):
            every = [exc for excs in failures.values() for exc in excs]
            raise next((e for e in every if isinstance(e, ConnectorPermissionError)), every[0])
        return self._snapshot(reads, failures)

    def _data(self, client: HttpClient, path: str, expected: type) -> Any:
        body = client.get_json(path)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, expected):
            raise ConnectorError(self.name, f"unexpected answer from GET /{path}: no 'data' object")
        return data

    def _promotable(self, client: HttpClient, base: str) -> list[dict[str, Any]]:
        count = min(self.settings.page_size, dialect.MAX_COUNT)
        items: list[dict[str, Any]] = []
        bad = 0
        for page in dialect.cursor_pages(client, f"{base}/promotable_users", {"count": count}, self.name):
            for item in page:
                if isinstance(item, dict) and user_id(item.get("user_id")) is not None:
                    items.append(item)
                else:
                    bad += 1
        if bad:
            raise ConnectorError(self.name, f"{bad} malformed item(s) in GET /{base}/promotable_users")
        return items

    @staticmethod
    def _collect(jobs: list[tuple[_AdAccountRead, str, Any]], failures: dict[str, list[ConnectorError]]) -> None:
        """Results into their reads; auth failures raise, the others are recorded per ads account."""
        try:
            for read, field, future in jobs:
                try:
                    setattr(read, field, future.result())
                except ConnectorAuthError:
                    raise
                except ConnectorError as exc:
                    failures.setdefault(read.account_id, []).append(exc)
        except BaseException:
            for _, _, future in jobs:
                future.cancel()
            raise

    def _snapshot(self, reads: list[_AdAccountRead], failures: dict[str, list[ConnectorError]]) -> TenantSnapshot:
        ids = [r.account_id for r in reads]
        scopes = [(f"asset:{i}", f"{exc} (ads account {i})") for i, excs in failures.items() for exc in excs]
        accounts: dict[str, Account] = {}
        assets: list[Asset] = []
        grants: list[Grant] = []
        callers: list[str] = []
        for read in reads:
            asset = ad_account_asset(read.account_id, read.node)
            assets.append(asset)
            if read.access is not None:
                uid = user_id(read.access.get("user_id"))
                if uid is None:
                    scopes.append((f"asset:{read.account_id}",
                                   f"{self.name}: authenticated_user_access of {read.account_id} names no user_id"))
                else:
                    callers.append(uid)
                    accounts.setdefault(uid, caller_account(uid, ids))
                    grants += permission_grants(uid, read.account_id, read.access.get("permissions"))
            if read.promotable is not None:
                asset.raw["promotable_users"] = [promotable_evidence(i) for i in read.promotable]
                for item in read.promotable:
                    if item.get("deleted") is True or not promotable_holder(item):
                        continue
                    account, grant = promotable_account(item), promotable_grant(read.account_id, item)
                    if account is not None and grant is not None:
                        existing = accounts.setdefault(account.account_id, account)
                        if existing is not account:
                            existing.raw.setdefault("promotable_users", []).append(promotable_evidence(item))
                        grants.append(grant)
        tenant = self._tenant(ids, assets, callers)
        snap = TenantSnapshot(
            platform=self.name, kind=self.kind, tenant=tenant, capabilities=dataclasses.replace(self.capabilities),
            accounts=list(accounts.values()), assets=assets, grants=grants,
        )
        for scope, reason in scopes:
            snap.scope_failed(scope, reason)
        return snap

    def _tenant(self, ids: list[str], assets: list[Asset], callers: list[str]) -> Tenant:
        name = self.options.tenant_name or (assets[0].name if len(assets) == 1 else None) or self.name
        return Tenant(
            platform=self.name,
            tenant_id=self.settings.tenant_id or ids[0],
            name=str(name),
            two_factor_required=None,
            raw={"ad_account_ids": ids, "caller_user_ids": sorted(set(callers)), "gap": GAP_NOTE},
        )
