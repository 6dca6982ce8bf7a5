"""OAuth 1.0a (RFC 5849, HMAC-SHA1) request signing for the X Ads API, as an httpx transport.

The X Ads API authenticates every request with OAuth 1.0a user context (platform-apis.md section 4): four
credentials (consumer key and secret of the app, access token and secret of the X user) and a signature
over the method, the URL and every query parameter. ``HttpClient`` only adds static headers, so signing
happens in ``OAuth1Transport``, which wraps the real transport and signs each request as it is sent:
every retry gets a fresh nonce and timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

import httpx


@dataclass(frozen=True, slots=True)
class OAuth1Credentials:
    """The four OAuth 1.0a values; ``repr`` never shows them."""

    consumer_key: str
    consumer_secret: str
    token: str
    token_secret: str

    def __repr__(self) -> str:
        return "OAuth1Credentials(***)"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every value that must never reach a message."""
        return (self.consumer_key, self.consumer_secret, self.token, self.token_secret)


def parse_credentials(value: str) -> OAuth1Credentials | None:
    """``consumer_key:consumer_secret:access_token:access_token_secret`` -> credentials (None if not 4 parts)."""
    parts = [p.strip() for p in value.strip().split(":")]
    if len(parts) != 4 or not all(parts):
        return None
    return OAuth1Credentials(*parts)


def percent_encode(value: str) -> str:
    """RFC 5849 section 3.6: UTF-8, then every byte but ``A-Z a-z 0-9 - . _ ~`` as %XX."""
    return quote(value, safe="-._~")


def base_string_uri(url: httpx.URL) -> str:
    """RFC 5849 section 3.4.1.2: lower-case scheme and host, default ports dropped, no query."""
    scheme = url.scheme.lower()
    host = url.host.lower()
    port = url.port
    default = (scheme == "http" and port in (None, 80)) or (scheme == "https" and port in (None, 443))
    authority = host if default else f"{host}:{port}"
    return f"{scheme}://{authority}{url.raw_path.split(b'?', 1)[0].decode('ascii') or '/'}"


def signature_base(method: str, uri: str, params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 section 3.4.1: METHOD&uri&normalised-params (each part percent-encoded)."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params)
    normalised = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), percent_encode(uri), percent_encode(normalised)))


def sign(base: str, consumer_secret: str, token_secret: str) -> str:
    """HMAC-SHA1 of the base string, base64-encoded."""
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


def authorization_header(
    method: str,
    url: httpx.URL,
    credentials: OAuth1Credentials,
    *,
    nonce: str,
    timestamp: int,
    extra_params: Iterable[tuple[str, str]] = (),
) -> str:
    """The ``Authorization: OAuth ...`` value for one request (query parameters are signed too)."""
    oauth = {
        "oauth_consumer_key": credentials.consumer_key,
        "oauth_nonce": nonce,
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(timestamp),
        "oauth_token": credentials.token,
        "oauth_version": "1.0",
    }
    params = [*url.params.multi_items(), *extra_params, *oauth.items()]
    base = signature_base(method, base_string_uri(url), params)
    oauth["oauth_signature"] = sign(base, credentials.consumer_secret, credentials.token_secret)
    return "OAuth " + ", ".join(f'{k}="{percent_encode(v)}"' for k, v in sorted(oauth.items()))


class OAuth1Transport(httpx.BaseTransport):
    """Signs each outgoing request with OAuth 1.0a, then hands it to ``inner``."""

    def __init__(
        self,
        credentials: OAuth1Credentials,
        inner: httpx.BaseTransport | None = None,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: secrets.token_hex(16),
    ):
        self._credentials = credentials
        self._inner = inner or httpx.HTTPTransport()
        self._clock = clock
        self._nonce = nonce

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Add the Authorization header and send (GET only: no form body to sign)."""
        request.headers["Authorization"] = authorization_header(
            request.method, request.url, self._credentials, nonce=self._nonce(), timestamp=int(self._clock())
        )
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
