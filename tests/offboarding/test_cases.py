"""The case lifecycle against the emulator: checked until gone, closed as clean with a time per item, evidence
attached; unverifiable platforms; escalation past the deadline with a frozen clock; seeding from a scan."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from auditor.config import NotificationSettings, OffboardingSettings
from auditor.errors import ConfigError
from auditor.offboarding.cases import ESCALATION_RULE
from auditor.offboarding.deadline import deadline
from auditor.offboarding.use_cases import check_case, open_case, recheck_open_cases
from auditor.services.scan import run_scan
from tests.offboarding.conftest import HOOK_ENV, LEAVER, NOW, PLATFORM

LAST_DAY = date(2026, 10, 30)  # a Friday
DEADLINE = NOW.replace(day=3, hour=0, minute=0)  # the end of Monday 2 November


def _open(hr, uid: str = LEAVER, **kwargs):
    return open_case(hr.settings, uid=uid, last_working_day=LAST_DAY, source="web", opened_by="hanna.hr",
                     now=NOW, db=hr.db, **kwargs)


def test_the_case_closes_when_the_emulator_removes_the_access(hr):
    settings = hr.settings.model_copy(update={"offboarding": hr.settings.offboarding.model_copy(
        update={"evidence_report": True})})
    case = open_case(settings, uid=LEAVER, last_working_day=LAST_DAY, now=NOW, db=hr.db)["case"]
    assert case["counts"]["present"] == 6
    later = check_case(settings, case["id"], now=NOW + timedelta(hours=1), db=hr.db)
    assert later["status"] == "open" and later["checks"] == 2
    assert {i["last_seen_at"] for i in later["items"]} == {(NOW + timedelta(hours=1)).isoformat()}

    assert hr.emulator.remove_person(hr.user_id(LEAVER))  # an admin removes her from the business
    gone_at = NOW + timedelta(hours=3)
    closed = check_case(settings, case["id"], now=gone_at, db=hr.db)
    assert closed["status"] == "closed" and closed["resolution"] == "clean"
    assert closed["closed_at"] == gone_at.isoformat()
    assert {(i["state"], i["gone_at"]) for i in closed["items"]} == {("gone", gone_at.isoformat())}
    assert {i["last_seen_at"] for i in closed["items"]} == {(NOW + timedelta(hours=1)).isoformat()}
    assert closed["counts"] == {"present": 0, "gone": 6, "unverified": 0}
    assert closed["evidence_report_id"].startswith("OFF-"), closed["evidence_error"]
    assert Path(closed["evidence_path"]).read_bytes()[:5] == b"%PDF-"

    requests = len(hr.emulator.requests)
    again = check_case(settings, case["id"], now=gone_at + timedelta(hours=1), db=hr.db)
    assert again["checks"] == closed["checks"] and len(hr.emulator.requests) == requests, "closed cases rest"
    reopened = open_case(settings, uid=LEAVER, last_working_day=LAST_DAY, now=gone_at, db=hr.db, check=False)
    assert reopened["created"] and reopened["case"]["id"] != case["id"], "a closed case frees the person"


def test_an_unreadable_platform_leaves_items_unverified_and_the_case_open(hr):
    case = _open(hr)["case"]
    hr.emulator.faults.add("500", path_contains="/business_users", times=10)
    checked = check_case(hr.settings, case["id"], now=NOW + timedelta(hours=1), db=hr.db)
    assert checked["status"] == "open"
    assert {i["state"] for i in checked["items"]} == {"unverified"}
    platform = checked["platforms"][0]
    assert platform["status"] == "failed" and "business_users" in platform["errors"][0]
    assert {i["last_seen_at"] for i in checked["items"]} == {NOW.isoformat()}, "last seen stays when it was"
    hr.emulator.faults.clear()
    back = check_case(hr.settings, case["id"], now=NOW + timedelta(hours=2), db=hr.db)
    assert {i["state"] for i in back["items"]} == {"present"}


def test_a_partial_answer_does_not_count_as_gone(hr):
    case = _open(hr)["case"]
    hr.emulator.remove_person(hr.user_id(LEAVER))
    hr.emulator.faults.add("500", path_contains="/pending_users", times=10)
    checked = check_case(hr.settings, case["id"], now=NOW + timedelta(hours=1), db=hr.db)
    assert checked["platforms"][0]["status"] == "partial"
    assert checked["status"] == "open"
    assert {i["state"] for i in checked["items"]} == {"unverified"}


def test_escalation_past_the_deadline_with_a_frozen_clock(hr, receiver, monkeypatch):
    monkeypatch.setenv(HOOK_ENV, receiver.url)
    settings = hr.settings.model_copy(update={"notifications": NotificationSettings(
        enabled=True, webhook_url_env=HOOK_ENV, min_severity="high")})
    case = open_case(settings, uid=LEAVER, last_working_day=LAST_DAY, now=NOW, db=hr.db)["case"]
    assert case["deadline"] == DEADLINE.isoformat()
    before = check_case(settings, case["id"], now=DEADLINE - timedelta(minutes=1), db=hr.db)
    assert before["escalated_at"] is None and receiver.bodies == []
    assert hr.open_findings(ESCALATION_RULE) == []

    late = DEADLINE + timedelta(minutes=1)
    escalated = check_case(settings, case["id"], now=late, db=hr.db)
    assert escalated["escalated_at"] == late.isoformat() and escalated["status"] == "open"
    [finding] = hr.open_findings(ESCALATION_RULE)
    assert (finding["severity"], finding["status"], finding["person"]) == ("critical", "open", LEAVER)
    assert finding["category"] == "orphaned_access"
    assert "2026-11-03 00:00" in finding["message"] and "6 item(s)" in finding["message"]
    assert {r["item"] for r in finding["evidence"]["remaining"]} >= {
        "ADVERTISE+ANALYZE on ad_account Kwiatek – Brand"}
    [notice] = [b["json"] for b in receiver.bodies]
    assert notice["auditor"]["kind"] == "offboarding_escalation"
    assert "Karolina Szymańska (kszymanska)" in notice["text"]
    assert "page Kwiatek Sklep is still present" in notice["text"]
    assert notice["auditor"]["severity"] == "critical"

    check_case(settings, case["id"], now=late + timedelta(hours=1), db=hr.db)
    assert len(receiver.bodies) == 1, "escalates once"

    run_scan(settings, now=late + timedelta(hours=2))  # a full scan must not resolve the case's finding
    assert hr.open_findings(ESCALATION_RULE)[0]["status"] == "open"

    hr.emulator.remove_person(hr.user_id(LEAVER))
    closed = check_case(settings, case["id"], now=late + timedelta(hours=3), db=hr.db)
    assert closed["status"] == "closed"
    [resolved] = hr.open_findings(ESCALATION_RULE)
    assert resolved["status"] == "resolved" and resolved["resolved_at"] == late + timedelta(hours=3)


def test_a_case_opened_after_its_deadline_escalates_at_the_first_check(hr):
    case = open_case(hr.settings, uid=LEAVER, last_working_day=date(2026, 10, 1), now=NOW, db=hr.db)["case"]
    assert case["escalated_at"] == NOW.isoformat()
    assert hr.open_findings(ESCALATION_RULE)[0]["severity"] == "critical"


def test_a_scan_seeds_the_case_and_finds_accounts_linked_by_hand(hr):
    run_scan(hr.settings, now=NOW - timedelta(days=1))
    jakub = "jmazur"  # only holds a gmail business user, linked to him by a manual link
    seeded = open_case(hr.settings, uid=jakub, last_working_day=LAST_DAY, now=NOW, db=hr.db, check=False)["case"]
    assert seeded["items"], "the last scan's inventory is the first verdict"
    assert {(i["source"], i["state"]) for i in seeded["items"]} == {("inventory", "present")}
    assert {i["last_seen_at"] for i in seeded["items"]} == {(NOW - timedelta(days=1)).isoformat()}
    account = next(i for i in seeded["items"] if i["kind"] == "account")
    assert "jakub.mazur.ads@gmail.com" in account["label"]

    checked = check_case(hr.settings, seeded["id"], now=NOW, db=hr.db)
    assert {i["state"] for i in checked["items"]} == {"present"}
    assert {i["last_seen_at"] for i in checked["items"]} == {NOW.isoformat()}
    assert {i["account_id"] for i in checked["items"]} == {account["account_id"]}


def test_without_a_scan_a_hand_linked_account_is_not_found_by_address(hr):
    case = open_case(hr.settings, uid="jmazur", last_working_day=LAST_DAY, now=NOW, db=hr.db)["case"]
    assert case["items"] == [] and case["status"] == "closed", "nothing found under his company addresses"


def test_the_scheduler_job_rechecks_every_open_case(hr):
    first = _open(hr)["case"]
    second = _open(hr, uid="twisniewski")["case"]  # a leaver from the planted cases
    assert second["counts"]["present"] >= 3
    hr.emulator.remove_person(hr.user_id(LEAVER))
    views = {v["id"]: v for v in recheck_open_cases(hr.settings, now=NOW + timedelta(hours=1))}
    assert set(views) == {first["id"], second["id"]}
    assert views[first["id"]]["status"] == "closed"
    assert views[second["id"]]["status"] == "open"


@pytest.mark.parametrize(("last_day", "days", "holidays", "expected"), [
    (date(2026, 10, 30), 1, [], "2026-11-03T00:00:00+00:00"),  # Friday -> end of Monday
    (date(2026, 10, 28), 1, [], "2026-10-30T00:00:00+00:00"),  # Wednesday -> end of Thursday
    (date(2026, 10, 30), 0, [], "2026-10-31T00:00:00+00:00"),  # 0: the end of the last day itself
    (date(2026, 12, 23), 1, ["2026-12-24", "2026-12-25"], "2026-12-29T00:00:00+00:00"),
    (date(2026, 10, 30), 2, [], "2026-11-04T00:00:00+00:00"),
])
def test_the_deadline_counts_business_days(last_day, days, holidays, expected):
    config = OffboardingSettings(deadline_business_days=days, holidays=holidays)
    assert deadline(last_day, config).isoformat() == expected


def test_the_deadline_ends_days_in_the_configured_time_zone():
    config = OffboardingSettings(timezone="Europe/Warsaw")
    assert deadline(date(2026, 10, 30), config).isoformat() == "2026-11-02T23:00:00+00:00"


def test_bad_deadline_settings_name_their_key():
    with pytest.raises(ConfigError, match="offboarding.holidays"):
        deadline(LAST_DAY, OffboardingSettings(holidays=["24.12.2026"]))
    with pytest.raises(ConfigError, match="offboarding.timezone"):
        deadline(LAST_DAY, OffboardingSettings(timezone="Nowhere/Else"))


def test_the_platform_is_named_on_every_item(hr):
    case = _open(hr)["case"]
    assert {i["platform"] for i in case["items"]} == {PLATFORM}


def test_the_evidence_agrees_with_the_case_before_the_next_scan(hr):
    from auditor.reporting.use_cases import report_data

    run_scan(hr.settings, now=NOW - timedelta(days=1))
    case = _open(hr)["case"]
    before = report_data(hr.settings, "offboarding", person=LEAVER, platform=PLATFORM, now=NOW)["content"]
    assert before["summary"]["open"]["grants"] > 0 and before["summary"]["grants_removed"] == 0

    hr.emulator.remove_person(hr.user_id(LEAVER))
    gone_at = NOW + timedelta(hours=2)
    assert check_case(hr.settings, case["id"], now=gone_at, db=hr.db)["status"] == "closed"
    # no scan ran since: the inventory still lists the grants, the case saw them gone
    after = report_data(hr.settings, "offboarding", person=LEAVER, platform=PLATFORM, now=gone_at)["content"]
    grants = [g for a in after["accounts"] for g in a["grants"]]
    assert grants and {(g["status"], g["gone_at"]) for g in grants} == {("removed", gone_at.isoformat())}
    assert after["summary"]["complete"] is True
    assert {a["status"] for a in after["accounts"]} == {"removed"}
