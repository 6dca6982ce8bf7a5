"""The Google Ads error dialect and the JSON-body client, on canned answers (httpx.MockTransport)."""

from __future__ import annotations

import json

import httpx
import pytest

from auditor.connectors.google_ads.dialect import (
    GoogleAdsHttp,
    error_info,
    is_rate_limited,
    parse_duration,
    retry_hint,
)
from auditor.errors import ConnectorError


def _failure(status: int, state: str, kind: str, code: str, message: str = "detail", **details) -> httpx.Response:
    error = {"errorCode": {kind: code}, "message": message}
    if details:
        error["details"] = details
    body = {"error": {"code": status, "message": "top", "status": state, "details": [
        {"@type": "type.googleapis.com/google.ads.googleads.v25.errors.GoogleAdsFailure", "errors": [error],
         "requestId": "r"}]}}
    return httpx.Response(status, json=body, request=httpx.Request("POST", "https://x/v25/customers/1/g"))


def test_quota_errors_are_rate_limits_with_a_retry_delay():
    quota = _failure(429, "RESOURCE_EXHAUSTED", "quotaError", "RESOURCE_EXHAUSTED",
                     quotaErrorDetails={"rateScope": "DEVELOPER", "retryDelay": "60s"})
    assert is_rate_limited(quota) and retry_hint(quota) == 60.0
    temporary = _failure(400, "INVALID_ARGUMENT", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED")
    assert is_rate_limited(temporary) and retry_hint(temporary) is None
    assert not is_rate_limited(_failure(400, "INVALID_ARGUMENT", "queryError", "UNRECOGNIZED_FIELD"))
    assert not is_rate_limited(httpx.Response(500, text="<html>"))
    rpc = httpx.Response(429, json={"error": {"status": "UNAVAILABLE", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.5s"}]}})
    assert retry_hint(rpc) == 2.5


@pytest.mark.parametrize(("value", "seconds"), [("60s", 60.0), ("0.5s", 0.5), ("60", None), (None, None)])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


def test_error_info_kinds_and_messages():
    auth = error_info(_failure(401, "UNAUTHENTICATED", "authenticationError", "OAUTH_TOKEN_EXPIRED", "expired"))
    assert auth.kind == "auth" and auth.message.startswith("top expired (authenticationError=OAUTH_TOKEN_EXPIRED)")
    denied = error_info(_failure(403, "PERMISSION_DENIED", "authorizationError", "USER_PERMISSION_DENIED"))
    assert denied.kind == "permission" and "login_customer_id" in denied.message and "adwords" in denied.message
    query = error_info(_failure(400, "INVALID_ARGUMENT", "queryError", "UNRECOGNIZED_FIELD", "bad field"))
    assert (query.kind, query.message) == (None, "top bad field (queryError=UNRECOGNIZED_FIELD)")
    assert error_info(httpx.Response(502, text="Bad gateway")).message == "Bad gateway"


def test_post_json_sends_the_body_on_every_attempt_and_extra_headers():
    seen: list[tuple[str, bytes, str | None]] = []
    statuses = iter([503, 200, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.content, request.headers.get("login-customer-id")))
        return httpx.Response(next(statuses), json={"results": [], "fieldMask": "customer.id"})

    client = GoogleAdsHttp("g", "https://googleads.example/v25", headers={"login-customer-id": "99"},
                           backoff=0.0, transport=httpx.MockTransport(handler), sleep=lambda _s: None)
    with client:
        body = client.post_json("customers/1/googleAds:search", {"query": "SELECT customer.id FROM customer"})
        assert body == {"results": [], "fieldMask": "customer.id"}
        client.get_json("customers/1")  # a later request carries no body
    query = json.dumps({"query": "SELECT customer.id FROM customer"}).encode()
    assert [(m, json.loads(c) if c else None, h) for m, c, h in seen] == [
        ("POST", json.loads(query), "99"), ("POST", json.loads(query), "99"), ("GET", None, "99")]


def test_post_json_reports_malformed_answers():
    client = GoogleAdsHttp("g", "https://x/v25", transport=httpx.MockTransport(
        lambda r: httpx.Response(200, text='{"results": [')))
    with client, pytest.raises(ConnectorError, match="malformed JSON from POST /customers/1/googleAds:search"):
        client.post_json("customers/1/googleAds:search", {"query": "q"})


def test_search_pages_and_rejects_broken_answers():
    answers = [{"results": [{"a": 1}], "fieldMask": "a", "nextPageToken": "t1"}, {"fieldMask": "a"}]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answers.pop(0))

    with GoogleAdsHttp("g", "https://x/v25", transport=httpx.MockTransport(handler)) as client:
        assert list(client.search("1", "SELECT a FROM b")) == [[{"a": 1}], []]
    loop = [{"results": [], "fieldMask": "a", "nextPageToken": "same"}] * 2

    def looping(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=loop.pop(0) if loop else {})

    with GoogleAdsHttp("g", "https://x/v25", transport=httpx.MockTransport(looping)) as client, \
            pytest.raises(ConnectorError, match="paging loop"):
        list(client.search("1", "SELECT a FROM b"))
    with GoogleAdsHttp("g", "https://x/v25", transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"requestId": "r"}))) as client, \
            pytest.raises(ConnectorError, match="truncated page from POST /customers/1/googleAds:search"):
        list(client.search("1", "SELECT a FROM b"))
