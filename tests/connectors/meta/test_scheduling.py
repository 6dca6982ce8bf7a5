"""How one Meta fetch schedules its reads (``meta.run``, ``connectors.jobs.collect``, ``HttpClient(share=)``),
over real HTTP against the emulator: one connection pool for every token of a fetch, ``appsecret_proof`` on
every request of the tokens that carry it, the Page order of "holders incomplete" errors, nothing queued sent
after a fatal failure, and the same snapshot whatever the number of workers."""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from werkzeug.wrappers import Request

from auditor.connectors.http import ConnectorAuthError
from auditor.connectors.meta import MetaConnector
from auditor.connectors.meta.tokens import appsecret_proof
from auditor.demo.meta.emulator import MetaEmulator
from auditor.errors import ConnectorError
from auditor.model import AccountKind, TenantSnapshot
from tests.connectors.conftest import PLATFORM, MetaSandbox, resolve_secret
from tests.connectors.meta_fixtures import (
    APP_ID,
    APP_SECRET,
    BUSINESS_ID,
    EXTRA_TOKEN,
    TOKEN,
    business,
    many_users,
)
from tests.support.served import serving

NOW = datetime(2024, 4, 1, tzinfo=UTC)
SECRET_OPTIONS = MetaSandbox.defaults["options"]
NO_SECRET = {"max_wait": 0.0}


def with_workers(workers: int, **options: Any) -> dict[str, Any]:
    """The sandbox's connector options (app id and secret included) with ``workers`` threads."""
    return {**SECRET_OPTIONS, **options, "workers": workers}


# -- what reaches the server ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Seen:
    """One request as it reached the server: the path, the raw ``appsecret_proof`` values of its query, the
    other query parameters and its bearer token."""

    path: str
    proofs: tuple[str, ...]
    params: tuple[tuple[str, str], ...]
    token: str


class Wiretap:
    """The emulator behind a WSGI layer recording every request as ``Seen`` (the emulator itself drops the
    proof from what it records); anything else (``faults``, ``requests``, ``callers``) is the emulator's."""

    def __init__(self, emulator: MetaEmulator):
        self.emulator = emulator
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.emulator, name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        header = request.headers.get("Authorization", "")
        seen = Seen(request.path, tuple(request.args.getlist("appsecret_proof")),
                    tuple((k, v) for k, v in request.args.items(multi=True) if k != "appsecret_proof"),
                    header.removeprefix("Bearer ").strip())
        with self._lock:
            self.seen.append(seen)
        return self.emulator(environ, start_response)


@pytest.fixture
def tapped() -> Iterator[Any]:
    """``tapped(data=None)``: a sandbox whose ``emulator`` is a ``Wiretap`` (``emulator.seen``)."""
    with serving(lambda data=None: MetaSandbox(Wiretap(MetaEmulator(
            data if data is not None else business(), TOKEN)))) as start:
        yield start


@pytest.fixture
def clients_made(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Client]:
    """Every ``httpx.Client`` (one connection pool each) created during the test."""
    made: list[httpx.Client] = []

    class CountedClient(httpx.Client):
        def __init__(self, *args: Any, **kwargs: Any):
            made.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "Client", CountedClient)
    return made


def page_tokens_of(sandbox: Any) -> set[str]:
    """The Page tokens the emulator handed out."""
    return set(sandbox.emulator.callers.page_tokens)


def test_one_fetch_opens_one_connection_pool_for_its_token_page_tokens_and_token_inspection(
        tapped, clients_made):
    sandbox = tapped()
    snap = sandbox.connector(options=with_workers(3)).fetch(now=NOW)
    assert snap.complete, snap.errors
    tokens = {s.token for s in sandbox.emulator.seen}
    # the fetch's token, its Page tokens, the app token and an inspected token all called the server ...
    assert {TOKEN, EXTRA_TOKEN, f"{APP_ID}|{APP_SECRET}"} <= tokens
    assert len(page_tokens_of(sandbox)) == 2 and page_tokens_of(sandbox) <= tokens
    # ... through one pool
    assert len(clients_made) == 1


@pytest.mark.parametrize(("workers", "options"), [(1, SECRET_OPTIONS), (4, NO_SECRET)])
def test_the_one_connection_pool_of_a_fetch_is_closed_when_the_fetch_ends(tapped, clients_made, workers,
                                                                           options):
    sandbox = tapped()
    snap = sandbox.connector(options={**options, "workers": workers}).fetch(now=NOW)
    assert len({s.token for s in sandbox.emulator.seen}) >= 4  # its own, two Page tokens, an inspected one
    assert snap.complete, snap.errors  # no Page or inspection client closed the pool under the others
    (pool,) = clients_made
    assert pool.is_closed


def test_every_request_carries_the_proof_of_its_own_token_when_an_app_secret_is_configured(tapped):
    sandbox = tapped(business(business_users=many_users(60), require_app_secret=[APP_ID]))
    snap = sandbox.connector(options=with_workers(3)).fetch(now=NOW)
    assert snap.complete, snap.errors
    seen = sandbox.emulator.seen
    unsigned = {s.token for s in seen if not s.proofs}
    # only the inspected token of another app goes without (this app's proof would be refused for it)
    assert unsigned == {EXTRA_TOKEN}
    for request in seen:
        if request.token != EXTRA_TOKEN:
            assert request.proofs == (appsecret_proof(APP_SECRET, request.token),), request.path
    signed = {s.token for s in seen if s.proofs}
    assert page_tokens_of(sandbox) <= signed and {TOKEN, f"{APP_ID}|{APP_SECRET}"} <= signed
    next_pages = [s for s in seen if s.path.endswith("/business_users") and dict(s.params).get("after")]
    assert len(next_pages) == 2  # 60 users in pages of 25: the next-page URLs carry one proof too


def test_no_request_carries_a_proof_without_an_app_secret(tapped):
    sandbox = tapped(business(business_users=many_users(60)))
    snap = sandbox.connector(options={**NO_SECRET, "workers": 3}).fetch(now=NOW)
    assert not [e for e in snap.errors if "appsecret_proof" in e]
    seen = sandbox.emulator.seen
    assert len(seen) > 20 and page_tokens_of(sandbox) <= {s.token for s in seen}
    assert [s for s in seen if s.proofs] == []


# -- Page order of "holders incomplete" ------------------------------------------------------------------------

PAGES = ["5307", "5102", "5605", "5203", "5501", "5406", "5004"]
"""Page ids in the business's order (owned, then client): neither sorted nor reversed."""
READ_DIRECTLY = "5501"
"""The one Page whose own Page token still reads its assignees."""


def many_pages() -> dict[str, Any]:
    """The base business with the Pages of ``PAGES``, each held by Anna (MANAGE: a Page token) and Ben."""
    def page(pid: str) -> dict[str, Any]:
        users = [{"id": "2001", "name": "Anna Admin", "user_type": "BUSINESS_USER", "tasks": ["MANAGE"],
                  "permitted_tasks": ["MANAGE"]},
                 {"id": "2002", "name": "Ben Employee", "user_type": "BUSINESS_USER", "tasks": ["MODERATE"],
                  "permitted_tasks": ["MODERATE"]}]
        return {"id": pid, "name": f"Page {pid}", "category": "Brand", "assigned_users": users}
    return business(owned_pages=[page(p) for p in PAGES[:4]], client_pages=[page(p) for p in PAGES[4:]])


def holders_incomplete(snap: TenantSnapshot) -> list[str]:
    """The Pages named by "holders ... incomplete" errors, in the errors' order."""
    return [m.group(1) for e in snap.errors if (m := re.search(r"the holders of page (\d+) are incomplete", e))]


def test_unreadable_page_holders_are_reported_in_the_pages_order_every_time(meta_sandbox):
    sandbox = meta_sandbox(many_pages())
    for page in PAGES:  # every Page token read fails but one: those Pages fall back to the per-person views
        if page != READ_DIRECTLY:
            sandbox.faults.add("500", f"/{page}/assigned_users", times=None)
    sandbox.faults.add("500", "/2002/assigned_pages", times=None)  # ... and one person's view is unreadable
    expected = [p for p in PAGES if p != READ_DIRECTLY]
    connector = sandbox.connector(max_retries=0, options=with_workers(4))
    first = None
    for _ in range(4):
        snap = connector.fetch(now=NOW)
        assert [s.asset_id for s in snap.assets if s.kind == "page"] == PAGES
        assert holders_incomplete(snap) == expected
        assert [s for s in snap.incomplete_scopes if s.startswith("asset:")] == [f"asset:{p}" for p in expected]
        assert "account:2002" in snap.incomplete_scopes
        assert first is None or snap.errors == first
        first = snap.errors


# -- a fatal failure stops what is queued ----------------------------------------------------------------------


class Stopwatch(httpx.BaseTransport):
    """Real HTTP, recording the order requests start in and how many had started when the first failure
    answer on a path containing ``failing`` came back."""

    def __init__(self, failing: str):
        self.inner = httpx.HTTPTransport()
        self.failing = failing
        self.started: list[str] = []
        self.failed_at: int | None = None
        self.closed = False
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.started.append(request.url.path)
        response = self.inner.handle_request(request)
        if self.failing in request.url.path and response.status_code >= 400:
            with self._lock:
                if self.failed_at is None:
                    self.failed_at = len(self.started)
        return response

    def close(self) -> None:
        self.closed = True
        self.inner.close()

    def after_failure(self) -> list[str]:
        """The requests started after the failure answer was returned."""
        assert self.failed_at is not None, "the failure never happened"
        return self.started[self.failed_at:]


def busy_business() -> dict[str, Any]:
    """The base business with many assets (more reads queued than workers)."""
    data = business()
    for i in range(6):
        data["owned_ad_accounts"].append({"id": f"act_61{i:02d}", "account_id": f"61{i:02d}", "name": f"Ads {i}",
                                          "account_status": 1, "assigned_users": [], "activities": []})
        data["owned_instagram_assets"].append({"id": f"81{i:02d}", "ig_user_id": f"1784001{i:02d}",
                                               "ig_username": f"ig{i}", "assigned_users": []})
    return data


@pytest.mark.parametrize("workers", [1, 4])
def test_nothing_queued_is_sent_after_the_token_is_rejected(meta_sandbox, workers):
    sandbox = meta_sandbox(busy_business())
    sandbox.faults.add("401", "/act_6001/assigned_users")
    stopwatch = Stopwatch("/act_6001/assigned_users")
    connector = MetaConnector(sandbox.settings(max_retries=0, options=with_workers(workers)), resolve_secret,
                              transport=stopwatch)
    with pytest.raises(ConnectorAuthError) as caught:
        connector.fetch(now=NOW)
    assert str(caught.value).startswith(f"{PLATFORM}: token rejected (401)")
    assert len(stopwatch.after_failure()) <= workers, stopwatch.after_failure()
    assert stopwatch.closed  # the fetch's one pool is closed on the way out
    if workers == 1:  # one worker reads in submission order: the activities were queued behind it
        assert not [p for p in stopwatch.started if p.endswith("/activities")]


@pytest.mark.parametrize("workers", [1, 4])
def test_nothing_queued_is_sent_after_business_users_fails(meta_sandbox, workers):
    sandbox = meta_sandbox(busy_business())
    sandbox.faults.add("500", "/business_users", times=None)
    stopwatch = Stopwatch("/business_users")
    connector = MetaConnector(sandbox.settings(max_retries=0, options=with_workers(workers)), resolve_secret,
                              transport=stopwatch)
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(now=NOW)
    assert str(caught.value) == (f"{PLATFORM}: server error 500 after 1 attempts: GET /{BUSINESS_ID}/business_users: "
                                 "An unknown error occurred (code 1)")
    assert caught.value.retryable and not isinstance(caught.value, ConnectorAuthError)
    assert len(stopwatch.after_failure()) <= workers, stopwatch.after_failure()
    assert stopwatch.closed  # the fetch's one pool is closed on the way out
    assert not [p for p in stopwatch.started if p.endswith("/assigned_users") or p.endswith("/activities")]


def test_a_paged_read_in_flight_stops_paging_after_the_token_is_rejected(meta_sandbox):
    data = business()
    invite = business()["pending_users"][0]
    data["pending_users"] = [{**invite, "id": str(40000 + i), "email": f"p{i}@kwiatek.example"} for i in range(300)]
    sandbox = meta_sandbox(data)
    sandbox.faults.add("401", "/system_users")  # while pending_users (30 pages of 10) is being read
    stopwatch = Stopwatch("/system_users")
    connector = MetaConnector(sandbox.settings(max_retries=0, page_size=10, options=with_workers(4)),
                              resolve_secret, transport=stopwatch)
    with pytest.raises(ConnectorAuthError):
        connector.fetch(now=NOW)
    assert len(stopwatch.after_failure()) <= 4, stopwatch.after_failure()


# -- the same snapshot whatever the timing ---------------------------------------------------------------------

AGENCY = {"id": "7100", "name": "Pixel Agency"}
CLIENT = {"id": "7200", "name": "Garden Client"}


def rich_business() -> dict[str, Any]:
    """Every kind of read of a fetch, a few malformed items and paged lists (errors come from faults)."""
    data = business(business_users=[*business()["business_users"], *many_users(40)],
                    agencies=[AGENCY], clients=[CLIENT])
    data["owned_pages"][0]["roles"] = [{"id": "9100", "name": "Marek Former", "tasks": ["MANAGE"]}]
    data["owned_pages"][0]["agencies"] = [{**AGENCY, "access_status": "CONFIRMED",
                                           "permitted_tasks": ["ADVERTISE"]}]
    data["owned_ad_accounts"][0]["agencies"] = [{**AGENCY, "permitted_tasks": ["MANAGE", "ADVERTISE"]}]
    data["client_ad_accounts"][0]["activities"] = [  # a time the emulator reads and the connector does not
        {"event_time": "1710000000", "event_type": "update_ad", "actor_id": "2003", "object_id": "1"}]
    data["owned_instagram_assets"][0]["assigned_users"].append({"name": "No Id"})  # malformed: skipped
    assignee = {"id": "2001", "name": "Anna Admin", "user_type": "BUSINESS_USER", "tasks": ["ANALYZE"],
                "permitted_tasks": ["ANALYZE"]}
    data["owned_pixels"] = [{"id": "8801", "name": "Shop pixel", "assigned_users": [assignee, {"name": "No Id"}],
                             "agencies": [{**AGENCY, "permitted_tasks": ["ANALYZE"]}], "shared_agencies": [CLIENT]}]
    data["client_product_catalogs"] = [{"id": "8901", "name": "Feed", "assigned_users": [assignee]}]
    return data


def fetch_with(sandbox: Any, workers: int) -> TenantSnapshot:
    return sandbox.connector(max_retries=0, page_size=10, options=with_workers(workers)).fetch(now=NOW)


def test_the_snapshot_is_the_same_with_one_worker_or_four(meta_sandbox):
    sandbox = meta_sandbox(rich_business())
    for kind, path in (("500", "/8501/assigned_users"), ("malformed", "/act_6002/agencies"),
                       ("500", f"/{BUSINESS_ID}/clients"), ("500", "/5002/assigned_users"),
                       ("500", "/2003/assigned_pages"), ("missing_data", "/8901/agencies")):
        sandbox.faults.add(kind, path, times=None)
    # one slow read (it has a malformed item to report): with several workers the others overtake it
    sandbox.faults.add("timeout", "/8001/assigned_users", times=None, delay=0.3)
    one = fetch_with(sandbox, 1)
    # every kind of output, and errors from several reads, are there to compare
    assert len(one.errors) >= 7 and len(one.events) == 3 and len(one.apps) == 4
    assert set(one.incomplete_scopes) == {"tenant", "asset:act_6002", "asset:8901", "asset:5002", "account:2003"}
    assert any("GET /8501/assigned_users" in e for e in one.errors)
    assert any("malformed item(s) skipped" in e for e in one.errors)
    assert any("without a readable time" in e for e in one.errors)
    assert {a.kind for a in one.accounts} >= {AccountKind.USER, AccountKind.SYSTEM_USER, AccountKind.PARTNER}
    assert {a.kind for a in one.assets} >= {"page", "ad_account", "pixel", "catalog"}
    for workers in (4, 4, 2):
        other = fetch_with(sandbox, workers)
        for part in ("accounts", "grants", "assets", "apps", "events", "errors"):
            assert getattr(other, part) == getattr(one, part), (part, workers)  # in the same order
        assert list(other.incomplete_scopes.items()) == list(one.incomplete_scopes.items())
        assert other.capabilities.notes == one.capabilities.notes
        assert dataclasses.asdict(other) == dataclasses.asdict(one)
