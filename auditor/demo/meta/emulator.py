"""An emulator of the Meta Graph API (read side) serving one ``MetaBusinessData`` dict as WSGI.

It answers the documented shapes of docs/platform-apis.md section 1 under any ``/vNN.N`` prefix: the
business node and its edges, ``assigned_users`` of assets (``business=`` required for ad accounts), ad
account ``activities`` (``since``/``until``), the per-user asset views, ``/me`` and ``/debug_token``.
Lists are paged like Graph (``limit``, opaque ``after``/``before`` cursors, ``paging.next`` as an absolute
URL only when more remain, ``summary=total_count``). Errors use Graph's error JSON. A ``FaultPlan`` can make
chosen requests fail; every request is recorded (token parameters removed) in ``requests``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from auditor.demo.cursors import decode_cursor, encode_cursor
from auditor.demo.faults import Fault, FaultPlan

_VERSION = re.compile(r"^/v\d+\.\d+(?=/|$)")
_TOKEN_PARAMS = frozenset({"access_token", "input_token", "appsecret_proof"})

ASSET_EDGES: dict[str, str] = {
    "owned_pages": "page", "client_pages": "page",
    "owned_ad_accounts": "ad_account", "client_ad_accounts": "ad_account",
    "owned_instagram_assets": "instagram_account", "client_instagram_assets": "instagram_account",
    "owned_whatsapp_business_accounts": "whatsapp_business_account",
    "client_whatsapp_business_accounts": "whatsapp_business_account",
}
BUSINESS_EDGES = frozenset({"business_users", "system_users", "pending_users", "owned_apps", "client_apps",
                            *ASSET_EDGES})
USER_VIEWS: dict[str, str] = {
    "assigned_pages": "page",
    "assigned_ad_accounts": "ad_account",
    "assigned_whatsapp_business_accounts": "whatsapp_business_account",
}
_NESTED = ("assigned_users", "activities")
_NO_BUSINESS_MANAGEMENT = "(#200) Requires business_management permission to manage the object"
_RATE_LIMIT_MESSAGES = {17: "(#17) User request limit reached", 4: "(#4) Application request limit reached"}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it: method, path without the version prefix, params minus tokens,
    and where the caller's token came from ("header", "query" or None)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    token_source: str | None = None


class GraphError(Exception):
    """An error answer in Graph's JSON shape."""

    def __init__(self, status: int, message: str, code: int, *, type_: str = "OAuthException",
                 subcode: int | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.type_, self.subcode = status, message, code, type_, subcode
        self.headers = dict(headers or {})


def _cursor(offset: int) -> str:
    return encode_cursor("sandbox-cursor", offset)


def _offset(cursor: str) -> int:
    offset = decode_cursor("sandbox-cursor", cursor)
    if offset is None:
        raise GraphError(400, "(#100) Invalid cursor", 100)
    return offset


def _fields(request: Request) -> list[str] | None:
    """Top-level names of ``fields=a,b{c,d},e`` (nested selections return the whole object)."""
    raw = request.args.get("fields")
    if not raw:
        return None
    names, depth, current = [], 0, ""
    for char in raw:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "," and depth == 0:
            names.append(current)
            current = ""
        elif depth == 0:
            current += char
    names.append(current)
    return [n.strip() for n in names if n.strip()]


def _project(item: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
    if fields is None:
        return {k: v for k, v in item.items() if k not in _NESTED}
    out = {"id": item["id"]} if "id" in item else {}
    out.update({k: item[k] for k in fields if k in item and k not in _NESTED})
    return out


def _time(value: Any) -> float | None:
    """Unix seconds from a unix number or an ISO 8601 string (``+0000`` offsets included)."""
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str) or not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


class MetaEmulator:
    """A WSGI app emulating the Graph API for one business. ``token`` is the only accepted caller token."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 default_limit: int = 25, max_limit: int = 100):
        self.data = data
        self.token = token
        self.faults = faults or FaultPlan()
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._trace = itertools.count(1)
        self._index()

    def _index(self) -> None:
        """Lookup tables built once: assets, users and each user's assigned assets."""
        data = self.data
        self.business: dict[str, Any] = dict(data.get("business") or {})
        self.business_id = str(self.business.get("id", ""))
        self.tokens: dict[str, dict[str, Any]] = dict(data.get("tokens") or {})
        self.users: dict[str, dict[str, Any]] = {}
        for edge in ("business_users", "system_users"):
            for user in data.get(edge) or []:
                self.users[str(user["id"])] = user
        self.assets: dict[str, tuple[str, dict[str, Any]]] = {}
        self.user_views: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for edge, kind in ASSET_EDGES.items():
            for asset in data.get(edge) or []:
                self.assets.setdefault(str(asset["id"]), (kind, asset))
        views_by_kind = {kind: view for view, kind in USER_VIEWS.items()}
        for kind, asset in self.assets.values():
            view = views_by_kind.get(kind)
            for assignee in (asset.get("assigned_users") or []) if view else []:
                item = {k: v for k, v in asset.items() if k not in _NESTED}
                item["tasks"] = assignee.get("tasks", [])
                item["permitted_tasks"] = assignee.get("permitted_tasks", assignee.get("tasks", []))
                self.user_views.setdefault((str(assignee["id"]), view), []).append(item)
        self.apps = {str(a["id"]): a for e in ("owned_apps", "client_apps") for a in data.get(e) or []}

    # -- WSGI ----------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.handle(request)(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request (faults first, then auth, then routing)."""
        path = _VERSION.sub("", request.path) or "/"
        params = {k: v for k, v in request.args.items() if k not in _TOKEN_PARAMS}
        source = ("header" if request.headers.get("Authorization") else
                  "query" if "access_token" in request.args else None)
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, params, source))
        fault = self.faults.take(path)
        if fault is not None and fault.kind not in ("timeout", "truncated"):
            return self._fault_response(fault)
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.delay)
        try:
            self._authenticate(request)
            body = self._route(request, path)
            response = self._json(200, body)
        except GraphError as exc:
            response = self._error(exc)
        if fault is not None and fault.kind == "truncated":
            data = response.get_data()
            response.set_data(data[: max(1, len(data) // 2)])
        return response

    # -- auth ------------------------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else request.args.get("access_token")
        if not token:
            raise GraphError(400, "An active access token must be used to query information about the "
                                  "current user.", 2500)
        if token != self.token:
            raise GraphError(400, "Invalid OAuth access token - Cannot parse access token", 190,
                             headers={"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" '
                                                          '"Invalid OAuth access token"'})

    def _need_business_management(self) -> None:
        info = self.tokens.get(self.token)
        if info is not None and "business_management" not in (info.get("scopes") or []):
            raise GraphError(403, _NO_BUSINESS_MANAGEMENT, 200)

    # -- routing ----------------------------------------------------------------------------------------

    def _route(self, request: Request, path: str) -> dict[str, Any]:
        if request.method != "GET":
            raise GraphError(400, f"Unsupported {request.method.lower()} request.", 100)
        parts = [p for p in path.split("/") if p]
        if parts == ["debug_token"]:
            return self._debug_token(request)
        if parts == ["me"]:
            return self._me(request)
        if len(parts) == 1 and parts[0] == self.business_id:
            self._need_business_management()
            return _project(self.business, _fields(request) or ["id", "name"])
        if len(parts) == 2 and parts[0] == self.business_id and parts[1] in BUSINESS_EDGES:
            self._need_business_management()
            return self._business_edge(request, parts[1])
        if len(parts) == 2 and parts[1] == "assigned_users" and parts[0] in self.assets:
            return self._assigned_users(request, parts[0])
        if len(parts) == 2 and parts[1] == "activities" and self._kind(parts[0]) == "ad_account":
            return self._activities(request, parts[0])
        if len(parts) == 2 and parts[0] in self.users and parts[1] in USER_VIEWS:
            return self._page(request, self.user_views.get((parts[0], parts[1]), []))
        if len(parts) == 1 and (parts[0] in self.assets or parts[0] in self.users or parts[0] in self.apps):
            node = self.assets[parts[0]][1] if parts[0] in self.assets else (
                self.users.get(parts[0]) or self.apps[parts[0]])
            return _project(node, _fields(request) or ["id", "name"])
        object_id = parts[0] if parts else ""
        raise GraphError(400, f"Unsupported get request. Object with ID '{object_id}' does not exist, "
                              "cannot be loaded due to missing permissions, or does not support this "
                              "operation.", 100, type_="GraphMethodException", subcode=33)

    def _kind(self, object_id: str) -> str | None:
        entry = self.assets.get(object_id)
        return entry[0] if entry else None

    def _business_edge(self, request: Request, edge: str) -> dict[str, Any]:
        items = list(self.data.get(edge) or [])
        if edge == "pending_users" and request.args.get("email"):
            wanted = request.args["email"].strip().lower()
            items = [i for i in items if str(i.get("email", "")).lower() == wanted]
        return self._page(request, items)

    def _assigned_users(self, request: Request, asset_id: str) -> dict[str, Any]:
        kind, asset = self.assets[asset_id]
        business = request.args.get("business")
        if not business and kind == "ad_account":
            raise GraphError(400, "(#100) The parameter business is required", 100)
        if business and business != self.business_id:
            raise GraphError(400, "(#100) Param business must be a valid business id", 100)
        return self._page(request, list(asset.get("assigned_users") or []))

    def _activities(self, request: Request, asset_id: str) -> dict[str, Any]:
        since = _time(request.args.get("since"))
        until = _time(request.args.get("until"))
        events = []
        for event in self.assets[asset_id][1].get("activities") or []:
            when = _time(event.get("event_time"))
            if when is None or (since is not None and when < since) or (until is not None and when > until):
                continue
            events.append((when, event))
        events.sort(key=lambda pair: pair[0], reverse=True)  # Graph lists newest first
        return self._page(request, [event for _, event in events])

    def _me(self, request: Request) -> dict[str, Any]:
        user_id = str((self.tokens.get(self.token) or {}).get("user_id") or "0")
        node = self.users.get(user_id) or {"id": user_id, "name": "Sandbox auditor"}
        return _project(node, _fields(request) or ["id", "name"])

    def _debug_token(self, request: Request) -> dict[str, Any]:
        token = request.args.get("input_token")
        if not token:
            raise GraphError(400, "(#100) The parameter input_token is required", 100)
        info = self.tokens.get(token)
        if info is None:
            return {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."},
                             "is_valid": False, "scopes": []}}
        return {"data": dict(info)}

    # -- paging ---------------------------------------------------------------------------------------------

    def _page(self, request: Request, items: list[Mapping[str, Any]]) -> dict[str, Any]:
        """One Graph page of ``items`` honouring limit/after/before/fields/summary."""
        try:
            limit = int(request.args.get("limit", self.default_limit))
        except ValueError:
            raise GraphError(400, "(#100) Param limit must be an integer", 100) from None
        limit = min(max(limit, 1), self.max_limit)
        total = len(items)
        if request.args.get("after"):
            start = min(_offset(request.args["after"]), total)
        elif request.args.get("before"):
            start = max(0, _offset(request.args["before"]) - limit)
        else:
            start = 0
        end = min(start + limit, total)
        fields = _fields(request)
        body: dict[str, Any] = {
            "data": [_project(item, fields) for item in items[start:end]],
            "paging": {"cursors": {"before": _cursor(start), "after": _cursor(end)}},
        }
        if end < total:
            body["paging"]["next"] = self._link(request, "after", _cursor(end))
        if start > 0:
            body["paging"]["previous"] = self._link(request, "before", _cursor(start))
        if "total_count" in request.args.get("summary", ""):
            body["summary"] = {"total_count": total}
        return body

    def _link(self, request: Request, name: str, cursor: str) -> str:
        """An absolute paging URL: the same request with only ``name`` set to ``cursor``."""
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("after", "before")]
        args.append((name, cursor))
        return f"{request.host_url.rstrip('/')}{request.path}?{urlencode(args)}"

    # -- answers ---------------------------------------------------------------------------------------------

    def _json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
        return Response(json.dumps(body, separators=(",", ":")), status=status, headers=dict(headers or {}),
                        mimetype="application/json")

    def _error(self, exc: GraphError) -> Response:
        error: dict[str, Any] = {"message": exc.message, "type": exc.type_, "code": exc.code,
                                 "fbtrace_id": f"Asandbox{next(self._trace):06d}"}
        if exc.subcode is not None:
            error["error_subcode"] = exc.subcode
        return self._json(exc.status, {"error": error}, exc.headers)

    def _fault_response(self, fault: Fault) -> Response:
        kind = fault.kind
        if kind == "429":
            return self._error(GraphError(429, "(#4) Application request limit reached", 4,
                                          headers={"Retry-After": f"{fault.retry_after:g}"}))
        if kind == "rate_limit":
            code = fault.code or 80004
            usage = {self.business_id: [{"type": "ads_management", "call_count": 100, "total_cputime": 30,
                                         "total_time": 30,
                                         "estimated_time_to_regain_access": fault.regain_minutes}]}
            message = _RATE_LIMIT_MESSAGES.get(
                code, f"(#{code}) There have been too many calls to this ad-account. Wait a bit and try "
                      "again.")
            return self._error(GraphError(400, message, code, subcode=2446079 if code == 17 else None,
                                          headers={"X-Business-Use-Case-Usage": json.dumps(usage)}))
        if kind == "500":
            return self._error(GraphError(500, "An unknown error occurred", 1))
        if kind == "503":
            return Response("<html><body>Service Unavailable</body></html>", status=503, mimetype="text/html")
        if kind == "malformed":
            return Response('{"data": [{"id": "1" "name": }', status=200, mimetype="application/json")
        if kind == "missing_data":
            return self._json(200, {"paging": {"cursors": {"before": _cursor(0), "after": _cursor(0)}}})
        if kind == "401":
            return self._error(GraphError(401, "Error validating access token: Session has expired.", 190,
                                          subcode=463))
        return self._error(GraphError(403, _NO_BUSINESS_MANAGEMENT, 200))
