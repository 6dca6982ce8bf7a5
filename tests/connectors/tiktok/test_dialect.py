"""The TikTok envelope dialect: error codes as HTTP statuses for the shared client, error messages."""

from __future__ import annotations

import json

import httpx
import pytest

from auditor.connectors.tiktok.dialect import EnvelopeTransport, endpoint, error_info, http_status_for


def _transport(status: int, body: bytes, headers: dict[str, str] | None = None) -> EnvelopeTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers or {"Content-Type": "application/json"})

    return EnvelopeTransport(httpx.MockTransport(handler))


def _get(transport: EnvelopeTransport, path: str = "/open_api/v1.3/bc/member/get/") -> httpx.Response:
    with httpx.Client(transport=transport, base_url="https://business-api.tiktok.com") as client:
        return client.get(path)


@pytest.mark.parametrize(("code", "status"), [
    (40100, 429), (40102, 401), (40104, 401), (40105, 401), (40001, 403), (50000, 500), (51234, 500),
    (40002, 400), (40007, 400)])
def test_error_codes_become_http_statuses(code, status):
    assert http_status_for(code) == status
    body = json.dumps({"code": code, "message": "m", "request_id": "r1", "data": {}}).encode()
    response = _get(_transport(200, body))
    assert response.status_code == status and response.headers["X-TikTok-Code"] == str(code)
    assert response.json()["code"] == code  # the body is untouched


def test_success_and_non_envelopes_pass_unchanged():
    ok = _get(_transport(200, b'{"code":0,"message":"OK","data":{"list":[]}}'))
    assert ok.status_code == 200 and "X-TikTok-Code" not in ok.headers
    assert _get(_transport(200, b"<html>not json")).status_code == 200
    assert _get(_transport(200, b'[{"code": 40100}]')).status_code == 200
    assert _get(_transport(503, b'{"code": 0}')).status_code == 503


def test_error_info_names_code_request_and_permission():
    body = json.dumps({"code": 40001, "message": "No permission.", "request_id": "abc"}).encode()
    info = error_info(_get(_transport(200, body), "/open_api/v1.3/changelog/get/?bc_id=1"))
    assert info.kind == "permission"
    assert info.message == ("No permission. (TikTok code 40001, request_id abc); the app needs the permission "
                            "'Ads Management > Change Log' and its user must be a Business Center admin")
    auth = error_info(_get(_transport(200, b'{"code": 40105, "message": "Access token is incorrect."}')))
    assert (auth.kind, auth.message) == ("auth", "Access token is incorrect. (TikTok code 40105)")
    plain = error_info(_get(_transport(200, b'{"code": 40002, "message": "page_size: bad"}')))
    assert plain.kind is None and "40002" in plain.message
    html = error_info(_get(_transport(502, b"<html>Bad gateway</html>")))
    assert html.message == "<html>Bad gateway</html>"


def test_endpoint_strips_the_version_prefix():
    response = _get(_transport(200, b"{}"), "/open_api/v1.3/bc/asset/member/get/")
    assert endpoint(response) == "/bc/asset/member/get/"
