"""An emulator of the Meta Graph API (read side) serving one ``MetaBusinessData`` dict as WSGI.

It answers the documented shapes of docs/platforms/meta.md under any ``/vNN.N`` prefix: the
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from auditor.demo.cursors import decode_cursor, encode_cursor
from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.meta import token_routes
from auditor.demo.meta.callers import Caller, Callers, GraphError
from auditor.demo.meta.fields import check_fields, requested_fields, select
from auditor.demo.meta.partners import route_partners
from auditor.demo.wsgi import Emulator, answer, html_response, json_response, raw_json

_VERSION = re.compile(r"^/v\d+\.\d+(?=/|$)")
_TOKEN_PARAMS = frozenset({"access_token", "input_token", "appsecret_proof"})

ASSET_EDGES: dict[str, str] = {
    "owned_pages": "page", "client_pages": "page",
    "owned_ad_accounts": "ad_account", "client_ad_accounts": "ad_account",
    "owned_instagram_assets": "instagram_account", "client_instagram_assets": "instagram_account",
    "owned_whatsapp_business_accounts": "whatsapp_business_account",
    "client_whatsapp_business_accounts": "whatsapp_business_account",
    "owned_pixels": "pixel", "client_pixels": "pixel",
    "owned_product_catalogs": "catalog", "client_product_catalogs": "catalog",
}
BUSINESS_EDGES = frozenset({"business_users", "system_users", "pending_users", "owned_apps", "client_apps",
                            *ASSET_EDGES})
USER_VIEWS: dict[str, str] = {
    "assigned_pages": "page",
    "assigned_ad_accounts": "ad_account",
    "assigned_whatsapp_business_accounts": "whatsapp_business_account",
}
_NESTED = ("assigned_users", "activities", "agencies", "shared_agencies", "roles")
_ASSIGNED_FIELDS = frozenset({"id", "name", "business", "user_type", "tasks", "permitted_tasks"})
_VIEW_FIELDS: dict[str, frozenset[str]] = {  # fields of the per-principal views (S23, S24, S25)
    "assigned_pages": frozenset({"id", "name", "category", "tasks", "permitted_tasks"}),
    "assigned_ad_accounts": frozenset({"id", "account_id", "name", "account_status", "currency",
                                       "timezone_name", "tasks", "permitted_tasks"}),
    "assigned_whatsapp_business_accounts": frozenset({"id", "name", "tasks"}),
}
_NODE_TYPES = {"page": "Page", "ad_account": "AdAccount", "instagram_account": "InstagramBusinessAsset",
               "whatsapp_business_account": "WhatsAppBusinessAccount"}
_PAGE_TOKEN_REFUSALS = {  # the two bodies seen for Page-token-only calls (T1, T2)
    190: "(#190) This method must be called with a Page Access Token",
    210: "(#210) A page access token is required to request this resource.",
}
_NO_BUSINESS_MANAGEMENT = "(#200) Requires business_management permission to manage the object"
_RATE_LIMIT_MESSAGES = {  # contract errors rate_limit_* (S40, S22, S28; 80001 unconfirmed)
    17: "(#17) User request limit reached", 4: "(#4) Application request limit reached",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
    80008: "(#80008) There have been too many calls to this WhatsApp Business account. Wait a bit and try again. "
           "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it: method, path without the version prefix, params minus tokens,
    and where the caller's token came from ("header", "query" or None)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    token_source: str | None = None


def _cursor(offset: int) -> str:
    return encode_cursor("sandbox-cursor", offset)


def _offset(cursor: str) -> int:
    offset = decode_cursor("sandbox-cursor", cursor)
    if offset is None:
        raise GraphError(400, "(#100) Invalid cursor", 100)
    return offset


def project(item: Mapping[str, Any], fields: list[str] | None,
            default: tuple[str, ...] | None = ("id", "name")) -> dict[str, Any]:
    """``item`` on the named fields, or its ``default`` fields (None: all), the data's nested edges hidden."""
    return select(item, fields, default, _NESTED)


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


class MetaEmulator(Emulator):
    """A WSGI app emulating the Graph API for one business. ``token`` is the only accepted caller token."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 default_limit: int = 25, max_limit: int = 100):
        super().__init__(data, token, faults)
        self.default_limit = default_limit
        self.max_limit = max_limit
        self.callers = Callers(data, token)
        self._trace = itertools.count(1)
        self._index()

    def _index(self) -> None:
        """Lookup tables built once: assets, users and each user's assigned assets."""
        data = self.data
        self.business: dict[str, Any] = dict(data.get("business") or {})
        self.business_id = str(self.business.get("id", ""))
        self.tokens: dict[str, dict[str, Any]] = dict(data.get("tokens") or {})
        self.page_token_error = data.get("page_token_error")
        self.users: dict[str, dict[str, Any]] = {}
        for edge in ("business_users", "system_users"):
            for user in data.get(edge) or []:
                self.users[str(user["id"])] = user
        self.assets: dict[str, tuple[str, dict[str, Any]]] = {}
        self.user_views: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for edge, kind in ASSET_EDGES.items():
            for asset in data.get(edge) or []:
                self.assets.setdefault(str(asset["id"]), (kind, asset))
        for _, asset in self.assets.values():  # AssignedUserType is upper case (S20): never serve lower case
            for assignee in asset.get("assigned_users") or []:
                assignee["user_type"] = str(assignee.get("user_type") or "BUSINESS_USER").upper()
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

    def handle(self, request: Request) -> Response:
        """Answer one request (faults first, then auth, then routing)."""
        path = _VERSION.sub("", request.path) or "/"
        params = {k: v for k, v in request.args.items() if k not in _TOKEN_PARAMS}
        source = ("header" if request.headers.get("Authorization") else
                  "query" if "access_token" in request.args else None)
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, params, source))
        return answer(self.faults, path, self._fault_response, lambda: self._serve(request, path))

    def _serve(self, request: Request, path: str) -> Response:
        try:
            caller = self._authenticate(request)
            return json_response(200, self._route(request, path, caller))
        except GraphError as exc:
            return self._error(exc)

    # -- auth ------------------------------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Caller:
        """The caller of the request's token (header or ``access_token``), appsecret_proof checked."""
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else request.args.get("access_token")
        if not token:
            raise GraphError(400, "An active access token must be used to query information about the "
                                  "current user.", 2500)
        return self.callers.resolve(token, request.args.get("appsecret_proof"))

    def _need_business_management(self, caller: Caller) -> None:
        """Business edges and per-principal views: a business token with business_management of an app the
        business claimed (S47)."""
        if caller.kind != "user":
            raise GraphError(400, "(#100) This endpoint requires a user or system user access token", 100)
        if "business_management" not in caller.scopes:
            raise GraphError(403, _NO_BUSINESS_MANAGEMENT, 200)
        if caller.app_id is not None and self.apps and caller.app_id not in self.apps:
            raise GraphError(403, "(#200) The app must be claimed by the business to access it", 200)

    # -- routing ----------------------------------------------------------------------------------------

    def _route(self, request: Request, path: str, caller: Caller) -> dict[str, Any]:
        if request.method != "GET":
            raise GraphError(400, f"Unsupported {request.method.lower()} request.", 100)
        parts = [p for p in path.split("/") if p]
        partner_answer = route_partners(self, request, parts, caller)
        if partner_answer is not None:
            return partner_answer
        if parts == ["debug_token"]:
            return token_routes.debug_token(self, request, caller)
        if parts == ["me"]:
            return token_routes.me(self, request, caller)
        if parts in (["me", "accounts"], ["me", "permissions"]):
            return token_routes.me_edge(self, request, caller, parts[1])
        if len(parts) == 1 and parts[0] == self.business_id:
            self._need_business_management(caller)
            return project(self.business, requested_fields(request))
        if len(parts) == 2 and parts[0] == self.business_id and parts[1] in BUSINESS_EDGES:
            self._need_business_management(caller)
            return self._business_edge(request, parts[1])
        if len(parts) == 2 and parts[1] == "assigned_users" and parts[0] in self.assets:
            return self._assigned_users(request, parts[0], caller)
        if len(parts) == 2 and parts[1] == "activities" and self._kind(parts[0]) == "ad_account":
            return self._activities(request, parts[0])
        if len(parts) == 2 and parts[0] in self.users and parts[1] in USER_VIEWS:
            self._need_business_management(caller)
            check_fields(request, _VIEW_FIELDS[parts[1]], _NODE_TYPES[USER_VIEWS[parts[1]]])
            return self._page(request, self.user_views.get((parts[0], parts[1]), []), ("id", "name", "tasks"))
        if len(parts) == 1 and self._kind(parts[0]) == "page" and "access_token" in (requested_fields(request) or ()):
            return token_routes.page_token(self, request, parts[0], caller)
        if len(parts) == 1 and (parts[0] in self.assets or parts[0] in self.users or parts[0] in self.apps):
            node = self.assets[parts[0]][1] if parts[0] in self.assets else (
                self.users.get(parts[0]) or self.apps[parts[0]])
            return project(node, requested_fields(request))
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

    def _assigned_users(self, request: Request, asset_id: str, caller: Caller) -> dict[str, Any]:
        """An asset's assignees: a Page answers only its own Page token of a MANAGE holder with
        pages_manage_metadata (S21); ``business`` is required on every kind (S20-S28)."""
        kind, asset = self.assets[asset_id]
        assignees = list(asset.get("assigned_users") or [])
        if kind == "page":
            if caller.kind != "page" or caller.page_id != asset_id:
                code = int(self.page_token_error or (190 if sum(map(ord, asset_id)) % 2 else 210))
                raise GraphError(400, _PAGE_TOKEN_REFUSALS[code], code)
            tasks = next((a.get("tasks") or [] for a in assignees if str(a["id"]) == caller.user_id), [])
            if "MANAGE" not in tasks or "pages_manage_metadata" not in caller.scopes:
                raise GraphError(403, "(#200) The user must be an administrator of the Page with the MANAGE "
                                      "task and the pages_manage_metadata permission", 200)
        elif caller.kind != "user":
            raise GraphError(400, "(#100) This endpoint requires a user or system user access token", 100)
        known = _ASSIGNED_FIELDS - {"permitted_tasks"} if kind == "whatsapp_business_account" else _ASSIGNED_FIELDS
        check_fields(request, known, "AssignedUser")
        business = request.args.get("business")
        if not business:
            raise GraphError(400, "(#100) The parameter business is required", 100)
        if business != self.business_id:
            raise GraphError(400, "(#100) Param business must be a valid business id", 100)
        return self._page(request, assignees, ("id", "name", "tasks"))

    def project_node(self, item: Mapping[str, Any], fields: list[str] | None) -> dict[str, Any]:
        """``project`` for the token edges (``token_routes``)."""
        return project(item, fields)

    def _tasks_on(self, asset_id: str, user_id: str | None) -> list[str]:
        """The tasks ``user_id`` holds on ``asset_id`` (none: [])."""
        assignees = self.assets[asset_id][1].get("assigned_users") or []
        return next((list(a.get("tasks") or []) for a in assignees if str(a["id"]) == user_id), [])

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
        return self._page(request, [event for _, event in events], None)

    # -- paging ---------------------------------------------------------------------------------------------

    def _page(self, request: Request, items: list[Mapping[str, Any]],
              default: tuple[str, ...] | None = ("id", "name")) -> dict[str, Any]:
        """One Graph page of ``items`` honouring limit/after/before/fields/summary. A limit above the cap is
        shortened, never refused; a last page that ends exactly on the limit still has ``next`` (to an
        empty page), as Graph does (S38)."""
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
        fields = requested_fields(request)
        body: dict[str, Any] = {
            "data": [project(item, fields, default) for item in items[start:end]],
            "paging": {"cursors": {"before": _cursor(start), "after": _cursor(end)}},
        }
        if end < total or (end > start and end - start == limit):
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

    def _error(self, exc: GraphError) -> Response:
        error: dict[str, Any] = {"message": exc.message, "type": exc.type_, "code": exc.code,
                                 "fbtrace_id": f"Asandbox{next(self._trace):06d}"}
        if exc.subcode is not None:
            error["error_subcode"] = exc.subcode
        return json_response(exc.status, {"error": error}, exc.headers)

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
                code, f"(#{code}) There have been too many calls to this ad-account. Wait a bit and try again. "
                      "For more info, please refer to /docs/graph-api/overview/rate-limiting#ads-management.")
            return self._error(GraphError(400, message, code, subcode=2446079 if code == 17 else None,
                                          headers={"X-Business-Use-Case-Usage": json.dumps(usage)}))
        if kind == "500":
            return self._error(GraphError(500, "An unknown error occurred", 1))
        if kind == "503":
            return html_response()
        if kind == "malformed":
            return raw_json('{"data": [{"id": "1" "name": }')
        if kind == "missing_data":
            return json_response(200, {"paging": {"cursors": {"before": _cursor(0), "after": _cursor(0)}}})
        if kind == "401":
            return self._error(GraphError(401, "Error validating access token: Session has expired.", 190,
                                          subcode=463))
        return self._error(GraphError(403, _NO_BUSINESS_MANAGEMENT, 200))
