"""The Google Analytics 4 connector: access bindings of one Analytics account and its properties, and the
data-access report as the activity log (Admin API, read-only).

Settings: ``tenant_id`` is the Analytics account id; ``options.account_name`` names it. Reads:

- ``GET v1alpha/accounts/{a}/accessBindings`` (core: any failure raises; a 403 names the scope) and, per
  property, ``GET v1alpha/properties/{p}/accessBindings`` (a failure marks scope ``asset:<p>`` incomplete).
  Access bindings exist under ``/v1alpha`` only; ``pageSize`` is at most 500.
- ``GET v1beta/properties?filter=parent:accounts/{a}`` (a failure marks scope ``tenant`` incomplete: the
  properties' bindings are unknown).
- ``POST v1beta/accounts/{a}:runAccessReport`` for the last ``activity_days`` days: who read which property's
  data, when. Per-user dimensions need a Google Analytics 360 property; a refusal (400 INVALID_ARGUMENT) means
  the platform does not tell (capability ``audit_log`` off, with a note), any other failure marks ``events``.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from auditor.connectors.base import ConnectorOptions, register
from auditor.connectors.ga4.mapping import (
    access_event,
    account_from,
    binding_email,
    binding_grant,
    property_asset,
    tenant_from,
)
from auditor.connectors.gtm.dialect import read_pages
from auditor.connectors.gtm.google import GoogleAccountConnector
from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AuditEvent, Capabilities, Grant, TenantSnapshot

DEFAULT_BASE_URL = "https://analyticsadmin.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/analytics.manage.users.readonly"
NEEDS = (f"OAuth scopes {SCOPE} (access bindings) and https://www.googleapis.com/auth/analytics.readonly "
         "(properties, access report), and an Administrator role on the Analytics account")
MAX_BINDINGS_PAGE = 500
MAX_PROPERTIES_PAGE = 200
REPORT_LIMIT = 10_000
REPORT_DIMENSIONS = ("userEmail", "accessedPropertyId", "epochTimeMicros")


class Ga4Options(ConnectorOptions):
    """GA4's options: ``account_name``, the tenant's name."""

    account_name: str | None = None


@register
class Ga4Connector(GoogleAccountConnector):
    """Google Analytics 4: account and property access bindings, and the data-access report."""

    kind = "ga4"
    Options = Ga4Options
    options: Ga4Options
    capabilities = Capabilities(
        account_emails=True,
        audit_log=True,
        notes=(
            "Google Analytics does not expose 2FA, per user or as an account policy",
            "the activity log is the data-access report (reads of reporting data, not configuration changes); "
            "per-user rows need a Google Analytics 360 property",
            "admin and editor are privileged; an unknown role is kept as evidence and not counted as privileged",
        ),
    )
    DEFAULT_BASE_URL = DEFAULT_BASE_URL
    NEEDS = NEEDS
    ACCOUNT = "Google Analytics account"

    def _bindings(self, client: HttpClient, parent: str) -> list[Any]:
        size = max(1, min(self.settings.page_size, MAX_BINDINGS_PAGE))
        return [row for page in read_pages(client, f"v1alpha/{parent}/accessBindings", "accessBindings",
                                           {"pageSize": size}) for row in page]

    def check(self) -> list[str]:
        """Probe the token and its right to read the account's access bindings."""
        try:
            account, token = self._account_id(), self.token()
        except ConfigError as exc:
            return [str(exc)]
        with self._client(token) as client:
            try:
                client.get_json(f"v1alpha/accounts/{account}/accessBindings", {"pageSize": 1})
            except ConnectorError as exc:
                return [str(exc)]
        return []

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        """Read bindings, properties and the access report; see the module docstring for the failure policy."""
        account = self._account_id()
        token = self.token()
        snap = TenantSnapshot(platform=self.name, kind=self.kind,
                              tenant=tenant_from(self.name, account, self.options.account_name),
                              capabilities=dataclasses.replace(self.capabilities))
        with self._client(token) as client, self.worker_pool() as pool:
            top = self._bindings(client, f"accounts/{account}")
            try:
                size = max(1, min(self.settings.page_size, MAX_PROPERTIES_PAGE))
                properties = [row for page in read_pages(client, "v1beta/properties", "properties", {
                    "filter": f"parent:accounts/{account}", "pageSize": size}) for row in page]
            except ConnectorAuthError:
                raise
            except ConnectorError as exc:
                snap.scope_failed("tenant", str(exc))
                properties = []
            snap.assets = [a for a in (property_asset(p) for p in properties if isinstance(p, dict)) if a]
            futures = [(asset, pool.submit(self._bindings, client, f"properties/{asset.asset_id}"))
                       for asset in snap.assets]
            grants = self._grants(top, None, snap)
            for asset, future in futures:
                try:
                    grants += self._grants(future.result(), asset.asset_id, snap)
                except ConnectorAuthError:
                    raise
                except ConnectorError as exc:
                    snap.scope_failed(f"asset:{asset.asset_id}", str(exc))
            snap.events = self._events(client, account, now, snap)
        snap.grants = grants
        emails = dict.fromkeys(g.account_id for g in grants)
        snap.accounts = [account_from(email) for email in emails]
        return snap

    def _grants(self, rows: list[Any], asset_id: str | None, snap: TenantSnapshot) -> list[Grant]:
        grants: list[Grant] = []
        bad = 0
        for item in rows:
            grant = binding_grant(item, asset_id) if binding_email(item) else None
            if binding_email(item) is None:
                bad += 1
            elif grant is not None:
                grants.append(grant)
        if bad:
            scope = f"asset:{asset_id}" if asset_id else "tenant"
            snap.scope_failed(scope, f"{self.name}: {bad} malformed access binding(s) skipped")
        return grants

    def _events(self, client: HttpClient, account: str, now: datetime, snap: TenantSnapshot) -> list[AuditEvent]:
        """The access report of the last ``activity_days`` days, paged with limit/offset up to ``rowCount``."""
        days = self.settings.activity_days
        body: dict[str, Any] = {
            "dimensions": [{"dimensionName": d} for d in REPORT_DIMENSIONS],
            "metrics": [{"metricName": "accessCount"}],
            "dateRanges": [{"startDate": f"{days}daysAgo", "endDate": "today"}],
            "limit": str(REPORT_LIMIT),
        }
        events: list[AuditEvent] = []
        offset, bad = 0, 0
        try:
            while True:
                answer = client.post_json(f"v1beta/accounts/{account}:runAccessReport", {**body, "offset": str(offset)})
                rows = answer.get("rows", []) if isinstance(answer, dict) else None
                headers = [h.get("dimensionName") for h in answer.get("dimensionHeaders") or []
                           if isinstance(h, dict)] if isinstance(answer, dict) else []
                total = answer.get("rowCount", 0) if isinstance(answer, dict) else None
                if not isinstance(rows, list) or not isinstance(total, int) or (rows and not headers):
                    raise ConnectorError(self.name, "truncated access report: no 'rows' list or 'rowCount'")
                for row in rows:
                    event = access_event(row, headers)
                    if event is None:
                        bad += 1
                    else:
                        events.append(event)
                offset += len(rows)
                if not rows or offset >= total:
                    break
        except ConnectorAuthError:
            raise
        except ConnectorError as exc:
            if exc.status == 400:  # per-user dimensions refused: not a Google Analytics 360 property
                snap.capabilities.audit_log = False
                snap.capabilities.notes += (f"the access report refused per-user rows (not Google Analytics 360): "
                                            f"{exc}",)
            else:
                snap.scope_failed("events", str(exc))
            return []
        if bad:
            snap.scope_failed("events", f"{self.name}: {bad} malformed access report row(s) skipped")
        snap.activity_since = now - timedelta(days=days)
        return events
