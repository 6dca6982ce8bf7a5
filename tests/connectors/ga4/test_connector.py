"""The GA4 connector over real HTTP against its emulator: paging, roles, the access report, refusals, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from auditor.connectors.ga4.connector import NEEDS
from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError
from auditor.errors import ConnectorError
from tests.connectors.ga4.conftest import ACCOUNT, BLOG, SHOP, TOKEN, Ga4Sandbox, account

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _grants(snap) -> dict[tuple[str, str | None], tuple[str, bool]]:
    return {(g.account_id, g.asset_id): (g.role, g.privileged) for g in snap.grants}


def test_bindings_of_both_levels_become_grants(sandbox: Ga4Sandbox) -> None:
    snap = sandbox.connector().fetch(now=NOW)
    grants = _grants(snap)
    assert grants[("anna@kwiatek.example", None)] == ("admin", True)
    assert grants[("ben@kwiatek.example", None)] == ("viewer", False)
    assert grants[("ben@kwiatek.example", SHOP)] == ("editor+no-cost-data", True)
    assert grants[("cara@kwiatek.example", SHOP)] == ("analyst", False)
    assert grants[("cara@kwiatek.example", BLOG)] == ("viewer", False)
    assert {a.account_id for a in snap.accounts} == {"anna@kwiatek.example", "ben@kwiatek.example",
                                                     "cara@kwiatek.example", "dan@kwiatek.example"}
    assert {a.asset_id: a.name for a in snap.assets} == {SHOP: "Shop", BLOG: "Blog"}
    assert snap.complete and snap.tenant.name == "Kwiatek"


def test_unknown_roles_are_kept_and_not_privileged(sandbox: Ga4Sandbox) -> None:
    (grant,) = [g for g in sandbox.connector().fetch(now=NOW).grants if g.account_id == "dan@kwiatek.example"]
    assert (grant.role, grant.privileged, grant.raw["unknown_roles"]) == ("superuser", False, ["superuser"])


@pytest.mark.constraint("ga4", "page_token_same_params")
def test_every_page_is_read_with_the_same_parameters(ga4_sandbox) -> None:
    sandbox = ga4_sandbox(account(extra=5))
    snap = sandbox.connector().fetch(now=NOW)
    assert len(snap.accounts) == 9
    pages = sandbox.requests(f"/v1alpha/accounts/{ACCOUNT}/accessBindings")
    assert len(pages) == 4 and all(r.params["pageSize"] == "2" for r in pages)
    token = pages[1].params["pageToken"]
    changed = httpx.get(f"{sandbox.url}/v1alpha/accounts/{ACCOUNT}/accessBindings",
                        params={"pageSize": 3, "pageToken": token}, headers=AUTH)
    assert changed.status_code == 400 and changed.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.constraint("ga4", "page_size_max_500")
def test_page_size_is_cut_to_500_and_the_connector_never_asks_more(ga4_sandbox) -> None:
    sandbox = ga4_sandbox(account(extra=600))
    body = httpx.get(f"{sandbox.url}/v1alpha/accounts/{ACCOUNT}/accessBindings", params={"pageSize": 1000},
                     headers=AUTH).json()
    assert len(body["accessBindings"]) == 500 and body["nextPageToken"]
    assert httpx.get(f"{sandbox.url}/v1alpha/accounts/{ACCOUNT}/accessBindings", params={"pageSize": -1},
                     headers=AUTH).status_code == 400
    snap = sandbox.connector(page_size=1000).fetch(now=NOW)
    assert len(snap.accounts) == 604
    assert {r.params["pageSize"] for r in sandbox.requests("/accessBindings")[2:]} == {"500"}


@pytest.mark.constraint("ga4", "bindings_v1alpha_only")
def test_bindings_are_not_served_under_v1beta(sandbox: Ga4Sandbox) -> None:
    assert httpx.get(f"{sandbox.url}/v1beta/accounts/{ACCOUNT}/accessBindings", headers=AUTH).status_code == 404
    sandbox.connector().fetch(now=NOW)
    assert all(r.path.startswith("/v1alpha/") for r in sandbox.requests("/accessBindings")[1:])


@pytest.mark.constraint("ga4", "scope_manage_users")
def test_a_token_without_the_users_scope_is_refused_naming_it(ga4_sandbox) -> None:
    data = account()
    data["token_scopes"] = ["https://www.googleapis.com/auth/analytics.readonly"]
    sandbox = ga4_sandbox(data)
    with pytest.raises(ConnectorPermissionError, match="analytics.manage.users.readonly"):
        sandbox.connector().fetch(now=NOW)
    (problem,) = sandbox.connector().check()
    assert NEEDS in problem and "PERMISSION_DENIED" in problem


def test_a_rejected_token_raises(sandbox: Ga4Sandbox) -> None:
    sandbox.emulator.token = "other"
    with pytest.raises(ConnectorAuthError, match="401") as info:
        sandbox.connector().fetch(now=NOW)
    assert TOKEN not in str(info.value)


@pytest.mark.constraint("ga4", "report_limits")
def test_the_access_report_is_the_activity_log(ga4_sandbox) -> None:
    sandbox = ga4_sandbox(account(rows=25))
    snap = sandbox.connector().fetch(now=NOW)
    assert len(snap.events) == 27 and snap.capabilities.audit_log
    assert snap.activity_since == NOW - timedelta(days=30)
    anna = next(e for e in snap.events if e.actor_id == "anna@kwiatek.example")
    assert (anna.asset_id, anna.time, anna.raw_action) == (SHOP, NOW - timedelta(days=1), "data_access")
    (report,) = sandbox.requests(":runAccessReport")
    assert report.body["dateRanges"] == [{"startDate": "30daysAgo", "endDate": "today"}]
    too_many = httpx.post(f"{sandbox.url}/v1beta/accounts/{ACCOUNT}:runAccessReport", headers=AUTH, json={
        "dimensions": [{"dimensionName": "userEmail"}] * 10, "metrics": [{"metricName": "accessCount"}]})
    assert too_many.status_code == 400
    paged = httpx.post(f"{sandbox.url}/v1beta/accounts/{ACCOUNT}:runAccessReport", headers=AUTH, json={
        "dimensions": [{"dimensionName": "userEmail"}], "limit": "5", "offset": "5"}).json()
    assert len(paged["rows"]) == 5 and paged["rowCount"] == 27


@pytest.mark.constraint("ga4", "report_360_dimensions")
def test_a_standard_property_gives_no_per_user_log(ga4_sandbox) -> None:
    data = account()
    data["account"]["ga360"] = False
    sandbox = ga4_sandbox(data)
    refused = httpx.post(f"{sandbox.url}/v1beta/accounts/{ACCOUNT}:runAccessReport", headers=AUTH, json={
        "dimensions": [{"dimensionName": "userEmail"}], "metrics": [{"metricName": "accessCount"}]})
    assert refused.status_code == 400 and refused.json()["error"]["status"] == "INVALID_ARGUMENT"
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and not snap.capabilities.audit_log and snap.events == []
    assert "Google Analytics 360" in snap.capabilities.notes[-1]


@pytest.mark.constraint("ga4", "properties_filter_required")
def test_properties_need_a_filter(sandbox: Ga4Sandbox) -> None:
    assert httpx.get(f"{sandbox.url}/v1beta/properties", headers=AUTH).status_code == 400


@pytest.mark.parametrize("fault", ["429", "500", "503"])
def test_transient_failures_are_retried(sandbox: Ga4Sandbox, fault: str) -> None:
    sandbox.faults.add(fault, "/accessBindings", times=2)
    assert sandbox.connector().fetch(now=NOW).complete


@pytest.mark.parametrize("fault", ["malformed", "truncated", "500"])
def test_a_broken_property_read_resolves_nothing_on_that_property(sandbox: Ga4Sandbox, fault: str) -> None:
    sandbox.faults.add(fault, f"/properties/{SHOP}/accessBindings", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert set(snap.incomplete_scopes) == {f"asset:{SHOP}"}
    assert ("cara@kwiatek.example", BLOG) in _grants(snap)


@pytest.mark.parametrize("fault", ["malformed", "truncated", "missing_data"])
def test_a_broken_account_read_fails_the_fetch(sandbox: Ga4Sandbox, fault: str) -> None:
    sandbox.faults.add(fault, f"/accounts/{ACCOUNT}/accessBindings")
    with pytest.raises(ConnectorError, match="malformed JSON|truncated page"):
        sandbox.connector().fetch(now=NOW)


def test_a_broken_property_list_marks_the_tenant(sandbox: Ga4Sandbox) -> None:
    sandbox.faults.add("truncated", "/v1beta/properties")
    snap = sandbox.connector().fetch(now=NOW)
    assert set(snap.incomplete_scopes) == {"tenant"} and snap.assets == []


@pytest.mark.parametrize("fault", ["malformed", "500"])
def test_a_broken_access_report_marks_the_events(sandbox: Ga4Sandbox, fault: str) -> None:
    sandbox.faults.add(fault, ":runAccessReport", times=None)
    snap = sandbox.connector().fetch(now=NOW)
    assert set(snap.incomplete_scopes) == {"events"} and snap.events == [] and snap.activity_since is None


def test_a_malformed_binding_marks_its_scope(ga4_sandbox) -> None:
    data = account()
    data["bindings"][f"properties/{BLOG}"].append({"name": f"properties/{BLOG}/accessBindings/9", "user": None})
    snap = ga4_sandbox(data).connector().fetch(now=NOW)
    assert set(snap.incomplete_scopes) == {f"asset:{BLOG}"}
