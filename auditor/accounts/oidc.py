"""OpenID Connect relying party: Authorization Code flow with PKCE (S256), ``state`` and ``nonce``.

Built on Authlib (authorization URL, PKCE challenge, authorization response parsing) and joserfc, Authlib's
JOSE library (ID token signature and claims). The provider is found by issuer discovery; the discovery
document must name the configured issuer exactly. Its JWKS is cached and fetched again once when a token
names an unknown key id (key rotation). An ID token is accepted only when its signature verifies with one of
the provider's keys (RS/ES/PS algorithms, never ``none`` or HMAC), ``iss`` is the issuer, ``aud`` contains the
client id (and ``azp`` is the client id when there are several audiences), ``exp``/``iat`` are valid at
``now`` within ``leeway_seconds``, and ``nonce`` is the one sent. Every refusal is an ``SsoRefused`` with a
short reason for the audit trail.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from auditor.config import OidcSettings, Settings
from auditor.errors import AuditorError, ConfigError

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
DISCOVERY_TTL = 3600.0
TIMEOUT = httpx.Timeout(10.0)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class SsoRefused(AuditorError):
    """A single sign-on attempt was refused; ``reason`` is short and safe for the audit trail."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"single sign-on refused: {reason}" + (f" ({detail})" if detail else ""))
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Flow:
    """What the browser keeps (signed) between the redirect to the provider and the callback."""

    state: str
    nonce: str
    code_verifier: str
    next: str | None = None


def check_issuer_url(url: str, key: str = "oidc.issuer") -> None:
    """An issuer or endpoint must be https (http only on a loopback host, for local tests); ConfigError if not."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK):
        return
    raise ConfigError(f"{key}: {url!r} must be an https URL")


class Provider:
    """One OpenID Provider: discovery document and JWKS, cached in memory (thread-safe)."""

    def __init__(self, oidc: OidcSettings, client_secret: str | None = None) -> None:
        check_issuer_url(oidc.issuer)
        self.settings = oidc
        self.client_secret = client_secret
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._fetched = 0.0
        self._keys: KeySet | None = None

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoRefused("provider unreachable", f"{urlsplit(url).path}: {type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise SsoRefused("provider unreachable", f"{urlsplit(url).path}: not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The discovery document (fetched at most once an hour); its ``issuer`` must be the configured one."""
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched > DISCOVERY_TTL:
                issuer = self.settings.issuer.rstrip("/")
                data = self._get(issuer + "/.well-known/openid-configuration")
                if data.get("issuer") != self.settings.issuer:
                    raise SsoRefused("discovery names another issuer", str(data.get("issuer"))[:200])
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(data.get(key), str):
                        raise SsoRefused("discovery document incomplete", key)
                    try:
                        check_issuer_url(data[key], key)
                    except ConfigError as exc:
                        raise SsoRefused("insecure provider endpoint", key) from exc
                self._metadata, self._fetched, self._keys = data, time.monotonic(), None
            return self._metadata

    def keys(self, *, refresh: bool = False) -> KeySet:
        """The provider's public keys (fetched again when ``refresh``)."""
        uri = self.metadata()["jwks_uri"]
        with self._lock:
            if self._keys is None or refresh:
                try:
                    self._keys = KeySet.import_key_set(self._get(uri))  # type: ignore[arg-type]
                except (JoseError, ValueError, TypeError) as exc:
                    raise SsoRefused("provider keys unusable", type(exc).__name__) from exc
            return self._keys

    def begin(self, redirect_uri: str, next_path: str | None = None) -> tuple[str, Flow]:
        """The authorization URL to send the browser to, and the flow to keep for the callback."""
        flow = Flow(state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64),
                    next=next_path)
        url = prepare_grant_uri(
            self.metadata()["authorization_endpoint"],
            self.settings.client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=" ".join(self.settings.scopes),
            state=flow.state,
            nonce=flow.nonce,
            code_challenge=create_s256_code_challenge(flow.code_verifier),
            code_challenge_method="S256",
        )
        return url, flow

    def exchange(self, code: str, flow: Flow, redirect_uri: str) -> str:
        """Trade the authorization code (with the PKCE verifier) for tokens; returns the raw ID token."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": flow.code_verifier,
            "client_id": self.settings.client_id,
        }
        auth = None
        if self.client_secret:  # client_secret_basic: both parts form-encoded first (RFC 6749 section 2.3.1)
            auth = (quote(self.settings.client_id, safe=""), quote(self.client_secret, safe=""))
        try:
            response = httpx.post(self.metadata()["token_endpoint"], data=form, auth=auth, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise SsoRefused("provider unreachable", f"token endpoint: {type(exc).__name__}") from exc
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict):
            error = body.get("error") if isinstance(body, dict) else None
            raise SsoRefused("code refused by the provider", str(error or response.status_code)[:100])
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise SsoRefused("no ID token in the provider's answer")
        return id_token

    def validate(self, id_token: str, nonce: str, now: datetime) -> dict[str, Any]:
        """The claims of a valid ID token (see the module docstring); SsoRefused naming the failed check."""
        token = None
        for refresh in (False, True):  # an unknown key id: fetch the keys again once (key rotation)
            try:
                token = jwt.decode(id_token, self.keys(refresh=refresh), algorithms=list(ALGORITHMS))
                break
            except BadSignatureError as exc:
                raise SsoRefused("bad signature") from exc
            except (JoseError, ValueError) as exc:
                if refresh:
                    raise SsoRefused("unverifiable ID token", type(exc).__name__) from exc
        assert token is not None
        client_id = self.settings.client_id
        registry = JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=self.settings.leeway_seconds,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        claims = dict(token.claims)
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise SsoRefused("expired ID token") from exc
        except JoseError as exc:
            claim = getattr(exc, "claim", "") or ""
            raise SsoRefused(f"wrong {claim}" if claim in ("iss", "aud", "nonce") else "invalid ID token claims",
                             str(exc)[:200]) from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != client_id:
            raise SsoRefused("wrong aud", "several audiences and azp is not this client")
        return claims


_PROVIDERS: dict[tuple[Any, ...], Provider] = {}
_PROVIDERS_LOCK = threading.Lock()


def provider_for(settings: Settings) -> Provider:
    """The process-wide ``Provider`` of these settings (ConfigError when ``[oidc]`` is missing or incomplete)."""
    oidc = settings.oidc
    if oidc is None:
        raise ConfigError(f"{settings.source or 'config'}: no [oidc] section")
    secret = settings.secret(oidc.client_secret_env, key="oidc.client_secret_env") if oidc.client_secret_env else None
    key = (oidc.model_dump_json(), secret)
    with _PROVIDERS_LOCK:
        if key not in _PROVIDERS:
            _PROVIDERS[key] = Provider(oidc, secret)
        return _PROVIDERS[key]
