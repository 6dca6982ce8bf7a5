"""The LinkedIn connector: Page (organization) roles and ad-account users through the versioned REST API.

Settings: ``tenant_id`` is the organization id (``123`` or ``urn:li:organization:123``); ``options``:
``ad_account_ids`` (list; default: every ad account the token's member holds a role on), ``version``
(``LinkedIn-Version``, default ``202601``), ``organization_name`` (LinkedIn's ACL answers carry no names),
``workers`` (concurrent reads, default 4), ``max_wait`` (longest back-off in seconds).

Failure policy of ``fetch``:

- A rejected token (401) anywhere raises ``ConnectorAuthError``.
- ``organizationAcls`` of the organization is the core read: any failure raises (``ConnectorPermissionError``
  naming the scope and role the token needs on a 403).
- The caller's ad-account roles (``adAccountUsers?q=authenticatedUser``) and each ad account's users are
  recorded in ``snapshot.errors`` when they fail (``complete`` False), and the rest is kept. So is a token
  member who is not a manager of an ad account: LinkedIn then shows only the member's own binding, and the
  account's user list is incomplete.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import httpx

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, ConnectorOptions, Id, SecretResolver, register
from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.jobs import bind, gather
from auditor.connectors.linkedin import dialect
from auditor.connectors.linkedin.mapping import (
    AD_ACCOUNT_PREFIX,
    MANAGER_AD_ROLES,
    ORGANIZATION_PREFIX,
    acl_grant,
    ad_account_asset,
    ad_user_grant,
    is_live,
    member_account,
    organization_asset,
    stamp_events,
    tenant_from,
    urn,
    valid_acl,
    valid_ad_user,
)
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Capabilities, Grant, TenantSnapshot

DEFAULT_BASE_URL = "https://api.linkedin.com/rest"
REQUIRED_SCOPES = ("r_organization_admin", "r_ads")





class LinkedInOptions(ConnectorOptions):
    """LinkedIn's options: ``organization_id`` (when ``tenant_id`` is not set), the ``ad_account_ids`` to read
    (default: those the token's user holds), the ``version`` header (YYYYMM) and the ``organization_name``."""

    organization_id: Id | None = None
    ad_account_ids: list[Id] | None = None
    version: Id | None = None
    organization_name: str | None = None


@register
class LinkedInConnector(Connector):
    """LinkedIn: Page role holders (organizationAcls) and ad-account users (adAccountUsers), read-only."""

    kind = "linkedin"
    Options = LinkedInOptions
    options: LinkedInOptions
    capabilities = Capabilities(
        notes=(
            "LinkedIn does not expose 2FA for Page admins or ad-account users, nor a 2FA policy",
            "LinkedIn identifies members by person URN only (no email, no name): link them to directory people "
            "with matching.links entries",
            "LinkedIn has no activity log: ad-account users carry changeAuditStamps (who added them, when), "
            "reported as role_granted / role_changed events, and nothing shows use of the access",
            "LinkedIn has no API listing the apps connected to an organization; token introspection needs the "
            "app's client secret and is not done",
            "REQUESTED, REJECTED and REVOKED Page roles are not live access: they are kept as evidence on the "
            "Page asset (raw inactive_roles) and give no grant",
        ),
    )

    def __init__(self, settings: PlatformSettings, secret: SecretResolver, *,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(settings, secret)
        self._transport = transport

    # -- plumbing ------------------------------------------------------------------------------------------

    def _organization(self) -> str:
        value = self.settings.tenant_id or self.options.organization_id
        if not value:
            raise ConfigError(f"platform {self.name!r}: tenant_id (the LinkedIn organization id) is not set")
        return urn(ORGANIZATION_PREFIX, value)

    def _configured_ad_accounts(self) -> list[str] | None:
        value = self.options.ad_account_ids
        if value is None:
            return None
        return list(dict.fromkeys(urn(AD_ACCOUNT_PREFIX, v) for v in value))

    def _client(self, token: str) -> HttpClient:
        version = self.options.version or dialect.DEFAULT_VERSION
        return HttpClient(
            self.name,
            self.settings.base_url or DEFAULT_BASE_URL,
            auth=lambda: {"Authorization": f"Bearer {token}"},
            **self.client_settings(),
            error_info=dialect.error_info,
            secrets=[token],
            transport=dialect.VersionHeaders(version, self._transport),
        )

    def _read(self, client: HttpClient, path: str, params: dict[str, Any]) -> list[Any]:
        rows: list[Any] = []
        try:
            for page in dialect.read_elements(client, path, params, self.settings.page_size):
                rows.extend(page)
        except ConnectorError as exc:
            if exc.status == dialect.VERSION_RETIRED_STATUS:
                version = self.options.version or dialect.DEFAULT_VERSION
                raise ConnectorError(self.name, dialect.retired_version_message(version),
                                     status=exc.status) from None
            raise
        return rows

    # -- check ---------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Probe the token, the member's ADMINISTRATOR role on the organization and its ad-account roles."""
        try:
            organization = self._organization()
            configured = self._configured_ad_accounts()
            token = self.token()
        except ConfigError as exc:
            return [str(exc)]
        problems: list[str] = []
        with self._client(token) as client:
            try:
                own = self._read(client, "organizationAcls",
                                 {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"})
            except ConnectorAuthError as exc:
                return [str(exc)]
            except ConnectorError as exc:
                if exc.status == dialect.VERSION_RETIRED_STATUS:
                    return [str(exc)]
                problems.append(str(exc))
                own = None
            if own is not None and not any(isinstance(r, dict) and r.get("organization") == organization
                                           for r in own):
                problems.append(f"{self.name}: the token's member is not an APPROVED ADMINISTRATOR of "
                                f"{organization}; LinkedIn lists a Page's roles to its administrators only")
            try:
                mine = self._read(client, "adAccountUsers", {"q": "authenticatedUser"})
            except ConnectorError as exc:
                return [*problems, str(exc)]
        failures: dict[str, list[str]] = {}
        self._ad_accounts(configured, mine, failures)
        return problems + [reason for reasons in failures.values() for reason in reasons]

    # -- fetch ---------------------------------------------------------------------------------------------

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read the organization's Page roles and its ad accounts' users; see the module docstring."""
        organization = self._organization()
        configured = self._configured_ad_accounts()
        token = self.token()
        errors: list[str] = []
        with self._client(token) as client, self.worker_pool() as pool:
            acl_rows, mine = gather(pool, [
                ("organizationAcls", bind(self._read, client, "organizationAcls",
                                           {"q": "organization", "organization": organization})),
                ("authenticatedUser", bind(self._read, client, "adAccountUsers", {"q": "authenticatedUser"})),
            ], errors, core=frozenset({"organizationAcls"}))
            problems: dict[str, list[str]] = {}
            ad_accounts = self._ad_accounts(configured, mine, problems)
            failed: list[str] = []
            user_rows = gather(pool, [
                (account, bind(self._read, client, "adAccountUsers", {"q": "accounts", "accounts": account}))
                for account, _ in ad_accounts
            ], failed)
        name = self.options.organization_name
        snap = TenantSnapshot(platform=self.name, kind=self.kind, tenant=tenant_from(self.name, organization, name),
                              capabilities=dataclasses.replace(self.capabilities))
        grants, inactive = self._acl_grants(organization, acl_rows, errors)
        snap.assets.append(organization_asset(organization, name, inactive))
        reasons = iter(failed)
        for (account, caller_role), rows in zip(ad_accounts, user_rows, strict=True):
            snap.assets.append(ad_account_asset(account, caller_role))
            if rows is None:
                problems.setdefault(account, []).append(f"{next(reasons)} (ad account {account})")
            grants += self._ad_grants(account, rows or [], snap, errors)
        snap.grants = grants
        sources: dict[str, list[str]] = {}
        for grant in grants:
            where = sources.setdefault(grant.account_id, [])
            if grant.asset_id not in where:
                where.append(str(grant.asset_id))
        snap.accounts = [member_account(person, where) for person, where in sources.items()]
        snap.errors = errors
        snap.complete = not errors
        for account, reasons_of in problems.items():
            for reason in reasons_of:
                snap.scope_failed(f"asset:{account}", reason)
        return snap

    def _ad_accounts(self, configured: list[str] | None, mine: list[Any] | None,
                     problems: dict[str, list[str]]) -> list[tuple[str, str | None]]:
        """(ad account URN, the token member's role on it) to read; ``problems`` gets, per ad account, what
        makes its user list incomplete."""
        roles: dict[str, str] = {}
        for row in mine or []:
            if isinstance(row, dict) and isinstance(row.get("account"), str) and isinstance(row.get("role"), str):
                roles.setdefault(row["account"], row["role"])
        accounts = configured if configured is not None else list(roles)
        if mine is None:
            return [(account, None) for account in accounts]
        for account in accounts:
            role = roles.get(account)
            if role is None:
                problems.setdefault(account, []).append(
                    f"{self.name}: the token's member holds no role on ad account {account}; its users "
                              "cannot be listed")
            elif role not in MANAGER_AD_ROLES:
                problems.setdefault(account, []).append(
                    f"{self.name}: the token's member is {role} on ad account {account}; LinkedIn shows "
                              "a non-manager only its own binding, so the user list is incomplete (needs "
                              "ACCOUNT_MANAGER or ACCOUNT_BILLING_ADMIN)")
        return [(account, roles.get(account)) for account in accounts]

    def _acl_grants(self, organization: str, rows: list[Any],
                    errors: list[str]) -> tuple[list[Grant], list[dict[str, Any]]]:
        grants: list[Grant] = []
        inactive: list[dict[str, Any]] = []
        bad = 0
        for item in rows:
            if not valid_acl(item):
                bad += 1
            elif is_live(item):
                grants.append(acl_grant(organization, item))
            else:
                inactive.append(dict(item))
        if bad:
            errors.append(f"{self.name}: {bad} malformed element(s) skipped in GET /organizationAcls")
        return grants, inactive

    def _ad_grants(self, account: str, rows: list[Any], snap: TenantSnapshot, errors: list[str]) -> list[Grant]:
        grants: list[Grant] = []
        bad = 0
        for item in rows:
            if not valid_ad_user(item):
                bad += 1
                continue
            grants.append(ad_user_grant(account, item))
            snap.events += stamp_events(account, item)
        if bad:
            errors.append(f"{self.name}: {bad} malformed element(s) skipped in GET /adAccountUsers for {account}")
        return grants
