"""An emulator of Pinterest API v5 Business Access (read side) for one business, as WSGI.

It serves the shapes of auditor/connectors/pinterest/contract.yaml under ``/v5`` and refuses what its
constraints refuse:

- ``GET /v5/businesses/{id}/members`` (``fetch_system_users`` true: system users only, false: regular members;
  ``business_roles``, ``member_ids`` filters);
- ``GET /v5/businesses/{id}/assets`` (one ``asset_type``, default AD_ACCOUNT) -> ``{asset_id, asset_type,
  catalog_info | asset_group_info}``, no permissions;
- ``GET /v5/businesses/{id}/assets/{asset_id}/members`` (``fetch_system_users``) -> ``{user, permissions}``;
- ``GET /v5/businesses/{id}/assets/{asset_id}/partners`` -> ``{user, permissions}`` (empty for an asset shared
  with the business);
- ``GET /v5/businesses/{id}/partners`` (``partner_type`` INTERNAL | EXTERNAL, ``partner_ids``) and
  ``/partners/{partner_id}/assets`` (``partner_type`` default INTERNAL, ``asset_type`` default AD_ACCOUNT);
- ``GET /v5/businesses/{id}/members/{member_id}/assets`` (``asset_type`` default AD_ACCOUNT);
- ``GET /v5/businesses/{id}/invites`` (``is_member`` default true: membership invites, false: partnership
  ones; ``invite_status`` PENDING | EXPIRED, ``invite_type`` filters).

Lists page with ``page_size`` (default 25, 1..250) and an opaque ``bookmark`` (``start_index`` also works,
except on invites); the last page has ``bookmark: null``. Path ids are 1..20 characters, ``member_ids`` and
``partner_ids`` at most 500. Errors are ``{"code", "message"}``; only that shape is documented, so the
``code`` values are the emulator's own (the HTTP status). A 429 carries no rate-limit header (none documented).
The token needs ``biz_access:read`` (or ``biz_access:write``).

Data: ``{"business": {"id", "name"}, "members": [member item...], "system_users": [member item...],
"assets": [{"asset_id", "asset_type", "catalog_info" | "asset_group_info", "shared_with_us", "members":
[{"user_id", "permissions"}]}], "partners": [partner item + {"partner_type", "assets": [{"asset_id",
"asset_type", "permissions"}]}], "invites": [invite item...], "token_scopes": [...]}``. A ``FaultPlan`` can
make chosen requests fail; every request is recorded in ``requests``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.cursors import decode_cursor, encode_cursor
from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.wsgi import Emulator, answer, html_response, json_response, raw_json

PREFIX = "/v5"
READ_SCOPES = frozenset({"biz_access:read", "biz_access:write"})
MEMBER_INVITES = frozenset({"MEMBER_INVITE"})
ASSET_TYPES = ("AD_ACCOUNT", "PROFILE", "ASSET_GROUP", "CATALOG", "CONSUMER")
PARTNER_TYPES = ("INTERNAL", "EXTERNAL")
INVITE_STATUS_FILTER = ("PENDING", "EXPIRED")
INVITE_TYPES = ("MEMBER_INVITE", "PARTNER_INVITE", "PARTNER_REQUEST")
MAX_ID = 20
MAX_ID_LIST = 500


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


def _one_of(request: Request, name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    """A single enum parameter (case-sensitive): anything outside ``allowed`` is a 400."""
    value = request.args.get(name, default)
    if value is not None and value not in allowed:
        raise PinterestError(400, f"Invalid parameters: {name} must be one of {', '.join(allowed)}.")
    return value


def _id_list(request: Request, name: str) -> set[str]:
    if len(request.args.get(name, "")) > MAX_ID_LIST:
        raise PinterestError(400, f"Invalid parameters: {name} is longer than {MAX_ID_LIST} characters.")
    return _listed(request, name)


class PinterestEmulator(Emulator):
    """A WSGI app emulating Pinterest's Business Access API for one business; ``token`` is the only one accepted."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 default_page_size: int = 25, max_page_size: int = 250):
        super().__init__(data, token, faults)
        self.default_page_size = default_page_size
        self.max_page_size = max_page_size
        self.business_id = str(data["business"]["id"])
        self.members = list(data.get("members") or [])
        self.system_users = list(data.get("system_users") or [])
        self.users = {str(m["user"]["id"]): m for m in (*self.members, *self.system_users)
                      if (m.get("user") or {}).get("id") is not None}  # malformed test items are served as is
        self.assets = {str(a["asset_id"]): a for a in data.get("assets") or []}
        self.partners = {str(p["id"]): p for p in data.get("partners") or []}
        self.scopes = frozenset(data.get("token_scopes") or READ_SCOPES)

    # -- WSGI ----------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then auth, then routing."""
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX + "/") else request.path
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, dict(request.args.items()),
                                                 request.headers.get("Authorization", "")[:7].lower() == "bearer "))
        return answer(self.faults, path, self._fault_response, lambda: self._serve(request, path))

    def _serve(self, request: Request, path: str) -> Response:
        try:
            if not request.path.startswith(PREFIX + "/"):
                raise PinterestError(404, "Not found.")
            self._authenticate(request)
            return json_response(200, self._route(request, [p for p in path.split("/") if p]))
        except PinterestError as exc:
            return json_response(exc.status, {"code": exc.status, "message": exc.message})

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
        for position in (1, 3):
            if position < len(parts) and len(parts[position]) > MAX_ID:
                raise PinterestError(400, f"Invalid parameters: the id {parts[position]!r} is longer than {MAX_ID} "
                                          "characters.")
        if parts[1] != self.business_id:
            raise PinterestError(403, "Not authorized to access the business.")
        rest = parts[2:]
        if rest == ["members"]:
            return self._members(request)
        if rest == ["assets"]:
            return self._asset_list(request)
        if rest == ["partners"]:
            return self._partner_list(request)
        if rest == ["invites"]:
            return self._invites(request)
        if len(rest) == 3 and rest[0] == "assets" and rest[2] == "members":
            return self._asset_members(request, rest[1])
        if len(rest) == 3 and rest[0] == "assets" and rest[2] == "partners":
            return self._asset_partners(request, rest[1])
        if len(rest) == 3 and rest[0] == "partners" and rest[2] == "assets":
            return self._partner_assets(request, rest[1])
        if len(rest) == 3 and rest[0] == "members" and rest[2] == "assets":
            return self._member_assets(request, rest[1])
        raise PinterestError(404, "Not found.")

    def _members(self, request: Request) -> dict[str, Any]:
        items = self.system_users if _flag(request, "fetch_system_users", False) else self.members
        roles, ids = _listed(request, "business_roles"), _id_list(request, "member_ids")
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
        kind = _one_of(request, "asset_type", ASSET_TYPES, "AD_ACCOUNT")
        keep = ("asset_id", "asset_type", "catalog_info", "asset_group_info")
        items = [{k: v for k, v in a.items() if k in keep} for a in self.assets.values() if a.get("asset_type") == kind]
        return self._page(request, items)

    def _holding(self, holdings: list[dict[str, Any]], kind: str | None) -> list[dict[str, Any]]:
        """``{asset_id, asset_type, permissions, asset_group_info?}`` of the holdings of type ``kind``."""
        items = []
        for held in holdings:
            asset = self.assets.get(str(held["asset_id"])) or held
            if asset.get("asset_type") == kind:
                item = {"asset_id": str(held["asset_id"]), "asset_type": kind,
                        "permissions": list(held.get("permissions") or [])}
                if "asset_group_info" in asset:
                    item["asset_group_info"] = asset["asset_group_info"]
                items.append(item)
        return items

    def _partner_list(self, request: Request) -> dict[str, Any]:
        kind = _one_of(request, "partner_type", PARTNER_TYPES, None)
        ids = _id_list(request, "partner_ids")
        summary = _flag(request, "assets_summary", False)
        items = []
        for partner in self.partners.values():
            if (kind and partner.get("partner_type", "INTERNAL") != kind) or (ids and str(partner["id"]) not in ids):
                continue
            item = {k: v for k, v in partner.items() if k not in ("partner_type", "assets", "assets_summary")}
            if summary:
                item["assets_summary"] = partner.get("assets_summary") or {"ad_accounts": [], "profiles": []}
            items.append(item)
        return self._page(request, items)

    def _partner_assets(self, request: Request, partner_id: str) -> dict[str, Any]:
        kind = _one_of(request, "partner_type", PARTNER_TYPES, "INTERNAL")
        asset_type = _one_of(request, "asset_type", ASSET_TYPES, "AD_ACCOUNT")
        partner = self.partners.get(partner_id)
        if partner is None:
            raise PinterestError(404, "Partner not found.")
        held = (partner.get("assets") or []) if partner.get("partner_type", "INTERNAL") == kind else []
        return self._page(request, self._holding(held, asset_type))

    def _asset_partners(self, request: Request, asset_id: str) -> dict[str, Any]:
        asset = self.assets.get(asset_id)
        if asset is None:
            raise PinterestError(404, "Asset not found.")
        items = []
        if not asset.get("shared_with_us"):  # documented: an asset shared with the business lists no partner
            for partner in self.partners.values():
                for held in partner.get("assets") or []:
                    if partner.get("partner_type", "INTERNAL") == "INTERNAL" and str(held["asset_id"]) == asset_id:
                        items.append({"user": dict(partner.get("user") or {}),
                                      "permissions": list(held.get("permissions") or [])})
        return self._page(request, items)

    def _member_assets(self, request: Request, member_id: str) -> dict[str, Any]:
        asset_type = _one_of(request, "asset_type", ASSET_TYPES, "AD_ACCOUNT")
        if member_id not in self.users:
            raise PinterestError(404, "Member not found.")
        held = [{"asset_id": a["asset_id"], "permissions": h.get("permissions")} for a in self.assets.values()
                for h in a.get("members") or [] if str(h["user_id"]) == member_id]
        return self._page(request, self._holding(held, asset_type))

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
        if statuses - set(INVITE_STATUS_FILTER) or kinds - set(INVITE_TYPES):
            raise PinterestError(400, "Invalid parameters: invite_status takes PENDING, EXPIRED; invite_type takes "
                                      f"{', '.join(INVITE_TYPES)}.")
        items = []
        for invite in self.data.get("invites") or []:
            info = invite.get("invite_data") or {}
            if (info.get("invite_type") in MEMBER_INVITES) != member:
                continue
            if (statuses and info.get("invite_status") not in statuses) or (
                    kinds and info.get("invite_type") not in kinds):
                continue
            items.append(invite)
        return self._page(request, items, start_index=False)

    # -- paging ------------------------------------------------------------------------------------------

    def _page(self, request: Request, items: list[Any], *, start_index: bool = True) -> dict[str, Any]:
        """One page; ``start_index`` is read only where the endpoint declares it (not on invites)."""
        try:
            size = int(request.args.get("page_size", self.default_page_size))
            start = int(request.args.get("start_index", 0)) if start_index else 0
        except ValueError:
            raise PinterestError(400, "Invalid parameters: page_size and start_index must be integers.") from None
        if not 1 <= size <= self.max_page_size:
            raise PinterestError(400, f"Invalid parameters: page_size must be between 1 and {self.max_page_size}.")
        if start < 0:
            raise PinterestError(400, "Invalid parameters: start_index must be at least 0.")
        if request.args.get("bookmark"):
            start = _offset(request.args["bookmark"])
        end = min(start + size, len(items))
        return {"items": items[start:end], "bookmark": _bookmark(end) if end < len(items) else None}

    # -- answers -----------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> Response:
        kind = fault.kind
        if kind in ("429", "rate_limit"):
            return json_response(429, {"code": 429, "message": "You have exceeded your rate limit. Try again later."})
        if kind == "500":
            return json_response(500, {"code": 500, "message": "Something went wrong on our end. Sorry about that."})
        if kind == "503":
            return html_response()
        if kind == "malformed":
            return raw_json('{"items": [{"id": "1" "user": }')
        if kind == "missing_data":
            return json_response(200, {"bookmark": None})
        if kind == "401":
            return json_response(401, {"code": 401, "message": "Authentication failed."})
        return json_response(403, {"code": 403, "message": "Not authorized to access the user or business account."})


def create_emulator(data: dict[str, Any], token: str) -> tuple[PinterestEmulator, str]:
    """The emulator serving ``data`` and accepting ``token``, and the path prefix of its base URL."""
    return PinterestEmulator(data, token), PREFIX
