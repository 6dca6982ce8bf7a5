"""MetaConnector against the strict emulator: Page assignees without a business token on Page assigned_users,
token inspection (app secret, appsecret_proof, /me/permissions, expiry) and upper-case user types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from auditor.connectors.meta import dialect
from auditor.model import AccountKind
from tests.connectors.conftest import PLATFORM
from tests.connectors.meta_fixtures import APP_ID, EXTRA_ENV, TOKEN, business

NOW = datetime(2024, 4, 1, tzinfo=UTC)
PAGE_GRANTS = {
    ("2001", "5001"): "ADVERTISE+ANALYZE+CREATE_CONTENT+MANAGE+MODERATE",
    ("2002", "5001"): "CREATE_CONTENT+MODERATE",
    ("2004", "5001"): "PROFILE_PLUS_FULL_CONTROL",
    ("3001", "5001"): "ANALYZE+TELEPORT",
    ("2003", "5002"): "PROFILE_PLUS_MANAGE",
    ("2001", "5002"): "MANAGE",
}
VIA_PAGE_TOKEN = {**PAGE_GRANTS, ("7777", "5002"): "ADVERTISE"}  # an assignee only its Page token shows
NO_SECRET = {"max_wait": 0.0}


def page_grants(snap):
    return {(g.account_id, g.asset_id): g.role for g in snap.grants if g.asset_id in ("5001", "5002")}


def no_page_tokens() -> dict:
    """The base business whose auditor token cannot read Page assigned_users (no pages_manage_metadata)."""
    data = business()
    data["tokens"][TOKEN]["scopes"].remove("pages_manage_metadata")
    return data


@pytest.mark.constraint("meta", "page_assigned_users_page_token_only")
@pytest.mark.parametrize("code", [190, 210])
def test_pages_are_read_through_the_per_principal_views_when_no_page_token_answers(meta_sandbox, code):
    data = no_page_tokens()
    data["page_token_error"] = code
    sandbox = meta_sandbox(data)
    snap = sandbox.connector().fetch(now=NOW)
    # the refusal (190 or 210) is not a dead token and not "no users": the views give the same grants
    assert page_grants(snap) == PAGE_GRANTS
    assert all("Page Access Token" not in e and "page access token" not in e for e in snap.errors)
    assert {"/2001/assigned_pages", "/3001/assigned_pages"} <= set(sandbox.paths("/assigned_pages"))


def test_page_token_refusals_are_permission_errors_not_a_dead_token():
    for code, message in ((190, "(#190) This method must be called with a Page Access Token"),
                          (210, "(#210) A page access token is required to request this resource.")):
        response = httpx.Response(400, json={"error": {"message": message, "type": "OAuthException",
                                                       "code": code}})
        assert dialect.error_info(response).kind == "permission"
    expired = httpx.Response(400, json={"error": {"message": "Error validating access token", "code": 190}})
    assert dialect.error_info(expired).kind == "auth"


@pytest.mark.constraint("meta", "per_principal_edges_take_business_tokens")
def test_a_failed_principal_view_marks_only_that_account_incomplete(meta_sandbox):
    sandbox = meta_sandbox(no_page_tokens())
    sandbox.faults.add("500", "/2002/assigned_pages", times=None)
    snap = sandbox.connector(max_retries=0).fetch(now=NOW)
    assert not snap.complete and {"account:2002", "asset:5001", "asset:5002"} <= set(snap.incomplete_scopes)
    assert ("2002", "5001") not in page_grants(snap) and ("2001", "5001") in page_grants(snap)


def test_pages_with_a_page_token_are_read_with_it(sandbox):
    snap = sandbox.connector().fetch(now=NOW)
    assert page_grants(snap) == VIA_PAGE_TOKEN
    assert not sandbox.paths("/assigned_pages")  # both Pages answered their own Page token


def test_a_rejected_page_token_falls_back_to_the_views(sandbox):
    sandbox.faults.add("401", "/5001/assigned_users")
    snap = sandbox.connector().fetch(now=NOW)
    assert page_grants(snap) == VIA_PAGE_TOKEN and not [e for e in snap.errors if "token rejected" in e]
    assert sandbox.paths("/assigned_pages")


@pytest.mark.constraint("meta", "user_type_upper_case")
def test_partner_system_user_in_upper_case_is_a_system_user(meta_sandbox):
    data = business()
    data["owned_ad_accounts"][0]["assigned_users"].append(
        {"id": "8888", "name": "Agency Bot", "user_type": "SYSTEM_USER", "tasks": ["ANALYZE"],
         "permitted_tasks": ["ANALYZE"]})
    snap = meta_sandbox(data).connector().fetch(now=NOW)
    bot = next(a for a in snap.accounts if a.account_id == "8888")
    assert bot.kind == AccountKind.SYSTEM_USER and bot.raw["user_type"] == "SYSTEM_USER"


@pytest.mark.constraint("meta", "appsecret_proof_required_when_enabled")
def test_the_connector_sends_appsecret_proof_on_every_call(meta_sandbox):
    sandbox = meta_sandbox(business(require_app_secret=[APP_ID]))
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.apps[2].token_ref == "self" and snap.apps[2].app_id == APP_ID
    assert page_grants(snap) == VIA_PAGE_TOKEN  # Page tokens carried their own proof too
    assert not [e for e in snap.errors if "appsecret_proof" in e]
    problems = sandbox.connector(options=NO_SECRET).check()
    assert any("require an appsecret_proof" in p for p in problems)


@pytest.mark.constraint("meta", "debug_token_caller")
def test_without_an_app_secret_scopes_come_from_me_permissions_with_a_note(sandbox):
    snap = sandbox.connector(options=NO_SECRET).fetch(now=NOW)
    own = next(a for a in snap.apps if a.token_ref == "self")
    assert own.scopes == ("ads_read", "business_management", "pages_manage_metadata", "pages_read_engagement",
                          "pages_show_list")
    assert f"{PLATFORM}: token self: scopes from /me/permissions only, app and expiry not verified: no app " \
           "secret configured" in snap.capabilities.notes
    extra = next(a for a in snap.apps if a.token_ref == EXTRA_ENV)  # its system user develops its app
    assert extra.app_id == "9902" and extra.raw["type"] == "USER"
    assert sandbox.connector(options=NO_SECRET).check() == [
        f"{PLATFORM}: token self: scopes from /me/permissions only, app and expiry not verified: no app secret "
        "configured"]


def test_an_unset_app_secret_is_reported_and_inspection_goes_on(sandbox):
    options = {"max_wait": 0.0, "app_id": APP_ID, "app_secret_env": "META_UNSET_SECRET"}
    snap = sandbox.connector(options=options).fetch(now=NOW)
    assert snap.capabilities.notes[3].startswith(f"{PLATFORM}: test config: platform.options.app_secret_env names "
                                                 "environment variable META_UNSET_SECRET, which is not set")
    assert [a.token_ref for a in snap.apps if a.token_ref] == ["self", EXTRA_ENV]
    assert sandbox.connector(options=options).check()[0] == snap.capabilities.notes[3]


def test_a_token_nothing_can_inspect_is_reported_not_dropped(sandbox):
    sandbox.faults.add("500", "/permissions", times=None)
    snap = sandbox.connector(options=NO_SECRET, max_retries=0).fetch(now=NOW)
    assert f"{PLATFORM}: could not verify scopes of token self: no app secret configured" in snap.capabilities.notes
    assert [a.token_ref for a in snap.apps if a.token_ref] == [EXTRA_ENV]
    # the token's findings must not look resolved: its own scope is incomplete, and only that scope
    assert snap.incomplete_scopes == {
        "token:self": f"{PLATFORM}: could not verify scopes of token self: no app secret configured"}
    assert snap.complete is False


def test_expiry_and_data_access_expiry_are_warned_before_they_run_out(meta_sandbox):
    data = business()
    data["tokens"][TOKEN].update(expires_at=int((NOW + timedelta(days=5)).timestamp()),
                                 data_access_expires_at=int((NOW - timedelta(days=1)).timestamp()))
    snap = meta_sandbox(data).connector().fetch(now=NOW)
    assert [n for n in snap.capabilities.notes if "token self" in n] == [
        f"{PLATFORM}: token self expires on 2024-04-06 00:00 UTC",
        f"{PLATFORM}: token self data access expired on 2024-03-31 00:00 UTC"]


@pytest.mark.constraint("meta", "debug_token_system_user_no_expiry")
def test_zero_expiry_of_a_system_user_token_means_never(meta_sandbox):
    data = business()
    data["tokens"][TOKEN].update(type="SYSTEM_USER", expires_at=0, data_access_expires_at=0)
    snap = meta_sandbox(data).connector().fetch(now=NOW)
    own = next(a for a in snap.apps if a.token_ref == "self")
    assert (own.raw["type"], own.raw["expires_at"]) == ("SYSTEM_USER", 0)
    assert not [n for n in snap.capabilities.notes if "expire" in n]


@pytest.mark.constraint("meta", "debug_token_granular_scopes_target_ids_optional")
def test_granular_scopes_without_target_ids_are_kept(meta_sandbox):
    data = business()
    data["tokens"][TOKEN]["granular_scopes"] = [{"scope": "business_management"},
                                                {"scope": "ads_read", "target_ids": ["6001"]}]
    snap = meta_sandbox(data).connector().fetch(now=NOW)
    own = next(a for a in snap.apps if a.token_ref == "self")
    assert own.raw["granular_scopes"] == data["tokens"][TOKEN]["granular_scopes"]


@pytest.mark.constraint("meta", "permission_error_codes")
def test_a_permission_error_on_one_edge_is_recorded_and_the_rest_read(sandbox):
    sandbox.faults.add("permission", "/act_6001/assigned_users")
    snap = sandbox.connector().fetch(now=NOW)
    assert not snap.complete and len(snap.errors) == 1 and "(#200)" in snap.errors[0]
    assert ("2001", "8501") in {(g.account_id, g.asset_id) for g in snap.grants} and len(snap.events) == 3


@pytest.mark.constraint("meta", "pages_buc_for_system_user_tokens")
def test_page_buc_rate_limit_on_a_page_token_call_is_waited_out(sandbox):
    sandbox.faults.add("rate_limit", "/5001/assigned_users", times=1, code=80001, regain_minutes=0)
    snap = sandbox.connector().fetch(now=NOW)
    assert snap.complete and page_grants(snap) == VIA_PAGE_TOKEN
    assert not sandbox.paths("/assigned_pages")  # retried with the Page token, not a fallback
