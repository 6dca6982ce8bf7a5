"""Meta tokens: ``appsecret_proof`` on every call, and what the auditor learns about the tokens it inspects.

``debug_token`` answers only the app token ``{app-id}|{app-secret}`` of the token's app, or a token of the
same app whose principal is a developer/admin of it (contract constraint debug_token_caller). So each token
is inspected by, in order: the app token (when ``app_id`` and ``app_secret_env`` are configured), the token
itself, and ``/me/permissions`` called with the token (scopes only, no app id or expiry). A token none of
these answers for is reported as "could not verify scopes", never silently dropped.

The proof is a query parameter set by the Graph client on every request, next-page URLs included
(``MetaConnector._client``, ``HttpClient(params=...)``).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.connectors.http import HttpClient
from auditor.errors import ConnectorError

EXPIRY_WARNING = timedelta(days=14)
"""A token (or its data access) running out within this time is reported."""


def appsecret_proof(secret: str, token: str) -> str:
    """Lower-case hex HMAC-SHA256 of ``token`` keyed by the app secret (Graph API "Securing Requests")."""
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@dataclass(slots=True)
class Inspection:
    """What was learnt about one token: the ``debug_token`` data, or scopes from ``/me/permissions``."""

    data: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


ClientFor = Callable[[str], HttpClient]
"""A Graph client authenticated by the given token (with its appsecret_proof when the secret is known)."""


def inspect_token(platform: str, value: str, ref: str, client_for: ClientFor, app_token: str | None) -> Inspection:
    """debug_token via the app token, then via the token itself, then ``/me/permissions`` (see module doc)."""
    refusals: list[str] = []
    for caller in (app_token, value):
        if caller is None:
            continue
        try:
            with client_for(caller) as client:
                body = client.get_json("/debug_token", {"input_token": value})
        except ConnectorError as exc:
            refusals.append(str(exc))
            continue
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, dict):
            return Inspection(data)
        refusals.append(f"{platform}: debug_token for {ref} gave no data")
    why = "no app secret configured" if app_token is None else "debug_token refused"
    try:
        with client_for(value) as client:
            rows = [row for page in client.iter_pages("/me/permissions", {"limit": 100}, _next)
                    for row in page if isinstance(row, dict)]
    except ConnectorError:
        return Inspection(None, [f"{platform}: could not verify scopes of token {ref}: {why}"])
    scopes = sorted({str(r["permission"]) for r in rows if r.get("status") == "granted" and r.get("permission")})
    data = {"scopes": scopes, "source": "me/permissions"}
    return Inspection(data, [f"{platform}: token {ref}: scopes from /me/permissions only, app and expiry not "
                             f"verified: {why}"])


def _next(body: dict[str, Any]) -> str | None:
    paging = body.get("paging")
    nxt = paging.get("next") if isinstance(paging, dict) else None
    return nxt if isinstance(nxt, str) and nxt else None


def expiry_notes(platform: str, ref: str, data: dict[str, Any], now: datetime) -> list[str]:
    """Warnings for a token (``expires_at``) or its data access (``data_access_expires_at``) that has run out
    or runs out within ``EXPIRY_WARNING``; 0 or absent means "never" (contract debug_token_system_user_no_expiry)."""
    notes = []
    for key, what in (("expires_at", "expires"), ("data_access_expires_at", "data access expires")):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            continue
        when = datetime.fromtimestamp(value, UTC)
        if when <= now:
            notes.append(f"{platform}: token {ref} {what.replace('expires', 'expired')} on {when:%Y-%m-%d %H:%M} UTC")
        elif when <= now + EXPIRY_WARNING:
            notes.append(f"{platform}: token {ref} {what} on {when:%Y-%m-%d %H:%M} UTC")
    return notes
