"""How the Shopify Admin GraphQL API speaks (platform-apis.md section 7), for ``HttpClient``.

- One endpoint, ``POST /admin/api/{version}/graphql.json``, token in ``X-Shopify-Access-Token``. A rejected
  token is HTTP 401 with ``{"errors": "<text>"}``.
- GraphQL errors come as HTTP 200 with a top-level ``errors`` list whose items carry ``extensions.code``:
  ``ACCESS_DENIED`` (a missing scope; the field is null), ``THROTTLED`` (cost bucket empty; ``data`` absent),
  ``INTERNAL_SERVER_ERROR``, ``MAX_COST_EXCEEDED``, ``SHOP_INACTIVE``.
- Throttling is a leaky bucket of query cost: every answer carries ``extensions.cost.throttleStatus``
  (``maximumAvailable``, ``currentlyAvailable``, ``restoreRate``). ``GraphQL`` waits *before* a query whose
  cost exceeds what is available, and on a throttled answer (HTTP 200 ``THROTTLED`` or HTTP 429, both seen in
  the wild) waits ``(requestedQueryCost - currentlyAvailable) / restoreRate`` seconds and asks again.
- Connections page with ``first`` (1..250) / ``after`` and ``pageInfo {hasNextPage endCursor}``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from auditor.connectors.http import ErrorInfo, HttpClient, default_error_info
from auditor.errors import ConnectorError

log = logging.getLogger("auditor.connectors.shopify")

MAX_PAGE_SIZE = 250
MAX_THROTTLE_RETRIES = 5


class AccessDenied(ConnectorError):
    """A field was refused with ``ACCESS_DENIED`` (a missing access scope); ``field`` names it."""

    def __init__(self, platform: str, field: str, message: str):
        super().__init__(platform, message)
        self.field = field


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_info(response: httpx.Response) -> ErrorInfo:
    """Shopify's error text (``errors`` as a string or list of ``{message}``) and its kind."""
    body = _body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str) and errors:
        message = errors
    elif isinstance(errors, list) and errors and isinstance(errors[0], dict):
        message = str(errors[0].get("message") or "")
    else:
        return default_error_info(response)
    kind = "auth" if response.status_code == 401 else "permission" if response.status_code == 403 else None
    return ErrorInfo(message, kind)


def throttle_wait(body: Any, cost: float | None = None) -> float | None:
    """Seconds until ``cost`` points (default: the answer's ``requestedQueryCost``) are available again."""
    extensions = body.get("extensions") if isinstance(body, dict) else None
    cost_info = extensions.get("cost") if isinstance(extensions, dict) else None
    if not isinstance(cost_info, dict):
        return None
    status = cost_info.get("throttleStatus")
    wanted = cost if cost is not None else cost_info.get("requestedQueryCost")
    if not isinstance(status, dict) or not isinstance(wanted, int | float):
        return None
    available, rate = status.get("currentlyAvailable"), status.get("restoreRate")
    if not isinstance(available, int | float) or not isinstance(rate, int | float) or rate <= 0:
        return None
    return max(0.0, (wanted - available) / rate)


def retry_hint(response: httpx.Response) -> float | None:
    """The wait a throttled HTTP 429 answer implies (its body carries the same ``extensions.cost``)."""
    return throttle_wait(_body(response))


def _codes(errors: list[Any]) -> list[str]:
    return [str((e.get("extensions") or {}).get("code") or "") for e in errors if isinstance(e, dict)]


@dataclass(slots=True)
class _Bucket:
    """The last throttle status seen: what is available, how fast it refills, what the last query cost."""

    available: float | None = None
    rate: float | None = None


class GraphQL:
    """Sends queries through an ``HttpClient``, waits for the cost bucket, turns GraphQL errors into typed ones."""

    def __init__(self, client: HttpClient, path: str, *, sleep: Callable[[float], None], max_wait: float):
        self.client = client
        self.path = path
        self.sleep = sleep
        self.max_wait = max_wait
        self.served_version: str | None = None
        self._bucket = _Bucket()
        self._lock = threading.Lock()

    @property
    def platform(self) -> str:
        """The configured platform name."""
        return self.client.platform

    def _pause(self, seconds: float, why: str) -> None:
        seconds = min(seconds, self.max_wait)
        if seconds > 0:
            log.debug("%s: waiting %.2f s (%s)", self.platform, seconds, why)
            self.sleep(seconds)

    def _before(self, cost: float | None) -> None:
        """Wait until the bucket holds ``cost`` points, judged from the last answer (never let it run dry)."""
        with self._lock:
            available, rate = self._bucket.available, self._bucket.rate
        if cost is not None and available is not None and rate and available < cost:
            self._pause((cost - available) / rate, "query cost above what the bucket holds")

    def _after(self, body: Any) -> None:
        extensions = body.get("extensions") if isinstance(body, dict) else None
        cost_info = extensions.get("cost") if isinstance(extensions, dict) else None
        status = cost_info.get("throttleStatus") if isinstance(cost_info, dict) else None
        if isinstance(status, dict) and isinstance(status.get("currentlyAvailable"), int | float):
            rate = status.get("restoreRate")
            with self._lock:
                self._bucket.available = float(status["currentlyAvailable"])
                self._bucket.rate = float(rate) if isinstance(rate, int | float) and rate > 0 else None

    def query(self, text: str, variables: Mapping[str, Any] | None = None, *, cost: float | None = None) -> Any:
        """The ``data`` of one query; ``cost`` is its expected cost (waited for first).

        Raises ``AccessDenied`` when a field was refused (``data`` may hold the rest), ConnectorError for any
        other GraphQL error or an answer without ``data``.
        """
        for attempt in range(MAX_THROTTLE_RETRIES + 1):
            self._before(cost)
            response = self.client.request("POST", self.path, json={"query": text, "variables": dict(variables or {})})
            self.served_version = response.headers.get("X-Shopify-Api-Version") or self.served_version
            try:
                body = response.json()
            except ValueError:
                raise ConnectorError(self.platform, f"malformed JSON from POST /{self.path}") from None
            if not isinstance(body, dict):
                raise ConnectorError(self.platform, f"malformed answer from POST /{self.path}: not an object")
            self._after(body)
            errors = body.get("errors") if isinstance(body.get("errors"), list) else []
            codes = _codes(errors)
            if "THROTTLED" in codes:
                if attempt == MAX_THROTTLE_RETRIES:
                    break
                self._pause(throttle_wait(body) or 1.0, "throttled")
                continue
            return self._data(body, errors, codes)
        raise ConnectorError(self.platform, f"throttled after {MAX_THROTTLE_RETRIES + 1} attempts: POST /{self.path}",
                             retryable=True)

    def _data(self, body: dict[str, Any], errors: list[Any], codes: list[str]) -> Any:
        data = body.get("data")
        if "ACCESS_DENIED" in codes:
            first = errors[codes.index("ACCESS_DENIED")]
            path = first.get("path") if isinstance(first.get("path"), list) else []
            field = str(path[0]) if path else "query"
            raise AccessDenied(self.platform, field, f"access denied for {field}: {first.get('message') or ''}")
        if errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            code = f" ({codes[0]})" if codes and codes[0] else ""
            raise ConnectorError(self.platform, f"GraphQL error{code}: {first.get('message') or 'no message'}",
                                 retryable=bool(codes) and codes[0] == "INTERNAL_SERVER_ERROR")
        if not isinstance(data, dict):
            raise ConnectorError(self.platform, f"truncated answer from POST /{self.path}: no 'data' object")
        return data

    def nodes(self, text: str, field: str, page_size: int, variables: Mapping[str, Any] | None = None
              ) -> Iterator[list[Any]]:
        """Yield the ``nodes`` of each page of connection ``field`` (query ``text`` takes ``$first``/``$after``).

        A page without ``nodes``/``pageInfo`` is truncated, a cursor seen twice a paging loop: ConnectorError.
        """
        size = max(1, min(page_size, MAX_PAGE_SIZE))
        after: str | None = None
        seen: set[str] = set()
        cost: float | None = None
        while True:
            data = self.query(text, {**(variables or {}), "first": size, "after": after}, cost=cost)
            connection = data.get(field)
            nodes = connection.get("nodes") if isinstance(connection, dict) else None
            info = connection.get("pageInfo") if isinstance(connection, dict) else None
            if not isinstance(nodes, list) or not isinstance(info, dict):
                raise ConnectorError(self.platform, f"truncated page of {field}: no 'nodes' or 'pageInfo'")
            yield nodes
            cost = float(size + 2)
            after = info.get("endCursor")
            if info.get("hasNextPage") is not True or not isinstance(after, str) or not after:
                return
            if after in seen:
                raise ConnectorError(self.platform, f"paging loop in {field}: the same cursor twice")
            seen.add(after)
