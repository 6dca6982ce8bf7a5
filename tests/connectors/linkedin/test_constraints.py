"""One test per constraint of auditor/connectors/linkedin/contract.yaml: the emulator refuses (or answers) what
LinkedIn does, over real HTTP, and the connector copes with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from auditor.connectors.linkedin import dialect
from auditor.demo.linkedin.emulator import ACTIVE_VERSIONS, LinkedInEmulator
from auditor.demo.server import serve
from auditor.errors import ConnectorError
from tests.connectors.linkedin.conftest import ADS, ANNA, BEN, BRAND, ORG, TOKEN, organization

NOW = datetime(2026, 4, 1, tzinfo=UTC)
HEADERS = {"Authorization": f"Bearer {TOKEN}", "LinkedIn-Version": dialect.DEFAULT_VERSION,
           "X-Restli-Protocol-Version": "2.0.0"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with serve(LinkedInEmulator(organization(), TOKEN)) as handle, \
            httpx.Client(base_url=handle.url + "/rest") as http:
        yield http


def get(client: httpx.Client, path: str, headers: dict | None = None, **params) -> httpx.Response:
    return client.get(path, params=params, headers=HEADERS if headers is None else headers)


@pytest.mark.constraint("linkedin", "version_retired_426")
def test_a_retired_version_is_426_and_the_connector_says_update_options_version(linkedin_sandbox, client):
    answer = get(client, "/organizationAcls", {**HEADERS, "LinkedIn-Version": "202401"}, q="roleAssignee")
    assert answer.status_code == 426
    assert answer.json() == {"status": 426, "code": "NONEXISTENT_VERSION",
                             "message": "Requested version 20240101 is not active"}
    sandbox = linkedin_sandbox()
    connector = sandbox.connector(options={"version": "202401", "max_wait": 0.0})
    with pytest.raises(ConnectorError) as raised:
        connector.fetch(now=NOW)
    message = str(raised.value)
    assert message.startswith(sandbox.settings().name + ": ")
    assert "options.version" in message and "202401" in message and "retired" in message
    assert "token" not in message and "permission" not in message
    assert connector.check() == [message]


@pytest.mark.constraint("linkedin", "version_header_required")
def test_a_call_without_linkedin_version_is_refused(client):
    answer = get(client, "/organizationAcls", {k: v for k, v in HEADERS.items() if k != "LinkedIn-Version"},
                 q="roleAssignee")
    assert answer.status_code == 400 and answer.json()["status"] == 400
    assert "code" not in answer.json()  # LinkedIn's code for this case is undocumented: none is invented


@pytest.mark.constraint("linkedin", "version_support_window")
def test_the_emulator_serves_a_one_year_window_and_the_version_is_a_setting(linkedin_sandbox, client):
    assert len(ACTIVE_VERSIONS) == 12 and dialect.DEFAULT_VERSION in ACTIVE_VERSIONS
    newest = max(ACTIVE_VERSIONS)
    answer = get(client, "/organizationAcls", {**HEADERS, "LinkedIn-Version": newest}, q="roleAssignee")
    assert answer.status_code == 200
    sandbox = linkedin_sandbox()
    sandbox.connector(options={"version": newest, "ad_account_ids": ["500001"]}).fetch(now=NOW)
    assert {r.version for r in sandbox.requests()} == {newest}


@pytest.mark.constraint("linkedin", "restli_protocol_header")
def test_finders_need_the_restli_2_header(client):
    answer = get(client, "/organizationAcls", {k: v for k, v in HEADERS.items() if "Restli" not in k},
                 q="organization", organization=ORG)
    assert answer.status_code == 400
    assert get(client, "/organizationAcls", q="organization", organization=ORG).status_code == 200


@pytest.mark.constraint("linkedin", "urn_url_encoded")
def test_urns_travel_url_encoded(linkedin_sandbox):
    sandbox = linkedin_sandbox()
    sandbox.connector().fetch(now=NOW)
    raw = [r.raw_query for r in sandbox.requests("/organizationAcls") if r.params.get("q") == "organization"]
    assert raw and all("organization=urn%3Ali%3Aorganization%3A" in q for q in raw)
    with serve(LinkedInEmulator(organization(), TOKEN)) as handle:
        url = handle.url + "/rest/organizationAcls?q=organization&organization=" + ORG
        assert httpx.get(url, headers=HEADERS).status_code == 400  # raw colons are refused


@pytest.mark.constraint("linkedin", "paging_start_count_defaults")
def test_paging_defaults_to_start_0_count_10(client):
    body = get(client, "/organizationAcls", q="organization", organization=ORG).json()
    assert body["paging"]["start"] == 0 and body["paging"]["count"] == 10 and len(body["elements"]) == 10
    rest = get(client, "/organizationAcls", q="organization", organization=ORG, start=10).json()
    assert len(rest["elements"]) == 3 and rest["paging"]["start"] == 10


@pytest.mark.constraint("linkedin", "paging_count_max_1000")
def test_count_above_1000_is_refused(client):
    answer = get(client, "/organizationAcls", q="organization", organization=ORG, count=1001)
    assert answer.status_code == 400 and answer.json()["message"] == "Specified count is larger than 1000"
    assert get(client, "/organizationAcls", q="organization", organization=ORG, count=1000).status_code == 200


@pytest.mark.constraint("linkedin", "ad_account_users_first_account_only")
def test_only_the_first_account_is_answered(client):
    body = get(client, "/adAccountUsers", q="accounts", accounts=f"List({ADS},{BRAND})").json()
    assert {e["account"] for e in body["elements"]} == {ADS}


@pytest.mark.constraint("linkedin", "ad_account_users_non_manager_sees_self")
def test_a_non_manager_sees_only_its_own_binding(client):
    body = get(client, "/adAccountUsers", q="accounts", accounts=BRAND).json()
    assert [e["user"] for e in body["elements"]] == [ANNA]
    assert len(get(client, "/adAccountUsers", q="accounts", accounts=ADS).json()["elements"]) == 6


@pytest.mark.constraint("linkedin", "ad_account_users_scopes")
def test_ad_account_users_need_an_ads_scope():
    data = {**organization(), "token_scopes": ["r_organization_admin"]}
    with serve(LinkedInEmulator(data, TOKEN)) as handle:
        answer = httpx.get(handle.url + "/rest/adAccountUsers", params={"q": "accounts", "accounts": ADS},
                           headers=HEADERS)
    assert answer.status_code == 403 and answer.json()["code"] == "ACCESS_DENIED"


@pytest.mark.constraint("linkedin", "organization_acls_scopes")
def test_organization_acls_need_an_organization_scope():
    data = {**organization(), "token_scopes": ["r_ads"]}
    with serve(LinkedInEmulator(data, TOKEN)) as handle:
        answer = httpx.get(handle.url + "/rest/organizationAcls", params={"q": "roleAssignee"}, headers=HEADERS)
    assert answer.status_code == 403 and answer.json()["code"] == "ACCESS_DENIED"


@pytest.mark.constraint("linkedin", "organization_acls_admin_only")
def test_only_an_approved_administrator_lists_the_page_roles():
    data = {**organization(), "token_member": BEN}  # BEN's ADMINISTRATOR role is only REQUESTED
    with serve(LinkedInEmulator(data, TOKEN)) as handle:
        answer = httpx.get(handle.url + "/rest/organizationAcls", params={"q": "organization", "organization": ORG},
                           headers=HEADERS)
    assert answer.status_code == 403


@pytest.mark.constraint("linkedin", "rate_limit_429_no_headers")
def test_429_carries_no_rate_limit_header(linkedin_sandbox):
    sandbox = linkedin_sandbox()
    sandbox.faults.add("429", "/organizationAcls", times=10)
    with httpx.Client(base_url=sandbox.base_url) as http:
        answer = get(http, "/organizationAcls", q="roleAssignee")
    assert answer.status_code == 429
    assert not [h for h in answer.headers if "rate" in h.lower() or h.lower() == "retry-after"]
    with pytest.raises(ConnectorError, match="rate limited"):
        sandbox.connector().fetch(now=NOW)


@pytest.mark.constraint("linkedin", "billing_admin_single")
def test_the_emulator_refuses_data_with_two_billing_admins():
    data = organization()
    data["ad_accounts"][0]["users"][0]["role"] = "ACCOUNT_BILLING_ADMIN"  # BEN already is
    with pytest.raises(ValueError, match="ACCOUNT_BILLING_ADMIN"):
        LinkedInEmulator(data, TOKEN)
