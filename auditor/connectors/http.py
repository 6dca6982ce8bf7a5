"""The shared HTTP client of all connectors: timeouts, retries with backoff, paging, token redaction.

One ``HttpClient`` wraps one ``httpx.Client`` (use it as a context manager), or sends through the connection
pool of another ``HttpClient`` (``share``: clients of several tokens of one run, e.g. Meta's Page tokens, then
reuse the same connections instead of opening, and TLS-negotiating, their own). It retries on HTTP 429, on
5xx, on timeouts and connection errors, and on a platform-specific "rate limited" predicate (Meta answers
its rate limits with HTTP 400 and an error code). Waits grow exponentially with jitter, honour
``Retry-After`` and a platform hint (e.g. Meta's ``estimated_time_to_regain_access``), and are capped by
``max_wait``. Every failure becomes a ``ConnectorError`` whose message names the platform, the kind of
failure and the request (method and path, never the query string).

The token never reaches a log line or an exception message: logs carry method, path, status and attempt
only, and every message passes through ``redact`` (known secrets, ``access_token=``-style query
parameters and ``Authorization`` values). httpx itself logs full URLs (with query strings) at INFO, so a
redacting filter is attached to the ``httpx``/``httpcore`` loggers when the first client is created.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from auditor.errors import ConnectorError
from auditor.metrics import record_rate_limit_wait

log = logging.getLogger("auditor.http")

_SECRET_PARAMS = ("access_token", "input_token", "appsecret_proof", "client_secret", "refresh_token", "code")
_PARAM_RE = re.compile(r"(?i)\b(" + "|".join(_SECRET_PARAMS) + r")=[^&\s\"']*")
_AUTH_RE = re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(bearer\s+|basic\s+|oauth\s+)?[^\s,\"'}]+")
_BEARER_RE = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
REDACTED = "[redacted]"


class _RedactingFilter(logging.Filter):
    """Rewrites log records of third-party HTTP libraries (httpx logs full URLs at INFO) without secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's problem, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_LOG_FILTER = _RedactingFilter()


def install_log_redaction() -> None:
    """Attach the redacting filter to the ``httpx`` and ``httpcore`` loggers (idempotent)."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


class ConnectorAuthError(ConnectorError):
    """The platform rejected the credentials (HTTP 401 or the platform's token error code)."""


class ConnectorPermissionError(ConnectorError):
    """The credentials are valid but lack a permission (HTTP 403 or the platform's permission code)."""


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """What a platform's error answer means: its own message and the kind ("auth", "permission" or None)."""

    message: str
    kind: str | None = None


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove secrets from ``text``: the given values, secret query parameters and Authorization values."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _PARAM_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", text)
    text = _AUTH_RE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return _BEARER_RE.sub(f"Bearer {REDACTED}", text)


def default_error_info(response: httpx.Response) -> ErrorInfo:
    """Generic error reading: ``error.message`` / ``message`` of a JSON body, else the start of the text."""
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            message = str(err.get("message") or "")
        elif isinstance(err, str):
            message = err
        message = message or str(body.get("message") or "")
    if not message:
        message = " ".join(response.text[:200].split())
    kind = "auth" if response.status_code == 401 else "permission" if response.status_code == 403 else None
    return ErrorInfo(message or response.reason_phrase, kind)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


class HttpClient:
    """A synchronous JSON-over-HTTP client for one platform tenant (thread-safe; one per connector run).

    ``auth`` returns the headers that authenticate a request (called per request, so the secret is not
    kept in the client's default headers). ``max_retries`` counts retries after the first attempt.
    ``is_rate_limited``, ``retry_hint`` and ``error_info`` adapt the client to a platform's dialect.
    ``params`` are set on the query of every request, replacing a parameter of the same name (next-page URLs
    included; e.g. Meta's ``appsecret_proof``). ``share``: send through that client's connection pool (its
    base URL, timeout and transport) instead of opening one; closing this client leaves the pool open.
    """

    def __init__(
        self,
        platform: str,
        base_url: str,
        *,
        auth: Callable[[], Mapping[str, str]] | None = None,
        timeout: float = 20.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        is_rate_limited: Callable[[httpx.Response], bool] | None = None,
        retry_hint: Callable[[httpx.Response], float | None] | None = None,
        error_info: Callable[[httpx.Response], ErrorInfo] = default_error_info,
        secrets: Iterable[str] = (),
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "auditor",
        params: Mapping[str, str] | None = None,
        share: HttpClient | None = None,
    ):
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self._base = urlsplit(self.base_url)
        self._auth = auth
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._is_rate_limited = is_rate_limited or (lambda response: False)
        self._retry_hint = retry_hint or (lambda response: None)
        self._error_info = error_info
        self._secrets: set[str] = {s for s in secrets if s}
        self._lock = threading.Lock()
        self._sleep = sleep
        self._params = dict(params or {})
        install_log_redaction()
        if share is not None:
            if share.base_url != self.base_url:
                raise ValueError("a shared connection pool must have the same base URL")
            self._http, self._owns_http = share._http, False
            return
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(timeout),
            transport=transport,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            follow_redirects=False,
        )
        self._owns_http = True

    # -- lifecycle -------------------------------------------------------------------------------------

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying connection pool (unless it is another client's: ``share``)."""
        if self._owns_http:
            self._http.close()

    def add_secret(self, value: str) -> None:
        """Register one more value that must never appear in a message (e.g. a token being inspected)."""
        if value:
            with self._lock:
                self._secrets.add(value)

    # -- requests ----------------------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` (relative to base_url, or an absolute URL on the base host) and return its JSON."""
        response = self.request("GET", path, params)
        try:
            return response.json()
        except ValueError:
            message = f"malformed JSON from GET {self._display(path)}"
            raise self._error(message, response.status_code) from None

    def iter_pages(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        next_of: Callable[[dict[str, Any]], str | None],
    ) -> Iterator[list[Any]]:
        """Yield the ``data`` list of each page; follow ``next_of(body)`` (an absolute URL) until None.

        A page whose body is not an object with a ``data`` list is a truncated page: ConnectorError.
        """
        url: str | None = path
        page_params: Mapping[str, Any] | None = params
        seen: set[str] = set()
        while url:
            body = self.get_json(url, page_params)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise self._error(f"truncated page from GET {self._display(url)}: no 'data' list")
            yield body["data"]
            url = next_of(body)
            page_params = None
            if url:
                if url in seen:
                    raise self._error(f"paging loop at GET {self._display(url)}: the same next page twice")
                seen.add(url)

    def post_json(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST ``body`` as JSON (resent on every retry) and return the answer's JSON."""
        response = self.request("POST", path, json=dict(body))
        try:
            return response.json()
        except ValueError:
            message = f"malformed JSON from POST {self._display(path)}"
            raise self._error(message, response.status_code) from None

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None, *,
                json: Any = None) -> httpx.Response:
        """Send one request (with an optional JSON body) with retries; return a 2xx response or raise."""
        url = self._checked_url(path)
        shown = f"{method} {self._display(path)}"
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            headers = dict(self._auth()) if self._auth else {}
            started = time.monotonic()
            try:
                request = self._http.build_request(method, url, params=params, headers=headers, json=json)
                if self._params:  # set on the final URL: a next-page URL keeps its own query
                    request.url = request.url.copy_merge_params(self._params)
                response = self._http.send(request)
            except httpx.TimeoutException as exc:
                log.warning("%s timed out (%s, attempt %d/%d)", shown, type(exc).__name__, attempt, attempts)
                if last:
                    message = f"timed out after {attempts} attempts: {shown}"
                    raise self._error(message, retryable=True) from None
                self._wait(attempt, None)
                continue
            except httpx.TransportError as exc:
                reason = self._redact(str(exc)) or type(exc).__name__
                log.warning("%s connection failed: %s (attempt %d/%d)", shown, reason, attempt, attempts)
                if last:
                    raise self._error(
                        f"connection failed after {attempts} attempts: {shown}: {reason}", retryable=True
                    ) from None
                self._wait(attempt, None)
                continue
            elapsed = (time.monotonic() - started) * 1000
            status = response.status_code
            log.debug("%s -> %d (attempt %d/%d, %.0f ms)", shown, status, attempt, attempts, elapsed)
            if 200 <= status < 300:
                return response
            rate_limited = status == 429 or self._is_rate_limited(response)
            if rate_limited or status >= 500:
                log.warning("%s -> %d, %s (attempt %d/%d)", shown, status,
                            "rate limited" if rate_limited else "server error", attempt, attempts)
                if last:
                    what = "rate limited" if rate_limited else f"server error {status}"
                    message = f"{what} after {attempts} attempts: {shown}: {self._info(response).message}"
                    raise self._error(message, status, retryable=True)
                if rate_limited:
                    record_rate_limit_wait(self.platform)
                self._wait(attempt, self._hint(response))
                continue
            raise self._failure(response, shown)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- helpers -------------------------------------------------------------------------------------

    def _failure(self, response: httpx.Response, shown: str) -> ConnectorError:
        """Turn a non-retryable error answer into a typed ConnectorError."""
        info = self._info(response)
        status = response.status_code
        if info.kind == "auth":
            message = self._redact(f"token rejected ({status}): {info.message} ({shown})")
            return ConnectorAuthError(self.platform, message, status=status)
        if info.kind == "permission":
            message = self._redact(f"missing permission: {info.message} ({shown})")
            return ConnectorPermissionError(self.platform, message, status=status)
        return self._error(f"request failed ({status}): {info.message} ({shown})", status)

    def _info(self, response: httpx.Response) -> ErrorInfo:
        try:
            return self._error_info(response)
        except Exception:  # a platform parser must never hide the real failure
            return default_error_info(response)

    def _hint(self, response: httpx.Response) -> float | None:
        hints = [parse_retry_after(response.headers.get("Retry-After"))]
        with contextlib.suppress(Exception):  # a malformed hint header just means "no hint"
            hints.append(self._retry_hint(response))
        known = [h for h in hints if h is not None]
        return max(known) if known else None

    def _wait(self, attempt: int, hint: float | None) -> None:
        """Sleep before the next attempt: exponential backoff with jitter, at least ``hint``, capped."""
        delay = self.backoff * (2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
        if hint is not None:
            delay = max(delay, hint)
        delay = min(delay, self.max_wait)
        if delay > 0:
            log.debug("waiting %.1f s before attempt %d", delay, attempt + 1)
            self._sleep(delay)

    def _checked_url(self, path: str) -> str:
        """Relative paths go under base_url; absolute URLs must stay on the base host (the token goes too)."""
        if "://" not in path:
            return path.lstrip("/")
        target = urlsplit(path)
        if (target.scheme, target.netloc) != (self._base.scheme, self._base.netloc):
            raise self._error(f"refusing to follow a URL on another host: {target.scheme}://{target.netloc}")
        return path

    def _display(self, path: str) -> str:
        """The request path for messages: relative to base_url, without the query string."""
        if "://" in path:
            target = urlsplit(path).path
            base_path = self._base.path.rstrip("/")
            if base_path and target.startswith(base_path + "/"):
                target = target[len(base_path):]
        else:
            target = "/" + path.split("?", 1)[0].lstrip("/")
        return self._redact(target)

    def _redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        if self._auth:
            for value in self._auth().values():
                secrets.append(value)
                secrets.append(value.split(" ", 1)[-1])
        return redact(text, secrets)

    def _error(self, message: str, status: int | None = None, *, retryable: bool = False) -> ConnectorError:
        return ConnectorError(self.platform, self._redact(message), status=status, retryable=retryable)


def json_or_none(text: str | None) -> Any:
    """Parse a JSON header value; None when absent or malformed."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
