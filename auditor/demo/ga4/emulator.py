"""An emulator of the Google Analytics Admin API (access bindings, properties, access report) for one account.

Serves, and refuses what auditor/connectors/ga4/contract.yaml's constraints refuse:

- ``GET /v1alpha/{accounts/{a} | properties/{p}}/accessBindings`` (``pageSize`` default 200, values above 500
  cut to 500, negative refused; ``pageToken`` valid only with the same other parameters). The same path under
  ``/v1beta`` answers 404: access bindings are a v1alpha surface. Scope ``analytics.manage.users`` or
  ``analytics.manage.users.readonly`` required (403 insufficient scopes otherwise).
- ``GET /v1beta/properties`` (also v1alpha): ``filter`` (``parent:accounts/{a}``) is required; ``pageSize`` up to
  200 (larger cut to 200).
- ``POST /v1beta/{accounts/{a} | properties/{p}}:runAccessReport`` (also v1alpha): at most 9 dimensions, 10
  metrics, 2 date ranges; for an account or property that is not Google Analytics 360 any dimension not
  related to quota (``userEmail`` ...) is refused with 400 INVALID_ARGUMENT; ``limit``/``offset`` page the rows
  and ``rowCount`` is the total.

Data: ``{"account": {"id", "name", "ga360"}, "properties": [{"id", "displayName"}], "bindings": {"accounts/<a>" |
"properties/<p>": [AccessBinding...]}, "access_rows": [{"userEmail", "accessedPropertyId", "epochTimeMicros",
"accessCount"}], "token_scopes": [...]}``. A ``FaultPlan`` can make chosen requests fail.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.faults import FaultPlan
from auditor.demo.gtm.google import (
    INSUFFICIENT_SCOPES,
    GoogleError,
    error_response,
    fault_response,
    page,
)
from auditor.demo.wsgi import Emulator, answer, json_response

PREFIX = ""
USERS_SCOPES = frozenset({"https://www.googleapis.com/auth/analytics.manage.users",
                          "https://www.googleapis.com/auth/analytics.manage.users.readonly"})
READ_SCOPES = frozenset({"https://www.googleapis.com/auth/analytics.readonly",
                         "https://www.googleapis.com/auth/analytics.edit"})
QUOTA_DIMENSIONS = frozenset({"accessDateHour", "dataApiQuotaCategory", "accessedPropertyId",
                              "accessedPropertyName"})
"""Dimensions a standard (non-360) property may ask for (the quota-related ones; the exact list is unconfirmed)."""
DIMENSIONS = frozenset({"userEmail", "userIP", "accessedPropertyId", "accessedPropertyName", "accessDateHour",
                        "accessMechanism", "reportType", "revenueDataReturned", "costDataReturned",
                        "epochTimeMicros", "mostRecentAccessEpochTimeMicros", "dataApiQuotaCategory"})


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it (the token is never recorded)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    body: Any = None


def _size(params: Mapping[str, str], default: int, cap: int) -> int:
    try:
        size = int(params.get("pageSize", default))
    except ValueError:
        raise GoogleError(400, "Invalid value at 'page_size' (TYPE_INT32).") from None
    if size < 0:
        raise GoogleError(400, "page_size must be non-negative.")
    return min(size or default, cap)


class Ga4Emulator(Emulator):
    """A WSGI app emulating the Analytics Admin API for one account; ``token`` is the only one accepted."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None):
        super().__init__(data, token, faults)
        self.account_id = str(data["account"]["id"])
        self.ga360 = bool(data["account"].get("ga360"))
        self.properties = {str(p["id"]): p for p in data.get("properties") or []}
        self.scopes = frozenset(data.get("token_scopes") or USERS_SCOPES | READ_SCOPES)

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then auth, then routing."""
        body = request.get_json(silent=True) if request.method == "POST" else None
        with self._lock:
            self.requests.append(RecordedRequest(request.method, request.path, dict(request.args.items()), body))
        return answer(self.faults, request.path, fault_response, lambda: self._serve(request, body))

    def _serve(self, request: Request, body: Any) -> Response:
        try:
            self._authenticate(request)
            return json_response(200, self._route(request, body))
        except GoogleError as exc:
            return error_response(exc.code, exc.message)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() != "bearer " or header[7:].strip() != self.token:
            raise GoogleError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.")

    def _need(self, scopes: frozenset[str]) -> None:
        if not self.scopes & scopes:
            raise GoogleError(403, INSUFFICIENT_SCOPES)

    def _entity(self, kind: str, entity_id: str) -> str:
        if (kind == "accounts" and entity_id == self.account_id) or (kind == "properties"
                                                                      and entity_id in self.properties):
            return f"{kind}/{entity_id}"
        raise GoogleError(403, "The caller does not have permission")

    def _route(self, request: Request, body: Any) -> dict[str, Any]:
        parts = [p for p in request.path.split("/") if p]
        if not parts or parts[0] not in ("v1alpha", "v1beta"):
            raise GoogleError(404, f"Method not found: {request.path}")
        version, rest = parts[0], parts[1:]
        params = dict(request.args.items())
        if request.method == "GET" and len(rest) == 3 and rest[2] == "accessBindings":
            if version != "v1alpha" or rest[0] not in ("accounts", "properties"):
                raise GoogleError(404, f"Method not found: {request.path}")
            self._need(USERS_SCOPES)
            parent = self._entity(rest[0], rest[1])
            items = list((self.data.get("bindings") or {}).get(parent) or [])
            return page(items, "accessBindings", params, _size(params, 200, 500))
        if request.method == "GET" and rest == ["properties"]:
            self._need(READ_SCOPES | USERS_SCOPES)
            if params.get("filter") != f"parent:accounts/{self.account_id}":
                raise GoogleError(400, "filter is required: parent:accounts/{account_id} or ancestor:...")
            items = [{"name": f"properties/{pid}", "parent": f"accounts/{self.account_id}",
                      "displayName": p.get("displayName"), "propertyType": "PROPERTY_TYPE_ORDINARY",
                      "serviceLevel": "GOOGLE_ANALYTICS_360" if self.ga360 else "GOOGLE_ANALYTICS_STANDARD"}
                     for pid, p in self.properties.items()]
            return page(items, "properties", params, _size(params, 50, 200))
        if request.method == "POST" and len(rest) == 2 and rest[1].endswith(":runAccessReport"):
            self._need(READ_SCOPES)
            entity = self._entity(rest[0], rest[1][: -len(":runAccessReport")])
            return self._report(entity, body)
        raise GoogleError(404, f"Method not found: {request.path}")

    def _report(self, entity: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise GoogleError(400, "Invalid JSON payload received.")
        dimensions = [d.get("dimensionName") for d in body.get("dimensions") or [] if isinstance(d, dict)]
        metrics = [m.get("metricName") for m in body.get("metrics") or [] if isinstance(m, dict)]
        ranges = body.get("dateRanges") or []
        if len(dimensions) > 9 or len(metrics) > 10 or len(ranges) > 2:
            raise GoogleError(400, "At most 9 dimensions, 10 metrics and 2 date ranges are allowed.")
        unknown = [d for d in dimensions if d not in DIMENSIONS] + [m for m in metrics if m != "accessCount"]
        if unknown:
            raise GoogleError(400, f"Did you mean ...? Field {unknown[0]} is not a valid dimension or metric.")
        if not self.ga360 and set(dimensions) - QUOTA_DIMENSIONS:
            extra = sorted(set(dimensions) - QUOTA_DIMENSIONS)
            raise GoogleError(400, f"Dimensions {', '.join(extra)} are only available for Google Analytics 360 "
                                   "properties.")
        rows = [r for r in self.data.get("access_rows") or []
                if entity.startswith("accounts/") or str(r.get("accessedPropertyId")) == entity.split("/")[1]]
        try:
            offset, limit = int(body.get("offset") or 0), int(body.get("limit") or 10_000)
        except (TypeError, ValueError):
            raise GoogleError(400, "offset and limit must be int64 values.") from None
        chosen = rows[offset: offset + limit]
        return {
            "dimensionHeaders": [{"dimensionName": d} for d in dimensions],
            "metricHeaders": [{"metricName": m} for m in metrics],
            "rows": [{"dimensionValues": [{"value": str(r.get(d, ""))} for d in dimensions],
                      "metricValues": [{"value": str(r.get(m, 1))} for m in metrics]} for r in chosen],
            "rowCount": len(rows),
        }


def create_emulator(data: dict[str, Any], token: str) -> tuple[Ga4Emulator, str]:
    """The emulator serving ``data`` and accepting ``token``, and the path prefix of its base URL."""
    return Ga4Emulator(data, token), PREFIX


