"""HttpClient against the Meta emulator over real HTTP: retries, backoff hints, paging, errors, redaction."""

from __future__ import annotations

import json
import logging
import math

import pytest

from auditor.connectors.http import (
    ConnectorAuthError,
    ConnectorPermissionError,
    HttpClient,
    parse_retry_after,
    redact,
)
from auditor.connectors.meta import dialect
from auditor.demo.server import serve
from auditor.errors import ConnectorError
from tests.connectors.meta_fixtures import BUSINESS_ID, EXTRA_TOKEN, TOKEN, business, many_users


def make_client(base_url: str, *, token: str = TOKEN, sleeps: list[float] | None = None,
                **kwargs) -> HttpClient:
    """A client with Meta's dialect; ``sleeps`` records every wait instead of sleeping."""
    options = {"max_retries": 2, "backoff": 0.0, "timeout": 5.0, "max_wait": 60.0, **kwargs}
    return HttpClient(
        "kwiatek-meta", base_url, auth=lambda: {"Authorization": f"Bearer {token}"},
        is_rate_limited=dialect.is_rate_limited, retry_hint=dialect.retry_hint, error_info=dialect.error_info,
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)), **options,
    )


USERS_PATH = f"/{BUSINESS_ID}/business_users"


def test_redact_removes_known_secrets_query_params_and_authorization_values():
    text = (f"GET /x?access_token={TOKEN}&limit=5 input_token=abc123 Authorization: Bearer zzz999 "
            f"secret {EXTRA_TOKEN}")
    out = redact(text, [EXTRA_TOKEN])
    for secret in (TOKEN, "abc123", "zzz999", EXTRA_TOKEN):
        assert secret not in out
    assert "limit=5" in out and "access_token=[redacted]" in out


def test_parse_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_paging_follows_next_across_many_pages_and_stops_when_next_is_absent(meta_sandbox):
    sandbox = meta_sandbox(business(business_users=many_users(230)))
    with make_client(sandbox.base_url) as client:
        pages = list(client.iter_pages(USERS_PATH, {"limit": 25}, dialect.next_page))
    assert [len(p) for p in pages] == [25] * 9 + [5]
    ids = [u["id"] for page in pages for u in page]
    assert len(ids) == len(set(ids)) == 230
    assert len(sandbox.paths("business_users")) == math.ceil(230 / 25)


def test_last_page_has_after_cursor_but_no_next(meta_sandbox):
    sandbox = meta_sandbox(business(business_users=many_users(30)))
    with make_client(sandbox.base_url) as client:
        body = client.get_json(USERS_PATH, {"limit": 25})
        last = client.get_json(dialect.next_page(body))
    assert "after" in last["paging"]["cursors"] and dialect.next_page(last) is None
    assert len(last["data"]) == 5


def test_429_then_success_is_retried_and_honours_retry_after(sandbox):
    sandbox.faults.add("429", "business_users", times=1, retry_after=7)
    sleeps: list[float] = []
    with make_client(sandbox.base_url, sleeps=sleeps) as client:
        body = client.get_json(USERS_PATH)
    assert len(body["data"]) == 4
    assert sleeps == [7.0]
    assert len(sandbox.paths("business_users")) == 2


def test_429_forever_raises_after_max_retries(sandbox):
    sandbox.faults.add("429", "business_users", times=None)
    with make_client(sandbox.base_url, max_retries=3) as client, pytest.raises(ConnectorError) as caught:
        client.get_json(USERS_PATH)
    assert str(caught.value).startswith("kwiatek-meta: rate limited after 4 attempts")
    assert caught.value.retryable and caught.value.status == 429
    assert len(sandbox.paths("business_users")) == 4


@pytest.mark.parametrize("code", [80004, 17, 4, 613, 32, 80001])
def test_meta_rate_limit_codes_in_http_400_are_retried(sandbox, code):
    sandbox.faults.add("rate_limit", "business_users", times=1, code=code)
    with make_client(sandbox.base_url) as client:
        assert len(client.get_json(USERS_PATH)["data"]) == 4
    assert len(sandbox.paths("business_users")) == 2


def test_business_use_case_header_wait_is_honoured_and_capped(sandbox):
    sandbox.faults.add("rate_limit", "business_users", times=2, code=80004, regain_minutes=2)
    sleeps: list[float] = []
    with make_client(sandbox.base_url, sleeps=sleeps, max_wait=30.0) as client:
        client.get_json(USERS_PATH)
    assert sleeps == [30.0, 30.0]  # 2 minutes requested, capped at max_wait


def test_non_rate_limit_400_is_not_retried(sandbox):
    with make_client(sandbox.base_url) as client, pytest.raises(ConnectorError) as caught:
        client.get_json("/act_6001/assigned_users")  # business= missing
    assert "request failed (400)" in str(caught.value) and "business is required" in str(caught.value)
    assert not caught.value.retryable
    assert len(sandbox.paths("assigned_users")) == 1


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_error_then_success(sandbox, kind):
    sandbox.faults.add(kind, "business_users", times=1)
    with make_client(sandbox.base_url) as client:
        assert len(client.get_json(USERS_PATH)["data"]) == 4


def test_server_error_forever_names_status_and_attempts(sandbox):
    sandbox.faults.add("503", "business_users", times=None)
    with make_client(sandbox.base_url, max_retries=1) as client, pytest.raises(ConnectorError) as caught:
        client.get_json(USERS_PATH)
    assert f"server error 503 after 2 attempts: GET {USERS_PATH}" in str(caught.value)
    assert caught.value.status == 503


def test_timeout_is_retried_then_succeeds(sandbox):
    sandbox.faults.add("timeout", "business_users", times=1, delay=2.0)
    with make_client(sandbox.base_url, timeout=0.5) as client:
        assert len(client.get_json(USERS_PATH)["data"]) == 4
    assert len(sandbox.paths("business_users")) == 2


def test_timeout_forever_raises(sandbox):
    sandbox.faults.add("timeout", "business_users", times=None, delay=2.0)
    with make_client(sandbox.base_url, timeout=0.5, max_retries=1) as client, \
            pytest.raises(ConnectorError) as caught:
        client.get_json(USERS_PATH)
    assert str(caught.value) == f"kwiatek-meta: timed out after 2 attempts: GET {USERS_PATH}"
    assert caught.value.retryable


def test_connection_refused_is_retried_then_reported():
    handle = serve(lambda environ, start_response: [])
    url = handle.url
    handle.stop()
    sleeps: list[float] = []
    with make_client(url, sleeps=sleeps, max_retries=2) as client, pytest.raises(ConnectorError) as caught:
        client.get_json("/me")
    assert "connection failed after 3 attempts: GET /me" in str(caught.value)
    assert len(sleeps) == 0  # backoff 0: no wait at all


def test_backoff_grows_exponentially_with_jitter_and_is_capped(sandbox):
    sandbox.faults.add("500", "business_users", times=4)
    sleeps: list[float] = []
    with make_client(sandbox.base_url, sleeps=sleeps, max_retries=4, backoff=1.0, max_wait=3.0) as client:
        client.get_json(USERS_PATH)
    assert len(sleeps) == 4
    for attempt, wait in enumerate(sleeps, 1):
        assert min(0.5 * 2 ** (attempt - 1), 3.0) <= wait <= min(2 ** (attempt - 1), 3.0)
    assert sleeps[3] == 3.0  # 4 to 8 s of backoff, capped


def test_malformed_json_names_the_request(sandbox):
    sandbox.faults.add("malformed", "business_users")
    with make_client(sandbox.base_url) as client, pytest.raises(ConnectorError) as caught:
        client.get_json(USERS_PATH, {"limit": 5})
    assert str(caught.value) == f"kwiatek-meta: malformed JSON from GET {USERS_PATH}"


@pytest.mark.parametrize("kind", ["truncated", "missing_data"])
def test_truncated_page_is_an_error(sandbox, kind):
    sandbox.faults.add(kind, "business_users")
    with make_client(sandbox.base_url) as client, pytest.raises(ConnectorError) as caught:
        list(client.iter_pages(USERS_PATH, {}, dialect.next_page))
    assert USERS_PATH in str(caught.value)
    assert ("malformed JSON" if kind == "truncated" else "truncated page") in str(caught.value)


def test_401_is_an_auth_error_naming_the_platform(sandbox):
    sandbox.faults.add("401")
    with make_client(sandbox.base_url) as client, pytest.raises(ConnectorAuthError) as caught:
        client.get_json(USERS_PATH)
    message = str(caught.value)
    assert message.startswith("kwiatek-meta: token rejected (401): Error validating access token")
    assert caught.value.status == 401 and not caught.value.retryable


def test_wrong_token_code_190_in_http_400_is_an_auth_error(sandbox):
    with make_client(sandbox.base_url, token="EAAwrongwrongwrong") as client, \
            pytest.raises(ConnectorAuthError) as caught:
        client.get_json("/me")
    assert "token rejected (400): Invalid OAuth access token" in str(caught.value)
    assert "EAAwrongwrongwrong" not in str(caught.value)


def test_missing_business_management_names_the_permission(meta_sandbox):
    data = business()
    data["tokens"][TOKEN]["scopes"] = ["ads_read", "pages_show_list"]
    sandbox = meta_sandbox(data)
    with make_client(sandbox.base_url) as client, pytest.raises(ConnectorPermissionError) as caught:
        client.get_json(USERS_PATH)
    assert "missing permission: (#200) Requires business_management permission" in str(caught.value)
    assert caught.value.status == 403


def test_next_url_on_another_host_is_refused():
    def app(environ, start_response):
        body = {"data": [{"id": "1"}], "paging": {"next": "http://evil.example/v25.0/steal?after=x"}}
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    with serve(app) as handle, make_client(handle.url) as client, pytest.raises(ConnectorError) as caught:
        list(client.iter_pages("/x/edge", {}, dialect.next_page))
    assert "another host: http://evil.example" in str(caught.value)


def test_token_never_logged_nor_in_messages(sandbox, caplog):
    sandbox.faults.add("429", "debug_token", times=1)
    sandbox.faults.add("500", "business_users", times=None)
    caplog.set_level(logging.DEBUG)
    messages = []
    with make_client(sandbox.base_url) as client:
        client.add_secret(EXTRA_TOKEN)
        for path, params in (("/debug_token", {"input_token": EXTRA_TOKEN}), (USERS_PATH, None),
                             (f"/{BUSINESS_ID}?access_token={TOKEN}", None)):
            try:  # debug_token of another app's token is refused (contract debug_token_caller): still no token shown
                client.get_json(path, params)
            except ConnectorError as exc:
                messages.append(str(exc))
    logged = caplog.text + "\n".join(messages)
    assert any(r.name == "auditor.http" and "GET /debug_token -> 429" in r.getMessage()
               for r in caplog.records)
    assert TOKEN not in logged and EXTRA_TOKEN not in logged
    assert any(r.name == "httpx" and "input_token=[redacted]" in r.getMessage() for r in caplog.records)
    assert len(messages) == 2 and "(GET /debug_token)" in messages[0]


def test_post_json_resends_the_body_on_every_retry() -> None:
    import httpx

    from auditor.connectors.http import HttpClient

    bodies: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        if len(bodies) == 1:
            return httpx.Response(503, json={"error": "busy"})
        return httpx.Response(200, json={"ok": True})

    with HttpClient("Shop", "https://api.example", auth=lambda: {}, timeout=1, max_retries=2, backoff=0,
                    transport=httpx.MockTransport(answer), sleep=lambda _s: None) as client:
        assert client.post_json("search", {"query": "SELECT 1"}) == {"ok": True}
    assert bodies == [b'{"query":"SELECT 1"}'] * 2


def test_a_shared_client_sends_with_its_own_token_through_its_owners_pool_which_outlives_it(sandbox):
    with make_client(sandbox.base_url) as owner:
        with make_client(sandbox.base_url, token="EAAwrongwrongwrong", share=owner) as other, \
                pytest.raises(ConnectorAuthError):
            other.get_json(USERS_PATH)  # its own (refused) token, not the owner's
        assert len(owner.get_json(USERS_PATH)["data"]) == 4  # closing the sharer left the pool open
        borrower = make_client(sandbox.base_url, share=owner)
    with pytest.raises(RuntimeError, match="closed"):  # the owner closed the one pool both send through
        borrower.get_json(USERS_PATH)
    assert sandbox.emulator.requests[-1].path == USERS_PATH and len(sandbox.paths()) == 2


def test_a_shared_pool_must_have_the_same_base_url(sandbox):
    with make_client(sandbox.base_url) as owner, pytest.raises(ValueError, match="same base URL"):
        make_client(sandbox.url + "/v24.0", share=owner)


def test_client_params_are_set_on_every_request_and_replace_the_value_in_a_next_page_url() -> None:
    import httpx

    base = "https://graph.example/v25.0"
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        if "after" in request.url.params:
            return httpx.Response(200, json={"data": [{"id": "2"}]})
        return httpx.Response(200, json={"data": [{"id": "1"}], "paging": {
            "next": f"{base}/x/edge?limit=1&appsecret_proof=stale&after=c1"}})

    with make_client(base, transport=httpx.MockTransport(answer), params={"appsecret_proof": "fresh"}) as client, \
            make_client(base, share=client) as unsigned:
        pages = list(client.iter_pages("/x/edge", {"limit": 1}, dialect.next_page))
        unsigned.get_json("/x/edge", {"limit": 1})
    assert pages == [[{"id": "1"}], [{"id": "2"}]]
    assert sent == [f"{base}/x/edge?limit=1&appsecret_proof=fresh",
                    f"{base}/x/edge?limit=1&appsecret_proof=fresh&after=c1",  # one proof: replaced, not added
                    f"{base}/x/edge?limit=1"]  # the params are the client's, not the shared pool's
