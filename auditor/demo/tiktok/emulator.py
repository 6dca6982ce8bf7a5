"""An emulator of TikTok's API for Business v1.3 (Business Center, read side) serving one dict as WSGI.

It answers the shapes of auditor/connectors/tiktok/contract.yaml under ``/open_api/vN.N``: ``/bc/get/``,
``/bc/member/get/``, ``/bc/asset/admin/get/`` (and ``/bc/asset/get/``), ``/bc/asset/member/get/``,
``/bc/partner/get/``, ``/bc/partner/asset/get/``, ``/bc/asset/partner/get/`` and ``/changelog/get/``, and
refuses what the contract's constraints refuse (page limits, per-endpoint asset types, strict enums, required
parameters, the BC admin role for the admin asset list). Every answer is the envelope ``{"code", "message",
"request_id", "data"}``; errors are sent with HTTP 200 and a non-zero code, as TikTok does. Lists page with
``page``/``page_size`` and ``data.page_info``; ``filtering`` is a JSON-encoded query parameter. The token
travels in ``Access-Token``.

The data dict: ``bc`` (the ``bc_info`` object), ``caller`` (the token user's ``user_role``/``ext_user_role``),
``members``, ``assets`` (each with its ``members`` carrying their asset role), ``partners`` (each
``{"bc_id", "bc_name", "assets": [{"asset_type", "asset_id", <role field>}], "shared": [asset item...]}``:
our assets shared with the partner, and the partner's assets shared with us), ``changelog``, optional
``now`` (ISO time: the emulator's clock for the default changelog window) and ``denied`` (endpoints the app
has no permission for: they answer code 40001).

Faults (``auditor.demo.faults``): "429" is HTTP 429 with code 40100; "rate_limit" is HTTP 200 with code
``fault.code`` (default 40100, the rate-limit code); "401" and "permission" are HTTP 200 with codes 40105 and
40001; "500" is HTTP 500 with code 50000; "503" an HTML page; "missing_data" an envelope without ``data``.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.wsgi import Emulator, answer, html_response, json_response, raw_json

PREFIX = "/open_api/v1.3"
_VERSION = re.compile(r"^/open_api/v\d+\.\d+(?=/)")
BC_ASSET_TYPES = ("ADVERTISER", "CATALOG", "DOMAIN", "LEAD", "PIXEL", "STOREFRONT", "TIKTOK_SHOP", "TT_ACCOUNT")
"""The BCAsset enum: every value is valid on /bc/asset/partner/get/."""
ASSET_TYPES = tuple(t for t in BC_ASSET_TYPES if t != "DOMAIN")
"""asset_type values /bc/asset/admin/get/ and /bc/asset/get/ accept."""
MEMBER_ASSET_TYPES = ("ADVERTISER", "CATALOG", "LEAD")
"""asset_type values /bc/asset/member/get/ accepts (the others are is_valid false)."""
PARTNER_ASSET_TYPES = ("ADVERTISER", "CATALOG", "DOMAIN")
"""asset_type values /bc/partner/asset/get/ accepts."""
SHARE_TYPES = ("SHARED", "SHARING")
USER_ROLES = ("ADMIN", "STANDARD")
RELATION_STATUSES = ("BOUND", "PENDING", "REJECTED", "UNBOUND")
RELATION_TYPES = ("OWNER_BC", "OWNER_INDIVIDUAL", "OWNER_PARTNER")
ROLE_FIELDS = {"ADVERTISER": "advertiser_role", "CATALOG": "catalog_role", "TIKTOK_SHOP": "store_role",
               "TT_ACCOUNT": "tt_account_roles", "LEAD": "form_library_role"}
MEMBER_FIELDS = ("user_id", "user_name", "user_email", "user_role", "relation_status", "ext_user_role")
PAGE_LIMITS = {"/bc/get/": 50, "/bc/member/get/": 20, "/bc/asset/admin/get/": 50, "/bc/asset/get/": 50,
               "/bc/asset/member/get/": 20, "/bc/partner/get/": 50, "/bc/partner/asset/get/": 50,
               "/bc/asset/partner/get/": 50, "/changelog/get/": 50}
NO_PERMISSION = 40001
BAD_PARAMETER = 40002
RATE_LIMITED = 40100
NO_TOKEN = 40104
BAD_TOKEN = 40105
SYSTEM_ERROR = 50000


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it: method, path without the version prefix, query parameters and
    whether an ``Access-Token`` header came with it."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    token_sent: bool = False


class TikTokError(Exception):
    """An error envelope (HTTP 200 unless ``status`` says otherwise)."""

    def __init__(self, code: int, message: str, status: int = 200):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _int(request: Request, name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise TikTokError(BAD_PARAMETER, f"{name}: Not a valid integer.") from None


def _required(request: Request, name: str) -> str:
    value = request.args.get(name)
    if not value:
        raise TikTokError(BAD_PARAMETER, f"{name}: Missing data for required field.")
    return value


def _enum(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    """A strict enum value (x-open-enum strict): anything outside ``allowed`` is refused."""
    if value not in allowed:
        raise TikTokError(BAD_PARAMETER, f"{name}: Must be one of: {', '.join(allowed)}.")
    return str(value)


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise TikTokError(BAD_PARAMETER, f"filtering.{name}: Not a valid date (YYYY-MM-DD).") from None


class TikTokEmulator(Emulator):
    """A WSGI app emulating one Business Center. ``token`` is the only accepted ``Access-Token``."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None):
        super().__init__(data, token, faults)
        self._ids = itertools.count(1)
        self.bc: dict[str, Any] = dict(data.get("bc") or {})
        self.bc_id = str(self.bc.get("bc_id", ""))
        self.assets: dict[tuple[str, str], dict[str, Any]] = {
            (str(a["asset_type"]), str(a["asset_id"])): a for a in data.get("assets") or []}
        self.denied = frozenset(data.get("denied") or ())
        self.partners: dict[str, dict[str, Any]] = {str(p["bc_id"]): p for p in data.get("partners") or []}

    def now(self) -> datetime:
        """The emulator's clock: ``data["now"]`` when given, else the current time."""
        value = self.data.get("now")
        return datetime.fromisoformat(value).astimezone(UTC) if value else datetime.now(UTC)

    # -- WSGI ------------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request (faults first, then auth, then routing)."""
        path = _VERSION.sub("", request.path) or "/"
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, dict(request.args.items()),
                                                 bool(request.headers.get("Access-Token"))))
        return answer(self.faults, path, self._fault_response, lambda: self._serve(request, path))

    def _serve(self, request: Request, path: str) -> Response:
        try:
            self._authenticate(request)
            return self._envelope(200, 0, "OK", self._route(request, path))
        except TikTokError as exc:
            return self._envelope(exc.status, exc.code, exc.message)

    def _authenticate(self, request: Request) -> None:
        token = request.headers.get("Access-Token")
        if not token:
            raise TikTokError(NO_TOKEN, "Access token is null.")
        if token != self.token:
            raise TikTokError(BAD_TOKEN, "Access token is incorrect or has been revoked.")

    # -- routing ---------------------------------------------------------------------------------------------

    def _route(self, request: Request, path: str) -> dict[str, Any]:
        if request.method != "GET":
            raise TikTokError(BAD_PARAMETER, f"Method {request.method} is not supported for {path}.", 405)
        if path not in PAGE_LIMITS:
            raise TikTokError(40400, f"Invalid path: {path}.", 404)
        if path in self.denied:
            raise TikTokError(NO_PERMISSION, f"No permission to operate {path} with this access token.")
        if path == "/bc/get/":
            return self._bc_get(request)
        self._need_bc(request)
        if path == "/bc/member/get/":
            return self._page(request, path, self._members(request))
        if path in ("/bc/asset/admin/get/", "/bc/asset/get/"):
            return self._page(request, path, self._asset_list(request, path))
        if path == "/bc/asset/member/get/":
            return self._page(request, path, self._asset_members(request))
        if path == "/bc/partner/get/":
            return self._page(request, path, self._partner_list(request))
        if path == "/bc/partner/asset/get/":
            return self._page(request, path, self._partner_assets(request))
        if path == "/bc/asset/partner/get/":
            return self._page(request, path, self._asset_partners(request))
        return self._page(request, path, self._changelog(request), "changelog_list")

    def _need_bc(self, request: Request) -> None:
        bc_id = _required(request, "bc_id")
        if bc_id != self.bc_id:
            raise TikTokError(NO_PERMISSION, f"No permission to operate Business Center {bc_id}.")

    def _filtering(self, request: Request) -> dict[str, Any]:
        raw = request.args.get("filtering")
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise TikTokError(BAD_PARAMETER, "filtering: Not a valid JSON.") from None
        if not isinstance(value, dict):
            raise TikTokError(BAD_PARAMETER, "filtering: Not a valid JSON object.")
        return value

    def _bc_get(self, request: Request) -> dict[str, Any]:
        wanted = request.args.get("bc_id")
        entries = []
        if not wanted or wanted == self.bc_id:
            caller = dict(self.data.get("caller") or {"user_role": "ADMIN"})
            entries.append({"bc_info": dict(self.bc), **caller})
        return self._page(request, "/bc/get/", entries)

    def _members(self, request: Request) -> list[dict[str, Any]]:
        flt = self._filtering(request)
        items = list(self.data.get("members") or [])
        keyword = str(flt.get("keyword") or "").lower()
        if keyword:
            items = [m for m in items if keyword in str(m.get("user_name", "")).lower()
                     or keyword in str(m.get("user_email", "")).lower()]
        for key, allowed in (("user_role", USER_ROLES), ("relation_status", RELATION_STATUSES)):
            if flt.get(key):
                _enum(flt[key], f"filtering.{key}", allowed)
                items = [m for m in items if m.get(key) == flt[key]]
        return items

    def _asset_type(self, request: Request, allowed: tuple[str, ...] = ASSET_TYPES) -> str:
        return _enum(_required(request, "asset_type"), "asset_type", allowed)

    def _asset_list(self, request: Request, path: str) -> list[dict[str, Any]]:
        asset_type = self._asset_type(request)
        if path == "/bc/asset/admin/get/" and (self.data.get("caller") or {}).get("user_role", "ADMIN") != "ADMIN":
            raise TikTokError(NO_PERMISSION, "No permission: only Business Center admins can list its assets.")
        flt = self._filtering(request)
        items = [{k: v for k, v in a.items() if k != "members"} for (t, _), a in self.assets.items()
                 if t == asset_type]
        for key, allowed in (("relation_type", RELATION_TYPES), ("relation_status", RELATION_STATUSES)):
            if flt.get(key):
                _enum(flt[key], f"filtering.{key}", allowed)
                items = [a for a in items if a.get(key) == flt[key]]
        return items

    def _asset(self, request: Request, allowed: tuple[str, ...]) -> tuple[str, str, dict[str, Any] | None]:
        asset_type = self._asset_type(request, allowed)
        asset_id = _required(request, "asset_id")
        return asset_type, asset_id, self.assets.get((asset_type, asset_id))

    def _asset_members(self, request: Request) -> list[dict[str, Any]]:
        asset_type, asset_id, asset = self._asset(request, MEMBER_ASSET_TYPES)
        if asset is None:
            raise TikTokError(NO_PERMISSION, f"No permission to operate asset {asset_id}.")
        role = ROLE_FIELDS.get(asset_type)
        return [{k: m[k] for k in (*MEMBER_FIELDS, role) if k in m} for m in asset.get("members") or []]

    def _partner_list(self, request: Request) -> list[dict[str, Any]]:
        name = str(self._filtering(request).get("name") or "").lower()
        return [{"bc_id": p["bc_id"], "bc_name": p.get("bc_name")} for p in self.partners.values()
                if name in str(p.get("bc_name") or "").lower()]

    def _partner_assets(self, request: Request) -> list[dict[str, Any]]:
        partner_id = _required(request, "partner_id")
        asset_type = self._asset_type(request, PARTNER_ASSET_TYPES)
        share = _enum(_required(request, "share_type"), "share_type", SHARE_TYPES)
        partner = self.partners.get(partner_id)
        if partner is None:
            raise TikTokError(NO_PERMISSION, f"No permission to operate partner {partner_id}.")
        if share == "SHARED":
            return [dict(a) for a in partner.get("shared") or [] if a.get("asset_type") == asset_type]
        items = []
        for held in partner.get("assets") or []:
            asset = self.assets.get((str(held["asset_type"]), str(held["asset_id"])))
            if held["asset_type"] == asset_type and asset is not None:
                item = {k: v for k, v in asset.items() if k not in ("members", *ROLE_FIELDS.values())}
                items.append({**item, **{k: v for k, v in held.items() if k in ROLE_FIELDS.values()}})
        return items

    def _asset_partners(self, request: Request) -> list[dict[str, Any]]:
        asset_type, asset_id, asset = self._asset(request, BC_ASSET_TYPES)
        if asset is None:
            raise TikTokError(NO_PERMISSION, f"No permission to operate asset {asset_id}.")
        return [{"bc_id": p["bc_id"], "bc_name": p.get("bc_name")} for p in self.partners.values()
                if any((h["asset_type"], str(h["asset_id"])) == (asset_type, asset_id) for h in p.get("assets") or [])]

    def _changelog(self, request: Request) -> list[dict[str, Any]]:
        flt = self._filtering(request)
        start, end = flt.get("start_date"), flt.get("end_date")
        if (start is None) != (end is None):
            raise TikTokError(BAD_PARAMETER, "filtering: start_date and end_date must be passed together.")
        if start is None:  # TikTok's default: the last 7 days
            end_day = self.now().date()
            start_day = end_day - timedelta(days=7)
        else:
            start_day, end_day = _date(start, "start_date"), _date(end, "end_date")
            if start_day > end_day:
                raise TikTokError(BAD_PARAMETER, "filtering: start_date must not be after end_date.")
        kind = str(flt.get("activity_type") or "ALL")
        if kind not in ("ALL", "USER", "ACCOUNT", "ASSET", "BUSINESS"):
            raise TikTokError(BAD_PARAMETER, "filtering.activity_type: Must be one of: ALL, USER, ACCOUNT, "
                                             "ASSET, BUSINESS.")
        sort = request.args.get("sort_type", "DESC")
        if sort not in ("ASC", "DESC"):
            raise TikTokError(BAD_PARAMETER, "sort_type: Must be one of: ASC, DESC.")
        items = [e for e in self.data.get("changelog") or []
                 if start_day <= date.fromisoformat(str(e["time"])[:10]) <= end_day
                 and kind in ("ALL", e.get("activity_type"))]
        return sorted(items, key=lambda e: str(e["time"]), reverse=sort == "DESC")

    # -- paging and answers ----------------------------------------------------------------------------------

    def _page(self, request: Request, path: str, items: list[dict[str, Any]],
              list_key: str = "list") -> dict[str, Any]:
        page = _int(request, "page", 1)
        size = _int(request, "page_size", 10)
        limit = PAGE_LIMITS[path]
        if page < 1:
            raise TikTokError(BAD_PARAMETER, "page: Must be greater than or equal to 1.")
        if not 1 <= size <= limit:
            raise TikTokError(BAD_PARAMETER, f"page_size: Must be between 1 and {limit}.")
        start = (page - 1) * size
        return {list_key: items[start:start + size],
                "page_info": {"page": page, "page_size": size, "total_number": len(items),
                              "total_page": math.ceil(len(items) / size)}}

    def _request_id(self) -> str:
        return f"{self.now():%Y%m%d%H%M%S}{next(self._ids):014d}"

    def _envelope(self, status: int, code: int, message: str, data: Any = None) -> Response:
        body: dict[str, Any] = {"code": code, "message": message, "request_id": self._request_id()}
        if data is not None:
            body["data"] = data
        elif code != 0:
            body["data"] = {}
        return json_response(status, body, ensure_ascii=False)

    def _fault_response(self, fault: Fault) -> Response:
        kind = fault.kind
        if kind == "429":
            return self._envelope(429, RATE_LIMITED, "Too many requests. Please retry in some time.")
        if kind == "rate_limit":
            code = fault.code or RATE_LIMITED
            return self._envelope(200, code, "Too many requests. Please retry in some time."
                                  if code == RATE_LIMITED else f"Sandbox error {code}.")
        if kind == "500":
            return self._envelope(500, SYSTEM_ERROR, "Internal service error.")
        if kind == "503":
            return html_response(503, "<html><body>503 Service Temporarily Unavailable</body></html>")
        if kind == "malformed":
            return raw_json('{"code":0,"message":"OK","data":{"list":[{"user_id" "7"')
        if kind == "missing_data":
            return Response(json.dumps({"code": 0, "message": "OK", "request_id": self._request_id()}),
                            status=200, mimetype="application/json")
        if kind == "401":
            return self._envelope(200, BAD_TOKEN, "Access token is incorrect or has been revoked.")
        return self._envelope(200, NO_PERMISSION, "No permission to operate this Business Center with this "
                                                  "access token.")


def create_emulator(data: dict[str, Any], token: str) -> tuple[TikTokEmulator, str]:
    """The emulator serving ``data`` for ``token``, and the path prefix of its base URL."""
    return TikTokEmulator(data, token), PREFIX
