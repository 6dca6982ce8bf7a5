"""Readable finding texts: templates filled with names, role words, Yes/No and dates in the configured zone;
the generic coverage wording; the fallback to the stored message; the one date formatter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from auditor import dates
from auditor.errors import ConfigError
from auditor.findings.texts import Texts, evidence_rows, finding_text, is_coverage, role_label, where
from auditor.policy import load_policies

POLICIES = Path(__file__).resolve().parents[2] / "policies"
WARSAW = Texts(language="en", timezone="Europe/Warsaw")
FINDING = {
    "rule": "orphaned-access", "message": "stored", "role": "EMPLOYEE",
    "evidence": {
        "rule": "orphaned-access",
        "facts": {
            "person.display_name": "Anna Nowak", "person.departure": "2026-11-12T00:00:00+00:00",
            "person.status": "departed", "account.label": "Anna N.", "account.grant_count": 1,
            "account.privileged": True, "account.grants": ["act_1:ADVERTISE+ANALYZE"],
            "account.access": [{"asset": "Shop PL", "kind": "ad_account", "role": "ADVERTISE+ANALYZE",
                                "privileged": True}],
            "event.first_after_departure": "2026-11-24T00:26:18.123456+00:00",
        },
        "parameters": {},
        "texts": {
            "en": {"name": "Leaver", "title": "{fact.person.display_name} still has access",
                   "message": "{fact.person.display_name} left on {fact.person.departure}; "
                              "{fact.account.access}; privileged {fact.account.privileged}; "
                              "first {fact.event.first_after_departure}"},
            "pl": {"name": "Odejście", "title": "{fact.person.display_name} nadal ma dostęp",
                   "message": "{fact.account.access}, status {fact.person.status}"},
        },
    },
}


def test_a_finding_reads_with_names_role_words_yes_no_and_local_minutes():
    text = finding_text(FINDING, WARSAW)
    assert text["title"] == "Anna Nowak still has access"
    assert text["message"] == ("Anna Nowak left on 12 Nov 2026; Advertise + Analyze on ad account “Shop PL”; "
                               "privileged Yes; first 24 Nov 2026, 01:26")  # CET is UTC+1 in November
    assert where(FINDING, WARSAW) == {"asset": "ad account Shop PL", "role": "Advertise + Analyze"}


def test_polish_texts_and_values():
    text = finding_text(FINDING, Texts(language="pl", timezone="Europe/Warsaw"))
    assert text == {"title": "Anna Nowak nadal ma dostęp",
                    "message": "Advertise + Analyze – konto reklamowe „Shop PL”, status odejście"}


def test_evidence_is_a_labelled_table_without_python_booleans():
    rows = dict(evidence_rows(FINDING, WARSAW))
    assert rows["Account: privileged"] == "Yes" and rows["Person: departure"] == "12 Nov 2026"
    assert rows["Account: grants"] == "act_1:ADVERTISE+ANALYZE"  # the machine value stays in the evidence
    printed = dict(evidence_rows(FINDING, WARSAW, machine=False))
    assert "Account: grants" not in printed and "Account: access" in printed


def test_coverage_notes_and_fallbacks():
    note = {"rule": "missing-2fa", "outcome": "coverage", "message": "x",
            "evidence": {"rule": "missing-2fa", "count": 3, "resource": "account", "names": {"en": "2FA is off",
                         "pl": "Brak 2FA"}, "reason": "the platform does not expose per-user 2FA status"}}
    assert is_coverage(note) and not is_coverage(FINDING)
    assert finding_text(note, WARSAW) == {
        "title": "Not checked: 2FA is off",
        "message": "3 account(s) could not be checked: the platform does not expose per-user 2FA status"}
    assert finding_text(note, Texts(language="pl"))["message"] == (
        "Nie sprawdzono 3 (konta): platforma nie udostępnia stanu 2FA poszczególnych użytkowników")
    old = {"rule": "gone", "message": "stored message", "evidence": {}}
    assert finding_text(old, WARSAW) == {"title": "stored message", "message": "stored message"}


def test_role_labels_keep_the_platforms_words():
    assert role_label("ACCOUNT_ADMIN") == "Account admin"
    assert role_label("editor") == "Editor" and role_label("Administrators") == "Administrators"
    assert role_label(None) == "-"


def test_one_date_formatter_to_the_minute_in_the_configured_zone():
    moment = datetime(2026, 7, 1, 22, 30, 59, 999999, tzinfo=UTC)
    assert dates.format_when(moment, tz="Europe/Warsaw") == "2 Jul 2026, 00:30"
    assert dates.format_when(moment) == "1 Jul 2026, 22:30"
    assert dates.format_when("2026-07-01", language="pl") == "1 lip 2026"
    assert dates.format_day(moment, tz="Europe/Warsaw") == "2 Jul 2026"
    assert dates.format_when(None) == "-" and dates.format_when("not a date") == "not a date"
    assert dates.format_date(date(2026, 12, 2), "pl") == "2 gru 2026"
    with pytest.raises(ConfigError, match="timezone: unknown time zone 'Mars/Olympus'"):
        dates.format_when(moment, tz="Mars/Olympus")


def test_every_shipped_rule_has_english_and_polish_texts():
    for policy in load_policies(POLICIES):
        assert set(policy.texts) == {"en", "pl"}, policy.id
        for language, text in policy.texts.items():
            assert text["title"] and text["message"] and text["name"], (policy.id, language)
