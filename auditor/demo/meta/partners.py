"""The Meta emulator's partner, Page-role, pixel and catalog edges (contract: page_roles, page_agencies,
business_agencies, business_clients, ad_account_agencies, pixel_agencies, pixel_shared_agencies,
catalog_agencies; pixels and catalogs themselves are asset edges of ``emulator.ASSET_EDGES``).

Data shape: ``agencies`` / ``clients`` at the top level (Business nodes); on an asset record, ``agencies``
(and ``shared_agencies`` on a pixel) lists Business nodes with their ``permitted_tasks`` there; on a Page
record, ``roles`` lists the people with a direct Page role (User nodes with ``tasks``).
Constraints enforced: Page ``roles`` / ``agencies`` answer only that Page's own Page token (Page
``agencies`` also needs MANAGE); ``roles`` never lists a business or system user (page_roles_page_token_
and_non_business_only); the business edges need business_management; other asset edges need a business
(user or system-user) token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.demo.meta.callers import Caller, GraphError

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from auditor.demo.meta.emulator import MetaEmulator

BUSINESS_PARTNER_EDGES = ("agencies", "clients")
ASSET_AGENCY_EDGES: dict[str, tuple[str, ...]] = {
    "ad_account": ("agencies",), "pixel": ("agencies", "shared_agencies"), "catalog": ("agencies",),
    "page": ("agencies", "roles"),
}
PAGE_TOKEN_REFUSALS = {
    190: "(#190) This method must be called with a Page Access Token",
    210: "(#210) A page access token is required to request this resource.",
}


def route_partners(emu: MetaEmulator, request: Request, parts: list[str], caller: Caller) -> dict[str, Any] | None:
    """The answer for one of this module's edges, or None when the path is not one of them."""
    if len(parts) != 2:
        return None
    node, edge = parts
    if node == emu.business_id and edge in BUSINESS_PARTNER_EDGES:
        emu._need_business_management(caller)
        return emu._page(request, list(emu.data.get(edge) or []))
    kind = emu._kind(node)
    if kind is None or edge not in ASSET_AGENCY_EDGES.get(kind, ()):
        return None
    record = emu.assets[node][1]
    if kind == "page":
        _need_page_token(emu, caller, node, manage=edge == "agencies")
        items = list(record.get(edge) or [])
        if edge == "roles":  # only people who do not belong to a business (S29)
            items = [i for i in items if str(i["id"]) not in emu.users]
        return emu._page(request, items)
    if caller.kind != "user":
        raise GraphError(400, "(#100) This endpoint requires a user or system user access token", 100)
    return emu._page(request, list(record.get(edge) or []))


def _need_page_token(emu: MetaEmulator, caller: Caller, page_id: str, *, manage: bool) -> None:
    """Refuse anything but this Page's own Page token (and, for agencies, one of a MANAGE holder)."""
    if caller.kind != "page" or caller.page_id != page_id:
        code = int(emu.data.get("page_token_error") or (190 if sum(map(ord, page_id)) % 2 else 210))
        raise GraphError(400, PAGE_TOKEN_REFUSALS[code], code)
    if manage and "MANAGE" not in emu._tasks_on(page_id, caller.user_id):
        raise GraphError(403, "(#200) The user must be an administrator of the Page with the MANAGE task", 200)
