"""Who calls the Meta emulator: the token kinds of the contract (system user / user, Page, app) and their checks.

A caller is resolved from its token (``Authorization: Bearer`` or ``access_token``): the emulator's own token,
any valid token of the data's ``tokens`` table, a Page token handed out by ``/me/accounts`` or
``/{page-id}?fields=access_token``, or an app token ``{app-id}|{app-secret}`` of ``app_secrets``.
``appsecret_proof`` is checked here (contract constraints appsecret_proof_required_when_enabled and
appsecret_proof_hmac): apps listed in ``require_app_secret`` refuse calls without it, and a proof that is not
the hex HMAC-SHA256 of the token keyed by the app secret is refused whenever the secret is known.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ALL_SCOPES = ("business_management", "ads_read", "ads_management", "pages_show_list", "pages_read_engagement",
              "pages_manage_metadata", "catalog_management", "whatsapp_business_management")
"""Scopes of the emulator's own token when the data's token table does not describe it."""


class GraphError(Exception):
    """An error answer in Graph's JSON shape."""

    def __init__(self, status: int, message: str, code: int, *, type_: str = "OAuthException",
                 subcode: int | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.type_, self.subcode = status, message, code, type_, subcode
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class Caller:
    """The principal behind one request's token. ``kind``: "user" (user or system user), "page" or "app"."""

    kind: str
    token: str
    app_id: str | None = None
    user_id: str | None = None
    page_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def needs(self, scope: str) -> None:
        """Refuse (code 200) unless the token carries ``scope``."""
        if scope not in self.scopes:
            raise GraphError(403, f"(#200) Requires {scope} permission to manage the object", 200)


def proof(secret: str, token: str) -> str:
    """``appsecret_proof``: lower-case hex HMAC-SHA256 of the token keyed by the app secret (S16, S37)."""
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def page_token(page_id: str, user_id: str, app_id: str | None) -> str:
    """The Page token the emulator hands a principal for a Page (deterministic, opaque)."""
    digest = hashlib.sha256(f"{page_id}|{user_id}|{app_id}".encode()).hexdigest()[:24]
    return f"EAAPage{page_id}x{digest}"


class Callers:
    """Resolves tokens to callers for one emulator; ``page_tokens`` grows as Page tokens are handed out."""

    def __init__(self, data: Mapping[str, Any], own_token: str):
        self.own_token = own_token
        self.tokens: dict[str, dict[str, Any]] = dict(data.get("tokens") or {})
        self.app_secrets: dict[str, str] = {str(k): str(v) for k, v in (data.get("app_secrets") or {}).items()}
        self.require_proof = {str(a) for a in data.get("require_app_secret") or ()}
        self.app_roles = {str(k): {str(u) for u in v} for k, v in (data.get("app_roles") or {}).items()}
        self.page_tokens: dict[str, Caller] = {}

    def resolve(self, token: str, given_proof: str | None) -> Caller:
        """The caller of ``token`` after the appsecret_proof check; GraphError 190 for an unknown token."""
        caller = self._caller(token)
        if caller.kind != "app" and caller.app_id is not None:
            secret = self.app_secrets.get(caller.app_id)
            if given_proof is None and caller.app_id in self.require_proof:
                raise GraphError(400, "API calls from the server require an appsecret_proof argument", 100,
                                 type_="GraphMethodException")
            if given_proof is not None and secret is not None and not hmac.compare_digest(
                    given_proof, proof(secret, token)):
                raise GraphError(400, "Invalid appsecret_proof provided in the API argument", 100,
                                 type_="GraphMethodException")
        return caller

    def _caller(self, token: str) -> Caller:
        if token in self.page_tokens:
            return self.page_tokens[token]
        app_id, sep, secret = token.partition("|")
        if sep and self.app_secrets.get(app_id) == secret:
            return Caller("app", token, app_id=app_id)
        info = self.tokens.get(token)
        if info is not None and info.get("is_valid", True):
            return Caller("user", token, app_id=_str(info.get("app_id")), user_id=_str(info.get("user_id")),
                          scopes=frozenset(str(s) for s in info.get("scopes") or ()))
        if token == self.own_token:
            return Caller("user", token, scopes=frozenset(ALL_SCOPES))
        raise GraphError(400, "Invalid OAuth access token - Cannot parse access token", 190,
                         headers={"WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" '
                                                      '"Invalid OAuth access token"'})

    def hand_page_token(self, caller: Caller, page_id: str) -> str:
        """A Page token for ``caller`` on ``page_id`` (the caller's scopes and app carry over)."""
        token = page_token(page_id, caller.user_id or "", caller.app_id)
        self.page_tokens[token] = Caller("page", token, app_id=caller.app_id, user_id=caller.user_id,
                                         page_id=page_id, scopes=caller.scopes)
        return token

    def may_debug(self, caller: Caller, input_app: str | None) -> bool:
        """debug_token's caller rule (S34, T9): the app token of the input token's app, or a token of the same
        app whose principal holds a developer/admin role on it."""
        if input_app is None:
            return caller.kind == "app"
        if caller.kind == "app":
            return caller.app_id == input_app
        return caller.app_id == input_app and caller.user_id in self.app_roles.get(input_app, set())


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
