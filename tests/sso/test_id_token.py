"""ID token validation with tokens the real OP signed: the right token passes; a token for another client,
a tampered or foreign-signed token, the wrong nonce or issuer, an unsigned token are refused. Configuration
mistakes are refused at start-up."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from auditor.accounts.oidc import Provider, SsoRefused, check_issuer_url
from auditor.accounts.sso_users import check_mapping
from auditor.errors import ConfigError
from tests.sso.conftest import oidc_settings, register_client, set_user

REDIRECT = "https://rp.example/callback"


def real_id_token(op: str, client_id: str, secret_env: str, sub: str, nonce: str) -> str:
    """Run the code flow at the OP for ``client_id`` and return the ID token it signed."""
    authorize = httpx.post(
        f"{op}/oauth2/authorize",
        params={"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "openid",
                "state": "s", "nonce": nonce},
        data={"sub": sub},
        timeout=10,
    )
    assert authorize.status_code == 302, authorize.text
    code = parse_qs(urlsplit(authorize.headers["location"]).query)["code"][0]
    token = httpx.post(f"{op}/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                   "redirect_uri": REDIRECT},
                       auth=(client_id, os.environ[secret_env]), timeout=10)
    assert token.status_code == 200, token.text
    return token.json()["id_token"]


@pytest.fixture
def provider(op: str) -> Provider:
    """The relying party as configured for the app (client registered for REDIRECT)."""
    settings = oidc_settings(op, REDIRECT)
    return Provider(settings, os.environ[settings.client_secret_env or ""])


@pytest.fixture
def token(op: str, provider: Provider) -> str:
    """A real ID token for this client, nonce ``n-1``."""
    set_user(op, "u-token", preferred_username="token", groups=["auditors"])
    return real_id_token(op, provider.settings.client_id, provider.settings.client_secret_env or "", "u-token", "n-1")


def _signed_at(value: str) -> datetime:
    """When the OP signed the token (its ``iat``): the instant each test judges it at, whatever the hour."""
    return datetime.fromtimestamp(_payload(value)["iat"], UTC)


def _parts(value: str) -> list[str]:
    return value.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _payload(value: str) -> dict:
    part = _parts(value)[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_a_real_token_for_this_client_is_accepted(provider, token):
    claims = provider.validate(token, "n-1", _signed_at(token))
    assert claims["sub"] == "u-token" and claims["aud"] == [provider.settings.client_id]
    assert claims["groups"] == ["auditors"] and claims["iss"] == provider.settings.issuer


def test_a_token_for_another_client_is_refused_wrong_audience(op, provider):
    other_id, other_env = register_client(op, REDIRECT + "/other")
    set_user(op, "u-aud", preferred_username="aud", groups=["it-admins"])
    # the OP signs it with its own key for the other client: only the audience is wrong
    authorize_redirect = REDIRECT + "/other"
    response = httpx.post(f"{op}/oauth2/authorize", params={
        "response_type": "code", "client_id": other_id, "redirect_uri": authorize_redirect, "scope": "openid",
        "state": "s", "nonce": "n-2"}, data={"sub": "u-aud"}, timeout=10)
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    issued = httpx.post(f"{op}/oauth2/token", data={"grant_type": "authorization_code", "code": code,
                                                    "redirect_uri": authorize_redirect},
                        auth=(other_id, os.environ[other_env]), timeout=10).json()["id_token"]
    assert _payload(issued)["aud"] == [other_id]
    with pytest.raises(SsoRefused) as refused:
        provider.validate(issued, "n-2", _signed_at(issued))
    assert refused.value.reason == "wrong aud"


def test_a_tampered_token_is_refused_bad_signature(provider, token):
    header, payload, signature = _parts(token)
    forged = dict(_payload(token), sub="u-someone-else", groups=["it-admins"])
    with pytest.raises(SsoRefused) as refused:
        provider.validate(f"{header}.{_b64(forged)}.{signature}", "n-1", _signed_at(token))
    assert refused.value.reason == "bad signature"


def test_a_token_signed_with_another_key_with_the_ops_header_is_refused(provider, token):
    header = json.loads(base64.urlsafe_b64decode(_parts(token)[0] + "=="))  # same alg (and kid, if any)
    attacker = RSAKey.generate_key(2048, parameters={"kid": header["kid"]} if "kid" in header else None)
    forged = jwt.encode(header, _payload(token), attacker)
    with pytest.raises(SsoRefused) as refused:
        provider.validate(forged, "n-1", _signed_at(token))
    assert refused.value.reason == "bad signature"


def test_an_unsigned_token_is_refused(provider, token):
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_parts(token)[1]}."
    with pytest.raises(SsoRefused) as refused:
        provider.validate(unsigned, "n-1", _signed_at(token))
    assert refused.value.reason == "unverifiable ID token"


def test_the_wrong_nonce_is_refused(provider, token):
    with pytest.raises(SsoRefused) as refused:
        provider.validate(token, "n-other", _signed_at(token))
    assert refused.value.reason == "wrong nonce"


def test_a_token_is_judged_at_the_given_time(provider, token):
    iat = _payload(token)["iat"]
    with pytest.raises(SsoRefused) as refused:  # an hour and a minute after issue: past exp + leeway
        provider.validate(token, "n-1", datetime.fromtimestamp(iat + 3600 + 31, UTC))
    assert refused.value.reason == "expired ID token"
    with pytest.raises(SsoRefused) as refused:  # before it was issued (beyond the leeway)
        provider.validate(token, "n-1", datetime.fromtimestamp(iat - 31, UTC))
    assert refused.value.reason == "invalid ID token claims"


def test_discovery_must_name_the_configured_issuer(op):
    provider = Provider(oidc_settings(op, REDIRECT).model_copy(update={"issuer": op + "/"}))
    with pytest.raises(SsoRefused) as refused:
        provider.begin(REDIRECT)
    assert refused.value.reason == "discovery names another issuer"


def test_an_unreachable_provider_is_a_plain_refusal():
    provider = Provider(_settings("http://127.0.0.1:9"))
    with pytest.raises(SsoRefused) as refused:
        provider.begin(REDIRECT)
    assert refused.value.reason == "provider unreachable"


def _settings(issuer: str):
    from auditor.config import OidcSettings

    return OidcSettings(issuer=issuer, client_id="c")


def test_an_insecure_issuer_or_an_unknown_role_is_a_config_error():
    with pytest.raises(ConfigError, match="must be an https URL"):
        check_issuer_url("http://idp.example.com")
    check_issuer_url("https://idp.example.com")
    check_issuer_url("http://localhost:8080")
    with pytest.raises(ConfigError, match="unknown role 'superuser'"):
        check_mapping(_settings("https://idp.example.com").model_copy(update={"group_roles": {"x": "superuser"}}))
