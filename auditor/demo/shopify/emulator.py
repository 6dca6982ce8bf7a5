"""An emulator of the Shopify Admin GraphQL API (the fields the auditor reads) for one shop, as WSGI.

It serves ``POST /admin/api/{version}/graphql.json`` and refuses what auditor/connectors/shopify/contract.yaml
says the real API refuses. It is not a GraphQL engine: it recognises the root fields a query names (``shop``,
``currentAppInstallation``, ``staffMembers``, ``appInstallations``) and reads ``first`` / ``after`` /
``last`` from the variables (or literal arguments), which is all the connector sends.

- The token goes in ``X-Shopify-Access-Token``; anything else is HTTP 401 ``{"errors": "[API] Invalid API
  key or access token (unrecognized login or wrong password)"}``.
- An unsupported ``YYYY-MM`` version (or none) is served by the oldest supported one, named in
  ``X-Shopify-Api-Version``.
- ``staffMembers`` without ``read_users`` and ``appInstallations`` without ``read_apps``: HTTP 200, the field
  null, an ``ACCESS_DENIED`` error with its ``path``.
- Connections need ``first`` or ``last`` (1..250); ``after`` must be a cursor this emulator issued.
- Cost: a connection costs ``first + 2`` requested (``nodes + 2`` actual), any other root field 1. A leaky bucket
  (``throttle.maximum``, ``throttle.restore_rate`` points/s, read against ``clock``) refuses a query costing more
  than is available with HTTP 200 ``THROTTLED`` (or HTTP 429 with ``throttle_status=429``); every answer
  carries ``extensions.cost``.

Data: ``{"shop": {...}, "staff": [StaffMember...], "installation": {"id", "app", "accessScopes"},
"installations": [AppInstallation...], "throttle": {"maximum", "restore_rate"}}``. A ``FaultPlan`` can make
chosen requests fail (paths are ``/graphql.json``); ``requests`` records each query (never the token).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.cursors import decode_cursor, encode_cursor
from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.wsgi import Emulator, answer, html_response, json_response, raw_json

PREFIX = "/admin/api"
SUPPORTED_VERSIONS = ("2025-01", "2025-04", "2025-07", "2025-10", "2026-01")
MAX_PAGE = 250
REJECTED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
ROOTS = ("staffMembers", "appInstallations", "currentAppInstallation", "shop")
SCOPE_OF = {"staffMembers": "read_users", "appInstallations": "read_apps"}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One GraphQL request: the version asked for, the root fields named and the variables."""

    method: str
    path: str
    version: str
    fields: tuple[str, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)
    throttled: bool = False


class GraphQLError(Exception):
    """A top-level GraphQL error (HTTP 200 unless ``status`` says otherwise)."""

    def __init__(self, message: str, code: str | None = None, status: int = 200):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def _argument(query: str, root: str, name: str, variables: Mapping[str, Any]) -> Any:
    """The value of argument ``name`` of ``root``: a ``$variable`` or a literal."""
    match = re.search(rf"\b{root}\s*\(([^)]*)\)", query)
    if not match:
        return None
    arg = re.search(rf"\b{name}\s*:\s*(\$\w+|\"[^\"]*\"|\d+|null)", match.group(1))
    if not arg:
        return None
    value = arg.group(1)
    if value.startswith("$"):
        return variables.get(value[1:])
    if value == "null":
        return None
    return value.strip('"') if value.startswith('"') else int(value)


class ShopifyEmulator(Emulator):
    """A WSGI app emulating the Admin GraphQL API of one shop; ``token`` is the only one accepted."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 clock: Callable[[], float] = time.monotonic, throttle_status: int = 200):
        super().__init__(data, token, faults)
        self.clock = clock
        self.throttle_status = throttle_status
        throttle = data.get("throttle") or {}
        self.maximum = float(throttle.get("maximum", 1000.0))
        self.rate = float(throttle.get("restore_rate", 50.0))
        self._available = self.maximum
        self._at = clock()
        installation = data.get("installation") or {}
        self.scopes = {s.get("handle") for s in installation.get("accessScopes") or []}

    # -- the bucket ----------------------------------------------------------------------------------------

    def _status(self) -> dict[str, float]:
        now = self.clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.rate)
        self._at = now
        return {"maximumAvailable": self.maximum, "currentlyAvailable": round(self._available, 2),
                "restoreRate": self.rate}

    # -- WSGI ----------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request: version, faults, auth, then the query."""
        parts = request.path[len(PREFIX):].strip("/").split("/") if request.path.startswith(PREFIX) else []
        if len(parts) == 1 and parts[0] == "graphql.json":
            parts = ["", "graphql.json"]  # no version: the oldest supported one
        if len(parts) != 2 or parts[1] != "graphql.json":
            return self._json(404, {"errors": "Not Found"})
        version = parts[0] if parts[0] in SUPPORTED_VERSIONS or parts[0] == "unstable" else SUPPORTED_VERSIONS[0]
        return answer(self.faults, "/graphql.json", lambda fault: self._fault_response(fault, version),
                      lambda: self._serve(request, version))

    def _serve(self, request: Request, version: str) -> Response:
        if request.headers.get("X-Shopify-Access-Token", "") != self.token:
            return self._json(401, {"errors": REJECTED}, version)
        if request.method != "POST":
            return self._json(400, {"errors": "GraphQL queries are sent with POST"}, version)
        return self._graphql(request, version)

    def _graphql(self, request: Request, version: str) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return self._json(400, {"errors": "Bad Request: the body is not JSON"}, version)
        query = str(body.get("query") or "") if isinstance(body, dict) else ""
        variables = body.get("variables") if isinstance(body, dict) and isinstance(body.get("variables"), dict) else {}
        roots = tuple(r for r in ROOTS if re.search(rf"\b{r}\b", query))
        with self._lock:
            try:
                answer = self._answer(query, roots, variables)
            except GraphQLError as exc:
                self.requests.append(RecordedRequest("POST", "/graphql.json", version, roots, dict(variables)))
                return self._json(exc.status, {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]},
                                  version)
            throttled = "THROTTLED" in json.dumps(answer.get("errors", []))
            self.requests.append(RecordedRequest("POST", "/graphql.json", version, roots, dict(variables), throttled))
        status = self.throttle_status if throttled else 200
        return self._json(status, answer, version)

    def _answer(self, query: str, roots: tuple[str, ...], variables: Mapping[str, Any]) -> dict[str, Any]:
        if not roots:
            raise GraphQLError("Field must be one of the query root fields", "undefinedField")
        requested = 0
        for root in roots:
            if root in ("staffMembers", "appInstallations"):
                first, last = _argument(query, root, "first", variables), _argument(query, root, "last", variables)
                if first is None and last is None:
                    raise GraphQLError("you must provide one of first or last")
                size = first if first is not None else last
                if not isinstance(size, int) or not 0 <= size <= MAX_PAGE:
                    raise GraphQLError(f"The maximum number of items that can be requested is {MAX_PAGE}",
                                       "MAX_PAGE_SIZE_EXCEEDED")
                requested += size + 2
            else:
                requested += 1
        status = self._status()
        if requested > status["currentlyAvailable"]:
            return {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                        "throttleStatus": status}}}
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        actual = 0
        for root in roots:
            needed = SCOPE_OF.get(root)
            if needed and needed not in self.scopes:
                data[root] = None
                errors.append({"message": f"Access denied for {root} field.", "path": [root], "extensions": {
                    "code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes"}})
                actual += 1
                continue
            data[root] = self._root(query, root, variables)
            actual += len(data[root]["nodes"]) + 2 if isinstance(data[root], dict) and "nodes" in data[root] else 1
        self._available -= actual
        answer: dict[str, Any] = {"data": data, "extensions": {"cost": {
            "requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self._status()}}}
        if errors:
            answer["errors"] = errors
        return answer

    def _root(self, query: str, root: str, variables: Mapping[str, Any]) -> Any:
        if root == "shop":
            return dict(self.data.get("shop") or {})
        if root == "currentAppInstallation":
            return dict(self.data.get("installation") or {})
        items = list(self.data.get("staff") if root == "staffMembers" else self.data.get("installations") or [])
        return self._page(query, root, items, variables)

    def _page(self, query: str, root: str, items: list[Any], variables: Mapping[str, Any]) -> dict[str, Any]:
        first = _argument(query, root, "first", variables)
        size = first if first is not None else _argument(query, root, "last", variables)
        after = _argument(query, root, "after", variables)
        start = 0
        if after:
            decoded = decode_cursor(f"shopify-{root}", str(after))
            if decoded is None:
                raise GraphQLError(f"Invalid cursor for current pagination sort: {after}",
                                   "argumentLiteralsIncompatible")
            start = decoded
        end = min(start + int(size), len(items))
        return {"nodes": items[start:end], "pageInfo": {
            "hasNextPage": end < len(items), "hasPreviousPage": start > 0,
            "startCursor": encode_cursor(f"shopify-{root}", start) if end > start else None,
            "endCursor": encode_cursor(f"shopify-{root}", end) if end > start else None}}

    # -- answers -------------------------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, body: Any, version: str | None = None) -> Response:
        return json_response(status, body, {"X-Shopify-Api-Version": version} if version else None)

    def _fault_response(self, fault: Fault, version: str) -> Response:
        kind = fault.kind
        if kind in ("429", "rate_limit"):
            return self._json(429, {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                                    "extensions": {"cost": {"requestedQueryCost": 52, "actualQueryCost": None,
                                                            "throttleStatus": {"maximumAvailable": 1000.0,
                                                                               "currentlyAvailable": 2.0,
                                                                               "restoreRate": 50.0}}}}, version)
        if kind == "500":
            return self._json(500, {"errors": [{"message": "Internal error. Looks like something went wrong on our "
                                                "end.", "extensions": {"code": "INTERNAL_SERVER_ERROR",
                                                                       "requestId": "sandbox"}}]}, version)
        if kind == "503":
            return html_response()
        if kind == "malformed":
            return raw_json('{"data": {"staffMembers": {"nodes": [ }')
        if kind == "missing_data":
            return self._json(200, {"extensions": {}}, version)
        if kind == "401":
            return self._json(401, {"errors": REJECTED}, version)
        return self._json(403, {"errors": "[API] This action requires merchant approval for read_users scope."},
                          version)


def create_emulator(data: dict[str, Any], token: str) -> tuple[ShopifyEmulator, str]:
    """The emulator serving ``data`` and accepting ``token``, and the path prefix of its base URL."""
    return ShopifyEmulator(data, token), PREFIX
