"""The X Ads emulator: OAuth 1.0a checks, only the caller's access, cursor paging, errors and faults."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from auditor.connectors.x.oauth import OAuth1Transport, parse_credentials
from auditor.demo.server import serve
from auditor.demo.x.emulator import XEmulator, create_emulator, sandbox_credentials
from tests.connectors.x.fixtures import AD_ACCOUNT, CALLER, CREDENTIALS, OTHER_ACCOUNT, OWNER, many_promotable


@pytest.fixture
def emulator() -> XEmulator:
    return XEmulator(many_promotable(4), CREDENTIALS)


@pytest.fixture
def url(emulator) -> Iterator[str]:
    with serve(emulator) as handle:
        yield f"{handle.url}/12"


def signed(credentials: str = CREDENTIALS, nonce=None) -> httpx.Client:
    kwargs = {"nonce": nonce} if nonce else {}
    return httpx.Client(transport=OAuth1Transport(parse_credentials(credentials), **kwargs))


def test_create_emulator_serves_version_12():
    app, prefix = create_emulator(many_promotable(0), CREDENTIALS)
    assert isinstance(app, XEmulator) and prefix == "/12"
    with pytest.raises(ValueError, match="consumer_key"):
        XEmulator(many_promotable(0), "plain-token")


def test_sandbox_credentials_are_deterministic_and_usable():
    value = sandbox_credentials("seed")
    assert value == sandbox_credentials("seed") != sandbox_credentials("other")
    creds = parse_credentials(value)
    assert creds is not None and creds.token.split("-")[0].isdigit()


def test_signed_requests_get_the_account_node(url, emulator):
    with signed() as client:
        body = client.get(f"{url}/accounts/{AD_ACCOUNT}").json()
    assert body["data"]["id"] == AD_ACCOUNT and body["data_type"] == "account"
    assert "users" not in body["data"] and "promotable_users" not in body["data"]
    assert emulator.requests[-1].signed


@pytest.mark.parametrize("credentials", [
    "ckTESTconsumerKEY0123:wrong-secret:2417045708-atTESTtoken:tsTESTtokenSECRET987",
    "other-key:csTESTconsumerSECRET456789abcdef:2417045708-atTESTtoken:tsTESTtokenSECRET987",
])
def test_bad_signatures_are_401(url, credentials):
    with signed(credentials) as client:
        response = client.get(f"{url}/accounts/{AD_ACCOUNT}")
    assert response.status_code == 401
    assert response.json()["errors"] == [{"code": "UNAUTHORIZED_ACCESS",
                                          "message": "This request is not properly authenticated"}]


def test_unsigned_and_replayed_requests_are_401(url):
    assert httpx.get(f"{url}/accounts/{AD_ACCOUNT}").status_code == 401
    with signed(nonce=lambda: "same-nonce") as client:
        assert client.get(f"{url}/accounts/{AD_ACCOUNT}").status_code == 200
        assert client.get(f"{url}/accounts/{AD_ACCOUNT}").status_code == 401


def test_authenticated_user_access_reveals_only_the_caller(url):
    with signed() as client:
        body = client.get(f"{url}/accounts/{AD_ACCOUNT}/authenticated_user_access").json()
    assert body["data"] == {"user_id": int(CALLER), "permissions": ["ACCOUNT_ADMIN", "TWEET_COMPOSER"]}
    assert "111" not in str(body)


def test_promotable_users_page_by_cursor_until_null(url):
    seen, cursor, pages = [], None, 0
    with signed() as client:
        while True:
            params = {"count": 2, **({"cursor": cursor} if cursor else {})}
            body = client.get(f"{url}/accounts/{AD_ACCOUNT}/promotable_users", params=params).json()
            pages += 1
            seen += [item["user_id"] for item in body["data"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert pages == 3 and seen[0] == OWNER and len(seen) == 6  # the deleted user is left out
    with signed() as client:
        everything = client.get(f"{url}/accounts/{AD_ACCOUNT}/promotable_users",
                                params={"with_deleted": "true", "with_total_count": "true"}).json()
    assert everything["total_count"] == 7 and everything["next_cursor"] is None


@pytest.mark.parametrize(("params", "code"), [
    ({"count": 0}, "INVALID_PARAMETER"), ({"count": 1001}, "INVALID_PARAMETER"),
    ({"cursor": "bogus"}, "INVALID_PARAMETER"),
    ({"with_total_count": "true", "cursor": "eC1jdXJzb3I6Mg"}, "EXCLUSIVE_PARAMETERS"),
])
def test_bad_paging_parameters_are_400(url, params, code):
    with signed() as client:
        response = client.get(f"{url}/accounts/{AD_ACCOUNT}/promotable_users", params=params)
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == code


def test_unknown_and_inaccessible_accounts(url, emulator):
    emulator.accounts[OTHER_ACCOUNT]["users"] = []
    with signed() as client:
        missing = client.get(f"{url}/accounts/nope/authenticated_user_access")
        denied = client.get(f"{url}/accounts/{OTHER_ACCOUNT}/promotable_users")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "NOT_FOUND"
    assert denied.status_code == 403
    assert denied.json()["errors"][0]["code"] == "INSUFFICIENT_USER_AUTHORIZED_PERMISSION"


def test_every_answer_carries_rate_limit_headers(url):
    with signed() as client:
        first = client.get(f"{url}/accounts/{AD_ACCOUNT}")
        second = client.get(f"{url}/accounts/{AD_ACCOUNT}")
    assert first.headers["x-account-rate-limit-limit"] == "2000"
    remaining = [int(r.headers["x-account-rate-limit-remaining"]) for r in (first, second)]
    assert remaining[0] - remaining[1] == 1 and "x-rate-limit-reset" in first.headers


def test_429_faults_carry_the_platform_signals(url, emulator):
    emulator.faults.add("429", "promotable_users", retry_after=30)
    emulator.faults.add("rate_limit", "authenticated_user_access", regain_minutes=2)
    with signed() as client:
        account = client.get(f"{url}/accounts/{AD_ACCOUNT}/promotable_users")
        user = client.get(f"{url}/accounts/{AD_ACCOUNT}/authenticated_user_access")
    assert account.status_code == 429 and account.json()["errors"][0]["code"] == "TOO_MANY_REQUESTS"
    assert account.headers["x-account-rate-limit-remaining"] == "0"
    assert int(account.headers["x-account-rate-limit-reset"]) - int(account.headers["x-rate-limit-reset"]) == 0
    assert user.status_code == 429 and "x-account-rate-limit-reset" not in user.headers
    assert user.headers["x-rate-limit-remaining"] == "0"


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("503", 503), ("401", 401), ("permission", 403),
                                              ("malformed", 200), ("truncated", 200), ("missing_data", 200)])
def test_other_faults(url, emulator, kind, status):
    emulator.faults.add(kind, "/promotable_users")
    with signed() as client:
        response = client.get(f"{url}/accounts/{AD_ACCOUNT}/promotable_users")
        after = client.get(f"{url}/accounts/{AD_ACCOUNT}/promotable_users")
    assert response.status_code == status and after.status_code == 200
    if kind in ("malformed", "truncated"):
        with pytest.raises(ValueError):
            response.json()
    if kind == "missing_data":
        assert "data" not in response.json()
    if kind == "503":
        assert response.headers["content-type"].startswith("text/html")
