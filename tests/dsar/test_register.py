"""The register's lifecycle over SQLite and PostgreSQL: statuses, identity, clock stops, extension, closing,
history, and the due date kept in step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from auditor.dsar import register
from auditor.dsar.errors import DsarError, ExtensionRefused, RequestNotFound, TransitionRefused
from auditor.storage.db import Database

NOW = datetime(2025, 2, 10, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
RECEIVED = date(2025, 1, 31)


def _open(db: Database, **overrides) -> int:
    arguments = {"name": "Michał Woźniak", "emails": ["Michal.W@poczta.example", " michal.w@poczta.example"],
                 "received_at": datetime(2025, 1, 31, 8, tzinfo=UTC), "received_on": RECEIVED, "actor": "officer",
                 "now": NOW, "today": TODAY, **overrides}
    with db.session() as session:
        return register.open_request(session, **arguments).id


def _do(db: Database, request_id: int, step, *, now: datetime = NOW, **arguments) -> dict:
    today = now.date()
    with db.session() as session:
        row = register.load(session, request_id)
        extra = {} if step in (register.start, register.assign, register.add_note, register.record_pack) else {
            "today": today}
        step(session, row, actor="officer", now=now, **extra, **arguments)
    return _detail(db, request_id, today)


def _detail(db: Database, request_id: int, today: date = TODAY) -> dict:
    with db.session() as session:
        return register.detail(session, request_id, today=today)


def test_open_registers_the_request_with_its_due_date(database: Database) -> None:
    request_id = _open(database, handles={"Kwiatek on TikTok": ["tt-7001", "tt-7001"]})
    detail = _detail(database, request_id)
    assert detail["status"] == "received"
    assert detail["emails"] == ["michal.w@poczta.example"]  # cleaned, lower-cased, de-duplicated
    assert detail["handles"] == {"Kwiatek on TikTok": ["tt-7001"]}
    assert (detail["received"], detail["due"], detail["days_left"]) == ("2025-01-31", "2025-02-28", 18)
    assert [h["kind"] for h in detail["history"]] == ["opened"]
    assert detail["history"][0]["actor"] == "officer"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": "  "}, "name"),
    ({"emails": []}, "at least one e-mail"),
    ({"emails": ["not-an-address"]}, "not an e-mail address"),
    ({"request_type": "portability"}, "type: unknown value"),
    ({"channel": "fax"}, "channel: unknown value"),
    ({"received_on": date(2025, 2, 11)}, "in the future"),
])
def test_open_refuses_bad_input(sqlite_db: Database, overrides: dict, message: str) -> None:
    with pytest.raises(DsarError, match=message):
        _open(sqlite_db, **overrides)


def test_identity_stop_then_verification_moves_the_due_date(database: Database) -> None:
    request_id = _open(database)
    detail = _do(database, request_id, register.stop_clock, reason="identity", on=date(2025, 2, 1),
                 note="asked for a copy of an ID")
    assert detail["status"] == "identity_unverified" and not detail["clock_running"]
    later = NOW + timedelta(days=6)  # 16 February
    detail = _do(database, request_id, register.verify_identity, method="replied from the registered address",
                 now=later)
    assert detail["status"] == "in_progress" and detail["clock_running"]
    assert detail["stops"] == [{"reason": "identity", "stopped_on": "2025-02-01", "resumed_on": "2025-02-16",
                                "note": "asked for a copy of an ID"}]
    assert detail["due"] == "2025-03-15"  # 28 February + 15 days waited
    assert detail["identity"]["method"] == "replied from the registered address"
    with database.session() as session:
        assert register.load(session, request_id).due_on == date(2025, 3, 15)  # cached for sorting


def test_clarification_stop_and_resume(database: Database) -> None:
    request_id = _open(database)
    _do(database, request_id, register.start)
    detail = _do(database, request_id, register.stop_clock, reason="clarification")
    assert detail["status"] == "waiting_for_subject"
    with pytest.raises(TransitionRefused, match="already stopped"):
        _do(database, request_id, register.stop_clock, reason="identity")
    detail = _do(database, request_id, register.resume_clock, now=NOW + timedelta(days=4))
    assert detail["status"] == "in_progress" and detail["paused_days"] == 4 and detail["due"] == "2025-03-04"
    with pytest.raises(TransitionRefused, match="not stopped"):
        _do(database, request_id, register.resume_clock)


def test_extension_in_time_and_a_late_one_refused(database: Database) -> None:
    in_time, late = _open(database), _open(database)
    detail = _do(database, in_time, register.extend, reason="numerous platforms", notice_on=date(2025, 2, 10))
    assert (detail["status"], detail["due"], detail["extended"]) == ("extended", "2025-04-28", True)
    assert detail["extension"] == {"reason": "numerous platforms", "notice_on": "2025-02-10"}
    with pytest.raises(ExtensionRefused, match="first month"):
        _do(database, late, register.extend, reason="complex", notice_on=date(2025, 3, 1),
            now=datetime(2025, 3, 1, 12, tzinfo=UTC))
    refused = _detail(database, late, date(2025, 3, 1))
    assert refused["status"] == "received" and refused["extension"] is None and refused["due"] == "2025-02-28"
    assert refused["days_left"] == -1


def test_close_answered_refused_withdrawn(database: Database) -> None:
    answered, refused, withdrawn = _open(database), _open(database), _open(database)
    detail = _do(database, answered, register.close, status="answered", channel="email")
    assert detail["status"] == "answered" and detail["days_left"] is None and detail["alert"] == "none"
    assert detail["history"][-1]["detail"] == {"status": "answered", "channel": "email", "on_time": True}
    with pytest.raises(DsarError, match="a refusal needs a reason"):
        _do(database, refused, register.close, status="refused")
    _do(database, refused, register.close, status="refused", reason="manifestly unfounded: repeated request")
    _do(database, withdrawn, register.stop_clock, reason="clarification")
    detail = _do(database, withdrawn, register.close, status="withdrawn")
    assert detail["stops"][0]["resumed_on"] == TODAY.isoformat()  # an open stop ends with the request
    with pytest.raises(TransitionRefused, match="closed"):
        _do(database, answered, register.extend, reason="late")
    with pytest.raises(DsarError, match="does not close"):
        _do(database, _open(database), register.close, status="in_progress")


def test_list_filters_and_sorts_soonest_due_first(database: Database) -> None:
    later = _open(database, received_on=date(2025, 2, 5))
    sooner = _open(database, received_on=date(2025, 1, 20))
    closed = _open(database)
    _do(database, closed, register.close, status="withdrawn")
    with database.session() as session:
        open_lines = register.list_requests(session, status="open", today=TODAY)
        all_lines = register.list_requests(session, status="all", today=TODAY)
        withdrawn = register.list_requests(session, status="withdrawn", today=TODAY)
        with pytest.raises(DsarError, match="unknown value"):
            register.list_requests(session, status="pending", today=TODAY)
    assert [line["id"] for line in open_lines] == [sooner, later]
    assert [line["id"] for line in all_lines] == [sooner, later, closed]
    assert [line["id"] for line in withdrawn] == [closed]
    first = open_lines[0]
    assert {"id", "status", "received", "due", "days_left"} <= set(first)
    assert (first["due"], first["days_left"], first["alert"]) == ("2025-02-20", 10, "none")


def test_notes_assign_and_packs_are_kept_in_the_history(database: Database) -> None:
    request_id = _open(database)
    _do(database, request_id, register.assign, owner="dpo@kwiatek.example")
    _do(database, request_id, register.add_note, text="called the subject")
    detail = _do(database, request_id, register.record_pack, sha256="ab" * 32, files={"a.pdf": "cd" * 32},
                 language="pl", holds_data=True, summary_data={"counts": {}})
    assert detail["owner"] == "dpo@kwiatek.example" and detail["pack_sha256"] == "ab" * 32
    assert [h["kind"] for h in detail["history"]] == ["opened", "assigned", "note", "pack"]
    assert detail["packs"][0]["files"] == {"a.pdf": "cd" * 32}
    with pytest.raises(DsarError, match="empty"):
        _do(database, request_id, register.add_note, text="  ")


def test_unknown_request_is_reported_by_id(sqlite_db: Database) -> None:
    with pytest.raises(RequestNotFound, match="request 42 not found"), sqlite_db.session() as session:
        register.load(session, 42)


@pytest.mark.parametrize("language", ["../x", "x" * 300, "de"])
def test_a_request_language_outside_the_allowed_values_is_refused_and_not_stored(database, language) -> None:
    with database.session(write=True) as session, pytest.raises(DsarError, match="language: unknown value"):
        register.open_request(session, name="Jan", emails=["jan@example.org"], language=language, actor="t",
                     received_at=NOW, received_on=NOW.date(), now=NOW, today=NOW.date())
