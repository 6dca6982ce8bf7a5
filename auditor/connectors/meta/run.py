"""The shared state of one Meta read: client, thread pool, paging and the errors recorded on the way.

A fetch starts each read as soon as its inputs are known (``Run.start``), so the workers never wait at a
phase barrier, and consumes the answers afterwards in a fixed order (``Run.collect``, ``Pending.result``).
A started job's notes (``Run.note``: e.g. malformed items skipped) are kept with it and reach ``errors`` when
it is consumed, so ``errors`` comes out in the same order however the jobs were timed.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from auditor.connectors.http import ConnectorAuthError, HttpClient
from auditor.connectors.jobs import Job, collect
from auditor.connectors.meta import dialect
from auditor.connectors.meta.mapping import BUSINESS_EDGES, asset_from
from auditor.errors import ConnectorError
from auditor.model import Account, Asset

_notes = threading.local()
"""The notes list of the started job running on this thread (``Pending``), if any."""


class _Fatal:
    """The first fatal failure of a fetch (shared by its runs): once set, jobs not yet running raise it
    instead of sending requests, as the sequential read would never have sent them."""

    def __init__(self) -> None:
        self.error: ConnectorError | None = None
        self._lock = threading.Lock()

    def set(self, error: ConnectorError) -> None:
        """Record ``error`` unless a fatal failure is already recorded."""
        with self._lock:
            if self.error is None:
                self.error = error


class Pending:
    """A job started on the pool ahead of the step that consumes it (``Run.start``); ``result`` waits for it
    and records its notes in the run's errors, ``peek`` waits for it without recording them.

    ``fatal``: the failures of this job that end the fetch (a rejected token, any failure of a core read);
    one of them stops every job of the fetch not started yet."""

    def __init__(self, run: Run, fn: Callable[[], Any], fatal: type[ConnectorError] | None):
        self.notes: list[str] = []
        self._errors = run.errors
        self._fatal, self._ends = run.fatal, fatal
        self._future = run.pool.submit(self._call, fn)

    def _call(self, fn: Callable[[], Any]) -> Any:
        if self._fatal.error is not None:
            raise self._fatal.error
        outer = getattr(_notes, "notes", None)
        _notes.notes = self.notes
        try:
            return fn()
        except ConnectorError as exc:
            if self._ends is not None and isinstance(exc, self._ends):
                self._fatal.set(exc)
            raise
        finally:
            _notes.notes = outer

    def peek(self) -> Any:
        """Wait for the job; its value, or raise its exception. Its notes are left for ``result``."""
        return self._future.result()

    def peek_or_none(self) -> Any:
        """The job's value, or None when it failed (a rejected token is raised at once: the fetch is over)."""
        try:
            return self._future.result()
        except ConnectorAuthError:
            raise
        except ConnectorError:
            return None

    def result(self) -> Any:
        """Wait for the job, record its notes (once) in the run's errors; its value, or raise its exception."""
        try:
            return self._future.result()
        finally:
            self._errors.extend(self.notes)
            self.notes = []

    def settle(self) -> None:
        """Wait for the job and record its notes, here in the order of the run (its value was ``peek``ed)."""
        with contextlib.suppress(ConnectorError):
            self.result()

    def cancel(self) -> bool:
        """Cancel the job if it has not started yet."""
        return self._future.cancel()


Started = list[tuple[str, Pending]]
"""Labelled started jobs, in the order their results are consumed (``Run.collect``)."""


class Run:
    """One fetch's or lookup's shared state; ``errors`` collects the recorded (non-fatal) failures."""

    def __init__(self, platform: str, client: HttpClient, pool: ThreadPoolExecutor, page_size: int):
        self.platform = platform
        self.client = client
        self.pool = pool
        self.page_size = page_size
        self.errors: list[str] = []
        self.fatal = _Fatal()

    def sharing(self, client: HttpClient) -> Run:
        """A run reading with another client (a Page token) that shares this run's pool, errors and fate."""
        other = Run(self.platform, client, self.pool, self.page_size)
        other.errors, other.fatal = self.errors, self.fatal
        return other

    def rows(self, path: str, params: Mapping[str, Any] | None = None, *, need_id: bool = True) -> list[dict]:
        """Every item of a paged edge; items that are not objects (or lack an id) are skipped and reported."""
        out: list[dict] = []
        bad = 0
        query = {"limit": self.page_size, **(params or {})}
        for page in self.client.iter_pages(path, query, dialect.next_page):
            if self.fatal.error is not None:  # the fetch has ended: read no further page
                raise self.fatal.error
            for item in page:
                if isinstance(item, dict) and (not need_id or item.get("id") not in (None, "")):
                    out.append(item)
                else:
                    bad += 1
        if bad:
            self.note(f"{self.platform}: {bad} malformed item(s) skipped in GET {path}")
        return out

    def note(self, message: str) -> None:
        """Record a non-fatal problem: in ``errors`` now, or when its started job is consumed (``Pending``)."""
        notes = getattr(_notes, "notes", None)
        (self.errors if notes is None else notes).append(message)

    def node(self, path: str, params: Mapping[str, Any] | None = None) -> dict:
        """One node (a JSON object)."""
        body = self.client.get_json(path, params)
        if not isinstance(body, dict):
            raise ConnectorError(self.platform, f"unexpected answer from GET {path}: not an object")
        return body

    def start(self, jobs: Iterable[Job], core: Iterable[str] = (), *, token_fatal: bool = True) -> Started:
        """Submit jobs to the pool now; consume them later, in order, with ``collect`` (with the same
        ``core``). A failure of a ``core`` job, or a rejected token unless ``token_fatal`` is false (a Page
        token, a read whose consumer keeps the failure), ends the fetch: the jobs not started yet are not run."""
        core = set(core)
        return [(label, Pending(self, fn, ConnectorError if label in core
                                else ConnectorAuthError if token_fatal else None)) for label, fn in jobs]

    def collect(self, started: Started, core: Iterable[str] = ()) -> list[Any]:
        """Results of started jobs in order (see ``auditor.connectors.jobs.collect``); failures go to ``errors``."""
        return collect(started, self.errors, core)

    def gather(self, jobs: list[Job], core: Iterable[str] = ()) -> list[Any]:
        """Run jobs concurrently (see ``auditor.connectors.jobs.gather``); failures go to ``errors``."""
        return self.collect(self.start(jobs, core), core)


def assets_of(edge_results: Mapping[str, list[dict] | None]) -> list[Asset]:
    """Assets of the business edges in edge order, de-duplicated by id (first occurrence wins)."""
    seen: dict[str, Asset] = {}
    for edge, rows in edge_results.items():
        kind, owned = BUSINESS_EDGES[edge]
        for item in rows or []:
            seen.setdefault(str(item["id"]), asset_from(kind, item, owned))
    return list(seen.values())


def wanted(account: Account, ids: set[str], emails: set[str]) -> bool:
    """Whether an account is one of the wanted ids or carries one of the wanted (lower-case) emails."""
    return account.account_id in ids or any(e.lower() in emails for e in account.emails)
