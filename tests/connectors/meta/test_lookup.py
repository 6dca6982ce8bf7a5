"""MetaConnector.lookup: targeted reads through the per-user asset views, never a walk of every asset."""

from __future__ import annotations

from datetime import UTC, datetime

from auditor.model import AccountKind
from tests.connectors.conftest import PLATFORM
from tests.connectors.meta_fixtures import BUSINESS_ID

NOW = datetime(2024, 4, 1, tzinfo=UTC)


def grants_of(snap):
    return {(g.account_id, g.asset_id): (g.role, g.privileged) for g in snap.grants}


def assigned_users_calls(sandbox):
    return sorted({r.path for r in sandbox.emulator.requests if r.path.endswith("/assigned_users")})


def test_lookup_by_email_uses_per_user_views(sandbox):
    snap = sandbox.connector().lookup(now=NOW, emails=["BEN@kwiatek.example"])
    assert snap.complete, snap.errors
    assert [a.account_id for a in snap.accounts] == ["2002"]
    assert grants_of(snap) == {
        ("2002", None): ("EMPLOYEE", False),
        ("2002", "5001"): ("CREATE_CONTENT+MODERATE", False),
        ("2002", "act_6001"): ("ADVERTISE+ANALYZE+DRAFT", False),
        ("2002", "8501"): ("MESSAGING+VIEW_TEMPLATES", False),
        ("2002", "8001"): ("COMMUNITY_ACTIVITY+CONTENT+MESSAGES", False),
    }
    assert {(a.asset_id, a.kind) for a in snap.assets} == {
        ("5001", "page"), ("act_6001", "ad_account"), ("8501", "whatsapp_business_account"),
        ("8001", "instagram_account")}
    views = {r.path for r in sandbox.emulator.requests if "/2002/" in r.path}
    assert views == {"/2002/assigned_pages", "/2002/assigned_ad_accounts",
                     "/2002/assigned_whatsapp_business_accounts"}
    # no walk of pages, ad accounts or WhatsApp accounts: only the Instagram asset (no per-user IG view)
    assert assigned_users_calls(sandbox) == ["/8001/assigned_users"]
    assert not sandbox.paths("/owned_pages") and not sandbox.paths("/owned_ad_accounts")
    assert not sandbox.paths("/activities") and not sandbox.paths("/system_users")


def test_lookup_without_instagram_walk_makes_no_assigned_users_call(sandbox):
    connector = sandbox.connector(options={"max_wait": 0.0, "lookup_instagram": False})
    snap = connector.lookup(now=NOW, emails=["anna@kwiatek.example"])
    assert assigned_users_calls(sandbox) == []
    assert grants_of(snap) == {
        ("2001", None): ("ADMIN", True),
        ("2001", "5001"): ("ADVERTISE+ANALYZE+CREATE_CONTENT+MANAGE+MODERATE", True),
        ("2001", "5002"): ("MANAGE", True),
        ("2001", "act_6001"): ("ADVERTISE+ANALYZE+MANAGE", True),
        ("2001", "8501"): ("FULL_CONTROL", True),
    }


def test_lookup_finds_pending_invitations_by_email(sandbox):
    snap = sandbox.connector().lookup(now=NOW, emails=["eve@kwiatek.example"])
    assert [(a.account_id, a.kind, a.state) for a in snap.accounts] == [
        ("invite:4001", AccountKind.INVITATION, "pending")]
    assert grants_of(snap) == {("invite:4001", None): ("EMPLOYEE", False)}
    pending = [r for r in sandbox.emulator.requests if r.path.endswith("/pending_users")]
    assert [r.params.get("email") for r in pending] == ["eve@kwiatek.example"]


def test_lookup_by_pending_email_of_a_business_user(sandbox):
    snap = sandbox.connector().lookup(now=NOW, emails=["ben.new@kwiatek.example"])
    assert [a.account_id for a in snap.accounts] == ["2002"]


def test_lookup_by_account_ids(sandbox):
    snap = sandbox.connector().lookup(now=NOW, account_ids=["3001", "invite:4002"])
    assert [a.account_id for a in snap.accounts] == ["3001", "invite:4002"]
    grants = grants_of(snap)
    assert grants[("3001", "5001")] == ("ANALYZE+TELEPORT", False)
    assert grants[("invite:4002", None)] == ("ADMIN", True)
    assert not sandbox.paths("/invite:4002/")


def test_lookup_with_no_match_is_empty_and_complete(sandbox):
    snap = sandbox.connector().lookup(now=NOW, emails=["nobody@kwiatek.example"])
    assert snap.complete and snap.accounts == [] and snap.grants == [] and snap.assets == []
    assert snap.tenant.tenant_id == BUSINESS_ID


def test_lookup_failure_of_one_view_marks_incomplete(sandbox):
    sandbox.faults.add("500", "/2002/assigned_pages", times=None)
    snap = sandbox.connector(max_retries=0).lookup(now=NOW, emails=["ben@kwiatek.example"])
    assert not snap.complete
    assert snap.errors == [f"{PLATFORM}: server error 500 after 1 attempts: GET /2002/assigned_pages: "
                           "An unknown error occurred (code 1)"]
    assert ("2002", "act_6001") in grants_of(snap) and ("2002", "5001") not in grants_of(snap)
