"""An emulator of the X Ads API (read side, v12) serving one ``XAdsData`` dict as WSGI.

It answers the shapes of docs/platforms/x.md under any ``/NN`` version prefix:

- ``GET accounts/:id`` (the ads account node, as the SDK's Account resource),
- ``GET accounts/:id/authenticated_user_access`` (only the CALLER's permissions: the data knows every
  user's access, as the platform does, but like the platform it never lists the others),
- ``GET accounts/:id/promotable_users`` (``count`` 1-1000, default 200; opaque ``cursor``/``next_cursor``;
  ``with_deleted``; ``with_total_count``, exclusive with ``cursor``; ``promotable_user_ids``).

The rules come from auditor/connectors/x/contract.yaml: only the active versions (``/12``, ``/11``) are served,
an end-of-life one (``/10`` and older) is 404 ``ROUTE_NOT_FOUND``; every answer carries
``x-current-api-version`` (and ``x-api-warn`` under a version listed in ``deprecated``). Every request must
carry a valid OAuth 1.0a HMAC-SHA1 signature (checked here with an implementation of its own, and a nonce may
not be used twice); otherwise 401 ``UNAUTHORIZED_ACCESS``. Errors use the Ads API shape
``{"errors": [{"code", "message"}], "request": {"params"}}``. Every answer carries the user-level rate-limit
headers; the account-level ones come only with signed GETs of an ads account's endpoints that have ad-account
limits (``account_limited``). ``promotable_user_ids`` takes at most 200 ids, boolean parameters only
``true``/``false``. The data must give each ads account exactly one live ``FULL`` promotable user (its owner),
as the platform does. A ``FaultPlan`` makes chosen requests fail: ``429`` (account- and
user-level headers, reset after ``retry_after`` seconds), ``rate_limit`` (429 with user-level headers only,
reset after ``regain_minutes``), 500, 503 (HTML), timeouts, malformed JSON, truncated bodies, a page without
``data``, 401 and 403 ``INSUFFICIENT_USER_AUTHORIZED_PERMISSION``.

Data shape (``auditor.demo.x.company`` builds it)::

    {"caller_user_id": "2417045708",
     "accounts": [{"id": "18ce54d4x5t", "name": ..., ...node fields...,
                   "users": [{"user_id", "screen_name", "permissions": [...]}],
                   "promotable_users": [{"id", "user_id", "promotable_user_type", "created_at",
                                         "updated_at", "deleted"}]}]}

Error codes other than those named in platform-apis.md (UNAUTHORIZED_ACCESS, TOO_MANY_REQUESTS,
INSUFFICIENT_USER_AUTHORIZED_PERMISSION, INVALID_PARAMETER, EXCLUSIVE_PARAMETERS, NOT_FOUND, INTERNAL_ERROR)
follow the Ads API's CAPS_CASE convention and client code seen in public repositories.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request, Response

from auditor.connectors.contract import load_contract
from auditor.demo.cursors import decode_cursor, encode_cursor
from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.wsgi import Emulator, answer, html_response, json_response, raw_json

_CONTRACT = load_contract("x")
_VERSION = re.compile(r"^/(\d+)(?=/|$)")
_OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')
_NODE_FIELDS = ("id", "name", "business_id", "business_name", "timezone", "timezone_switch_at", "approval_status",
                "created_at", "updated_at", "deleted")
ACTIVE_VERSIONS = _CONTRACT.enum_values("api_versions_active")
CURRENT_VERSION = max(ACTIVE_VERSIONS, key=int)
MAX_COUNT = _CONTRACT.limit("promotable_users", "count")
DEFAULT_COUNT = int(_CONTRACT.endpoint("promotable_users").params["count"].default)
MAX_PROMOTABLE_IDS = _CONTRACT.limit("promotable_users", "promotable_user_ids")
ENDPOINTS = ("", "authenticated_user_access", "promotable_users")  # "" is the ads account node
ACCOUNT_LIMIT = 2000
USER_LIMIT = 450
WINDOW_SECONDS = 900


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it: path without version, query params, whether it was signed validly."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    signed: bool = False


class AdsError(Exception):
    """An error answer in the Ads API's JSON shape."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})


def _enc(value: str) -> str:
    return quote(value, safe="-._~")


def _cursor(offset: int) -> str:
    return encode_cursor("x-cursor", offset)


def _offset(cursor: str) -> int:
    offset = decode_cursor("x-cursor", cursor)
    if offset is None:
        raise AdsError(400, "INVALID_PARAMETER", f"Invalid cursor: {cursor}")
    return offset


def _credentials(token: str) -> tuple[str, str, str, str]:
    parts = token.split(":")
    if len(parts) != 4 or not all(parts):
        raise ValueError("the X sandbox token must be consumer_key:consumer_secret:access_token:token_secret")
    return parts[0], parts[1], parts[2], parts[3]


def sandbox_credentials(seed: str) -> str:
    """Deterministic sandbox OAuth 1.0a credentials (four parts joined by ':') derived from ``seed``."""
    parts = [hashlib.sha256(f"x-sandbox:{seed}:{n}".encode()).hexdigest()[:size]
             for n, size in (("ck", 25), ("cs", 50), ("at", 40), ("ts", 45))]
    parts[2] = f"{int(parts[2][:8], 16)}-{parts[2][8:]}"
    return ":".join(parts)


class XEmulator(Emulator):
    """A WSGI app emulating the X Ads API for the ads accounts in ``data``."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 default_count: int = DEFAULT_COUNT, max_count: int = MAX_COUNT,
                 clock: Callable[[], float] = time.time, deprecated: frozenset[str] = frozenset(),
                 account_limited: frozenset[str] = frozenset(ENDPOINTS)):
        _check_owners(data)
        super().__init__(data, token, faults)
        self.consumer_key, self.consumer_secret, self.token, self.token_secret = _credentials(token)
        self.default_count = default_count
        self.max_count = max_count
        self.clock = clock
        self.deprecated = deprecated
        self.account_limited = account_limited
        self.caller = str(data.get("caller_user_id") or "")
        self.accounts: dict[str, dict[str, Any]] = {str(a["id"]): a for a in data.get("accounts") or []}
        self._nonces: set[str] = set()
        self._counts: dict[str, int] = {}  # requests per ads account ("": every request of the user token)

    # -- WSGI ------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then the version, the OAuth signature and routing; every answer
        carries ``x-current-api-version`` (and ``x-api-warn`` under a deprecated version)."""
        match = _VERSION.match(request.path)
        version = match.group(1) if match else ""
        path = request.path[match.end():] if match else request.path
        path = path or "/"
        signed = self._signature_ok(request)
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, dict(request.args.items()), signed))
        account_id = self._limited_account(request, path, signed)
        response = answer(self.faults, path, lambda fault: self._fault_response(fault, request, account_id),
                          lambda: self._serve(request, path, version, signed, account_id))
        return self._versioned(response, version)

    def _serve(self, request: Request, path: str, version: str, signed: bool, account_id: str) -> Response:
        try:
            if version not in ACTIVE_VERSIONS:
                raise AdsError(404, "ROUTE_NOT_FOUND", f"Version {version or '(none)'} of the Ads API is not served: "
                               f"the active versions are {', '.join(ACTIVE_VERSIONS)}")
            self._authenticate(request, signed)
            return self._json(200, self._route(request, path), request, account_id)
        except AdsError as exc:
            return self._error(exc, request, account_id)

    def _versioned(self, response: Response, version: str) -> Response:
        response.headers["x-current-api-version"] = CURRENT_VERSION
        if version in self.deprecated:
            response.headers["x-api-warn"] = f"Version {version} of the Ads API is deprecated; use {CURRENT_VERSION}"
        return response

    def _limited_account(self, request: Request, path: str, signed: bool) -> str:
        """The ads account whose account-level limit this request counts against, or "" (user level only):
        a signed GET of one of the account's endpoints with ad-account limits, by a user with access to it."""
        parts = [p for p in path.split("/") if p]
        if request.method != "GET" or not signed or len(parts) not in (2, 3) or parts[0] != "accounts":
            return ""
        endpoint = parts[2] if len(parts) == 3 else ""
        account = self.accounts.get(parts[1])
        if endpoint not in self.account_limited or account is None or self._permissions(account) is None:
            return ""
        return parts[1]

    # -- OAuth 1.0a ------------------------------------------------------------------------------------

    @staticmethod
    def _oauth_params(request: Request) -> dict[str, str] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("OAuth "):
            return None
        return {k: unquote(v) for k, v in _OAUTH_PARAM.findall(header[6:])}

    def _signature_ok(self, request: Request) -> bool:
        oauth = self._oauth_params(request)
        if not oauth or oauth.get("oauth_signature_method") != "HMAC-SHA1":
            return False
        if oauth.get("oauth_consumer_key") != self.consumer_key or oauth.get("oauth_token") != self.token:
            return False
        params = [(k, v) for k, v in request.args.items(multi=True)]
        params += [(k, v) for k, v in oauth.items() if k != "oauth_signature"]
        normalised = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v)) for k, v in params))
        uri = f"{request.scheme}://{request.host.lower()}{request.path}"
        base = "&".join((request.method.upper(), _enc(uri), _enc(normalised)))
        key = f"{_enc(self.consumer_secret)}&{_enc(self.token_secret)}".encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
        return hmac.compare_digest(expected, oauth.get("oauth_signature", ""))

    def _authenticate(self, request: Request, signed: bool) -> None:
        if not signed:
            raise AdsError(401, "UNAUTHORIZED_ACCESS", "This request is not properly authenticated")
        nonce = (self._oauth_params(request) or {}).get("oauth_nonce", "")
        with self._lock:
            replayed = nonce in self._nonces
            self._nonces.add(nonce)
        if not nonce or replayed:
            raise AdsError(401, "UNAUTHORIZED_ACCESS", "This request is not properly authenticated (nonce used)")

    # -- routing ---------------------------------------------------------------------------------------

    def _route(self, request: Request, path: str) -> dict[str, Any]:
        if request.method != "GET":
            raise AdsError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported by the sandbox")
        parts = [p for p in path.split("/") if p]
        if len(parts) < 2 or parts[0] != "accounts" or len(parts) > 3:
            raise AdsError(404, "ROUTE_NOT_FOUND", "The requested resource could not be found")
        account = self.accounts.get(parts[1])
        if account is None:
            raise AdsError(404, "NOT_FOUND", f"Account {parts[1]} was not found")
        permissions = self._permissions(account)
        if permissions is None:
            raise AdsError(403, "INSUFFICIENT_USER_AUTHORIZED_PERMISSION",
                           f"User {self.caller} is not authorized to make this request. Please have them "
                           "reauthorize with your client application")
        echo = {"params": {"account_id": parts[1]}}
        if len(parts) == 2:
            _flag(request, "with_deleted")
            return {"request": echo, "data_type": "account",
                    "data": {k: account[k] for k in _NODE_FIELDS if k in account}}
        if parts[2] == "authenticated_user_access":
            return {"request": echo, "data": {"user_id": _as_number(self.caller), "permissions": permissions}}
        if parts[2] == "promotable_users":
            return self._promotable(request, account, echo)
        raise AdsError(404, "ROUTE_NOT_FOUND", "The requested resource could not be found")

    def _permissions(self, account: Mapping[str, Any]) -> list[str] | None:
        for user in account.get("users") or []:
            if str(user.get("user_id")) == self.caller:
                return list(user.get("permissions") or [])
        return None

    def _promotable(self, request: Request, account: Mapping[str, Any], echo: dict[str, Any]) -> dict[str, Any]:
        args = request.args
        try:
            count = int(args.get("count", self.default_count))
        except ValueError:
            raise AdsError(400, "INVALID_PARAMETER", "Expected an integer for count") from None
        if not 1 <= count <= self.max_count:
            raise AdsError(400, "INVALID_PARAMETER", f"count must be between 1 and {self.max_count}")
        total_wanted = _flag(request, "with_total_count")
        if total_wanted and args.get("cursor"):
            raise AdsError(400, "EXCLUSIVE_PARAMETERS", "with_total_count and cursor are exclusive")
        items = list(account.get("promotable_users") or [])
        if not _flag(request, "with_deleted"):
            items = [i for i in items if not i.get("deleted")]
        if args.get("promotable_user_ids"):
            wanted = set(args["promotable_user_ids"].split(","))
            if len(wanted) > MAX_PROMOTABLE_IDS:
                raise AdsError(400, "INVALID_PARAMETER",
                               f"promotable_user_ids takes at most {MAX_PROMOTABLE_IDS} ids, got {len(wanted)}")
            items = [i for i in items if str(i.get("id")) in wanted]
        start = min(_offset(args["cursor"]), len(items)) if args.get("cursor") else 0
        end = min(start + count, len(items))
        params = dict(echo["params"], **{k: v for k, v in args.items()})
        body: dict[str, Any] = {"request": {"params": params}, "data_type": "promotable_user",
                                "data": items[start:end], "next_cursor": _cursor(end) if end < len(items) else None}
        if total_wanted:
            body["total_count"] = len(items)
        return body

    # -- answers ---------------------------------------------------------------------------------------

    def _limit_headers(self, account_id: str, *, exhausted: bool = False, reset_in: float = WINDOW_SECONDS,
                       account_level: bool = True) -> dict[str, str]:
        """User-level headers always; account-level ones when the request counts against ``account_id``.
        The ``*-reset`` values are unix times in whole seconds."""
        with self._lock:
            used = self._counts[""] = self._counts.get("", 0) + 1
            if account_id:
                used_here = self._counts[account_id] = self._counts.get(account_id, 0) + 1
        reset = str(int(self.clock() + reset_in))
        headers = {"x-rate-limit-limit": str(USER_LIMIT),
                   "x-rate-limit-remaining": "0" if exhausted else str(USER_LIMIT - used % USER_LIMIT),
                   "x-rate-limit-reset": reset}
        if account_level and account_id:
            headers.update({"x-account-rate-limit-limit": str(ACCOUNT_LIMIT),
                            "x-account-rate-limit-remaining":
                                "0" if exhausted else str(ACCOUNT_LIMIT - used_here % ACCOUNT_LIMIT),
                            "x-account-rate-limit-reset": reset})
        return headers

    def _json(self, status: int, body: Any, request: Request, account_id: str,
              headers: Mapping[str, str] | None = None) -> Response:
        all_headers = headers if headers is not None else self._limit_headers(account_id)
        return json_response(status, body, all_headers)

    def _error(self, exc: AdsError, request: Request, account_id: str) -> Response:
        body = {"errors": [{"code": exc.code, "message": exc.message}],
                "request": {"params": dict(request.args.items())}}
        headers = {**self._limit_headers(account_id), **exc.headers}
        return self._json(exc.status, body, request, account_id, headers)

    def _fault_response(self, fault: Fault, request: Request, account_id: str) -> Response:
        kind = fault.kind
        if kind in ("429", "rate_limit"):
            account_level = kind == "429"
            reset_in = fault.retry_after if account_level else fault.regain_minutes * 60
            headers = self._limit_headers(account_id, exhausted=True, reset_in=reset_in, account_level=account_level)
            body = {"errors": [{"code": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"}],
                    "request": {"params": dict(request.args.items())}}
            return self._json(429, body, request, account_id, headers)
        if kind == "500":
            return self._error(AdsError(500, "INTERNAL_ERROR", "Internal error"), request, account_id)
        if kind == "503":
            return html_response(503, "<html><body>Over capacity</body></html>")
        if kind == "malformed":
            return raw_json('{"data": [{"id": "1" "user_id": }')
        if kind == "missing_data":
            return self._json(200, {"request": {"params": {}}, "next_cursor": None}, request, account_id)
        if kind == "401":
            return self._error(AdsError(401, "UNAUTHORIZED_ACCESS", "This request is not properly authenticated"),
                               request, account_id)
        return self._error(AdsError(403, "INSUFFICIENT_USER_AUTHORIZED_PERMISSION",
                                    f"User {self.caller} is not authorized to make this request. Please have them "
                                    "reauthorize with your client application"), request, account_id)


def _flag(request: Request, name: str) -> bool:
    """A boolean query parameter: absent is false; anything but ``true``/``false`` is 400."""
    value = request.args.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise AdsError(400, "INVALID_PARAMETER", f"Expected a boolean (true or false) for {name}, got {value!r}")
    return value == "true"


def _check_owners(data: Mapping[str, Any]) -> None:
    """Refuse data the platform cannot hold: an ads account without exactly one live FULL promotable user."""
    for account in data.get("accounts") or []:
        owners = [p for p in account.get("promotable_users") or []
                  if p.get("promotable_user_type") == "FULL" and not p.get("deleted")]
        if len(owners) != 1:
            raise ValueError(f"X sandbox data: ads account {account.get('id')} has {len(owners)} FULL promotable "
                             "users; X gives each ads account exactly one (its owner)")


def _as_number(value: str) -> int | str:
    """User ids are numbers in the documented example; keep text that is not a number."""
    return int(value) if value.isdigit() else value


def create_emulator(data: dict[str, Any], token: str) -> tuple[XEmulator, str]:
    """The X Ads emulator for ``data``, accepting the OAuth 1.0a credentials in ``token``; prefix ``/12``."""
    return XEmulator(data, token), "/12"
