"""One test per constraint of auditor/connectors/x/contract.yaml: the emulator refuses (or answers) what the X Ads
API does, over real HTTP, and the connector copes with it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from auditor.connectors.http import ConnectorPermissionError
from auditor.connectors.x import XConnector, dialect
from auditor.connectors.x.oauth import OAuth1Transport, parse_credentials
from auditor.demo.server import serve
from auditor.demo.x.emulator import CURRENT_VERSION, XEmulator
from auditor.errors import ConfigError
from tests.connectors.x.fixtures import AD_ACCOUNT, CALLER, CREDENTIALS, OTHER_ACCOUNT, OWNER, ads_data, many_promotable

NOW = datetime(2024, 4, 1, tzinfo=UTC)
CLOCK = 1_711_929_600.0  # 2024-04-01T00:00:00Z, the emulator's fixed clock
PROMOTABLE = f"/accounts/{AD_ACCOUNT}/promotable_users"


def emulator(data=None, **kwargs) -> XEmulator:
    return XEmulator(data if data is not None else many_promotable(4), CREDENTIALS, clock=lambda: CLOCK, **kwargs)


@pytest.fixture
def served() -> Iterator:
    """``start(emulator)`` serves it and returns a signing client for its root URL (no version prefix)."""
    handles, clients = [], []

    def start(app: XEmulator) -> httpx.Client:
        handle = serve(app)
        handles.append(handle)
        client = httpx.Client(base_url=handle.url, transport=OAuth1Transport(parse_credentials(CREDENTIALS)))
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()
    for handle in handles:
        handle.stop()


@pytest.fixture
def client(served) -> httpx.Client:
    return served(emulator())


def code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["code"]


@pytest.mark.constraint("x", "version_in_path")
def test_only_active_versions_are_served_and_the_connector_refuses_an_end_of_life_one(client, sandbox):
    assert client.get(f"/12/accounts/{AD_ACCOUNT}").status_code == 200
    assert client.get(f"/11/accounts/{AD_ACCOUNT}").status_code == 200
    for version in ("10", "9", "0"):
        answer = client.get(f"/{version}/accounts/{AD_ACCOUNT}")
        assert answer.status_code == 404 and code(answer) == "ROUTE_NOT_FOUND"
    assert client.get(f"/accounts/{AD_ACCOUNT}").status_code == 404  # no version at all
    connector = sandbox.connector(base_url=sandbox.url + "/10")
    with pytest.raises(ConfigError) as raised:
        connector.fetch(now=NOW)
    message = str(raised.value)
    assert "version 10" in message and "end of life" in message and "/12" in message
    assert connector.check() == [message]
    assert sandbox.requests() == []  # refused before any call
    assert sandbox.connector(base_url=sandbox.url + "/11").fetch(now=NOW).complete


@pytest.mark.constraint("x", "current_version_header")
def test_every_answer_names_the_current_version_and_a_deprecated_one_warns(served):
    app = emulator(deprecated=frozenset({"11"}))
    app.faults.add("503", "/fault503")
    app.faults.add("429", "/fault429")
    client = served(app)
    answers = [client.get(f"/12/accounts/{AD_ACCOUNT}"), client.get(f"/12{PROMOTABLE}", params={"count": 0}),
               httpx.get(f"{str(client.base_url).rstrip('/')}/12/accounts/{AD_ACCOUNT}"), client.get("/10/accounts"),
               client.get("/12/fault503"), client.get("/12/fault429")]
    assert [a.status_code for a in answers] == [200, 400, 401, 404, 503, 429]
    assert all(a.headers["x-current-api-version"] == CURRENT_VERSION == "12" for a in answers)
    assert not any("x-api-warn" in a.headers for a in answers)
    old = client.get(f"/11/accounts/{AD_ACCOUNT}")
    assert old.status_code == 200 and "deprecated" in old.headers["x-api-warn"]


@pytest.mark.constraint("x", "oauth1a_user_context")
def test_only_a_valid_oauth1a_signature_is_accepted(client, sandbox):
    url = f"{str(client.base_url).rstrip('/')}/12/accounts/{AD_ACCOUNT}"
    wrong = CREDENTIALS.replace("csTEST", "csOTHER")
    with httpx.Client(transport=OAuth1Transport(parse_credentials(wrong))) as other:
        refused = [httpx.get(url), httpx.get(url, headers={"Authorization": "Bearer AAAA-app-only"}), other.get(url)]
    for answer in refused:
        assert answer.status_code == 401 and answer.json()["errors"] == [
            {"code": "UNAUTHORIZED_ACCESS", "message": "This request is not properly authenticated"}]
    assert client.get(url).status_code == 200
    sandbox.connector().fetch(now=NOW)
    assert sandbox.requests() and all(r.signed for r in sandbox.requests())


@pytest.mark.constraint("x", "account_must_belong_to_user")
def test_an_ads_account_of_someone_else_is_refused_and_only_that_scope_fails(client, x_sandbox):
    assert client.get("/12/accounts/nope/promotable_users").status_code == 404
    data = ads_data()
    data["accounts"][1]["users"] = [{"user_id": "111", "screen_name": "someone", "permissions": ["ACCOUNT_ADMIN"]}]
    sandbox = x_sandbox(data)
    with httpx.Client(transport=OAuth1Transport(parse_credentials(CREDENTIALS))) as signed:
        denied = signed.get(f"{sandbox.base_url}/accounts/{OTHER_ACCOUNT}/authenticated_user_access")
    assert denied.status_code == 403 and code(denied) == "INSUFFICIENT_USER_AUTHORIZED_PERMISSION"
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and list(snap.incomplete_scopes) == [f"asset:{OTHER_ACCOUNT}"]
    assert "INSUFFICIENT_USER_AUTHORIZED_PERMISSION" in snap.incomplete_scopes[f"asset:{OTHER_ACCOUNT}"]
    assert {(g.account_id, g.asset_id, g.role) for g in snap.grants} == {
        (CALLER, AD_ACCOUNT, "ACCOUNT_ADMIN"), (CALLER, AD_ACCOUNT, "TWEET_COMPOSER"), (OWNER, AD_ACCOUNT, "FULL")}
    data["accounts"][0]["users"] = []
    with pytest.raises(ConnectorPermissionError, match="ANALYST"):  # no ads account readable: the token is wrong
        x_sandbox(data).connector().fetch(now=NOW)


@pytest.mark.constraint("x", "promotable_count_range")
def test_count_is_1_to_1000_and_defaults_to_200(served, sandbox):
    client = served(emulator(many_promotable(250)))
    for bad in (0, 1001, -5, "ten"):
        answer = client.get(f"/12{PROMOTABLE}", params={"count": bad})
        assert answer.status_code == 400 and code(answer) == "INVALID_PARAMETER"
    assert len(client.get(f"/12{PROMOTABLE}", params={"count": 1}).json()["data"]) == 1
    assert len(client.get(f"/12{PROMOTABLE}", params={"count": 1000}).json()["data"]) == 252
    default = client.get(f"/12{PROMOTABLE}").json()
    assert len(default["data"]) == 200 and default["next_cursor"]
    sandbox.connector(page_size=1000).fetch(now=NOW)
    assert {r.params["count"] for r in sandbox.requests("promotable_users")} == {str(dialect.MAX_COUNT)} == {"1000"}


@pytest.mark.constraint("x", "cursor_paging")
def test_cursor_pages_end_with_a_null_next_cursor_and_the_connector_follows_them(client, x_sandbox):
    first = client.get(f"/12{PROMOTABLE}", params={"count": 4}).json()
    last = client.get(f"/12{PROMOTABLE}", params={"count": 4, "cursor": first["next_cursor"]}).json()
    assert isinstance(first["next_cursor"], str) and last["next_cursor"] is None
    assert [p["id"] for p in first["data"] + last["data"]] == ["l310s", "l310t", "p0", "p1", "p2", "p3"]
    assert code(client.get(f"/12{PROMOTABLE}", params={"cursor": "forged"})) == "INVALID_PARAMETER"
    sandbox = x_sandbox(many_promotable(7))
    snap = sandbox.connector(page_size=4).fetch(now=NOW)
    pages = sandbox.requests(PROMOTABLE)
    assert snap.complete and len(pages) == 3 and "cursor" not in pages[0].params
    assert len({a.asset_id: a for a in snap.assets}[AD_ACCOUNT].raw["promotable_users"]) == 9


@pytest.mark.constraint("x", "total_count_exclusive_with_cursor")
def test_with_total_count_cannot_go_with_cursor(client, sandbox):
    first = client.get(f"/12{PROMOTABLE}", params={"count": 2, "with_total_count": "true"}).json()
    assert first["total_count"] == 6
    assert "total_count" not in client.get(f"/12{PROMOTABLE}", params={"count": 2}).json()
    answer = client.get(f"/12{PROMOTABLE}", params={"with_total_count": "true", "cursor": first["next_cursor"]})
    assert answer.status_code == 400 and code(answer) == "EXCLUSIVE_PARAMETERS"
    sandbox.connector(page_size=1).fetch(now=NOW)
    assert not any("with_total_count" in r.params for r in sandbox.requests())


@pytest.mark.constraint("x", "with_deleted_default_false")
def test_deleted_promotable_users_are_left_out_unless_asked_for(client):
    def ids(**params):
        return {p["id"] for p in client.get(f"/12{PROMOTABLE}", params=params).json()["data"]}

    assert "l310u" not in ids() and ids() == ids(with_deleted="false")
    assert ids(with_deleted="true") == ids() | {"l310u"}
    for path in (PROMOTABLE, f"/accounts/{AD_ACCOUNT}"):
        answer = client.get(f"/12{path}", params={"with_deleted": "yes"})
        assert answer.status_code == 400 and code(answer) == "INVALID_PARAMETER"


@pytest.mark.constraint("x", "promotable_user_ids_max_200")
def test_promotable_user_ids_takes_at_most_200_ids(client):
    ids = ["l310s", "p1", *(f"x{i}" for i in range(198))]
    ok = client.get(f"/12{PROMOTABLE}", params={"promotable_user_ids": ",".join(ids)})
    assert ok.status_code == 200 and {p["id"] for p in ok.json()["data"]} == {"l310s", "p1"}
    answer = client.get(f"/12{PROMOTABLE}", params={"promotable_user_ids": ",".join([*ids, "x999"])})
    assert answer.status_code == 400 and code(answer) == "INVALID_PARAMETER" and "200" in answer.json()["errors"][0][
        "message"]


@pytest.mark.constraint("x", "single_full_owner")
def test_one_full_owner_per_ads_account_and_retweets_only_is_no_access(sandbox):
    for change in ("second", "none"):
        data = ads_data()
        owner = data["accounts"][0]["promotable_users"][0]
        if change == "second":
            data["accounts"][0]["promotable_users"].append({**copy.deepcopy(owner), "id": "dup", "user_id": "5"})
        else:
            owner["promotable_user_type"] = "RETWEETS_ONLY"
        with pytest.raises(ValueError, match="exactly one"):
            XEmulator(data, CREDENTIALS)
    snap = sandbox.connector().fetch(now=NOW)
    full = [(g.account_id, g.asset_id, g.privileged) for g in snap.grants if g.role == "FULL"]
    assert full == [(OWNER, AD_ACCOUNT, True), (OWNER, OTHER_ACCOUNT, True)]
    assert not any(g.role == "RETWEETS_ONLY" for g in snap.grants)


@pytest.mark.constraint("x", "no_full_user_list")
def test_only_the_callers_own_permissions_are_exposed(client, sandbox):
    own = client.get(f"/12/accounts/{AD_ACCOUNT}/authenticated_user_access").json()
    assert own["data"] == {"user_id": int(CALLER), "permissions": ["ACCOUNT_ADMIN", "TWEET_COMPOSER"]}
    for route in ("users", "account_users", "authenticated_user_access/all"):
        answer = client.get(f"/12/accounts/{AD_ACCOUNT}/{route}")
        assert answer.status_code == 404 and code(answer) == "ROUTE_NOT_FOUND"
    snap = sandbox.connector().fetch(now=NOW)
    assert "111" not in {a.account_id for a in snap.accounts}  # the data's other user stays unseen
    assert any("no API lists every user" in note for note in snap.capabilities.notes)


@pytest.mark.constraint("x", "rate_limit_headers")
def test_account_level_headers_only_on_gets_of_account_limited_endpoints(served):
    client = served(emulator(account_limited=frozenset({"promotable_users"})))
    limited = client.get(f"/12{PROMOTABLE}")
    others = [client.get(f"/12/accounts/{AD_ACCOUNT}"), client.post(f"/12{PROMOTABLE}"),
              client.get(f"/12/accounts/{AD_ACCOUNT}/nothing"), client.get(f"/12/accounts/{OTHER_ACCOUNT}x")]
    assert limited.status_code == 200 and limited.headers["x-account-rate-limit-limit"] == "2000"
    assert [a.status_code for a in others] == [200, 405, 404, 404]
    assert not any("x-account-rate-limit-limit" in a.headers for a in others)
    assert all("x-rate-limit-remaining" in a.headers for a in [limited, *others])
    both = httpx.Response(429, headers={"x-account-rate-limit-reset": str(int(CLOCK) + 30),
                                        "x-rate-limit-reset": str(int(CLOCK) + 600)})
    user_only = httpx.Response(429, headers={"x-rate-limit-reset": str(int(CLOCK) + 600)})
    assert dialect.retry_hint(both, clock=lambda: CLOCK) == 30  # the account level is preferred
    assert dialect.retry_hint(user_only, clock=lambda: CLOCK) == 600


@pytest.mark.constraint("x", "rate_limit_reset_epoch_seconds")
def test_reset_headers_are_unix_seconds_and_the_connector_waits_until_then(served):
    app = emulator()
    app.faults.add("429", "promotable_users", retry_after=42)
    client = served(app)
    ok = client.get(f"/12/accounts/{AD_ACCOUNT}")
    assert ok.headers["x-rate-limit-reset"] == ok.headers["x-account-rate-limit-reset"] == str(int(CLOCK) + 900)
    limited = client.get(f"/12{PROMOTABLE}")
    assert limited.status_code == 429 and limited.headers["x-account-rate-limit-reset"] == str(int(CLOCK) + 42)
    assert dialect.retry_hint(limited, clock=lambda: CLOCK) == 42


@pytest.mark.constraint("x", "error_body_may_be_html")
def test_an_html_error_body_is_judged_by_its_status(sandbox):
    html = httpx.Response(404, text="<html><body>Gone</body></html>", headers={"content-type": "text/html"})
    info = dialect.error_info(html)
    assert info.kind is None and info.message == "HTTP 404 Not Found: Gone"
    sandbox.faults.add("503", f"/accounts/{OTHER_ACCOUNT}/promotable_users", times=None)
    snap = sandbox.connector(max_retries=1).fetch(now=NOW)
    reason = snap.incomplete_scopes[f"asset:{OTHER_ACCOUNT}"]
    assert "503" in reason and "Traceback" not in reason and "<html" not in reason
    assert (OWNER, AD_ACCOUNT, "FULL") in {(g.account_id, g.asset_id, g.role) for g in snap.grants}


@pytest.mark.constraint("x", "no_2fa_audit_scopes")
def test_no_2fa_activity_or_scopes_are_claimed(client, sandbox):
    caps = XConnector.capabilities
    assert not (caps.per_user_2fa or caps.tenant_2fa or caps.app_scopes or caps.audit_log or caps.account_emails)
    for route in (f"/accounts/{AD_ACCOUNT}/activity_log", f"/accounts/{AD_ACCOUNT}/two_factor", "/oauth/scopes"):
        assert client.get(f"/12{route}").status_code == 404
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.events == [] and snap.apps == [] and snap.activity_since is None
    assert all(a.two_factor is None for a in snap.accounts) and snap.tenant.two_factor_required is None
