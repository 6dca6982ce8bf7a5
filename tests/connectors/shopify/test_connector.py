"""The Shopify connector over real HTTP against the emulator: paging, mapping, errors, throttling, partial reads,
and one test per contract constraint."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from auditor.connectors.http import ConnectorAuthError
from auditor.connectors.shopify import ShopifyConnector
from auditor.demo.faults import FaultPlan
from auditor.demo.shopify.emulator import ShopifyEmulator
from auditor.errors import ConfigError, ConnectorError
from auditor.model import AccountKind
from tests.support.served import ServedEmulator, serving

NOW = datetime(2026, 3, 15, tzinfo=UTC)
TOKEN = "shpat_test0123456789abcdef"
SHOP = "kwiatek.myshopify.com"


def _staff(n: int, name: str, account_type: str = "REGULAR", *, owner: bool = False, active: bool = True,
           permissions: list[str] | None = None) -> dict[str, Any]:
    return {"id": f"gid://shopify/StaffMember/{n}", "name": name, "email": f"{name.lower()}@kwiatek.example",
            "active": active, "isShopOwner": owner, "accountType": account_type,
            "privateData": {"createdAt": "2025-01-02T03:04:05Z", "permissions": permissions or ["ORDERS"]}}


BASE: dict[str, Any] = {
    "shop": {"id": "gid://shopify/Shop/1", "name": "Kwiatek", "myshopifyDomain": SHOP,
             "plan": {"displayName": "Shopify Plus", "shopifyPlus": True}},
    "installation": {"id": "gid://shopify/AppInstallation/9", "app": {"id": "gid://shopify/App/9", "title": "Audit"},
                     "accessScopes": [{"handle": "read_users"}]},
    "installations": [],
    "staff": [
        _staff(1, "Anna", owner=True), _staff(2, "Ben", permissions=["APPLICATIONS", "ORDERS"]),
        _staff(3, "Cara", "SAML"), _staff(4, "Dan", "COLLABORATOR"), _staff(5, "Eve", "INVITED"),
        _staff(6, "Fred", active=False, permissions=["APPLICATIONS"]), _staff(7, "Gina", "ROBOT",
                                                                               permissions=["TELEPORT"]),
        _staff(8, "Hugo", "RESTRICTED"),
    ],
    "throttle": {"maximum": 1000.0, "restore_rate": 50.0},
}


class Clock:
    """A fake clock: the emulator's bucket refills only when the connector sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def resolve(env: str | None, key: str) -> str:
    if env != "SHOPIFY_TOKEN":
        raise ConfigError(f"test config: {key} is not set")
    return TOKEN


class Sandbox(ServedEmulator):
    prefix = "/admin/api"
    connector_class = ShopifyConnector
    resolve = staticmethod(resolve)
    defaults = {"kind": "shopify", "name": "shop", "tenant_id": SHOP, "token_env": "SHOPIFY_TOKEN", "page_size": 3,
                "timeout": 5.0, "max_retries": 2, "backoff": 0.0, "options": {"max_wait": 100.0}}

    def connector(self, **changes: Any) -> Any:
        return ShopifyConnector(self.settings(**changes), resolve, sleep=self.clock.sleep)


@pytest.fixture
def start() -> Iterator[Any]:
    def make(data: dict[str, Any] | None = None, token: str = TOKEN, **kwargs: Any) -> Sandbox:
        clock = Clock()
        served = Sandbox(ShopifyEmulator(copy.deepcopy(data or BASE), token, clock=clock, **kwargs))
        served.clock = clock
        return served

    with serving(make) as run:
        yield run


def test_staff_are_read_page_by_page_and_mapped(start):
    sandbox = start()
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(snap.accounts) == 8
    assert [r.variables["first"] for r in sandbox.requests() if "staffMembers" in r.fields] == [3, 3, 3]
    by = {a.name: a for a in snap.accounts}
    grants = {g.account_id: g for g in snap.grants}
    assert grants[by["Anna"].account_id].privileged and grants[by["Anna"].account_id].role == "shop_owner"
    assert grants[by["Ben"].account_id].privileged  # APPLICATIONS: installs apps, admin-level
    assert by["Cara"].two_factor is True and by["Ben"].two_factor is None  # SAML counts as SSO
    assert by["Dan"].role == "COLLABORATOR" and by["Dan"].kind == AccountKind.USER
    assert by["Eve"].kind == AccountKind.INVITATION and by["Eve"].state == "pending"
    assert by["Fred"].state == "deactivated" and by["Fred"].account_id not in grants
    assert by["Hugo"].state == "restricted" and not grants[by["Hugo"].account_id].privileged
    assert by["Anna"].created_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_unknown_enum_values_are_kept_as_evidence_and_treated_as_unknown(start):
    snap = start().connector().fetch(now=NOW)
    gina = next(a for a in snap.accounts if a.name == "Gina")
    assert gina.raw["unknown_account_type"] == "ROBOT" and gina.state == "unknown" and gina.two_factor is None
    assert gina.raw["unknown_permissions"] == ["TELEPORT"]
    assert not next(g for g in snap.grants if g.account_id == gina.account_id).privileged


def test_the_own_app_is_judged_like_any_token(start):
    data = copy.deepcopy(BASE)
    data["installation"]["accessScopes"] += [{"handle": "write_products"}]
    app = start(data).connector().fetch(now=NOW).apps[0]
    assert app.token_ref == "self" and app.scopes == ("read_users", "write_products")


def test_other_installations_are_read_with_read_apps_and_automation_tools_recognised(start):
    data = copy.deepcopy(BASE)
    data["installation"]["accessScopes"] += [{"handle": "read_apps"}]
    data["installations"] = [{"id": "gid://shopify/AppInstallation/20", "app": {
        "id": "gid://shopify/App/20", "title": "Zapier", "developerName": "Zapier Inc."},
        "accessScopes": [{"handle": "write_orders"}]}]
    snap = start(data).connector().fetch(now=NOW)
    zapier = next(a for a in snap.apps if a.token_ref is None)
    assert zapier.raw["automation_tool"] == "Zapier" and zapier.name.startswith("Zapier app")
    assert zapier.scopes == ("write_orders",)


@pytest.mark.constraint("shopify", "app_installations_read_apps")
def test_app_installations_without_read_apps_are_refused(start):
    sandbox = start()
    query = "query { appInstallations(first: 5) { nodes { id } pageInfo { hasNextPage endCursor } } }"
    answer = httpx.post(f"{sandbox.base_url}/2025-10/graphql.json", json={"query": query},
                        headers={"X-Shopify-Access-Token": TOKEN}).json()
    assert answer["data"]["appInstallations"] is None
    assert answer["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"


@pytest.mark.constraint("shopify", "read_users_access_denied")
def test_without_read_users_the_staff_list_is_not_verified_never_empty(start):
    data = copy.deepcopy(BASE)
    data["installation"]["accessScopes"] = [{"handle": "read_products"}]
    sandbox = start(data)
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and "tenant" in snap.incomplete_scopes
    assert "read_users" in snap.incomplete_scopes["tenant"] and "Plus" in snap.incomplete_scopes["tenant"]
    assert any("read_users" in p for p in sandbox.connector().check())


@pytest.mark.constraint("shopify", "access_token_header")
def test_a_rejected_token_raises_an_auth_error(start):
    with pytest.raises(ConnectorAuthError, match="Invalid API key"):
        start(token="another").connector().fetch(now=NOW)


@pytest.mark.constraint("shopify", "version_fallback")
def test_an_unsupported_version_is_served_by_the_oldest_and_noted(start):
    sandbox = start()
    snap = sandbox.connector(options={"api_version": "2019-04", "max_wait": 0.0}).fetch(now=NOW)
    assert snap.tenant.raw["api_version_served"] == "2025-01"
    assert any("2019-04" in note and "2025-01" in note for note in snap.capabilities.notes)


@pytest.mark.constraint("shopify", "first_or_last_required")
@pytest.mark.constraint("shopify", "page_size_max")
@pytest.mark.constraint("shopify", "cursor_paging")
def test_connection_arguments_are_checked(start):
    sandbox = start()
    url, headers = f"{sandbox.base_url}/2025-10/graphql.json", {"X-Shopify-Access-Token": TOKEN}

    def ask(args: str) -> dict:
        query = f"query {{ staffMembers{args} {{ nodes {{ id }} }} }}"
        return httpx.post(url, headers=headers, json={"query": query}).json()

    assert "first or last" in ask("")["errors"][0]["message"]
    assert "250" in ask("(first: 251)")["errors"][0]["message"]
    assert "Invalid cursor" in ask('(first: 2, after: "bogus")')["errors"][0]["message"]
    # the connector clamps its page size to 250:
    many = copy.deepcopy(BASE)
    many["staff"] = [_staff(100 + i, f"u{i}") for i in range(260)]
    snap = start(many).connector(page_size=1000).fetch(now=NOW)
    assert len(snap.accounts) == 260


@pytest.mark.constraint("shopify", "cost_throttle")
def test_the_connector_waits_before_the_bucket_runs_dry(start):
    data = copy.deepcopy(BASE)
    data["throttle"] = {"maximum": 12.0, "restore_rate": 2.0}
    sandbox = start(data)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(snap.accounts) == 8
    assert not any(r.throttled for r in sandbox.requests())  # never asked more than the bucket held
    assert sandbox.clock.slept and all(s > 0 for s in sandbox.clock.slept)


@pytest.mark.constraint("shopify", "cost_throttle")
def test_a_throttled_answer_is_waited_out(start):
    data = copy.deepcopy(BASE)
    data["throttle"] = {"maximum": 6.0, "restore_rate": 1.0}
    sandbox = start(data)
    sandbox.emulator._available = 0.0  # an empty bucket: the first query is THROTTLED (HTTP 200)
    snap = sandbox.connector(page_size=2).fetch(now=NOW)
    assert snap.complete and len(snap.accounts) == 8
    assert sandbox.requests()[0].throttled
    assert sandbox.clock.slept[0] == pytest.approx(1.0)  # (cost 1 - available 0) / restore rate 1


@pytest.mark.constraint("shopify", "throttle_429")
def test_a_429_throttle_is_retried_with_the_cost_hint(start):
    sandbox = start()
    sandbox.faults.add("429", "/graphql.json", times=1)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and len(snap.accounts) == 8
    assert sandbox.clock.slept[0] == pytest.approx(1.0)  # (requested 52 - available 2) / restore rate 50


def test_server_errors_are_retried_then_reported(start):
    sandbox = start()
    sandbox.faults.add("500", "/graphql.json", times=1)
    assert sandbox.connector().fetch(now=NOW).complete
    sandbox.faults.add("503", "/graphql.json", times=None)
    with pytest.raises(ConnectorError, match="server error 503"):
        sandbox.connector().fetch(now=NOW)


@pytest.mark.parametrize("fault", ["malformed", "truncated", "missing_data"])
def test_a_broken_staff_page_resolves_nothing_in_its_scope(start, fault):
    sandbox = start()
    sandbox.faults.add(fault, "/graphql.json", times=None)
    with pytest.raises(ConnectorError):  # the shop query is the core read
        sandbox.connector().fetch(now=NOW)


class AfterShopQueries(FaultPlan):
    """Faults that start after the shop and own-app queries (the staff list breaks, not the core read)."""

    def __init__(self, skip: int) -> None:
        super().__init__()
        self.skip = skip

    def take(self, path: str):  # noqa: ANN201 - test double of FaultPlan.take
        self.skip -= 1
        return super().take(path) if self.skip < 0 else None


@pytest.mark.parametrize("fault", ["malformed", "truncated", "missing_data", "500"])
def test_a_broken_later_staff_page_marks_the_tenant_incomplete(start, fault):
    sandbox = start()
    plan = AfterShopQueries(skip=3)  # shop, own app, first staff page
    plan.add(fault, "/graphql.json", times=None)
    sandbox.emulator.faults = plan
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and "tenant" in snap.incomplete_scopes
    assert len(snap.accounts) == 3  # what was read is kept, but the scope resolves nothing
