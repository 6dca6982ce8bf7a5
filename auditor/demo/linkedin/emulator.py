"""An emulator of LinkedIn's versioned REST API (read side) for one organization, as WSGI.

It serves the shapes of docs/platforms/linkedin.md under ``/rest``:

- ``GET /rest/organizationAcls?q=organization&organization=urn:li:organization:{id}[&role=][&state=]`` (the
  caller must be an APPROVED ADMINISTRATOR of the organization) and ``?q=roleAssignee`` (the caller's rows);
- ``GET /rest/adAccountUsers?q=accounts&accounts=urn:li:sponsoredAccount:{id}`` (only the first account is
  honoured, plain or ``List(...)``; a caller who is not ACCOUNT_MANAGER / ACCOUNT_BILLING_ADMIN sees only its
  own binding) and ``?q=authenticatedUser`` (the caller's bindings).

Requests need ``Authorization: Bearer``, an active ``LinkedIn-Version: YYYYMM`` (``ACTIVE_VERSIONS``, a one-year
window; any other version is HTTP 426 ``NONEXISTENT_VERSION`` in LinkedIn's body, message spelling the version
``YYYYMM01``; a missing header is a plain 400, LinkedIn's code for it being undocumented),
``X-Restli-Protocol-Version: 2.0.0`` and URL-encoded URNs in query values.
Lists page with ``start``/``count`` (``paging {start, count, total, links}``, count at most 1000);
``adAccountUsers?q=accounts`` without ``count`` answers everything with ``count: 2147483647`` like the sample.
Errors are ``{"status", "serviceErrorCode", "code", "message"}``; a 429 carries LinkedIn's throttle message and
no rate-limit header (none is documented). Scopes: ``r_organization_admin``/``rw_organization_admin`` for
ACLs, ``r_ads``/``rw_ads`` for ad-account users.

Data: ``{"organization": {"id"}, "organization_acls": [element...], "ad_accounts": [{"id", "name",
"users": [element...]}], "token_member": person URN, "token_scopes": [...]}``. A ``FaultPlan`` can make
chosen requests fail; every request is recorded in ``requests``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.wsgi import Emulator, answer, html_response, json_response, raw_json

PREFIX = "/rest"
UNPAGED_COUNT = 2147483647
MANAGERS = frozenset({"ACCOUNT_MANAGER", "ACCOUNT_BILLING_ADMIN"})
ACL_SCOPES = frozenset({"r_organization_admin", "rw_organization_admin"})
ADS_SCOPES = frozenset({"r_ads", "rw_ads"})
THROTTLED = "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."
ACTIVE_VERSIONS = tuple(f"{year}{month:02d}" for year, month in
                        [*((2025, m) for m in range(10, 13)), *((2026, m) for m in range(1, 10))])
"""The monthly versions the emulator serves: twelve, as LinkedIn keeps each version about one year."""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it (path without ``/rest``; the token is never recorded)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    version: str | None = None
    restli: str | None = None
    bearer: bool = False
    raw_query: str = ""


class RestliError(Exception):
    """An error answer in LinkedIn's JSON shape."""

    def __init__(self, status: int, message: str, code: str | None = None, service_code: int | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.service_code = status, message, code, service_code

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status}
        if self.service_code is not None:
            body["serviceErrorCode"] = self.service_code
        if self.code is not None:
            body["code"] = self.code
        body["message"] = self.message
        return body


def _check_billing_admins(data: Mapping[str, Any]) -> None:
    """LinkedIn keeps exactly one ACCOUNT_BILLING_ADMIN per ad account: data with more is refused."""
    for account in data.get("ad_accounts") or []:
        admins = [u for u in account.get("users") or [] if u.get("role") == "ACCOUNT_BILLING_ADMIN"]
        if len(admins) > 1:
            raise ValueError(f"linkedin emulator data: ad account {account.get('id')} has {len(admins)} "
                             "ACCOUNT_BILLING_ADMIN users; LinkedIn allows one")


def _first_urn(value: str) -> str:
    """The first URN of ``accounts``: a plain URN or the Rest.li list form ``List(urn,urn)``."""
    value = value.strip()
    if value.startswith("List(") and value.endswith(")"):
        value = value[5:-1].split(",", 1)[0]
    return value.strip()


class LinkedInEmulator(Emulator):
    """A WSGI app emulating LinkedIn's REST API for one organization; ``token`` is the only accepted token."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 default_count: int = 10, max_count: int = 1000, versions: tuple[str, ...] = ACTIVE_VERSIONS):
        _check_billing_admins(data)
        super().__init__(data, token, faults)
        self.versions = frozenset(versions)
        self.default_count = default_count
        self.max_count = max_count
        self.organization = f"urn:li:organization:{data['organization']['id']}"
        self.acls: list[dict[str, Any]] = list(data.get("organization_acls") or [])
        self.ad_users: dict[str, list[dict[str, Any]]] = {
            f"urn:li:sponsoredAccount:{a['id']}": list(a.get("users") or []) for a in data.get("ad_accounts") or []
        }
        self.member = str(data.get("token_member") or "")
        self.scopes = frozenset(data.get("token_scopes") or (*ACL_SCOPES, *ADS_SCOPES))

    # -- WSGI ----------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then headers and auth, then routing."""
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX + "/") else request.path
        with self._lock:
            self.requests.append(RecordedRequest(
                request.method, path, dict(request.args.items()), request.headers.get("LinkedIn-Version"),
                request.headers.get("X-Restli-Protocol-Version"),
                request.headers.get("Authorization", "")[:7].lower() == "bearer ",
                request.query_string.decode("latin-1")))
        return answer(self.faults, path, lambda fault: self._fault_response(fault, path),
                      lambda: self._serve(request, path))

    def _serve(self, request: Request, path: str) -> Response:
        try:
            if not request.path.startswith(PREFIX + "/"):
                raise RestliError(404, f"No virtual resource found for {request.path}", "NOT_FOUND")
            self._authenticate(request)
            return self._json(200, self._route(request, path))
        except RestliError as exc:
            return self._json(exc.status, exc.body())

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if token != self.token:
            raise RestliError(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        version = request.headers.get("LinkedIn-Version")
        if not version:
            raise RestliError(400, "The LinkedIn-Version header is required")
        if version not in self.versions:
            spelled = f"{version}01" if len(version) == 6 else version
            raise RestliError(426, f"Requested version {spelled} is not active", "NONEXISTENT_VERSION")
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            raise RestliError(400, "X-Restli-Protocol-Version 2.0.0 is required for this resource",
                              "ILLEGAL_ARGUMENT", 100)
        if "urn:li:" in request.query_string.decode("latin-1").lower():
            raise RestliError(400, "URNs in query parameters must be URL-encoded", "ILLEGAL_ARGUMENT", 100)

    # -- routing ---------------------------------------------------------------------------------------------

    def _route(self, request: Request, path: str) -> dict[str, Any]:
        if request.method != "GET":
            raise RestliError(405, f"Method {request.method} is not supported", "METHOD_NOT_ALLOWED")
        finder = request.args.get("q")
        if path == "/organizationAcls":
            self._need(ACL_SCOPES, f"organizationAcls.FINDER-{finder}")
            if finder == "organization":
                return self._organization_acls(request)
            if finder == "roleAssignee":
                rows = [r for r in self.acls if r.get("roleAssignee") == self.member]
                return self._page(request, self._filtered(request, rows))
        elif path == "/adAccountUsers":
            self._need(ADS_SCOPES, f"adAccountUsers.FINDER-{finder}")
            if finder == "accounts":
                return self._account_users(request)
            if finder == "authenticatedUser":
                rows = [u for users in self.ad_users.values() for u in users if u.get("user") == self.member]
                return self._page(request, rows)
        else:
            raise RestliError(404, f"Resource {path.strip('/')} does not exist", "NOT_FOUND")
        raise RestliError(400, f"Invalid query parameter q={finder}", "ILLEGAL_ARGUMENT", 100)

    def _need(self, scopes: frozenset[str], what: str) -> None:
        if not scopes & self.scopes:
            raise RestliError(403, f"Not enough permissions to access: {what}", "ACCESS_DENIED", 100)

    def _organization_acls(self, request: Request) -> dict[str, Any]:
        organization = request.args.get("organization")
        if not organization:
            raise RestliError(400, "Missing required parameter organization", "ILLEGAL_ARGUMENT", 100)
        admin = any(r.get("roleAssignee") == self.member and r.get("role") == "ADMINISTRATOR"
                    and r.get("state") == "APPROVED" for r in self.acls)
        if organization != self.organization or not admin:
            raise RestliError(403, "Not enough permissions to access: organizationAcls.FINDER-organization",
                              "ACCESS_DENIED", 100)
        return self._page(request, self._filtered(request, self.acls))

    @staticmethod
    def _filtered(request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for key in ("role", "state"):
            if request.args.get(key):
                rows = [r for r in rows if r.get(key) == request.args[key]]
        return rows

    def _account_users(self, request: Request) -> dict[str, Any]:
        account = _first_urn(request.args.get("accounts", ""))
        users = self.ad_users.get(account)
        mine = [u for u in users or [] if u.get("user") == self.member]
        if users is None or not mine:
            raise RestliError(403, f"Not enough permissions to access: adAccountUsers.FINDER-accounts for {account}",
                              "ACCESS_DENIED", 100)
        rows = users if mine[0].get("role") in MANAGERS else mine
        if "count" not in request.args and "start" not in request.args:
            return {"elements": rows, "paging": {"count": UNPAGED_COUNT, "links": [], "start": 0,
                                                 "total": len(rows)}}
        return self._page(request, rows)

    # -- paging ------------------------------------------------------------------------------------------

    def _page(self, request: Request, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """One Rest.li page honouring ``start`` / ``count``, with next/prev links."""
        try:
            start = int(request.args.get("start", 0))
            count = int(request.args.get("count", self.default_count))
        except ValueError:
            raise RestliError(400, "start and count must be integers", "ILLEGAL_ARGUMENT", 100) from None
        if start < 0 or count < 0:
            raise RestliError(400, "start and count must not be negative", "ILLEGAL_ARGUMENT", 100)
        if count > self.max_count:
            raise RestliError(400, f"Specified count is larger than {self.max_count}", "ILLEGAL_ARGUMENT", 100)
        total = len(rows)
        end = min(start + count, total)
        links = []
        if end < total:
            links.append(self._link(request, "next", end, count))
        if start > 0:
            links.append(self._link(request, "prev", max(0, start - count), count))
        return {"elements": rows[start:end], "paging": {"start": start, "count": count, "total": total,
                                                        "links": links}}

    @staticmethod
    def _link(request: Request, rel: str, start: int, count: int) -> dict[str, str]:
        args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("start", "count")]
        args += [("start", str(start)), ("count", str(count))]
        return {"rel": rel, "type": "application/json", "href": f"{request.path}?{urlencode(args)}"}

    # -- answers -----------------------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, body: Any) -> Response:
        return json_response(status, body, {"X-RestLi-Protocol-Version": "2.0.0"})

    def _fault_response(self, fault: Fault, path: str) -> Response:
        kind = fault.kind
        if kind in ("429", "rate_limit"):
            return self._json(429, {"message": THROTTLED, "status": 429})
        if kind == "500":
            return self._json(500, {"message": "Internal Server Error", "status": 500})
        if kind == "503":
            return html_response()
        if kind == "malformed":
            return raw_json('{"elements": [{"roleAssignee": "urn:li:person:x" "role": }')
        if kind == "missing_data":
            return self._json(200, {"paging": {"start": 0, "count": 10, "links": []}})
        if kind == "401":
            return self._json(401, RestliError(401, "The token used in the request has expired",
                                               "EXPIRED_ACCESS_TOKEN", 65601).body())
        message = f"Not enough permissions to access: GET {path}"
        return self._json(403, RestliError(403, message, "ACCESS_DENIED", 100).body())


def create_emulator(data: dict[str, Any], token: str) -> tuple[LinkedInEmulator, str]:
    """The emulator serving ``data`` and accepting ``token``, and the path prefix of its base URL."""
    return LinkedInEmulator(data, token), PREFIX
