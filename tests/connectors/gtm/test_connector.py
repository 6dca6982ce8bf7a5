"""The Tag Manager connector over real HTTP against its emulator: paging, roles, refusals and failures."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from auditor.connectors.gtm.connector import NEEDS
from auditor.connectors.http import ConnectorAuthError, ConnectorPermissionError
from auditor.errors import ConnectorError
from tests.connectors.gtm.conftest import ACCOUNT, SERVER, TOKEN, WEB, GtmSandbox, account, permission

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def _grants(snap) -> dict[tuple[str, str | None], tuple[str, bool]]:
    return {(g.account_id, g.asset_id): (g.role, g.privileged) for g in snap.grants}


@pytest.mark.constraint("gtm", "page_token_paging")
def test_every_page_is_read_with_page_tokens(gtm_sandbox) -> None:
    sandbox: GtmSandbox = gtm_sandbox(account(extra=7))
    snap = sandbox.connector().fetch(now=NOW)
    assert len(snap.accounts) == 12 and snap.complete
    requests = sandbox.requests("/user_permissions")
    assert len(requests) == 6 and "pageToken" not in requests[0].params and requests[-1].params["pageToken"]


@pytest.mark.constraint("gtm", "v2_single_permission")
def test_publish_and_account_admin_are_privileged(sandbox: GtmSandbox) -> None:
    snap = sandbox.connector().fetch(now=NOW)
    grants = _grants(snap)
    assert grants[("101", None)] == ("admin", True)
    assert grants[("101", WEB)] == ("publish", True) and grants[("102", WEB)] == ("publish", True)
    assert grants[("102", None)] == ("user", False)
    assert grants[("103", WEB)] == ("edit", False) and grants[("103", SERVER)] == ("read", False)
    assert grants[("104", WEB)] == ("approve", False)
    assert ("104", SERVER) not in grants  # noAccess is no grant
    assert {a.asset_id for a in snap.assets} == {WEB, SERVER}
    assert {a.account_id: a.emails for a in snap.accounts}["102"] == ("ben@kwiatek.example",)
    assert snap.tenant.name == "Kwiatek" and snap.tenant.tenant_id == ACCOUNT


def test_unknown_permission_values_are_kept_and_not_privileged(sandbox: GtmSandbox) -> None:
    snap = sandbox.connector().fetch(now=NOW)
    unknown = {(g.asset_id): g for g in snap.grants if g.account_id == "105"}
    assert unknown[WEB].role == "superPublish" and unknown[WEB].privileged is False
    assert unknown[WEB].raw["unknown_permission"] == "superPublish"
    assert unknown[None].raw["unknown_permission"] == "accountPermissionUnspecified"


def test_a_rejected_token_raises(gtm_sandbox) -> None:
    sandbox = gtm_sandbox()
    sandbox.emulator.token = "other"
    with pytest.raises(ConnectorAuthError, match="token rejected \\(401\\)") as info:
        sandbox.connector().fetch(now=NOW)
    assert TOKEN not in str(info.value)


@pytest.mark.constraint("gtm", "scope_manage_users")
@pytest.mark.constraint("gtm", "error_body")
def test_a_read_only_token_is_refused_naming_the_scope(gtm_sandbox) -> None:
    data = account()
    data["token_scopes"] = ["https://www.googleapis.com/auth/tagmanager.readonly"]
    sandbox = gtm_sandbox(data)
    raw = httpx.get(f"{sandbox.base_url}/accounts/{ACCOUNT}/user_permissions",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert raw.status_code == 403 and raw.json()["error"]["status"] == "PERMISSION_DENIED"
    with pytest.raises(ConnectorPermissionError, match="tagmanager.manage.users"):
        sandbox.connector().fetch(now=NOW)
    (problem,) = sandbox.connector().check()
    assert NEEDS in problem


@pytest.mark.constraint("gtm", "no_page_size")
def test_a_page_size_is_refused(sandbox: GtmSandbox) -> None:
    raw = httpx.get(f"{sandbox.base_url}/accounts/{ACCOUNT}/user_permissions", params={"pageSize": 50},
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert raw.status_code == 400 and "pageSize" in raw.json()["error"]["message"]


@pytest.mark.constraint("gtm", "page_token_paging")
def test_a_foreign_page_token_is_refused(sandbox: GtmSandbox) -> None:
    raw = httpx.get(f"{sandbox.base_url}/accounts/{ACCOUNT}/user_permissions", params={"pageToken": "bogus"},
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert raw.status_code == 400 and raw.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.constraint("gtm", "v1_paths_absent")
def test_the_v1_surface_is_not_served(sandbox: GtmSandbox) -> None:
    raw = httpx.get(f"{sandbox.url}/tagmanager/v1/accounts/{ACCOUNT}/permissions",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert raw.status_code == 404


def test_get_one_permission(sandbox: GtmSandbox) -> None:
    raw = httpx.get(f"{sandbox.base_url}/accounts/{ACCOUNT}/user_permissions/102",
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert raw.json()["containerAccess"][0]["permission"] == "publish"


@pytest.mark.parametrize("fault", ["429", "500", "503"])
def test_transient_failures_are_retried(sandbox: GtmSandbox, fault: str) -> None:
    sandbox.faults.add(fault, "user_permissions", times=2)
    snap = sandbox.connector().fetch(now=NOW)
    assert len(snap.accounts) == 5 and snap.complete


def test_a_lasting_rate_limit_fails_the_fetch(sandbox: GtmSandbox) -> None:
    sandbox.faults.add("429", "user_permissions", times=None)
    with pytest.raises(ConnectorError, match="rate limited after 3 attempts"):
        sandbox.connector().fetch(now=NOW)


@pytest.mark.parametrize(("fault", "message"), [("malformed", "malformed JSON"), ("truncated", "malformed JSON"),
                                                ("missing_data", "truncated page")])
def test_broken_answers_fail_the_fetch(sandbox: GtmSandbox, fault: str, message: str) -> None:
    sandbox.faults.add(fault, "user_permissions")
    with pytest.raises(ConnectorError, match=message):
        sandbox.connector().fetch(now=NOW)


def test_a_malformed_item_marks_the_tenant_incomplete(gtm_sandbox) -> None:
    data = account()
    data["user_permissions"].append({"emailAddress": "ghost@kwiatek.example"})
    data["user_permissions"].append(permission("106", "fay@kwiatek.example", "user", {WEB: "read"}))
    snap = gtm_sandbox(data).connector().fetch(now=NOW)
    assert not snap.complete and "tenant" in snap.incomplete_scopes
    assert "1 malformed user permission" in snap.incomplete_scopes["tenant"]
    assert len(snap.accounts) == 6


def test_a_missing_account_id_is_one_plain_message(sandbox: GtmSandbox) -> None:
    connector = sandbox.connector(tenant_id=None)
    assert connector.check() == ["platform 'kwiatek-gtm': tenant_id (the Tag Manager account id) is not set"]
