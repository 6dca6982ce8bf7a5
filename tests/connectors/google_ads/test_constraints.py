"""One test per constraint of auditor/connectors/google_ads/contract.yaml: the emulator refuses (or answers) what
the Google Ads API does."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import Client

from auditor.demo.google_ads.emulator import GoogleAdsEmulator
from tests.connectors.google_ads.fixtures import (
    DEVELOPER_TOKEN,
    MANAGER_ID,
    SEARCH_ID,
    TOKEN,
    VIDEO_ID,
    customers,
)

HEADERS = {"Authorization": f"Bearer {TOKEN}", "developer-token": DEVELOPER_TOKEN, "login-customer-id": MANAGER_ID}
RANGE = ("change_event.change_date_time >= '{0}' AND change_event.change_date_time <= '{1}'")


def call(emulator, query, customer=SEARCH_ID, headers=None, method="search", **extra):
    answer = Client(emulator).post(f"/v25/customers/{customer}/googleAds:{method}",
                                   json={"query": query, **extra}, headers=HEADERS if headers is None else headers)
    return answer.status_code, json.loads(answer.get_data())


def code(body):
    return next(iter(body["error"]["details"][0]["errors"][0]["errorCode"].items()))


@pytest.fixture
def emulator():
    return GoogleAdsEmulator(customers(), TOKEN)


@pytest.mark.constraint("google_ads", "developer_token_required")
def test_developer_token_missing_is_a_request_error(emulator):
    status, body = call(emulator, "SELECT customer.id FROM customer", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and code(body) == ("requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING")


@pytest.mark.constraint("google_ads", "bearer_required")
def test_bearer_is_required(emulator):
    status, body = call(emulator, "SELECT customer.id FROM customer", headers={"developer-token": DEVELOPER_TOKEN})
    assert status == 401 and code(body)[0] == "authenticationError"


@pytest.mark.constraint("google_ads", "login_customer_id_for_managed_clients")
def test_a_managed_client_needs_its_manager_as_login_customer_id(emulator):
    assert call(emulator, "SELECT customer.id FROM customer")[0] == 200
    no_login = {k: v for k, v in HEADERS.items() if k != "login-customer-id"}
    status, body = call(emulator, "SELECT customer.id FROM customer", headers=no_login)
    assert status == 403 and code(body) == ("authorizationError", "USER_PERMISSION_DENIED")
    status, _ = call(emulator, "SELECT customer.id FROM customer", headers={**HEADERS, "login-customer-id": VIDEO_ID})
    assert status == 403


@pytest.mark.constraint("google_ads", "list_accessible_direct_only")
def test_list_accessible_customers_gives_direct_customers_only(emulator):
    body = json.loads(Client(emulator).get("/v25/customers:listAccessibleCustomers", headers=HEADERS).get_data())
    assert body == {"resourceNames": [f"customers/{MANAGER_ID}"]}


@pytest.mark.constraint("google_ads", "customer_client_manager_only")
def test_customer_client_lists_the_whole_tree_on_managers_only(emulator):
    query = "SELECT customer_client.id, customer_client.level, customer_client.manager FROM customer_client"
    status, body = call(emulator, query, customer=MANAGER_ID)
    rows = [r["customerClient"] for r in body["results"]]
    assert status == 200 and [(r["id"], r["level"]) for r in rows] == [
        (MANAGER_ID, "0"), (SEARCH_ID, "1"), (VIDEO_ID, "1")]
    assert "results" not in call(emulator, query)[1]  # a client account has no customer_client rows


@pytest.mark.constraint("google_ads", "customer_client_test_manager")
def test_a_test_manager_has_no_customer_client_data():
    data = customers()
    data["customers"][MANAGER_ID]["test_account"] = True
    body = call(GoogleAdsEmulator(data, TOKEN), "SELECT customer_client.id FROM customer_client", MANAGER_ID)[1]
    assert "results" not in body


@pytest.mark.constraint("google_ads", "page_size_not_settable")
def test_page_size_is_refused(emulator):
    status, body = call(emulator, "SELECT customer.id FROM customer", pageSize=100)
    assert status == 400 and code(body) == ("requestError", "PAGE_SIZE_NOT_SUPPORTED")


@pytest.mark.constraint("google_ads", "page_token_same_query")
def test_a_page_token_belongs_to_its_query():
    emulator = GoogleAdsEmulator(customers(), TOKEN, page_size=1)
    query = "SELECT customer_user_access.user_id FROM customer_user_access"
    token = call(emulator, query)[1]["nextPageToken"]
    assert call(emulator, query, pageToken=token)[0] == 200
    status, body = call(emulator, query + " LIMIT 5", pageToken=token)
    assert status == 400 and code(body) == ("requestError", "INVALID_PAGE_TOKEN")


@pytest.mark.constraint("google_ads", "total_results_count_in_search_settings")
def test_total_results_count_lives_in_search_settings(emulator):
    query = "SELECT customer_user_access.user_id FROM customer_user_access"
    body = call(emulator, query, searchSettings={"returnTotalResultsCount": True})[1]
    assert body["totalResultsCount"] == str(len(body["results"]))
    status, body = call(emulator, query, returnTotalResultsCount=True)
    assert status == 400 and "returnTotalResultsCount" in body["error"]["message"]


@pytest.mark.constraint("google_ads", "search_stream_unpaged")
def test_search_stream_answers_chunks_and_takes_no_page_token(emulator):
    query = "SELECT customer_user_access.user_id FROM customer_user_access"
    status, chunks = call(emulator, query, method="searchStream")
    assert status == 200 and isinstance(chunks, list) and chunks[0]["results"] and "nextPageToken" not in chunks[0]
    assert call(emulator, query, method="searchStream", pageToken="x")[0] == 400


def _change(emulator, where, limit=" LIMIT 10"):
    return call(emulator, f"SELECT change_event.change_date_time FROM change_event{where}{limit}")  # noqa: S608


@pytest.mark.constraint("google_ads", "change_event_finite_range")
def test_change_event_needs_a_finite_range(emulator):
    body = _change(emulator, " WHERE change_event.change_date_time >= '2026-03-01 00:00:00'")[1]
    assert code(body) == ("changeEventError", "CHANGE_DATE_RANGE_INFINITE")


@pytest.mark.constraint("google_ads", "change_event_start_30_days")
def test_change_event_start_at_most_30_days_back(emulator):
    body = _change(emulator, " WHERE " + RANGE.format("2026-01-01 00:00:00", "2026-03-15 00:00:00"))[1]
    assert code(body) == ("changeEventError", "START_DATE_TOO_OLD")


@pytest.mark.constraint("google_ads", "change_event_negative_range")
def test_change_event_range_must_not_be_negative(emulator):
    body = _change(emulator, " WHERE " + RANGE.format("2026-03-15 00:00:00", "2026-03-01 00:00:00"))[1]
    assert code(body) == ("changeEventError", "CHANGE_DATE_RANGE_NEGATIVE")


@pytest.mark.constraint("google_ads", "change_event_limit_required")
def test_change_event_needs_a_limit(emulator):
    body = _change(emulator, " WHERE " + RANGE.format("2026-03-01 00:00:00", "2026-03-15 00:00:00"), "")[1]
    assert code(body) == ("changeEventError", "LIMIT_NOT_SPECIFIED")


@pytest.mark.constraint("google_ads", "change_event_limit_max")
def test_change_event_limit_at_most_10000(emulator):
    where = " WHERE " + RANGE.format("2026-03-01 00:00:00", "2026-03-15 00:00:00")
    assert code(_change(emulator, where, " LIMIT 10001")[1]) == ("changeEventError", "INVALID_LIMIT_CLAUSE")
    assert _change(emulator, where, " LIMIT 10000")[0] == 200


@pytest.mark.constraint("google_ads", "change_event_no_user_access")
def test_change_event_has_no_user_access_changes(emulator):
    where = " WHERE " + RANGE.format("2026-03-01 00:00:00", "2026-03-15 00:00:00")
    query = f"SELECT change_event.change_resource_type FROM change_event{where} LIMIT 100"  # noqa: S608
    types = {r["changeEvent"].get("changeResourceType") for r in call(emulator, query)[1].get("results", [])}
    assert types and not any("USER" in str(t) for t in types)
    status, body = call(emulator, "SELECT change_event.user_access FROM change_event" + where + " LIMIT 1")  # noqa: S608
    assert status == 400 and code(body) == ("queryError", "UNRECOGNIZED_FIELD")


@pytest.mark.constraint("google_ads", "passkey_v24")
def test_passkey_is_unrecognized_before_v24(emulator):
    query = "SELECT customer_user_access.passkey_enabled FROM customer_user_access"
    assert call(emulator, query)[0] == 200
    answer = Client(emulator).post(f"/v23/customers/{SEARCH_ID}/googleAds:search", json={"query": query},
                                   headers=HEADERS)
    assert answer.status_code == 400 and "UNRECOGNIZED_FIELD" in answer.get_data(as_text=True)


@pytest.mark.constraint("google_ads", "proto3_json")
def test_answers_are_proto3_json(emulator):
    body = call(emulator, "SELECT customer_user_access.user_id, customer_user_access.passkey_enabled "
                          "FROM customer_user_access")[1]
    row = body["results"][0]["customerUserAccess"]
    assert isinstance(row["userId"], str) and "resourceName" in row and body["fieldMask"]
    assert all(r["customerUserAccess"].get("passkeyEnabled") is not False for r in body["results"])


@pytest.mark.constraint("google_ads", "datetimes_customer_zone")
def test_datetimes_have_no_offset(emulator):
    body = call(emulator, "SELECT customer_user_access.access_creation_date_time FROM customer_user_access")[1]
    value = body["results"][0]["customerUserAccess"]["accessCreationDateTime"]
    assert len(value) == 19 and "+" not in value and "Z" not in value


@pytest.mark.constraint("google_ads", "quota_429")
def test_quota_errors_are_429_with_retry_delay(emulator):
    emulator.faults.add("429", "googleAds:search", retry_after=60)
    status, body = call(emulator, "SELECT customer.id FROM customer")
    assert status == 429 and code(body) == ("quotaError", "RESOURCE_EXHAUSTED")
    assert body["error"]["details"][0]["errors"][0]["details"]["quotaErrorDetails"]["retryDelay"] == "60s"


@pytest.mark.constraint("google_ads", "no_2fa_no_app_listing")
def test_no_two_factor_field(emulator):
    status, body = call(emulator, "SELECT customer_user_access.two_factor_enabled FROM customer_user_access")
    assert status == 400 and code(body) == ("queryError", "UNRECOGNIZED_FIELD")
