"""The WooCommerce / WordPress connector over real HTTP against the emulator: paging, roles, application
passwords, errors, partial reads, and one test per contract constraint."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError
from auditor.connectors.woocommerce import WooCommerceConnector
from auditor.demo.woocommerce.emulator import WordPressEmulator
from auditor.errors import ConfigError, ConnectorError
from tests.support.served import ServedEmulator, serving

NOW = datetime(2026, 3, 15, tzinfo=UTC)
TOKEN = "admin:abcd efgh ijkl mnop qrst uvwx"
ADMIN = {"list_users": True, "edit_users": True, "manage_options": True}


def _user(n: int, username: str, roles: list[str], caps: dict[str, bool] | None = None, *,
          passwords: list[dict[str, Any]] | None = None, posts: bool = False) -> dict[str, Any]:
    return {"id": n, "username": username, "name": username.title(), "email": f"{username}@kwiatek.example",
            "roles": roles, "capabilities": {**{r: True for r in roles}, **(caps or {})},
            "registered_date": "2024-01-02T03:04:05+00:00", "has_published_posts": posts,
            "application_passwords": passwords or []}


def _password(name: str, created: str, used: str | None) -> dict[str, Any]:
    return {"uuid": f"uuid-{name.lower().replace(' ', '-')}", "app_id": "", "name": name, "created": created,
            "last_used": used, "last_ip": "203.0.113.5" if used else None}


BASE: dict[str, Any] = {"users": [
    _user(1, "admin", ["administrator"], ADMIN, passwords=[_password("Auditor", "2026-01-01T00:00:00",
                                                                     "2026-03-14T10:00:00")]),
    _user(2, "grzegorz", ["shop_manager"], {"manage_woocommerce": True}),
    _user(3, "natalia", ["editor"], posts=True, passwords=[_password("Zapier blog", "2025-01-01T08:00:00", None)]),
    _user(4, "seo", ["seo_wizard"], {"manage_options": True}),
    _user(5, "plugin", ["translator"]),
    _user(6, "anna", ["customer"]),
]}


def resolve(env: str | None, key: str) -> str:
    if env != "WP_TOKEN":
        raise ConfigError(f"test config: {key} is not set")
    return TOKEN


class Sandbox(ServedEmulator):
    prefix = "/wp-json"
    connector_class = WooCommerceConnector
    resolve = staticmethod(resolve)
    defaults = {"kind": "woocommerce", "name": "wp", "tenant_id": "shop.example", "token_env": "WP_TOKEN",
                "page_size": 2, "timeout": 5.0, "max_retries": 1, "backoff": 0.0, "options": {"max_wait": 0.0}}


@pytest.fixture
def start() -> Iterator[Any]:
    with serving(lambda data=None, token=TOKEN: Sandbox(WordPressEmulator(copy.deepcopy(data or BASE), token))) as run:
        yield run


def test_users_are_read_page_by_page_with_context_edit(start):
    sandbox = start()
    snap = sandbox.connector().fetch(now=NOW)
    pages = [r.params for r in sandbox.requests("/wp/v2/users") if r.path == "/wp/v2/users"]
    assert [p["page"] for p in pages] == ["1", "2", "3"] and {p["context"] for p in pages} == {"edit"}
    assert snap.complete and snap.tenant.raw["customers_skipped"] == 1
    users = {a.account_id: a for a in snap.accounts}
    grants = {g.account_id: g for g in snap.grants}
    assert grants["1"].privileged and grants["2"].privileged and not grants["3"].privileged
    assert users["1"].created_at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_unknown_roles_are_kept_and_judged_by_capabilities(start):
    snap = start().connector().fetch(now=NOW)
    grants = {g.account_id: g for g in snap.grants}
    assert grants["4"].raw["unknown_roles"] == ["seo_wizard"] and grants["4"].privileged  # manage_options
    assert grants["5"].raw["unknown_roles"] == ["translator"] and not grants["5"].privileged


@pytest.mark.constraint("woocommerce", "gmt_times_without_zone")
def test_application_passwords_become_credential_accounts_of_their_owner(start):
    snap = start().connector().fetch(now=NOW)
    zapier = next(a for a in snap.accounts if a.account_id == "3:app-password:uuid-zapier-blog")
    assert zapier.name.startswith("Zapier connection") and zapier.raw["automation_tool"] == "Zapier"
    assert zapier.emails == ("natalia@kwiatek.example",) and zapier.raw["last_used"] is None
    assert zapier.last_activity == datetime(2025, 1, 1, 8, tzinfo=UTC)  # never used: unused since creation
    auditor = next(a for a in snap.accounts if a.account_id == "1:app-password:uuid-auditor")
    assert auditor.last_activity == datetime(2026, 3, 14, 10, tzinfo=UTC)
    grant = next(g for g in snap.grants if g.account_id == auditor.account_id)
    assert grant.privileged and grant.role == "administrator (application password)"


@pytest.mark.constraint("woocommerce", "basic_auth_application_password")
def test_a_wrong_application_password_is_rejected(start):
    with pytest.raises(ConnectorAuthError, match="incorrect_password"):
        start(token="admin:other").connector().fetch(now=NOW)


@pytest.mark.constraint("woocommerce", "list_users_context_edit")
@pytest.mark.constraint("woocommerce", "silent_partial_list")
def test_without_list_users_the_connector_fails_instead_of_reading_a_short_list(start):
    data = copy.deepcopy(BASE)
    data["users"][0]["capabilities"] = {"administrator": True}
    sandbox = start(data)
    with pytest.raises(ConnectorPermissionError, match="list_users"):
        sandbox.connector().fetch(now=NOW)
    auth = httpx.BasicAuth("admin", TOKEN.split(":", 1)[1])
    plain = httpx.get(f"{sandbox.base_url}/wp/v2/users", auth=auth).json()
    assert [u["id"] for u in plain] == [3]  # the silent partial list: authors with published posts only
    anonymous = httpx.get(f"{sandbox.base_url}/wp/v2/users", params={"context": "edit"})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "rest_forbidden_context"


@pytest.mark.constraint("woocommerce", "per_page_max")
@pytest.mark.constraint("woocommerce", "total_pages_headers")
def test_paging_limits(start):
    sandbox = start()
    auth = httpx.BasicAuth("admin", TOKEN.split(":", 1)[1])
    url = f"{sandbox.base_url}/wp/v2/users"
    assert httpx.get(url, auth=auth, params={"per_page": 101}).json()["code"] == "rest_invalid_param"
    first = httpx.get(url, auth=auth, params={"per_page": 4, "context": "edit"})
    assert first.headers["X-WP-Total"] == "6" and first.headers["X-WP-TotalPages"] == "2"
    assert httpx.get(url, auth=auth, params={"per_page": 4, "page": 3}).status_code == 400
    snap = sandbox.connector(page_size=500).fetch(now=NOW)  # clamped to 100
    assert {r.params["per_page"] for r in sandbox.requests() if r.path == "/wp/v2/users"} >= {"100"}
    assert len([a for a in snap.accounts if ":" not in a.account_id]) == 5


@pytest.mark.constraint("woocommerce", "app_passwords_edit_user")
def test_a_user_whose_passwords_cannot_be_read_is_an_incomplete_scope(start):
    data = copy.deepcopy(BASE)
    data["users"][0]["capabilities"] = {"administrator": True, "list_users": True}  # no edit_users
    snap = start(data).connector().fetch(now=NOW)
    assert "account:3" in snap.incomplete_scopes and "edit_user" in snap.incomplete_scopes["account:3"]
    assert "account:1" not in snap.incomplete_scopes  # its own passwords are readable
    assert not snap.complete


@pytest.mark.constraint("woocommerce", "app_passwords_disabled")
def test_disabled_application_passwords_list_none(start):
    data = copy.deepcopy(BASE)
    data["users"][2]["application_passwords_disabled"] = True
    snap = start(data).connector().fetch(now=NOW)
    assert snap.complete and snap.tenant.raw["application_passwords_disabled_for"] == ["3"]
    assert not any(a.account_id.startswith("3:") for a in snap.accounts)


@pytest.mark.constraint("woocommerce", "no_api_keys_endpoint")
def test_no_route_lists_woocommerce_api_keys(start):
    sandbox = start()
    answer = httpx.get(f"{sandbox.base_url}/wc/v3/keys", auth=httpx.BasicAuth("admin", TOKEN.split(":", 1)[1]))
    assert answer.status_code == 404 and answer.json()["code"] == "rest_no_route"
    assert any("REST API keys" in note for note in WooCommerceConnector.capabilities.notes)


def test_rate_limits_and_server_errors_are_retried(start):
    sandbox = start()
    sandbox.faults.add("429", "/wp/v2/users", times=1)
    sandbox.faults.add("500", "/application-passwords", times=1)
    assert sandbox.connector().fetch(now=NOW).complete
    sandbox.faults.add("503", "/wp/v2/users", times=None)
    with pytest.raises(ConnectorError, match="server error 503"):
        sandbox.connector().fetch(now=NOW)


@pytest.mark.parametrize("fault", ["malformed", "truncated", "missing_data"])
def test_a_broken_user_page_raises(start, fault):
    sandbox = start()
    sandbox.faults.add(fault, "/wp/v2/users", times=1)
    with pytest.raises(ConnectorError):
        sandbox.connector().fetch(now=NOW)


@pytest.mark.parametrize("fault", ["malformed", "truncated", "missing_data", "permission"])
def test_a_broken_password_list_resolves_nothing_for_that_user(start, fault):
    sandbox = start()
    sandbox.faults.add(fault, "/users/3/application-passwords", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert "account:3" in snap.incomplete_scopes and not snap.complete
    assert any(a.account_id == "3" for a in snap.accounts)  # the user is still there
