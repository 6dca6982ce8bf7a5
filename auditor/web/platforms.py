"""Platforms: every tenant as last scanned, and one tenant's assets, accounts, apps and blind spots."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from auditor.storage.inventory_queries import platforms_overview, tenant_detail
from auditor.web.context import page_number, web
from auditor.web.guard import requires

bp = Blueprint("platforms", __name__, url_prefix="/platforms")


@bp.get("")
@requires("platforms.view")
def index() -> str:
    """One row per tenant: status, counts, capabilities."""
    with web().db.session() as session:
        tenants = platforms_overview(session)
    return render_template("platforms/list.html", tenants=tenants)


@bp.get("/tenant")
@requires("platforms.view")
def tenant() -> str:
    """One tenant (``?platform=NAME&tenant=ID``)."""
    platform = request.args.get("platform", "")[:200]
    tenant_id = request.args.get("tenant", "")[:200]
    context = web()
    with context.db.session() as session:
        data = tenant_detail(session, platform, tenant_id, page_number(), context.settings.web.page_size)
    if data is None:
        abort(404)
    return render_template("platforms/tenant.html", data=data, platform=platform, tenant_id=tenant_id)
