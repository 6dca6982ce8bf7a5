"""An emulator of the WordPress REST API (users and application passwords) of a WooCommerce site, as WSGI.

It serves, under ``/wp-json``, what auditor/connectors/woocommerce/contract.yaml describes, and refuses what it
says WordPress refuses:

- HTTP Basic with ``username:application-password`` (a wrong one: 401 ``incorrect_password``; none: the
  request is anonymous);
- ``GET /wp/v2/users``: ``per_page`` 1..100 (default 10), ``page``, headers ``X-WP-Total`` /
  ``X-WP-TotalPages``; ``context=edit`` (and ``roles`` / ``capabilities`` / ``orderby=email|registered_date``)
  need ``list_users`` (401 anonymous, 403 logged in); WITHOUT ``list_users`` a plain list silently holds only
  users with published posts;
- ``GET /wp/v2/users/{id}/application-passwords``: needs ``edit_user`` on that user (here: ``edit_users``, or
  the caller's own id); 501 when application passwords are disabled (site-wide, or for that user); 404 for an
  unknown user;
- no route lists WooCommerce REST API keys: anything else is 404 ``rest_no_route``.

Data: ``{"site": {"name", "url"}, "users": [{"id", "username", "password", "name", "email", "roles",
"capabilities", "registered_date", "has_published_posts", "application_passwords": [...],
"application_passwords_disabled"}], "application_passwords_disabled": false}``; the caller is the user whose
``username`` and one application password's ``password`` match. Errors are ``{"code", "message", "data":
{"status"}}``. A ``FaultPlan`` can make chosen requests fail; ``requests`` records each one (never the token).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.wsgi import Emulator, answer, html_response, json_response, raw_json

PREFIX = "/wp-json"
MAX_PER_PAGE = 100
PUBLIC_FIELDS = ("id", "name", "url", "description", "link", "slug", "avatar_urls", "meta")
EDIT_FIELDS = ("id", "username", "name", "first_name", "last_name", "email", "url", "description", "link",
               "locale", "nickname", "slug", "registered_date", "roles", "capabilities", "extra_capabilities",
               "avatar_urls", "meta")
PASSWORD_FIELDS = ("uuid", "app_id", "name", "created", "last_used", "last_ip")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the emulator saw it (path without ``/wp-json``)."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    authenticated: bool = False


class WPError(Exception):
    """An error answer in WordPress's ``{code, message, data: {status}}`` shape."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class WordPressEmulator(Emulator):
    """A WSGI app emulating a WordPress site's users API; ``token`` (``username:password``) signs in."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None):
        super().__init__(data, token, faults)
        self.users = {str(u["id"]): u for u in data.get("users") or [] if isinstance(u, dict) and "id" in u}

    def handle(self, request: Request) -> Response:
        """Answer one request: faults first, then authentication, then routing."""
        path = request.path[len(PREFIX):] if request.path.startswith(PREFIX) else request.path
        return answer(self.faults, path, self._fault_response, lambda: self._serve(request, path))

    def _serve(self, request: Request, path: str) -> Response:
        try:
            caller = self._caller(request)
            with self._lock:
                self.requests.append(RecordedRequest(request.method, path, dict(request.args.items()),
                                                     caller is not None))
            if not request.path.startswith(PREFIX):
                raise WPError(404, "rest_no_route", "No route was found matching the URL and request method.")
            body, headers = self._route(request, [p for p in path.split("/") if p], caller)
            return json_response(200, body, headers)
        except WPError as exc:
            return json_response(exc.status, {"code": exc.code, "message": exc.message,
                                              "data": {"status": exc.status}})

    # -- auth ------------------------------------------------------------------------------------------------

    def _caller(self, request: Request) -> dict[str, Any] | None:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        if header[:6].lower() != "basic ":
            raise WPError(401, "rest_not_logged_in", "You are not currently logged in.")
        try:
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise WPError(401, "rest_not_logged_in", "You are not currently logged in.") from None
        if f"{username}:{password}" != self.token:
            raise WPError(401, "incorrect_password", "The provided password is an invalid application password.")
        user = next((u for u in self.users.values() if u.get("username") == username), None)
        if user is None:
            raise WPError(401, "invalid_username", "Unknown username. Check again or try your email address.")
        return user

    @staticmethod
    def _can(caller: dict[str, Any] | None, capability: str) -> bool:
        return caller is not None and bool((caller.get("capabilities") or {}).get(capability))

    @staticmethod
    def _denied(caller: dict[str, Any] | None, code: str, message: str) -> WPError:
        return WPError(401 if caller is None else 403, code, message)

    # -- routing ---------------------------------------------------------------------------------------------

    def _route(self, request: Request, parts: list[str], caller: dict[str, Any] | None) -> tuple[Any, dict[str, str]]:
        if request.method == "GET" and parts == ["wp", "v2", "users"]:
            return self._users(request, caller)
        if request.method == "GET" and len(parts) == 5 and parts[:3] == ["wp", "v2", "users"] \
                and parts[4] == "application-passwords":
            return self._passwords(parts[3], caller), {}
        raise WPError(404, "rest_no_route", "No route was found matching the URL and request method.")

    def _users(self, request: Request, caller: dict[str, Any] | None) -> tuple[Any, dict[str, str]]:
        args = request.args
        edit = args.get("context", "view") == "edit"
        listing = self._can(caller, "list_users")
        if edit and not listing:
            raise self._denied(caller, "rest_forbidden_context", "Sorry, you are not allowed to list users.")
        if (args.get("roles") or args.get("capabilities")) and not listing:
            raise self._denied(caller, "rest_user_cannot_view", "Sorry, you are not allowed to filter users by role.")
        if args.get("orderby") in ("email", "registered_date") and not listing:
            raise self._denied(caller, "rest_forbidden_orderby", "Sorry, you are not allowed to order users by this "
                                                                 "parameter.")
        try:
            per_page, page = int(args.get("per_page", 10)), int(args.get("page", 1))
        except ValueError:
            raise WPError(400, "rest_invalid_param", "Invalid parameter(s): per_page, page") from None
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise WPError(400, "rest_invalid_param", f"Invalid parameter(s): per_page (per_page must be between 1 "
                                                     f"({MAX_PER_PAGE}) and {MAX_PER_PAGE})")
        if page < 1:
            raise WPError(400, "rest_invalid_param", "Invalid parameter(s): page")
        users = list(self.users.values())
        if not listing:  # the silent partial list: only authors with published posts
            users = [u for u in users if u.get("has_published_posts")]
        if args.get("orderby") == "id":
            users.sort(key=lambda u: int(u["id"]))
        total = len(users)
        pages = max(1, math.ceil(total / per_page)) if total else 0
        if page > max(pages, 1):
            raise WPError(400, "rest_user_invalid_page_number", "The page number requested is larger than the "
                                                                "number of pages available.")
        fields = EDIT_FIELDS if edit else PUBLIC_FIELDS
        items = [{k: u[k] for k in fields if k in u} for u in users[(page - 1) * per_page: page * per_page]]
        return items, {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}

    def _passwords(self, user_id: str, caller: dict[str, Any] | None) -> list[dict[str, Any]]:
        user = self.users.get(user_id)
        if user is None:
            raise WPError(404, "rest_user_invalid_id", "Invalid user ID.")
        if caller is None or not (self._can(caller, "edit_users") or str(caller["id"]) == user_id):
            raise self._denied(caller, "rest_cannot_list_application_passwords",
                               "Sorry, you are not allowed to list application passwords for this user.")
        if self.data.get("application_passwords_disabled"):
            raise WPError(501, "application_passwords_disabled", "Application passwords are not available.")
        if user.get("application_passwords_disabled"):
            raise WPError(501, "application_passwords_disabled_for_user",
                          "Application passwords are not available for your account.")
        return [{k: p.get(k) for k in PASSWORD_FIELDS} for p in user.get("application_passwords") or []]

    # -- answers ---------------------------------------------------------------------------------------------

    def _fault_response(self, fault: Fault) -> Response:
        kind = fault.kind
        if kind in ("429", "rate_limit"):
            response = json_response(429, {"code": "too_many_requests", "message": "Too many requests.",
                                        "data": {"status": 429}})
            response.headers["Retry-After"] = str(int(fault.retry_after))
            return response
        if kind == "500":
            return json_response(500, {"code": "internal_server_error", "message": "There has been a critical error "
                                    "on this website.", "data": {"status": 500}})
        if kind == "503":
            return html_response()
        if kind == "malformed":
            return raw_json('[{"id": 1, "username": ')
        if kind == "missing_data":
            return json_response(200, {"items": []})
        if kind == "401":
            return json_response(401, {"code": "incorrect_password", "message": "The provided password is an invalid "
                                    "application password.", "data": {"status": 401}})
        return json_response(403, {"code": "rest_cannot_list_application_passwords", "message": "Sorry, you are not "
                                "allowed to list application passwords for this user.", "data": {"status": 403}})


def create_emulator(data: dict[str, Any], token: str) -> tuple[WordPressEmulator, str]:
    """The emulator serving ``data`` and accepting ``token``, and the path prefix of its base URL."""
    return WordPressEmulator(data, token), PREFIX
