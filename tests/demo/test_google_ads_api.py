"""The Google Ads emulator on its own (WSGI test client): GAQL, proto3 JSON, paging, constraints and faults."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from auditor.demo.google_ads.emulator import GoogleAdsEmulator, camel, create_emulator, parse_query
from tests.connectors.google_ads.fixtures import (
    DEVELOPER_TOKEN,
    MANAGER_ID,
    SEARCH_ID,
    TOKEN,
    VIDEO_ID,
    customers,
    many_users,
)

HEADERS = {"Authorization": f"Bearer {TOKEN}", "developer-token": DEVELOPER_TOKEN, "login-customer-id": MANAGER_ID}
USERS = "SELECT customer_user_access.user_id, customer_user_access.passkey_enabled FROM customer_user_access"


@pytest.fixture
def emulator() -> GoogleAdsEmulator:
    return GoogleAdsEmulator(customers(), TOKEN)


def search(emulator, query, customer=SEARCH_ID, headers=None, version=25, **extra):
    response = Client(emulator).post(f"/v{version}/customers/{customer}/googleAds:search",
                                     json={"query": query, **extra}, headers=HEADERS if headers is None else headers)
    return response.status_code, response.get_json()


def failure(answer):
    (error,) = answer["error"]["details"][0]["errors"]
    return next(iter(error["errorCode"].items()))


def test_create_emulator_and_accessible_customers(emulator):
    app, prefix = create_emulator(customers(), TOKEN)
    assert isinstance(app, GoogleAdsEmulator) and prefix == "/v25"
    response = Client(emulator).get("/v25/customers:listAccessibleCustomers", headers=HEADERS)
    assert response.get_json() == {"resourceNames": [f"customers/{MANAGER_ID}"]}


def test_results_are_proto3_json(emulator):
    status, answer = search(emulator, USERS + " WHERE customer_user_access.user_id IN (502, 503)")
    assert status == 200 and answer["fieldMask"] == "customerUserAccess.userId,customerUserAccess.passkeyEnabled"
    assert answer["results"] == [
        {"customerUserAccess": {"resourceName": f"customers/{SEARCH_ID}/customerUserAccesses/502", "userId": "502",
                                "passkeyEnabled": True}},
        {"customerUserAccess": {"resourceName": f"customers/{SEARCH_ID}/customerUserAccesses/503",
                                "userId": "503"}}]  # false is a default value: left out
    status, empty = search(emulator, USERS + " WHERE customer_user_access.user_id = 1")
    assert status == 200 and "results" not in empty and empty["fieldMask"]
    assert camel("customer_user_access_invitation") == "customerUserAccessInvitation"


def test_times_are_served_in_the_customer_zone(emulator):
    query = ("SELECT customer_user_access.access_creation_date_time FROM customer_user_access "
             "WHERE customer_user_access.user_id = '506'")
    (row,) = search(emulator, query, VIDEO_ID)[1]["results"]
    assert row["customerUserAccess"]["accessCreationDateTime"] == "2025-07-03 22:00:00"  # New York, UTC-4


def test_where_order_and_limit(emulator):
    query = ("SELECT customer_user_access.email_address, customer_user_access.access_role FROM customer_user_access "
             "WHERE customer_user_access.access_role != 'ADMIN' AND customer_user_access.email_address NOT IN "
             "('dan@kwiatek.example') ORDER BY customer_user_access.email_address DESC LIMIT 2")
    rows = search(emulator, query)[1]["results"]
    assert [r["customerUserAccess"]["emailAddress"] for r in rows] == ["eli@kwiatek.example", "cleo@kwiatek.example"]


@pytest.mark.parametrize(("query", "code"), [
    ("SELEKT x FROM customer", "QUERY_ERROR"),
    ("SELECT customer.id FROM campaign_budget", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
    ("SELECT customer.id, customer.password FROM customer", "UNRECOGNIZED_FIELD"),
    ("SELECT customer_user_access.user_id FROM customer", "UNRECOGNIZED_FIELD"),
    ("SELECT customer.id FROM customer WHERE customer.id ~ 3", "QUERY_ERROR"),
])
def test_query_errors(emulator, query, code):
    status, answer = search(emulator, query)
    assert status == 400 and answer["error"]["status"] == "INVALID_ARGUMENT"
    assert failure(answer) == ("queryError", code)


def test_passkey_exists_from_v24(emulator):
    assert search(emulator, USERS, version=24)[0] == 200
    status, answer = search(emulator, USERS, version=23)
    assert status == 400 and failure(answer) == ("queryError", "UNRECOGNIZED_FIELD")
    assert parse_query(USERS, 24)["fields"][1] == "customer_user_access.passkey_enabled"


def test_page_tokens_and_page_size():
    emulator = GoogleAdsEmulator(many_users(3), TOKEN, page_size=3)
    query = "SELECT customer_user_access.user_id FROM customer_user_access"
    first = search(emulator, query, searchSettings={"returnTotalResultsCount": True})[1]
    assert len(first["results"]) == 3 and first["totalResultsCount"] == "8" and first["nextPageToken"]
    ids = [r["customerUserAccess"]["userId"] for r in first["results"]]
    token = first["nextPageToken"]
    while token:
        page = search(emulator, query, pageToken=token)[1]
        ids += [r["customerUserAccess"]["userId"] for r in page["results"]]
        token = page.get("nextPageToken")
    assert len(ids) == len(set(ids)) == 8
    status, answer = search(emulator, query + " LIMIT 5", pageToken=first["nextPageToken"])
    assert status == 400 and failure(answer) == ("requestError", "INVALID_PAGE_TOKEN")
    assert failure(search(emulator, query, pageToken="garbage")[1]) == ("requestError", "INVALID_PAGE_TOKEN")
    status, answer = search(emulator, query, pageSize=10)
    assert status == 400 and failure(answer) == ("requestError", "PAGE_SIZE_NOT_SUPPORTED")


@pytest.mark.parametrize(("where", "code"), [
    ("", "CHANGE_DATE_RANGE_INFINITE"),
    (" WHERE change_event.change_date_time >= '2026-03-01 00:00:00'", "CHANGE_DATE_RANGE_INFINITE"),
    (" WHERE change_event.change_date_time >= '2026-02-01 00:00:00' AND change_event.change_date_time <= "
     "'2026-03-15 00:00:00' LIMIT 10", "START_DATE_TOO_OLD"),
    (" WHERE change_event.change_date_time >= '2026-03-01 00:00:00' AND change_event.change_date_time <= "
     "'2026-03-15 00:00:00'", "LIMIT_NOT_SPECIFIED"),
    (" WHERE change_event.change_date_time >= '2026-03-01 00:00:00' AND change_event.change_date_time <= "
     "'2026-03-15 00:00:00' LIMIT 10001", "INVALID_LIMIT_CLAUSE"),
])
def test_change_event_constraints(emulator, where, code):
    status, answer = search(emulator, f"SELECT change_event.user_email FROM change_event{where}")  # noqa: S608
    assert status == 400 and failure(answer) == ("changeEventError", code)


def test_change_events_in_range_newest_first(emulator):
    query = ("SELECT change_event.user_email, change_event.change_date_time FROM change_event WHERE "
             "change_event.change_date_time >= '2026-02-20 09:00:00' AND change_event.change_date_time <= "
             "'2026-03-15 13:00:00' ORDER BY change_event.change_date_time DESC LIMIT 100")
    rows = [r["changeEvent"] for r in search(emulator, query)[1]["results"]]
    assert [r["changeDateTime"] for r in rows] == [
        "2026-03-14 11:00:00.000000", "2026-03-02 00:30:00.000000", "2026-02-20 09:00:00.000000"]
    assert all(r["resourceName"].startswith(f"customers/{SEARCH_ID}/changeEvents/") for r in rows)


@pytest.mark.parametrize(("headers", "status", "code"), [
    ({}, 401, "NOT_ADS_USER"),
    ({"Authorization": "Bearer nope"}, 401, "OAUTH_TOKEN_INVALID"),
    ({"Authorization": f"Bearer {TOKEN}"}, 400, "DEVELOPER_TOKEN_PARAMETER_MISSING"),
    ({"Authorization": f"Bearer {TOKEN}", "developer-token": "x"}, 401, "DEVELOPER_TOKEN_INVALID"),
    ({"Authorization": f"Bearer {TOKEN}", "developer-token": DEVELOPER_TOKEN}, 403, "USER_PERMISSION_DENIED"),
    ({**HEADERS, "login-customer-id": "123"}, 403, "USER_PERMISSION_DENIED"),
])
def test_credentials_and_login_customer_id(emulator, headers, status, code):
    got, answer = search(emulator, "SELECT customer.id FROM customer", headers=headers)
    assert got == status and failure(answer)[1] == code


def test_the_manager_itself_needs_no_login_customer_id(emulator):
    headers = {k: v for k, v in HEADERS.items() if k != "login-customer-id"}
    status, answer = search(emulator, "SELECT customer.descriptive_name FROM customer", MANAGER_ID, headers)
    assert status == 200 and answer["results"][0]["customer"]["descriptiveName"] == "Test MCC"
    assert search(emulator, "SELECT customer.id FROM customer", "999")[0] == 403


@pytest.mark.parametrize(("kind", "status", "code"), [
    ("429", 429, ("quotaError", "RESOURCE_EXHAUSTED")),
    ("rate_limit", 429, ("quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED")),
    ("401", 401, ("authenticationError", "OAUTH_TOKEN_EXPIRED")),
    ("permission", 403, ("authorizationError", "USER_PERMISSION_DENIED"))])
def test_faults_in_google_shapes(emulator, kind, status, code):
    emulator.faults.add(kind, "googleAds:search", retry_after=7)
    got, answer = search(emulator, "SELECT customer.id FROM customer")
    assert got == status and failure(answer) == code
    if kind == "429":
        details = answer["error"]["details"][0]["errors"][0]["details"]
        assert details["quotaErrorDetails"]["retryDelay"] == "7s"
    assert search(emulator, "SELECT customer.id FROM customer")[0] == 200


def test_other_fault_shapes(emulator):
    for kind, status in (("500", 500), ("503", 503)):
        emulator.faults.add(kind)
        got, answer = search(emulator, "SELECT customer.id FROM customer")
        assert got == status and answer["error"]["status"] in ("INTERNAL", "UNAVAILABLE")
    emulator.faults.add("missing_data")
    assert set(search(emulator, "SELECT customer.id FROM customer")[1]) == {"requestId"}
    for kind in ("malformed", "truncated"):
        emulator.faults.add(kind)
        text = Client(emulator).post(f"/v25/customers/{SEARCH_ID}/googleAds:search",
                                     json={"query": "SELECT customer.id FROM customer"},
                                     headers=HEADERS).get_data(as_text=True)
        with pytest.raises(ValueError):
            json.loads(text)


def test_requests_are_recorded(emulator):
    search(emulator, "SELECT customer.id FROM customer", pageToken="t")
    (recorded,) = emulator.requests
    assert (recorded.method, recorded.path, recorded.query, recorded.page_token, recorded.login_customer_id) == (
        "POST", f"/customers/{SEARCH_ID}/googleAds:search", "SELECT customer.id FROM customer", "t", MANAGER_ID)
    assert Client(emulator).get("/v25/customers/1/campaigns", headers=HEADERS).status_code == 404
