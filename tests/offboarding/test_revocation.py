"""Revocation end to end on the Meta emulator: proposed by the tool on opted-in platforms only, approved by a
security officer who did not open the case, run once, every call recorded, then the case closes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from auditor.offboarding.revocation import RevocationError
from auditor.offboarding.use_cases import check_case, decide_revocation, open_case, run_revocation
from tests.offboarding.conftest import LEAVER, NOW, PLATFORM

LAST_DAY = date(2026, 10, 30)


def _case(hr, uid: str = LEAVER, settings=None):
    return open_case(settings or hr.settings, uid=uid, last_working_day=LAST_DAY, source="web",
                     opened_by="hanna.hr", now=NOW, db=hr.db)["case"]


def test_the_tool_proposes_and_nothing_runs_without_approval(hr):
    case = _case(hr)
    [proposal] = case["revocations"]
    user = hr.user_id(LEAVER)
    assert (proposal["platform"], proposal["action"], proposal["target"]) == (PLATFORM, "remove_business_user", user)
    assert proposal["status"] == "proposed" and "Karolina Szymańska" in proposal["label"]
    assert not [r for r in hr.emulator.requests if r.method != "GET"], "proposing calls nothing"
    again = check_case(hr.settings, case["id"], now=NOW + timedelta(hours=1), db=hr.db)
    assert len(again["revocations"]) == 1, "proposed once"
    with pytest.raises(RevocationError, match="only an approved one can run"):
        run_revocation(hr.settings, proposal["id"], now=NOW, db=hr.db)


def test_an_approved_removal_runs_once_is_recorded_and_closes_the_case(hr):
    case = _case(hr)
    proposal = case["revocations"][0]
    later = NOW + timedelta(hours=2)
    closed = decide_revocation(hr.settings, proposal["id"], by="sam.security", role="security_officer",
                               approve=True, reason="leaver, confirmed with the manager", now=later, db=hr.db)
    [done] = closed["revocations"]
    assert (done["status"], done["decided_by"], done["decided_role"]) == ("executed", "sam.security",
                                                                          "security_officer")
    assert done["reason"] == "leaver, confirmed with the manager" and done["executed_at"] == later.isoformat()
    [call] = done["calls"]
    assert (call["method"], call["path"], call["status"], call["outcome"]) == ("DELETE", f"/{proposal['target']}",
                                                                               200, "ok")
    deletes = [r for r in hr.emulator.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == [f"/{proposal['target']}"]
    assert deletes[0].token_source == "header"
    assert closed["status"] == "closed" and {i["state"] for i in closed["items"]} == {"gone"}
    assert {i["gone_at"] for i in closed["items"]} == {later.isoformat()}
    with pytest.raises(RevocationError, match="executed, not proposed"):
        decide_revocation(hr.settings, proposal["id"], by="sam.security", role="security_officer", approve=True,
                          now=later, db=hr.db)
    with pytest.raises(RevocationError, match="only an approved one can run"):
        run_revocation(hr.settings, proposal["id"], now=later, db=hr.db)
    assert len([r for r in hr.emulator.requests if r.method == "DELETE"]) == 1


@pytest.mark.parametrize(("by", "role", "message"), [
    ("hanna.hr", "security_officer", "hanna.hr opened this case"),
    ("olga.admin", "admin", "only a security officer"),
    ("henry.hr", "hr", "only a security officer"),
])
def test_only_a_second_person_who_is_a_security_officer_decides(hr, by, role, message):
    case = _case(hr)
    proposal = case["revocations"][0]
    with pytest.raises(RevocationError, match=message) as info:
        decide_revocation(hr.settings, proposal["id"], by=by, role=role, approve=True, now=NOW, db=hr.db)
    assert info.value.status == 403
    assert not [r for r in hr.emulator.requests if r.method == "DELETE"]


def test_a_rejected_proposal_never_runs(hr):
    case = _case(hr)
    proposal = case["revocations"][0]
    view = decide_revocation(hr.settings, proposal["id"], by="sam.security", role="security_officer",
                             approve=False, reason="moves to the agency, keeps access", now=NOW, db=hr.db)
    assert view["revocations"][0]["status"] == "rejected"
    assert view["status"] == "open"
    with pytest.raises(RevocationError):
        run_revocation(hr.settings, proposal["id"], now=NOW, db=hr.db)
    assert not [r for r in hr.emulator.requests if r.method == "DELETE"]


def test_a_failed_call_is_recorded_and_the_access_stays(hr):
    case = _case(hr)
    proposal = case["revocations"][0]
    hr.emulator.faults.add("permission", path_contains=f"/{proposal['target']}", times=1)
    view = decide_revocation(hr.settings, proposal["id"], by="sam.security", role="security_officer", approve=True,
                             now=NOW, db=hr.db)
    [failed] = view["revocations"]
    assert failed["status"] == "failed" and "business_management" in failed["error"]
    assert [(c["method"], c["outcome"], c["status"]) for c in failed["calls"]] == [("DELETE", "error", 403)]
    assert view["status"] == "open" and view["counts"]["present"] == 6


def test_invitations_are_cancelled_through_their_own_call(hr):
    invited = "rzielinski"  # departed, yet a pending invitation was sent to his address 5 days ago
    case = _case(hr, uid=invited)
    [proposal] = case["revocations"]
    assert proposal["action"] == "cancel_invitation" and not proposal["target"].startswith("invite:")
    view = decide_revocation(hr.settings, proposal["id"], by="sam.security", role="security_officer", approve=True,
                             now=NOW, db=hr.db)
    assert view["revocations"][0]["status"] == "executed"
    assert view["status"] == "closed"


def test_revocation_is_off_unless_the_platform_opted_in(hr):
    settings = hr.settings.model_copy(update={"offboarding": hr.settings.offboarding.model_copy(
        update={"revocation_platforms": []})})
    case = _case(hr, settings=settings)
    assert case["counts"]["present"] == 6
    assert case["revocations"] == []
