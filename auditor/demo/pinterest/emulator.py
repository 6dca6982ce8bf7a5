"""An emulator of Pinterest API v5 Business Access (read side) for one business, as WSGI.

It serves the shapes of docs/platform-apis.md section 6 under ``/v5``:

- ``GET /v5/businesses/{id}/members`` (``fetch_system_users`` true: system users only, false: regular members;
  ``business_roles``, ``member_ids`` filters);
- ``GET /v5/businesses/{id}/assets`` (``asset_type`` filter) -> ``{asset_id, asset_type, permissions}``;
- ``GET /v5/businesses/{id}/assets/{asset_id}/members`` (``fetch_system_users``) -> ``{user, permissions}``;
- ``GET /v5/businesses/{id}/invites`` (``is_member`` default true: membership invites, false: partnership
  ones; ``invite_status``, ``invite_type`` filters).

Lists page with ``page_size`` (default 25, 1..250) and an opaque ``bookmark`` (``start_index`` also works);
the last page has ``bookmark: null``. Errors are ``{"code", "message"}``; only that shape is documented, so the
``code`` values are the emulator's own (the HTTP status). A 429 carries no rate-limit header (none documented).
The token needs ``biz_access:read`` (or ``biz_access:write``).

Data: ``{"business": {"id", "name"}, "members": [member item...], "system_users": [member item...],
"assets": [{"asset_id", "asset_type", "permissions", "members": [{"user_id", "permissions"}]}],
"invites": [invite item...], "token_scopes": [...]}``. A ``FaultPlan`` can make chosen requests fail; every
request is recorded in ``requests``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.cursors import decode_cursor, encode_cursor
from auditor.demo.faults import Fault, FaultPlan

PREFIX = "/v5"
READ_SCOPES = frozenset({"biz_access:read", "biz_access:write"})
MEMBER_INVITES = frozenset({"MEMBER_INVITE"})


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it (path without ``/v5``; the token is never recorded)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    bearer: bool = False


class PinterestError(Exception):
    """An error answer in Pinterest's ``{code, message}`` shape."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def _bookmark(offset: int) -> str:
    return encode_cursor("sandbox-bookmark", offset)


def _offset(bookmark: str) -> int:
    offset = decode_cursor("sandbox-bookmark", bookmark)
    if offset is None:
        raise PinterestError(400, "Invalid bookmark.")
    return offset


def _flag(request: Request, name: str, default: bool) -> bool:
    value = request.args.get(name)
    return default if value is None else value.strip().lower() == "true"


def _listed(request: Request, name: str) -> set[str]:
    """A list parameter, repeated or comma-separated."""
    return {v.strip() for raw in request.args.getlist(name) for v in raw.split(",") if v.strip()}


class PinterestEmulator:
    """A WSGI app emulating Pinterest's Business Access API for one business; ``token`` is the only one accepted."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 default_page_size: int = 25, max_page_size: int = 250):
        self.data = data
        self.token = token
        self.faults = faults or FaultPlan()
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self.business_id = str(data["business"]["id"])
        self.members = list(data.get("members") or [])
        self.system_users = list(data.get("system_users") or [])
        self.users = {str(m["user"]["id"]): m for m in (*self.members, *self.system_users)
                      if (m.get("user") or {}).get("id") is not None}  # malformed test items are served as is
        self.assets = {str(a["asset_id"]): a for a in data.get("assets") or []}
        self.scopes = frozenset(data.get("token_scopes") or READ_SCOPES)

    # -- WSGI ----------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then auth, then routing."""
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX + "/") else request.path
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, dict(request.args.items()),
                                                 request.headers.get("Authorization", "")[:7].lower() == "bearer "))
        fault = self.faults.take(path)
        if fault is not None and fault.kind not in ("timeout", "truncated"):
            return self._fault_response(fault)
        if fault is not None and fault.kind == "timeout":
            time.sleep(fault.delay)
        try:
            if not request.path.startswith(PREFIX + "/"):
                raise PinterestError(404, "Not found.")
            self._authenticate(request)
            response = self._json(200, self._route(request, [p for p in path.split("/") if p]))
        except PinterestError as exc:
            response = self._json(exc.status, {"code": exc.status, "message": exc.message})
        if fault is not None and fault.kind == "truncated":
            data = response.get_data()
            response.set_data(data[: max(1, len(data) // 2)])
        return response

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() != "bearer " or header[7:].strip() != self.token:
            raise PinterestError(401, "Authentication failed.")
        if not self.scopes & READ_SCOPES:
            raise PinterestError(403, "Not authorized to access the user or business account: missing scope "
                                      "biz_access:read.")

    # -- routing ---------------------------------------------------------------------------------------------

    def _route(self, request: Request, parts: list[str]) -> dict[str, Any]:
        if request.method != "GET":
            raise PinterestError(405, "Method not allowed.")
        if len(parts) < 3 or parts[0] != "businesses":
            raise PinterestError(404, "Not found.")
        if parts[1] != self.business_id:
            raise PinterestError(403, "Not authorized to access the business.")
        rest = parts[2:]
        if rest == ["members"]:
            return self._members(request)
        if rest == ["assets"]:
            return self._asset_list(request)
        if len(rest) == 3 and rest[0] == "assets" and rest[2] == "members":
            return self._asset_members(request, rest[1])
        if rest == ["invites"]:
            return self._invites(request)
        raise PinterestError(404, "Not found.")

    def _members(self, request: Request) -> dict[str, Any]:
        items = self.system_users if _flag(request, "fetch_system_users", False) else self.members
        roles, ids = _listed(request, "business_roles"), _listed(request, "member_ids")
        if roles - {"EMPLOYEE", "BIZ_ADMIN"}:
            raise PinterestError(400, "Invalid parameters: business_roles takes EMPLOYEE, BIZ_ADMIN.")
        if roles:
            items = [m for m in items if roles & set(m.get("business_roles") or [])]
        if ids:
            items = [m for m in items if str(m.get("id")) in ids]
        if not _flag(request, "assets_summary", False):
            items = [{k: v for k, v in m.items() if k != "assets_summary"} for m in items]
        return self._page(request, items)

    def _asset_list(self, request: Request) -> dict[str, Any]:
        kinds = _listed(request, "asset_type")
        items = [{k: v for k, v in a.items() if k not in ("members", "name")} for a in self.assets.values()
                 if not kinds or a.get("asset_type") in kinds]
        return self._page(request, items)

    def _asset_members(self, request: Request, asset_id: str) -> dict[str, Any]:
        asset = self.assets.get(asset_id)
        if asset is None:
            raise PinterestError(404, "Asset not found.")
        system = _flag(request, "fetch_system_users", False)
        wanted = {uid for uid, m in self.users.items() if (m in self.system_users) == system}
        items = []
        for holder in asset.get("members") or []:
            user_id = str(holder["user_id"])
            if user_id in wanted or (user_id not in self.users and not system):
                user = dict(self.users[user_id]["user"]) if user_id in self.users else dict(holder.get("user") or {})
                items.append({"user": user, "permissions": list(holder.get("permissions") or [])})
        return self._page(request, items)

    def _invites(self, request: Request) -> dict[str, Any]:
        member = _flag(request, "is_member", True)
        statuses, kinds = _listed(request, "invite_status"), _listed(request, "invite_type")
        items = []
        for invite in self.data.get("invites") or []:
            info = invite.get("invite_data") or {}
            if (info.get("invite_type") in MEMBER_INVITES) != member:
                continue
            if (statuses and info.get("invite_status") not in statuses) or (
                    kinds and info.get("invite_type") not in kinds):
                continue
            items.append(invite)
        return self._page(request, items)

    # -- paging ------------------------------------------------------------------------------------------

    def _page(self, request: Request, items: list[Any]) -> dict[str, Any]:
        try:
            size = int(request.args.get("page_size", self.default_page_size))
            start = int(request.args.get("start_index", 0))
        except ValueError:
            raise PinterestError(400, "Invalid parameters: page_size and start_index must be integers.") from None
        if not 1 <= size <= self.max_page_size:
            raise PinterestError(400, f"Invalid parameters: page_size must be between 1 and {self.max_page_size}.")
        if request.args.get("bookmark"):
            start = _offset(request.args["bookmark"])
        end = min(max(start, 0) + size, len(items))
        return {"items": items[max(start, 0):end], "bookmark": _bookmark(end) if end < len(items) else None}

    # -- answers -----------------------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, body: Any) -> Response:
        return Response(json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json")

    def _fault_response(self, fault: Fault) -> Response:
        kind = fault.kind
        if kind in ("429", "rate_limit"):
            return self._json(429, {"code": 429, "message": "You have exceeded your rate limit. Try again later."})
        if kind == "500":
            return self._json(500, {"code": 500, "message": "Something went wrong on our end. Sorry about that."})
        if kind == "503":
            return Response("<html><body>Service Unavailable</body></html>", status=503, mimetype="text/html")
        if kind == "malformed":
            return Response('{"items": [{"id": "1" "user": }', status=200, mimetype="application/json")
        if kind == "missing_data":
            return self._json(200, {"bookmark": None})
        if kind == "401":
            return self._json(401, {"code": 401, "message": "Authentication failed."})
        return self._json(403, {"code": 403, "message": "Not authorized to access the user or business account."})


def create_emulator(data: dict[str, Any], token: str) -> tuple[PinterestEmulator, str]:
    """The emulator serving ``data`` and accepting ``token``, and the path prefix of its base URL."""
    return PinterestEmulator(data, token), PREFIX
