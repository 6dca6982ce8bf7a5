"""An emulator of the Google Tag Manager API v2 user permissions (read side) for one account, as WSGI.

Serves ``GET /tagmanager/v2/accounts/{id}/user_permissions`` (paged with ``pageToken``; the API takes no page
size) and ``.../user_permissions/{id}``, and refuses what auditor/connectors/gtm/contract.yaml's constraints
refuse: a token without scope ``tagmanager.manage.users`` (403 insufficient scopes, ``tagmanager.readonly`` is
not enough), query parameters the method does not declare (400), a page token replayed with other parameters,
and the API v1 paths (404). Errors are Google's ``{"error": {"code", "message", "status"}}``.

Data: ``{"account": {"accountId", "name"}, "user_permissions": [UserPermission...], "token_scopes": [...]}``.
A ``FaultPlan`` can make chosen requests fail; every request is recorded in ``requests``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.faults import FaultPlan
from auditor.demo.gtm.google import (
    INSUFFICIENT_SCOPES,
    GoogleError,
    error_response,
    fault_response,
    page,
)
from auditor.demo.wsgi import Emulator, answer, json_response

PREFIX = "/tagmanager/v2"
SCOPE = "https://www.googleapis.com/auth/tagmanager.manage.users"
STANDARD_PARAMS = frozenset({"$.xgafv", "access_token", "alt", "callback", "fields", "key", "oauth_token",
                             "prettyPrint", "quotaUser", "uploadType", "upload_protocol"})
"""The discovery document's global parameters, accepted on every method."""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it (path without the prefix; the token is never recorded)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)


class GtmEmulator(Emulator):
    """A WSGI app emulating Tag Manager's user permissions for one account; ``token`` is the only one accepted."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None, page_size: int = 20):
        super().__init__(data, token, faults)
        self.page_size = page_size
        self.account_id = str(data["account"]["accountId"])
        self.scopes = frozenset(data.get("token_scopes") or (SCOPE,))

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then auth, then routing."""
        inside = request.path.startswith(PREFIX + "/")
        path = request.path[len(PREFIX):] if inside else request.path
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, dict(request.args.items())))
        return answer(self.faults, path, fault_response, lambda: self._serve(request, path, inside))

    def _serve(self, request: Request, path: str, inside: bool) -> Response:
        try:
            if not inside:
                raise GoogleError(404, f"Method not found: {request.path}")
            self._authenticate(request)
            return json_response(200, self._route(request, [p for p in path.split("/") if p]))
        except GoogleError as exc:
            return error_response(exc.code, exc.message)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if header[:7].lower() != "bearer " or header[7:].strip() != self.token:
            raise GoogleError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.")
        if SCOPE not in self.scopes:
            raise GoogleError(403, INSUFFICIENT_SCOPES)

    def _route(self, request: Request, parts: list[str]) -> dict[str, Any]:
        if request.method != "GET":
            raise GoogleError(405, "Method not allowed.")
        if len(parts) < 3 or parts[0] != "accounts" or parts[2] != "user_permissions" or len(parts) > 4:
            raise GoogleError(404, "Not found.")
        if parts[1] != self.account_id:
            raise GoogleError(403, "The caller does not have permission")
        allowed = STANDARD_PARAMS | ({"pageToken"} if len(parts) == 3 else set())
        unknown = sorted(set(request.args) - allowed)
        if unknown:
            raise GoogleError(400, f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot bind query '
                                   "parameter. Field '" + unknown[0] + "' could not be found in request message.")
        items = list(self.data.get("user_permissions") or [])
        if len(parts) == 4:
            wanted = f"accounts/{self.account_id}/user_permissions/{parts[3]}"
            found = next((item for item in items if item.get("path") == wanted), None)
            if found is None:
                raise GoogleError(404, "Not found.")
            return dict(found)
        return page(items, "userPermission", dict(request.args.items()), self.page_size)


def create_emulator(data: dict[str, Any], token: str) -> tuple[GtmEmulator, str]:
    """The emulator serving ``data`` and accepting ``token``, and the path prefix of its base URL."""
    return GtmEmulator(data, token), PREFIX
