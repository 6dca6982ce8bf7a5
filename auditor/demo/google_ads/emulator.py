"""An emulator of the Google Ads REST API (read side) serving one dict as WSGI (docs/platforms/google_ads.md).

It answers ``GET /vNN/customers:listAccessibleCustomers`` and ``POST /vNN/customers/{id}/googleAds:search``
with a small GAQL engine over four resources (``customer``, ``customer_user_access``,
``customer_user_access_invitation``, ``change_event``): SELECT fields of the FROM resource, WHERE conditions
joined by AND (``= != > >= < <= IN``), ORDER BY, LIMIT, and ``pageToken`` paging (``pageSize`` is refused
with PAGE_SIZE_NOT_SUPPORTED). Results are proto3 JSON: camelCase, int64 as strings, default values left
out, ``resourceName`` always present. ``passkey_enabled`` exists from v24 on. ``change_event`` enforces a
finite date range, a LIMIT of at most 10,000 and a start at most 30 days back. Date-times are served in the
customer's time zone. Errors use Google's JSON with a GoogleAdsFailure detail.

Auth: ``Authorization: Bearer <token>``, a ``developer-token`` (any non-empty value unless
``data["developer_token"]`` pins one), and ``login-customer-id`` = ``data["manager_id"]`` for customers with
``via_manager``. Data: ``now`` (ISO, the emulator clock), ``manager_id``, ``accessible`` (customer ids),
``customers`` (id -> descriptive_name, time_zone, manager, via_manager, users, invitations, change_events;
times in UTC ISO). Faults: "429"/"rate_limit" answer RESOURCE_EXHAUSTED /
RESOURCE_TEMPORARILY_EXHAUSTED with ``retryDelay`` = ``fault.retry_after``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.wrappers import Request, Response

from auditor.demo.faults import Fault, FaultPlan
from auditor.demo.wsgi import Emulator, answer, json_response, raw_json

VERSION = 25
_VERSION = re.compile(r"^/v(\d+)(?=/)")
_SEARCH = re.compile(r"^/customers/(\d+)/googleAds:(search|searchStream)$")
_QUERY = re.compile(r"^\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<resource>\w+)(?:\s+WHERE\s+(?P<where>.+?))?"
                    r"(?:\s+ORDER\s+BY\s+(?P<order>.+?))?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$", re.I | re.S)
_COND = re.compile(r"\s*(?P<field>[a-z_]+\.[a-z_]+)\s*(?P<op>>=|<=|!=|=|>|<|NOT\s+IN|IN)\s*"
                   r"(?P<value>'[^']*'|\"[^\"]*\"|\([^)]*\)|[^\s()']+)\s*(?:AND\b|$)", re.I)
FIELDS: dict[str, tuple[str, ...]] = {
    "customer": ("resource_name", "id", "descriptive_name", "manager", "time_zone", "currency_code",
                 "test_account"),
    "customer_user_access": ("resource_name", "user_id", "email_address", "access_role",
                             "access_creation_date_time", "inviter_user_email_address",
                             "pending_multi_party_auth_review", "passkey_enabled"),
    "customer_user_access_invitation": ("resource_name", "invitation_id", "access_role", "email_address",
                                        "creation_date_time", "invitation_status"),
    "customer_client": ("resource_name", "client_customer", "level", "manager", "descriptive_name", "currency_code",
                        "time_zone", "id", "hidden", "status", "test_account"),
    "change_event": ("resource_name", "change_date_time", "change_resource_name", "user_email", "client_type",
                     "change_resource_type", "old_resource", "new_resource", "resource_change_operation",
                     "changed_fields", "campaign", "ad_group", "asset"),
}
BODY_FIELDS = frozenset({"query", "pageToken", "pageSize", "validateOnly", "searchSettings", "summaryRowSetting"})
STREAM_FIELDS = frozenset({"query", "summaryRowSetting"})
CHANGE_EVENT_MAX_LIMIT = 10_000
CHANGE_EVENT_DAYS = 30
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
_MESSAGES = {400: "Request contains an invalid argument.", 403: "The caller does not have permission",
             401: "Request is missing required authentication credential. Expected OAuth 2 access token, login "
                  "cookie or other valid authentication credential.",
             429: "Resource has been exhausted (e.g. check quota).", 500: "Internal error encountered.",
             503: "The service is currently unavailable.", 404: "Requested entity was not found."}
_NO_MANAGER = ("User doesn't have permission to access customer. Note: If you're accessing a client customer, the "
               "manager's customer id must be set in the 'login-customer-id' header.")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request: method, path without the version, the GAQL query (searches), the page token sent and
    the ``login-customer-id`` header."""

    method: str
    path: str
    query: str | None = None
    page_token: str | None = None
    login_customer_id: str | None = None


class AdsError(Exception):
    """An error answer: HTTP status, GoogleAdsFailure error type and code, and the detail message."""

    def __init__(self, status: int, error_type: str, code: str, message: str, **details: Any):
        super().__init__(message)
        self.status, self.error_type, self.code, self.message, self.details = status, error_type, code, message, details


def camel(name: str) -> str:
    """``customer_user_access`` -> ``customerUserAccess``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _literal(text: str) -> Any:
    if text[:1] in "'\"":
        return text[1:-1]
    if text.startswith("("):
        return [_literal(part.strip()) for part in text[1:-1].split(",") if part.strip()]
    return text


def _query_error(code: str, message: str) -> AdsError:
    return AdsError(400, "queryError", code, message)


def parse_query(text: str, version: int) -> dict[str, Any]:
    """Parse the supported GAQL subset into resource, fields, conditions, order and limit."""
    match = _QUERY.match(text or "")
    if not match:
        raise _query_error("QUERY_ERROR", f"Error in query: unexpected input {text[:40]!r}.")
    resource = match["resource"].lower()
    if resource not in FIELDS:
        raise _query_error("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE", f"Error in FROM clause: invalid resource {resource!r}.")
    known = {f"{resource}.{f}" for f in FIELDS[resource]}
    if version < 24:
        known.discard("customer_user_access.passkey_enabled")

    def check(field: str) -> str:
        field = field.strip().lower()
        if field not in known:
            raise _query_error("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: {field!r}.")
        return field

    fields = [check(f) for f in match["select"].split(",")]
    conditions, where = [], match["where"] or ""
    position = 0
    while position < len(where):
        cond = _COND.match(where, position)
        if not cond or cond.end() == position:
            raise _query_error("QUERY_ERROR", f"Error in WHERE clause near {where[position:position + 30]!r}.")
        conditions.append((check(cond["field"]), re.sub(r"\s+", " ", cond["op"].upper()), _literal(cond["value"])))
        position = cond.end()
    order = []
    for part in (match["order"] or "").split(","):
        if part.strip():
            name, _, direction = part.strip().partition(" ")
            order.append((check(name), direction.strip().upper() == "DESC"))
    limit = int(match["limit"]) if match["limit"] else None
    return {"resource": resource, "fields": fields, "where": conditions, "order": order, "limit": limit}


def _matches(value: Any, op: str, literal: Any, parse: Callable[[Any], Any]) -> bool:
    if op in ("IN", "NOT IN"):
        found = str(value) in [str(x) for x in (literal if isinstance(literal, list) else [literal])]
        return found != (op == "NOT IN")
    if value is None:
        return False
    if isinstance(value, bool):
        value, literal = str(value).upper(), str(literal).upper()
    left, right = parse(value), parse(literal)
    return {"=": left == right, "!=": left != right, ">": left > right, ">=": left >= right,
            "<": left < right, "<=": left <= right}[op]


class GoogleAdsEmulator(Emulator):
    """A WSGI app emulating the Google Ads API for the customers in ``data``."""

    def __init__(self, data: Mapping[str, Any], token: str, *, faults: FaultPlan | None = None,
                 page_size: int = 10_000):
        super().__init__(data, token, faults)
        self.page_size = page_size
        self.customers: dict[str, dict[str, Any]] = dict(data.get("customers") or {})
        self._ids = itertools.count(1)

    def now(self) -> datetime:
        """The emulator's clock: ``data["now"]`` when given, else the current time."""
        value = self.data.get("now")
        return datetime.fromisoformat(value).astimezone(UTC) if value else datetime.now(UTC)

    def handle(self, request: Request) -> Response:
        """Answer one request (faults first, then auth, then routing)."""
        match = _VERSION.match(request.path)
        version = int(match.group(1)) if match else VERSION
        path = request.path[match.end():] if match else request.path
        body = request.get_json(silent=True) if request.method == "POST" else None
        body = body if isinstance(body, dict) else {}
        with self._lock:
            self.requests.append(RecordedRequest(request.method, path, body.get("query"), body.get("pageToken"),
                                                 request.headers.get("login-customer-id")))
        return answer(self.faults, path, self._fault_response, lambda: self._serve(request, path, body, version))

    def _serve(self, request: Request, path: str, body: dict[str, Any], version: int) -> Response:
        try:
            self._authenticate(request)
            return self._json(200, self._route(request, path, body, version))
        except AdsError as exc:
            return self._error(exc)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.lower().startswith("bearer ") or header[7:].strip() != self.token:
            raise AdsError(401, "authenticationError", "OAUTH_TOKEN_INVALID" if header else "NOT_ADS_USER",
                           "Authentication of the request failed." if header else _MESSAGES[401])
        developer = request.headers.get("developer-token")
        if not developer:
            raise AdsError(400, "requestError", "DEVELOPER_TOKEN_PARAMETER_MISSING",
                           "Developer token is missing from the request header.")
        pinned = self.data.get("developer_token")
        if pinned and developer != pinned:
            raise AdsError(401, "authenticationError", "DEVELOPER_TOKEN_INVALID", "The developer token is invalid.")

    def _route(self, request: Request, path: str, body: dict[str, Any], version: int) -> Any:
        if path == "/customers:listAccessibleCustomers" and request.method == "GET":
            return {"resourceNames": [f"customers/{c}" for c in self.data.get("accessible") or []]}
        match = _SEARCH.match(path)
        if not match or request.method != "POST":
            raise AdsError(404, "requestError", "UNKNOWN", f"No route for {request.method} {path}.")
        cid, method = match.group(1), match.group(2)
        customer = self.customers.get(cid)
        if customer is None or not self._reachable(cid, request.headers.get("login-customer-id")):
            raise AdsError(403, "authorizationError", "USER_PERMISSION_DENIED", _NO_MANAGER)
        unknown = sorted(set(body) - (STREAM_FIELDS if method == "searchStream" else BODY_FIELDS))
        if unknown:  # proto3 JSON parsing: an unknown field is a plain INVALID_ARGUMENT, no GoogleAdsFailure
            raise AdsError(400, "", "", f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find '
                                        "field.")
        if "pageSize" in body:
            raise AdsError(400, "requestError", "PAGE_SIZE_NOT_SUPPORTED", "Setting the page size is not "
                                                                             "supported.")
        query = parse_query(str(body.get("query") or ""), version)
        rows = self._select(cid, customer, query)
        if method == "searchStream":
            return [self._page(rows, query, cid, None, False, page_size=max(1, len(rows)))]
        settings = body.get("searchSettings") if isinstance(body.get("searchSettings"), dict) else {}
        return self._page(rows, query, cid + str(body.get("query")), body.get("pageToken"),
                          bool(settings.get("returnTotalResultsCount")))

    def _parent(self, cid: str) -> str | None:
        customer = self.customers.get(cid) or {}
        if customer.get("parent"):
            return str(customer["parent"])
        return str(self.data.get("manager_id")) if customer.get("via_manager") else None

    def _chain(self, cid: str) -> list[str]:
        """The customer and its managers up the hierarchy, nearest first."""
        chain: list[str] = []
        current: str | None = cid
        while current and current not in chain:
            chain.append(current)
            current = self._parent(current)
        return chain

    def _reachable(self, cid: str, login: str | None) -> bool:
        """Served when reached directly (no login-customer-id, or itself) or through a directly accessible
        manager named by login-customer-id that is one of its ancestors."""
        direct = not (self.customers.get(cid) or {}).get("via_manager")
        if login in (None, cid):
            return direct
        manager = self.customers.get(login) or {}
        return login in self._chain(cid) and bool(manager.get("manager")) and not manager.get("via_manager")

    # -- GAQL -------------------------------------------------------------------------------------------------

    def _zone(self, customer: Mapping[str, Any]) -> ZoneInfo:
        return ZoneInfo(str(customer.get("time_zone") or "UTC"))

    def _local(self, value: Any, customer: Mapping[str, Any], micros: bool = False) -> str | None:
        if not value:
            return None
        moment = datetime.fromisoformat(str(value)).astimezone(self._zone(customer))
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f" if micros else "%Y-%m-%d %H:%M:%S")

    def _clients(self, cid: str) -> list[dict[str, Any]]:
        """customer_client rows of a manager: itself (level 0) and every direct and indirect client."""
        customer = self.customers[cid]
        if not customer.get("manager") or customer.get("test_account"):
            return []  # only managers have clients; a test manager's are not readable
        rows = []
        for other in self.customers:
            chain = self._chain(other)
            if cid in chain:
                info = self.customers[other]
                rows.append({"resource_name": f"customers/{cid}/customerClients/{other}",
                             "client_customer": f"customers/{other}", "level": str(chain.index(cid)),
                             "id": other, "status": info.get("status") or "ENABLED",
                             **{k: info.get(k) for k in ("manager", "descriptive_name", "currency_code",
                                                         "time_zone", "hidden", "test_account")}})
        return sorted(rows, key=lambda r: (int(r["level"]), r["id"]))

    def _rows(self, cid: str, customer: Mapping[str, Any], resource: str) -> list[dict[str, Any]]:
        base = f"customers/{cid}"
        if resource == "customer_client":
            return self._clients(cid)
        if resource == "customer":
            return [{"resource_name": base, "id": cid, **{k: customer.get(k) for k in FIELDS["customer"][2:]}}]
        if resource == "customer_user_access":
            return [{**u, "resource_name": f"{base}/customerUserAccesses/{u['user_id']}",
                     "access_creation_date_time": self._local(u.get("access_creation_date_time"), customer)}
                    for u in customer.get("users") or []]
        if resource == "customer_user_access_invitation":
            return [{**i, "resource_name": f"{base}/customerUserAccessInvitations/{i['invitation_id']}",
                     "creation_date_time": self._local(i.get("creation_date_time"), customer)}
                    for i in customer.get("invitations") or []]
        rows = []
        for index, event in enumerate(customer.get("change_events") or []):
            micros = int(datetime.fromisoformat(event["change_date_time"]).timestamp() * 1_000_000)
            rows.append({**event, "resource_name": f"{base}/changeEvents/{micros}~{index}~0",
                         "change_date_time": self._local(event["change_date_time"], customer, micros=True)})
        return rows

    def _select(self, cid: str, customer: Mapping[str, Any], query: dict[str, Any]) -> list[dict[str, Any]]:
        resource = query["resource"]
        zone = self._zone(customer)

        def parse(value: Any) -> Any:  # date-times compare as times, everything else as text
            text = str(value)
            if re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d:\d\d(\.\d+)?)?", text):
                return datetime.fromisoformat(text).replace(tzinfo=zone)
            return text

        if resource == "change_event":
            self._check_change_query(query, parse)
        rows = [{f"{resource}.{k}": v for k, v in row.items()} for row in self._rows(cid, customer, resource)]
        rows = [r for r in rows if all(_matches(r.get(f), op, lit, parse) for f, op, lit in query["where"])]
        for field, descending in reversed(query["order"]):
            rows.sort(key=lambda r, f=field: (r.get(f) is None, parse(r.get(f) or "")), reverse=descending)
        return rows[: query["limit"]] if query["limit"] is not None else rows

    def _check_change_query(self, query: dict[str, Any], parse: Callable[[Any], Any]) -> None:
        bounds = {op: lit for f, op, lit in query["where"] if f == "change_event.change_date_time"}
        lower, upper = bounds.get(">=", bounds.get(">")), bounds.get("<=", bounds.get("<"))
        if lower is None or upper is None:
            raise AdsError(400, "changeEventError", "CHANGE_DATE_RANGE_INFINITE",
                           "A finite change_event.change_date_time range is required.")
        if parse(lower) > parse(upper):
            raise AdsError(400, "changeEventError", "CHANGE_DATE_RANGE_NEGATIVE",
                           "The change_event.change_date_time range ends before it starts.")
        if query["limit"] is None:
            raise AdsError(400, "changeEventError", "LIMIT_NOT_SPECIFIED", "A LIMIT is required for change_event.")
        if query["limit"] > CHANGE_EVENT_MAX_LIMIT:
            raise AdsError(400, "changeEventError", "INVALID_LIMIT_CLAUSE",
                           f"The LIMIT must be at most {CHANGE_EVENT_MAX_LIMIT}.")
        if parse(lower) < self.now() - timedelta(days=CHANGE_EVENT_DAYS):
            raise AdsError(400, "changeEventError", "START_DATE_TOO_OLD",
                           f"The start date must be within the last {CHANGE_EVENT_DAYS} days.")

    def _page(self, rows: list[dict[str, Any]], query: dict[str, Any], text: str, token: Any,
              total: bool, page_size: int | None = None) -> dict[str, Any]:
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        start = 0
        if token:
            try:
                key, offset = json.loads(base64.urlsafe_b64decode(str(token).encode()))
                if key != digest:
                    raise ValueError(token)
                start = int(offset)
            except (ValueError, TypeError):
                raise AdsError(400, "requestError", "INVALID_PAGE_TOKEN", "Page token is invalid.") from None
        end = start + (page_size or self.page_size)
        answer: dict[str, Any] = {"fieldMask": ",".join(".".join(camel(p) for p in f.split(".")) for f in
                                                         query["fields"]),
                                  "requestId": self._request_id()}
        results = [self._project(row, query) for row in rows[start:end]]
        if results:
            answer["results"] = results
        if end < len(rows):
            answer["nextPageToken"] = base64.urlsafe_b64encode(json.dumps([digest, end]).encode()).decode()
        if total:
            answer["totalResultsCount"] = str(len(rows))
        return answer

    @staticmethod
    def _project(row: Mapping[str, Any], query: dict[str, Any]) -> dict[str, Any]:
        """proto3 JSON: camelCase, default values (None, False, "", []) left out, resourceName always."""
        resource = query["resource"]
        inner: dict[str, Any] = {"resourceName": row[f"{resource}.resource_name"]}
        for field in query["fields"]:
            value = row.get(field)
            if value not in (None, False, "", []):
                inner[camel(field.split(".", 1)[1])] = value
        return {camel(resource): inner}

    # -- answers ---------------------------------------------------------------------------------------------

    def _request_id(self) -> str:
        return f"sandbox{next(self._ids):016d}"

    def _json(self, status: int, body: Any) -> Response:
        return json_response(status, body, ensure_ascii=False)

    def _error(self, exc: AdsError) -> Response:
        if not exc.error_type:
            return self._json(exc.status, {"error": {"code": exc.status, "message": exc.message,
                                                     "status": _STATUS[exc.status]}})
        failure: dict[str, Any] = {"errorCode": {exc.error_type: exc.code}, "message": exc.message}
        if exc.details:
            failure["details"] = exc.details
        detail = {"@type": f"type.googleapis.com/google.ads.googleads.v{VERSION}.errors.GoogleAdsFailure",
                  "errors": [failure], "requestId": self._request_id()}
        return self._json(exc.status, {"error": {"code": exc.status, "message": _MESSAGES[exc.status],
                                                 "status": _STATUS[exc.status], "details": [detail]}})

    def _fault_response(self, fault: Fault) -> Response:
        kind = fault.kind
        if kind in ("429", "rate_limit"):
            code = "RESOURCE_EXHAUSTED" if kind == "429" else "RESOURCE_TEMPORARILY_EXHAUSTED"
            quota = {"rateScope": "DEVELOPER", "rateName": "Number of operations for basic access",
                     "retryDelay": f"{fault.retry_after:g}s"}
            return self._error(AdsError(429, "quotaError", code, "Too many requests. Retry in "
                                        f"{fault.retry_after:g} seconds.", quotaErrorDetails=quota))
        if kind in ("500", "503"):
            return self._json(int(kind), {"error": {"code": int(kind), "message": _MESSAGES[int(kind)],
                                                    "status": _STATUS[int(kind)]}})
        if kind == "malformed":
            return raw_json('{"results": [{"customerUserAccess": {"userId": "1"')
        if kind == "missing_data":
            return self._json(200, {"requestId": self._request_id()})
        if kind == "401":
            return self._error(AdsError(401, "authenticationError", "OAUTH_TOKEN_EXPIRED",
                                        "The OAuth access token has expired."))
        return self._error(AdsError(403, "authorizationError", "USER_PERMISSION_DENIED", _NO_MANAGER))


def create_emulator(data: dict[str, Any], token: str) -> tuple[GoogleAdsEmulator, str]:
    """The emulator serving ``data`` for ``token``, and the path prefix of its base URL."""
    return GoogleAdsEmulator(data, token), f"/v{VERSION}"
