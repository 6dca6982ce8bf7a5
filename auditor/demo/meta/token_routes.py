"""The Meta emulator's token edges: ``/me``, ``/me/permissions``, ``/me/accounts`` (Page tokens for Pages the
caller has a task on), ``/{page-id}?fields=access_token`` and ``/debug_token`` with its caller rule (contract
constraints me_accounts_only_tasked_pages, page_token_field_only_tasked, debug_token_caller)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.demo.meta.callers import Caller, GraphError
from auditor.demo.meta.fields import check_fields, requested_fields

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from auditor.demo.meta.emulator import MetaEmulator

ACCOUNTS_FIELDS = frozenset({"id", "name", "category", "access_token", "tasks"})
_USER_TOKEN_ONLY = "(#100) This endpoint requires a user or system user access token"  # noqa: S105 (a message)


def me(em: MetaEmulator, request: Request, caller: Caller) -> dict[str, Any]:
    """``/me``: the caller's user (or a Page token's Page)."""
    if caller.kind == "page" and caller.page_id:
        return em.project_node(em.assets[caller.page_id][1], requested_fields(request))
    if caller.kind != "user":
        raise GraphError(400, "An active access token must be used to query information about the current "
                              "user.", 2500)
    user_id = caller.user_id or "0"
    node = em.users.get(user_id) or {"id": user_id, "name": "Sandbox auditor"}
    return em.project_node(node, requested_fields(request))


def me_edge(em: MetaEmulator, request: Request, caller: Caller, edge: str) -> dict[str, Any]:
    """``/me/permissions`` (the token's scopes, S12/S13) and ``/me/accounts`` (Pages the caller has a task on,
    each with a Page token, S43; needs pages_read_engagement)."""
    if caller.kind != "user":
        raise GraphError(400, _USER_TOKEN_ONLY, 100)
    if edge == "permissions":
        items = [{"permission": s, "status": "granted"} for s in sorted(caller.scopes)]
        return em._page(request, items, ("permission", "status"))
    caller.needs("pages_read_engagement")
    check_fields(request, ACCOUNTS_FIELDS, "Page")
    pages = []
    for asset_id, (kind, asset) in em.assets.items():
        tasks = em._tasks_on(asset_id, caller.user_id) if kind == "page" else []
        if tasks:
            pages.append({"id": asset_id, "name": asset.get("name"), "category": asset.get("category"),
                          "tasks": tasks, "access_token": em.callers.hand_page_token(caller, asset_id)})
    return em._page(request, pages, ("id", "name", "category", "access_token", "tasks"))


def page_token(em: MetaEmulator, request: Request, page_id: str, caller: Caller) -> dict[str, Any]:
    """``/{page-id}?fields=access_token``: a Page token only for a caller with a task on the Page (S44)."""
    if caller.kind != "user" or not em._tasks_on(page_id, caller.user_id):
        raise GraphError(403, "(#200) The caller has no task on this Page", 200)
    fields = [f for f in requested_fields(request) or () if f != "access_token"]
    node = em.project_node(em.assets[page_id][1], fields)
    node["access_token"] = em.callers.hand_page_token(caller, page_id)
    return node


def debug_token(em: MetaEmulator, request: Request, caller: Caller) -> dict[str, Any]:
    """The token's metadata, for the app token of its app or a developer/admin of that app (S34, T9)."""
    token = request.args.get("input_token")
    if not token:
        raise GraphError(400, "(#100) The parameter input_token is required", 100)
    info = em.tokens.get(token)
    if not em.callers.may_debug(caller, str(info["app_id"]) if info and info.get("app_id") else None):
        raise GraphError(400, "(#100) You must provide an app access token, or a user access token that is an "
                              "owner or developer of the app", 100)
    if info is None:
        return {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."}, "is_valid": False,
                         "scopes": []}}
    return {"data": dict(info)}
