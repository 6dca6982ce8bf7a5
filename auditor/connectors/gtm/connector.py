"""The Google Tag Manager connector: user permissions of one Tag Manager account (API v2, read-only).

Settings: ``tenant_id`` is the Tag Manager account id; ``options.account_name`` names it (the permission list
carries no account name). One read: ``GET accounts/{id}/user_permissions`` with scope
``tagmanager.manage.users``, paged with ``pageToken``.

Failure policy of ``fetch``: a rejected token raises ``ConnectorAuthError``, any other failure of the list
raises (403 as ``ConnectorPermissionError`` naming the scope). A malformed item is skipped and marks scope
``tenant`` incomplete, so nobody's finding on this account resolves on a list that lost someone.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from auditor.connectors.base import ConnectorOptions, register
from auditor.connectors.gtm import dialect
from auditor.connectors.gtm.google import GoogleAccountConnector
from auditor.connectors.gtm.mapping import account_from, grants_from, permission_id, tenant_from
from auditor.errors import ConfigError, ConnectorError
from auditor.model import Asset, Capabilities, TenantSnapshot

DEFAULT_BASE_URL = "https://tagmanager.googleapis.com/tagmanager/v2"
SCOPE = "https://www.googleapis.com/auth/tagmanager.manage.users"
NEEDS = f"OAuth scope {SCOPE} and account admin rights on the Tag Manager account"


class GtmOptions(ConnectorOptions):
    """Tag Manager's options: ``account_name``, the tenant's name (the API's permission list has none)."""

    account_name: str | None = None


@register
class GtmConnector(GoogleAccountConnector):
    """Google Tag Manager: who holds account access and which permission on each container."""

    kind = "gtm"
    Options = GtmOptions
    options: GtmOptions
    capabilities = Capabilities(
        account_emails=True,
        notes=(
            "Tag Manager does not expose 2FA, per user or as an account policy",
            "Tag Manager has no user activity log API: dormant access and activity after a departure cannot be "
            "judged",
            "publish on a container and account admin are privileged; an unknown permission value is kept as "
            "evidence and not counted as privileged",
        ),
    )
    DEFAULT_BASE_URL = DEFAULT_BASE_URL
    NEEDS = NEEDS
    ACCOUNT = "Tag Manager account"

    def check(self) -> list[str]:
        """Probe the token and its right to list the account's user permissions."""
        try:
            account, token = self._account_id(), self.token()
        except ConfigError as exc:
            return [str(exc)]
        with self._client(token) as client:
            try:
                client.get_json(f"accounts/{account}/user_permissions")
            except ConnectorError as exc:
                return [str(exc)]
        return []

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read every user permission of the account; see the module docstring for the failure policy."""
        account = self._account_id()
        token = self.token()
        with self._client(token) as client:
            rows = [row for page in dialect.read_pages(client, f"accounts/{account}/user_permissions",
                                                      "userPermission") for row in page]
        snap = TenantSnapshot(platform=self.name, kind=self.kind,
                              tenant=tenant_from(self.name, account, self.options.account_name),
                              capabilities=dataclasses.replace(self.capabilities))
        assets: dict[str, Asset] = {}
        bad = 0
        for item in rows:
            if permission_id(item) is None:
                bad += 1
                continue
            snap.accounts.append(account_from(item))
            grants, held = grants_from(item)
            snap.grants += grants
            for asset in held:
                assets.setdefault(asset.asset_id, asset)
        snap.assets = list(assets.values())
        if bad:
            snap.scope_failed("tenant", f"{self.name}: {bad} malformed user permission item(s) skipped")
        return snap
