"""How the Google Ads REST API signals errors, quota and pages (docs/platforms/google_ads.md).

Errors are ``{"error": {"code", "message", "status", "details": [GoogleAdsFailure]}}`` where each failure
error carries an ``errorCode`` object such as ``{"quotaError": "RESOURCE_EXHAUSTED"}`` and, for quota
errors, ``details.quotaErrorDetails.retryDelay`` ("60s"). ``GoogleAdsHttp`` adds what the shared client
lacks for this API: a JSON request body (``googleAds:search`` is a POST) and fixed non-secret headers
(``login-customer-id``), both without touching the retry loop of ``HttpClient``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, HttpClient, default_error_info
from auditor.connectors.values import error_object

QUOTA_CODES = frozenset({"RESOURCE_EXHAUSTED", "RESOURCE_TEMPORARILY_EXHAUSTED"})
"""``quotaError`` values that mean "wait and retry"."""
ADWORDS_SCOPE = "https://www.googleapis.com/auth/adwords"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
MAX_PAGES = 10_000


def failures(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``errors`` of every GoogleAdsFailure in ``error.details``."""
    out: list[dict[str, Any]] = []
    for detail in error.get("details") or []:
        if isinstance(detail, dict):
            out += [e for e in detail.get("errors") or [] if isinstance(e, dict)]
    return out


def error_codes(errors: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(error type, value) pairs, e.g. ``("quotaError", "RESOURCE_EXHAUSTED")``."""
    pairs: list[tuple[str, str]] = []
    for item in errors:
        code = item.get("errorCode")
        if isinstance(code, dict):
            pairs += [(str(k), str(v)) for k, v in code.items()]
    return pairs


def parse_duration(value: Any) -> float | None:
    """Seconds of a protobuf Duration in JSON ("60s", "1.5s"); None when unreadable."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    return float(match.group(1)) if match else None


def is_rate_limited(response: httpx.Response) -> bool:
    """True for quota errors (``RESOURCE_EXHAUSTED`` status or quotaError codes), whatever the HTTP status."""
    error = error_object(response)
    if error.get("status") == "RESOURCE_EXHAUSTED":
        return True
    return any(kind == "quotaError" and value in QUOTA_CODES for kind, value in error_codes(failures(error)))


def retry_hint(response: httpx.Response) -> float | None:
    """The longest ``retryDelay`` of the quota error details (or of a google.rpc.RetryInfo detail)."""
    error = error_object(response)
    delays = []
    for item in failures(error):
        details = item.get("details")
        quota = details.get("quotaErrorDetails") if isinstance(details, dict) else None
        if isinstance(quota, dict):
            delays.append(parse_duration(quota.get("retryDelay")))
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delays.append(parse_duration(detail.get("retryDelay")))
    known = [d for d in delays if d is not None]
    return max(known) if known else None


def error_info(response: httpx.Response) -> ErrorInfo:
    """Google's message with its error codes, and whether it means a rejected credential or a permission."""
    error = error_object(response)
    if not error:
        return default_error_info(response)
    errors = failures(error)
    pairs = error_codes(errors)
    message = str(error.get("message") or response.reason_phrase)
    first = str(errors[0].get("message") or "") if errors else ""
    if first and first != message:
        message = f"{message} {first}"
    if pairs:
        message += " (" + ", ".join(f"{kind}={value}" for kind, value in pairs) + ")"
    status = str(error.get("status") or "")
    kinds = {kind for kind, _ in pairs}
    if response.status_code == 401 or status == "UNAUTHENTICATED" or "authenticationError" in kinds:
        return ErrorInfo(f"{message}; check the OAuth token (scope {ADWORDS_SCOPE}) and the developer token",
                         "auth")
    if response.status_code == 403 or status == "PERMISSION_DENIED" or "authorizationError" in kinds:
        return ErrorInfo(f"{message}; the token needs the OAuth scope {ADWORDS_SCOPE} and its Google user needs "
                         "access to the customer (set options.login_customer_id when it is reached through a "
                         "manager account)", "permission")
    return ErrorInfo(message)


class GoogleAdsHttp(HttpClient):
    """``HttpClient`` with fixed extra headers (developer token, login customer) and GAQL search paging."""

    def __init__(self, *args: Any, headers: Mapping[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._http.headers.update(dict(headers or {}))

    def search(self, customer_id: str, query: str) -> Iterator[list[dict[str, Any]]]:
        """Yield the ``results`` of each page of a GAQL query (``pageToken`` / ``nextPageToken``).

        An answer with neither ``results`` nor ``fieldMask`` is a truncated page (proto3 JSON leaves out an
        empty ``results``, never the field mask); a page token seen twice is a paging loop.
        """
        path = f"customers/{customer_id}/googleAds:search"
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            body = self.post_json(path, {"query": query, **({"pageToken": token} if token else {})})
            results = body.get("results") if isinstance(body, dict) else None
            if not isinstance(body, dict) or not (isinstance(results, list) or isinstance(body.get("fieldMask"), str)):
                raise self._error(f"truncated page from POST /{path}: no 'results' and no 'fieldMask'")
            yield [r for r in results or [] if isinstance(r, dict)]
            token = body.get("nextPageToken") or None
            if token is None:
                return
            if token in seen:
                raise self._error(f"paging loop at POST /{path}: the same page token twice")
            seen.add(token)
        raise self._error(f"paging did not end at POST /{path}: more than {MAX_PAGES} pages")
