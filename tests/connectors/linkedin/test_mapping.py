"""LinkedIn role tables and the pure mapping of organizationAcls / adAccountUsers elements."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from auditor.connectors.http import HttpClient
from auditor.connectors.linkedin import dialect
from auditor.connectors.linkedin.mapping import (
    AD_ACCOUNT_ROLES,
    ORGANIZATION_ROLES,
    acl_grant,
    ad_user_grant,
    is_live,
    ms_time,
    stamp_events,
    urn,
    valid_acl,
    valid_ad_user,
)
from auditor.errors import ConnectorError

ORG = "urn:li:organization:1"
ADS = "urn:li:sponsoredAccount:9"


def test_every_documented_role_is_mapped_and_only_admins_are_privileged():
    assert set(ORGANIZATION_ROLES) == {
        "ADMINISTRATOR", "DIRECT_SPONSORED_CONTENT_POSTER", "RECRUITING_POSTER", "LEAD_CAPTURE_ADMINISTRATOR",
        "LEAD_GEN_FORMS_MANAGER", "ANALYST", "CURATOR", "CONTENT_ADMINISTRATOR"}
    assert [r for r, p in ORGANIZATION_ROLES.items() if p] == ["ADMINISTRATOR"]
    assert set(AD_ACCOUNT_ROLES) == {"VIEWER", "CREATIVE_MANAGER", "CAMPAIGN_MANAGER", "ACCOUNT_MANAGER",
                                     "ACCOUNT_BILLING_ADMIN"}
    assert {r for r, p in AD_ACCOUNT_ROLES.items() if p} == {"ACCOUNT_MANAGER", "ACCOUNT_BILLING_ADMIN"}


@pytest.mark.parametrize(("state", "live"), [
    ("APPROVED", True), ("approved", True), ("REQUESTED", False), ("REJECTED", False), ("REVOKED", False),
    ("PENDING_REVIEW", True), (None, True),
])
def test_only_known_inactive_states_are_not_live(state, live):
    assert is_live({"roleAssignee": "urn:li:person:a", "role": "ANALYST", "state": state}) is live


@pytest.mark.parametrize("role", sorted(ORGANIZATION_ROLES))
def test_acl_grant_for_every_role(role):
    grant = acl_grant(ORG, {"roleAssignee": "urn:li:person:a", "role": role, "organization": ORG,
                            "state": "APPROVED"})
    assert (grant.account_id, grant.asset_id, grant.role) == ("urn:li:person:a", ORG, role)
    assert grant.privileged is ORGANIZATION_ROLES[role]
    assert grant.raw == {"role": role, "state": "APPROVED"}


def test_unknown_role_and_state_are_kept_as_evidence_and_not_privileged():
    unknown_role = acl_grant(ORG, {"roleAssignee": "urn:li:person:a", "role": "OWNER", "state": "APPROVED"})
    assert (unknown_role.privileged, unknown_role.raw["unknown_role"]) == (False, "OWNER")
    unknown_state = acl_grant(ORG, {"roleAssignee": "urn:li:person:a", "role": "ADMINISTRATOR", "state": "HELD"})
    assert (unknown_state.privileged, unknown_state.raw["unknown_state"]) == (False, "HELD")
    other_org = acl_grant(ORG, {"roleAssignee": "urn:li:person:a", "role": "ANALYST", "state": "APPROVED",
                                "organization": "urn:li:organization:2"})
    assert other_org.raw["organization"] == "urn:li:organization:2"


@pytest.mark.parametrize("role", sorted(AD_ACCOUNT_ROLES))
def test_ad_user_grant_for_every_role_with_audit_stamps(role):
    item = {"account": ADS, "user": "urn:li:person:b", "role": role,
            "changeAuditStamps": {"created": {"time": 1509484815000, "actor": "urn:li:person:c"},
                                  "lastModified": {"time": 1509484815000}}}
    grant = ad_user_grant(ADS, item)
    assert grant.privileged is AD_ACCOUNT_ROLES[role]
    assert grant.granted_at == datetime(2017, 10, 31, 21, 20, 15, tzinfo=UTC)
    assert grant.granted_by == "urn:li:person:c"
    assert grant.raw["changeAuditStamps"] == item["changeAuditStamps"]


def test_ad_user_unknown_role_and_missing_stamps():
    grant = ad_user_grant(ADS, {"account": ADS, "user": "urn:li:person:b", "role": "GOD_MODE"})
    assert (grant.privileged, grant.raw["unknown_role"], grant.granted_at, grant.granted_by) == (
        False, "GOD_MODE", None, None)


def test_stamp_events_created_and_a_different_last_modified():
    item = {"account": ADS, "user": "urn:li:person:b", "role": "VIEWER",
            "changeAuditStamps": {"created": {"time": 1_700_000_000_000, "actor": "urn:li:person:c"},
                                  "lastModified": {"time": 1_710_000_000_000, "actor": "urn:li:person:d"}}}
    created, modified = stamp_events(ADS, item)
    assert (created.action, created.actor_id, created.target_id, created.asset_id) == (
        "role_granted", "urn:li:person:c", "urn:li:person:b", ADS)
    assert (modified.action, modified.actor_id, modified.raw_action) == (
        "role_changed", "urn:li:person:d", "adAccountUsers.changeAuditStamps.lastModified")
    assert created.event_id != modified.event_id and stamp_events(ADS, item)[0].event_id == created.event_id
    same = {**item, "changeAuditStamps": {"created": {"time": 1_700_000_000_000},
                                          "lastModified": {"time": 1_700_000_000_000}}}
    assert [e.action for e in stamp_events(ADS, same)] == ["role_granted"]
    assert stamp_events(ADS, {"user": "urn:li:person:b", "role": "VIEWER"}) == []


@pytest.mark.parametrize(("value", "expected"), [
    (1_700_000_000_000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)), (0, None), (-5, None), ("1", None),
    (True, None), (None, None), (10**20, None),
])
def test_ms_time(value, expected):
    assert ms_time(value) == expected


def test_urns_and_element_validation():
    assert urn("urn:li:organization:", "12") == "urn:li:organization:12"
    assert urn("urn:li:organization:", "urn:li:organization:12") == "urn:li:organization:12"
    assert valid_acl({"roleAssignee": "urn:li:person:a", "role": "ANALYST"})
    assert not valid_acl({"roleAssignee": "urn:li:person:a"}) and not valid_acl(["x"])
    assert valid_ad_user({"user": "urn:li:person:a", "role": "VIEWER"}) and not valid_ad_user({"role": "VIEWER"})


def _client(handler) -> HttpClient:
    return HttpClient("li", "http://linkedin.test/rest", transport=httpx.MockTransport(handler), max_retries=0,
                      error_info=dialect.error_info)


def test_read_elements_stops_at_total_and_without_total_on_a_short_page():
    starts = []

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        starts.append(start)
        rows = list(range(5))[start:start + int(request.url.params["count"])]
        paging = {"start": start, "count": 2, "links": []}
        if request.url.params.get("with_total") == "1":
            paging["total"] = 5
        return httpx.Response(200, json={"elements": rows, "paging": paging})

    with _client(handler) as client:
        assert [e for page in dialect.read_elements(client, "x", {"with_total": "1"}, 2) for e in page] == [
            0, 1, 2, 3, 4]
        assert starts == [0, 2, 4]
        starts.clear()
        assert sum(len(p) for p in dialect.read_elements(client, "x", {}, 2)) == 5
        assert starts == [0, 2, 4]


def test_read_elements_detects_an_empty_page_before_the_total():
    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        rows = [1, 2] if start == 0 else []
        return httpx.Response(200, json={"elements": rows, "paging": {"start": start, "count": 2, "total": 9}})

    with _client(handler) as client, pytest.raises(ConnectorError) as caught:
        list(dialect.read_elements(client, "organizationAcls", {}, 2))
    assert "li: truncated paging from GET /organizationAcls: paging.total is 9" in str(caught.value)


def test_error_info_reads_linkedin_errors_and_names_the_scope():
    request = httpx.Request("GET", "http://linkedin.test/rest/adAccountUsers?q=accounts")
    denied = httpx.Response(403, json={"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                                       "message": "Not enough permissions"}, request=request)
    info = dialect.error_info(denied)
    assert info.kind == "permission" and "r_ads" in info.message and "ACCESS_DENIED" in info.message
    expired = httpx.Response(400, json={"status": 400, "code": "EXPIRED_ACCESS_TOKEN", "message": "expired"},
                             request=request)
    assert dialect.error_info(expired).kind == "auth"
    plain = httpx.Response(500, text="<html>oops</html>", request=request)
    assert dialect.error_info(plain).kind is None
