"""The LinkedIn emulator over real HTTP: headers, finders, paging, visibility rules, error shapes and faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from auditor.demo.linkedin.emulator import UNPAGED_COUNT, LinkedInEmulator, create_emulator
from auditor.demo.server import serve
from tests.connectors.linkedin.conftest import ADS, ANNA, BRAND, FRED, ORG, TOKEN, organization

HEADERS = {"Authorization": f"Bearer {TOKEN}", "LinkedIn-Version": "202601", "X-Restli-Protocol-Version": "2.0.0"}


@pytest.fixture
def served() -> Iterator[tuple[LinkedInEmulator, httpx.Client]]:
    app, prefix = create_emulator(organization(), TOKEN)
    with serve(app) as handle, httpx.Client(base_url=handle.url + prefix) as client:
        yield app, client


def get(client: httpx.Client, path: str, headers: dict | None = None, **params) -> httpx.Response:
    return client.get(path, params=params, headers=HEADERS if headers is None else headers)


def test_prefix_and_acl_finder_with_paging_links(served):
    _, client = served
    first = get(client, "/organizationAcls", q="organization", organization=ORG, start=0, count=5)
    assert first.status_code == 200
    body = first.json()
    assert len(body["elements"]) == 5 and body["paging"] == {
        "start": 0, "count": 5, "total": 13, "links": [{
            "rel": "next", "type": "application/json",
            "href": "/rest/organizationAcls?q=organization&organization=urn%3Ali%3Aorganization%3A2414183"
                    "&start=5&count=5"}]}
    last = get(client, "/organizationAcls", q="organization", organization=ORG, start=10, count=5).json()
    assert len(last["elements"]) == 3 and [link["rel"] for link in last["paging"]["links"]] == ["prev"]
    assert set(last["elements"][0]) == {"roleAssignee", "role", "organization", "state"}


def test_acl_filters_and_role_assignee_finder(served):
    _, client = served
    approved_admins = get(client, "/organizationAcls", q="organization", organization=ORG, role="ADMINISTRATOR",
                          state="APPROVED").json()["elements"]
    assert [r["roleAssignee"] for r in approved_admins] == [ANNA]
    own = get(client, "/organizationAcls", q="roleAssignee").json()["elements"]
    assert own == [{"roleAssignee": ANNA, "role": "ADMINISTRATOR", "organization": ORG, "state": "APPROVED"}]


def test_versioned_headers_are_required(served):
    _, client = served
    missing = get(client, "/organizationAcls", {"Authorization": f"Bearer {TOKEN}",
                                                "X-Restli-Protocol-Version": "2.0.0"}, q="roleAssignee")
    assert missing.status_code == 400 and "code" not in missing.json()  # LinkedIn's code is undocumented
    bad = get(client, "/organizationAcls", {**HEADERS, "LinkedIn-Version": "2026-01"}, q="roleAssignee")
    assert bad.status_code == 426 and bad.json()["code"] == "NONEXISTENT_VERSION"
    no_restli = get(client, "/organizationAcls", {k: v for k, v in HEADERS.items() if "Restli" not in k},
                    q="roleAssignee")
    assert no_restli.status_code == 400 and no_restli.json()["code"] == "ILLEGAL_ARGUMENT"


def test_auth_errors_in_linkedin_shape(served):
    _, client = served
    response = get(client, "/organizationAcls", {**HEADERS, "Authorization": "Bearer nope"}, q="roleAssignee")
    assert response.status_code == 401
    assert response.json() == {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN",
                               "message": "Invalid access token"}


def test_ad_account_users_unpaged_list_form_and_manager_visibility(served):
    _, client = served
    everyone = get(client, "/adAccountUsers", q="accounts", accounts=ADS).json()
    assert everyone["paging"]["count"] == UNPAGED_COUNT and len(everyone["elements"]) == 6
    listed = get(client, "/adAccountUsers", q="accounts", accounts=f"List({ADS},{BRAND})").json()
    assert listed["elements"] == everyone["elements"]  # only the first account is honoured
    paged = get(client, "/adAccountUsers", q="accounts", accounts=ADS, start=4, count=4).json()
    assert len(paged["elements"]) == 2 and paged["paging"]["total"] == 6
    brand = get(client, "/adAccountUsers", q="accounts", accounts=BRAND).json()["elements"]
    assert [u["user"] for u in brand] == [ANNA]  # a VIEWER sees only its own binding
    assert FRED not in str(brand)
    mine = get(client, "/adAccountUsers", q="authenticatedUser").json()["elements"]
    assert sorted((u["account"], u["role"]) for u in mine) == [(ADS, "ACCOUNT_MANAGER"), (BRAND, "VIEWER")]
    unknown = get(client, "/adAccountUsers", q="accounts", accounts="urn:li:sponsoredAccount:1")
    assert unknown.status_code == 403 and unknown.json()["code"] == "ACCESS_DENIED"


def test_scopes_and_admin_role_gate_the_finders():
    data = organization()
    data["token_scopes"] = ["r_ads"]
    data["token_member"] = "urn:li:person:Fred000006"
    app, prefix = create_emulator(data, TOKEN)
    with serve(app) as handle, httpx.Client(base_url=handle.url + prefix) as client:
        denied = get(client, "/organizationAcls", q="roleAssignee")
        assert denied.status_code == 403 and "organizationAcls.FINDER-roleAssignee" in denied.json()["message"]
    data["token_scopes"] = ["rw_organization_admin"]
    app, prefix = create_emulator(data, TOKEN)
    with serve(app) as handle, httpx.Client(base_url=handle.url + prefix) as client:
        not_admin = get(client, "/organizationAcls", q="organization", organization=ORG)
        assert not_admin.status_code == 403
        assert get(client, "/adAccountUsers", q="authenticatedUser").status_code == 403


def test_bad_requests(served):
    _, client = served
    assert get(client, "/organizationAcls", q="organization", organization=ORG, count=1001).json()["message"] == (
        "Specified count is larger than 1000")
    assert get(client, "/organizationAcls", q="nope").status_code == 400
    assert get(client, "/organizationAcls", q="organization").status_code == 400
    assert get(client, "/organizations").status_code == 404
    assert client.post("/organizationAcls", headers=HEADERS).status_code == 405
    assert client.get("/v2/organizationAcls", headers=HEADERS).status_code == 404


def test_faults_use_linkedin_signals(served):
    app, client = served
    app.faults.add("429", "/organizationAcls")
    throttled = get(client, "/organizationAcls", q="roleAssignee")
    assert throttled.status_code == 429 and "Retry-After" not in throttled.headers
    assert throttled.json() == {"message": "Resource level throttle APPLICATION DAY limit for calls to this "
                                           "resource is reached.", "status": 429}
    app.faults.add("truncated", "/organizationAcls")
    cut = get(client, "/organizationAcls", q="roleAssignee")
    with pytest.raises(ValueError):
        cut.json()
    app.faults.add("missing_data", "/adAccountUsers")
    assert "elements" not in get(client, "/adAccountUsers", q="authenticatedUser").json()
    app.faults.add("permission", "/adAccountUsers")
    assert get(client, "/adAccountUsers", q="authenticatedUser").json()["code"] == "ACCESS_DENIED"
    assert get(client, "/organizationAcls", q="roleAssignee").status_code == 200  # faults were used up


def test_requests_are_recorded_without_the_token(served):
    app, client = served
    get(client, "/organizationAcls", q="roleAssignee")
    (recorded,) = app.requests
    assert (recorded.path, recorded.params, recorded.version, recorded.restli, recorded.bearer) == (
        "/organizationAcls", {"q": "roleAssignee"}, "202601", "2.0.0", True)
    assert TOKEN not in repr(recorded)
