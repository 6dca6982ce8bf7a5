"""OAuth 1.0a signing: the published X example, the transport, credential parsing."""

from __future__ import annotations

import httpx

from auditor.connectors.x.oauth import (
    OAuth1Credentials,
    OAuth1Transport,
    authorization_header,
    base_string_uri,
    parse_credentials,
    percent_encode,
)

# The worked example of X's "Creating a signature" guide (developer.x.com, OAuth 1.0a).
EXAMPLE = OAuth1Credentials("xvz1evFS4wEEPTGEFPHBog", "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                            "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                            "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE")


def test_the_published_example_signature():
    header = authorization_header(
        "POST", httpx.URL("https://api.twitter.com/1.1/statuses/update.json?include_entities=true"), EXAMPLE,
        nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", timestamp=1318622958,
        extra_params=[("status", "Hello Ladies + Gentlemen, a signed OAuth request!")],
    )
    assert header.startswith("OAuth ")
    assert 'oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D"' in header
    assert 'oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"' in header


def test_percent_encoding_and_base_uri_rules():
    assert percent_encode("Ladies + Gentlemen/ż~") == "Ladies%20%2B%20Gentlemen%2F%C5%BC~"
    assert base_string_uri(httpx.URL("HTTPS://Ads-API.x.com:443/12/accounts?x=1")) == "https://ads-api.x.com/12/accounts"
    assert base_string_uri(httpx.URL("http://127.0.0.1:8080/12/a")) == "http://127.0.0.1:8080/12/a"


def test_query_parameters_change_the_signature():
    url = httpx.URL("https://ads-api.x.com/12/accounts/abc/promotable_users")
    plain = authorization_header("GET", url, EXAMPLE, nonce="n", timestamp=1)
    paged = authorization_header("GET", url.copy_merge_params({"cursor": "c1"}), EXAMPLE, nonce="n", timestamp=1)
    assert plain != paged


def test_transport_signs_every_request_with_a_fresh_nonce():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"data": {}})

    nonces = iter(["n1", "n2"])
    transport = OAuth1Transport(EXAMPLE, httpx.MockTransport(handler), clock=lambda: 1700000000.0,
                                nonce=lambda: next(nonces))
    with httpx.Client(transport=transport) as client:
        client.get("https://ads-api.x.com/12/accounts/a")
        client.get("https://ads-api.x.com/12/accounts/a")
    assert ['oauth_nonce="n1"' in seen[0], 'oauth_nonce="n2"' in seen[1]] == [True, True]
    assert all('oauth_timestamp="1700000000"' in h for h in seen)


def test_parse_credentials_needs_four_parts_and_hides_them():
    creds = parse_credentials(" ck:cs:1-at:ts ")
    assert creds == OAuth1Credentials("ck", "cs", "1-at", "ts")
    assert "cs" not in repr(creds) and creds.secrets == ("ck", "cs", "1-at", "ts")
    assert parse_credentials("only-a-token") is None
    assert parse_credentials("a:b::d") is None
