"""Pixels, catalogs, partner businesses and direct Page roles (``meta.partners``) over real HTTP against the
emulator, and the emulator's refusals on those edges (one test per contract constraint)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from auditor.connectors.meta.mapping import tenant_from
from auditor.connectors.meta.page_access import page_tokens
from auditor.connectors.meta.partners import read_partners
from auditor.connectors.meta.run import Run
from auditor.model import AccountKind, Asset, Capabilities, TenantSnapshot
from tests.connectors.conftest import PLATFORM
from tests.connectors.meta_fixtures import BUSINESS_ID, TOKEN, business

AGENCY = {"id": "7100", "name": "Pixel Agency"}
CLIENT = {"id": "7200", "name": "Garden Client"}


def _assignee(uid: str, name: str, tasks: list[str]) -> dict[str, Any]:
    return {"id": uid, "name": name, "user_type": "BUSINESS_USER", "tasks": tasks, "permitted_tasks": tasks}


def partner_business(**changes: Any) -> dict[str, Any]:
    """The base business with a pixel, a catalog, one agency, one client and Page roles on 5001."""
    data = business(client_pages=[], agencies=[AGENCY], clients=[CLIENT])
    data["owned_pages"][0]["roles"] = [
        {"id": "9100", "name": "Marek Former", "tasks": ["MANAGE", "CREATE_CONTENT"]},
        {"id": "2002", "name": "Ben Employee", "tasks": ["MODERATE"]},  # a business user: never listed
    ]
    data["owned_pages"][0]["agencies"] = [{**AGENCY, "access_status": "CONFIRMED", "permitted_tasks": ["ADVERTISE"]}]
    data["owned_ad_accounts"][0]["agencies"] = [
        {**AGENCY, "access_status": "CONFIRMED", "permitted_tasks": ["MANAGE", "ADVERTISE"]}]
    data["owned_pixels"] = [{"id": "8801", "name": "Shop pixel", "assigned_users": [
        _assignee("2001", "Anna Admin", ["EDIT", "ANALYZE"]), _assignee("2002", "Ben Employee", ["ANALYZE"])],
        "agencies": [{**AGENCY, "permitted_tasks": ["ANALYZE", "WORMHOLE"]}],
        "shared_agencies": [{**CLIENT}]}]
    data["owned_product_catalogs"] = [{"id": "8901", "name": "Feed", "assigned_users": [
        _assignee("2001", "Anna Admin", ["MANAGE"])], "agencies": []}]
    data.update(changes)
    return data


@pytest.fixture
def read(meta_sandbox: Any) -> Iterator[Any]:
    """``read(data=None, page_size=25, page_roles=True)`` -> (snapshot, sandbox) after ``read_partners``
    over real HTTP."""
    def run_read(data: dict[str, Any] | None = None, page_size: int = 25,
                 page_roles: bool = True) -> tuple[TenantSnapshot, Any]:
        sandbox = meta_sandbox(data if data is not None else partner_business())
        connector = sandbox.connector(page_size=page_size)
        snap = TenantSnapshot(platform=PLATFORM, kind="meta", capabilities=Capabilities(),
                              tenant=tenant_from(PLATFORM, {"id": BUSINESS_ID}, BUSINESS_ID))
        snap.assets = [Asset("5001", "page", "Kwiatek"), Asset("act_6001", "ad_account", "Main ads")]
        with connector._client(TOKEN) as client, ThreadPoolExecutor(2) as pool:
            run = Run(PLATFORM, client, pool, page_size)
            read_partners(run, BUSINESS_ID, snap, connector._client, page_tokens(run), page_roles=page_roles)
        snap.errors = run.errors
        return snap, sandbox
    yield run_read


def grants_of(snap: TenantSnapshot) -> dict[tuple[str, str | None], Any]:
    return {(g.account_id, g.asset_id): g for g in snap.grants}


def test_pixels_catalogs_and_their_assigned_users(read):
    snap, sandbox = read()
    assets = {a.asset_id: a for a in snap.assets}
    assert (assets["8801"].kind, assets["8901"].kind, assets["8801"].raw["owned"]) == ("pixel", "catalog", True)
    grants = grants_of(snap)
    assert (grants[("2001", "8801")].role, grants[("2001", "8801")].privileged) == ("ANALYZE+EDIT", True)
    assert grants[("2002", "8801")].privileged is False
    assert grants[("2001", "8901")].privileged is True
    calls = [r for r in sandbox.emulator.requests if r.path.endswith("/assigned_users")]
    assert {r.path for r in calls} == {"/8801/assigned_users", "/8901/assigned_users"}
    assert all(r.params["business"] == BUSINESS_ID for r in calls)
    assert snap.complete and not snap.incomplete_scopes


def test_partners_are_partner_accounts_with_grants_on_the_assets_they_hold(read):
    snap, _ = read()
    accounts = {a.account_id: a for a in snap.accounts}
    agency, client = accounts["7100"], accounts["7200"]
    assert (agency.kind, agency.name, agency.raw["relation"]) == (AccountKind.PARTNER, "Pixel Agency", "agency")
    assert (client.kind, client.raw["relation"]) == (AccountKind.PARTNER, "client")
    grants = grants_of(snap)
    ads = grants[("7100", "act_6001")]
    assert (ads.role, ads.privileged, ads.raw["access_status"]) == ("ADVERTISE+MANAGE", True, "CONFIRMED")
    page = grants[("7100", "5001")]
    assert (page.privileged, page.raw["source"]) == (False, "page_agencies")
    shared = grants[("7200", "8801")]  # shared_agencies carry no tasks: unknown, never read as safe
    assert (shared.role, shared.privileged, shared.raw["tasks_unknown"]) == ("UNKNOWN", False, True)


def test_unknown_partner_task_is_kept_as_evidence_and_not_privileged(read):
    snap, _ = read()
    grant = grants_of(snap)[("7100", "8801")]
    assert (grant.role, grant.privileged) == ("ANALYZE+WORMHOLE", False)
    assert grant.raw["unknown_tasks"] == ["WORMHOLE"]


def test_page_roles_people_are_users_with_a_grant_on_the_page(read):
    snap, sandbox = read()
    person = next(a for a in snap.accounts if a.account_id == "9100")
    assert (person.kind, person.emails, person.raw["source"]) == (AccountKind.USER, (), "page_roles")
    grant = grants_of(snap)[("9100", "5001")]
    assert (grant.role, grant.privileged, grant.raw["source"]) == ("CREATE_CONTENT+MANAGE", True, "page_roles")
    assert ("2002", "5001") not in grants_of(snap)  # business users never come from /roles
    roles = [r for r in sandbox.emulator.requests if r.path == "/5001/roles"]
    assert roles and roles[0].token_source == "header"
    assert any(r.path == "/me/accounts" for r in sandbox.emulator.requests)


def test_every_partner_edge_is_paged(read):
    many = [{"id": str(71000 + i), "name": f"Agency {i}"} for i in range(7)]
    snap, sandbox = read(partner_business(agencies=many), page_size=3)
    assert {str(71000 + i) for i in range(7)} <= {a.account_id for a in snap.accounts}
    pages = [r for r in sandbox.emulator.requests if r.path == f"/{BUSINESS_ID}/agencies"]
    assert len(pages) >= 3 and all(r.params.get("limit") == "3" for r in pages if "after" not in r.params)
    assert snap.complete


def test_a_failing_agency_edge_marks_only_that_asset_incomplete(meta_sandbox):
    data = partner_business()
    sandbox = meta_sandbox(data)
    sandbox.faults.add("500", "/act_6001/agencies", times=None)
    connector = sandbox.connector()
    snap = TenantSnapshot(platform=PLATFORM, kind="meta", capabilities=Capabilities(),
                          tenant=tenant_from(PLATFORM, {"id": BUSINESS_ID}, BUSINESS_ID))
    snap.assets = [Asset("5001", "page", "Kwiatek"), Asset("act_6001", "ad_account", "Main ads")]
    with connector._client(TOKEN) as client, ThreadPoolExecutor(2) as pool:
        run = Run(PLATFORM, client, pool, 25)
        read_partners(run, BUSINESS_ID, snap, connector._client, page_tokens(run))
    assert list(snap.incomplete_scopes) == ["asset:act_6001"]
    assert "act_6001/agencies" in snap.incomplete_scopes["asset:act_6001"] and not snap.complete
    assert ("7100", "8801") in grants_of(snap) and ("9100", "5001") in grants_of(snap)


def test_a_page_without_a_page_token_is_incomplete_not_empty(read):
    data = partner_business()
    data["owned_pages"][0]["assigned_users"] = [
        u for u in data["owned_pages"][0]["assigned_users"] if u["id"] != "2001"]
    snap, _ = read(data)
    assert list(snap.incomplete_scopes) == ["asset:5001"]
    assert "no Page token" in snap.incomplete_scopes["asset:5001"]
    assert ("9100", "5001") not in grants_of(snap)


def _without_anna(data: dict[str, Any]) -> dict[str, Any]:
    """The auditor (Anna, 2001) loses every task on Page 5001: /me/accounts gives no token for it."""
    data["owned_pages"][0]["assigned_users"] = [
        u for u in data["owned_pages"][0]["assigned_users"] if u["id"] != "2001"]
    return data


def _anna_moderates(data: dict[str, Any]) -> dict[str, Any]:
    """The auditor (Anna, 2001) holds MODERATE, not MANAGE, on Page 5001: a Page token, but no agencies."""
    for user in data["owned_pages"][0]["assigned_users"]:
        if user["id"] == "2001":
            user["tasks"] = user["permitted_tasks"] = ["MODERATE"]
    return data


def test_page_roles_false_declares_the_unread_page_a_coverage_gap(read):
    snap, _ = read(_without_anna(partner_business()), page_roles=False)
    assert snap.complete and not snap.incomplete_scopes and not snap.errors
    (note,) = [n for n in snap.capabilities.notes if "page_roles" in n]
    assert "declared coverage gap" in note and "5001 (roles and agencies are)" in note
    assert ("9100", "5001") not in grants_of(snap)


def test_without_manage_the_roles_are_read_and_the_agencies_are_not(read):
    snap, sandbox = read(_anna_moderates(partner_business()))
    assert ("9100", "5001") in grants_of(snap) and ("7100", "5001") not in grants_of(snap)
    assert "lacks the MANAGE task" in snap.incomplete_scopes["asset:5001"]
    assert not [r for r in sandbox.emulator.requests if r.path == "/5001/agencies"], "no call bound to fail"
    declared, _ = read(_anna_moderates(partner_business()), page_roles=False)
    assert not declared.incomplete_scopes and ("9100", "5001") in grants_of(declared)
    assert any("5001 (agencies are)" in n for n in declared.capabilities.notes)


def test_a_failed_page_token_list_is_incomplete_even_when_the_gap_is_declared(meta_sandbox):
    sandbox = meta_sandbox(partner_business())
    sandbox.faults.add("500", "/me/accounts", times=None)
    connector = sandbox.connector()
    snap = TenantSnapshot(platform=PLATFORM, kind="meta", capabilities=Capabilities(),
                          tenant=tenant_from(PLATFORM, {"id": BUSINESS_ID}, BUSINESS_ID))
    snap.assets = [Asset("5001", "page", "Kwiatek")]
    with connector._client(TOKEN) as client, ThreadPoolExecutor(2) as pool:
        run = Run(PLATFORM, client, pool, 25)
        read_partners(run, BUSINESS_ID, snap, connector._client, page_tokens(run), page_roles=False)
    reason = snap.incomplete_scopes["asset:5001"]
    assert "/me/accounts could not be read" in reason and "500" in reason


# -- the emulator's refusals (contract constraints) -------------------------------------------------------


def _get(sandbox: Any, path: str, token: str, **params: str) -> httpx.Response:
    return httpx.get(f"{sandbox.base_url}{path}", params=params, headers={"Authorization": f"Bearer {token}"})


def _page_token(sandbox: Any, page_id: str) -> str:
    body = _get(sandbox, "/me/accounts", TOKEN, fields="id,access_token").json()
    return next(p["access_token"] for p in body["data"] if p["id"] == page_id)


@pytest.mark.constraint("meta", "page_roles_page_token_and_non_business_only")
def test_page_roles_need_the_page_token_and_list_no_business_user(meta_sandbox):
    sandbox = meta_sandbox(partner_business())
    refused = _get(sandbox, "/5001/roles", TOKEN).json()["error"]
    assert refused["code"] in (190, 210) and "age" in refused["message"]
    answer = _get(sandbox, "/5001/roles", _page_token(sandbox, "5001"), fields="id,name,tasks").json()
    assert [p["id"] for p in answer["data"]] == ["9100"]


@pytest.mark.constraint("meta", "page_agencies_page_token_only")
def test_page_agencies_need_the_page_token(meta_sandbox):
    sandbox = meta_sandbox(partner_business())
    assert _get(sandbox, "/5001/agencies", TOKEN).json()["error"]["code"] in (190, 210)
    answer = _get(sandbox, "/5001/agencies", _page_token(sandbox, "5001"), fields="id,permitted_tasks").json()
    assert answer["data"] == [{"id": "7100", "permitted_tasks": ["ADVERTISE"]}]
    moderator = meta_sandbox(_anna_moderates(partner_business()))  # a Page token, but no MANAGE
    refused = _get(moderator, "/5001/agencies", _page_token(moderator, "5001"))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, 200)


@pytest.mark.constraint("meta", "assigned_users_business_required")
@pytest.mark.parametrize("asset", ["8801", "8901"])
def test_pixel_and_catalog_assigned_users_need_business(meta_sandbox, asset):
    sandbox = meta_sandbox(partner_business())
    error = _get(sandbox, f"/{asset}/assigned_users", TOKEN).json()["error"]
    assert (error["code"], error["message"]) == (100, "(#100) The parameter business is required")
    assert _get(sandbox, f"/{asset}/assigned_users", TOKEN, business=BUSINESS_ID).status_code == 200


@pytest.mark.constraint("meta", "business_edges_need_business_management")
@pytest.mark.parametrize("edge", ["agencies", "clients", "owned_pixels", "owned_product_catalogs"])
def test_partner_and_asset_lists_need_business_management(meta_sandbox, edge):
    data = partner_business()
    data["tokens"][TOKEN]["scopes"] = ["ads_read", "pages_show_list", "pages_read_engagement"]
    sandbox = meta_sandbox(data)
    response = _get(sandbox, f"/{BUSINESS_ID}/{edge}", TOKEN)
    assert (response.status_code, response.json()["error"]["code"]) == (403, 200)
