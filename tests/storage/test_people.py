"""sync_people: upsert, vanished -> departed with history, reappearance, returns everyone known."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from auditor.model import PersonStatus
from auditor.storage.people import sync_people
from auditor.storage.tables import DirectoryPerson, PersonChange
from tests.storage.builders import at, person


def _changes(database, uid: str) -> list[tuple[str, str | None, str | None]]:
    table = PersonChange.__table__
    with database.session() as session:
        rows = session.exec(
            select(table.c.field, table.c.old, table.c.new).where(table.c.uid == uid).order_by(table.c.id)
        )
        return [tuple(row) for row in rows]


def _stored(database, uid: str) -> dict:
    table = DirectoryPerson.__table__
    with database.session() as session:
        return dict(session.exec(select(table).where(table.c.uid == uid)).mappings().one())


def test_vanished_person_becomes_departed_with_history(database):
    with database.session() as session:
        first = sync_people(session, [person("ann"), person("bob", department="Sales")], at(0))
    assert sorted(p.uid for p in first) == ["ann", "bob"]

    with database.session() as session:
        second = sync_people(session, [person("ann")], at(1), scan_id=None)
    by_uid = {p.uid: p for p in second}
    assert set(by_uid) == {"ann", "bob"}, "historical people are returned too"
    assert by_uid["bob"].status is PersonStatus.DEPARTED
    assert by_uid["bob"].status_changed == at(1)
    assert by_uid["bob"].department == "Sales"
    bob = _stored(database, "bob")
    assert bob["vanished_at"] == at(1)
    assert bob["last_seen"] == at(0)
    assert _stored(database, "ann")["last_seen"] == at(1)
    assert _changes(database, "bob") == [("status", "active", "departed")]

    with database.session() as session:
        third = sync_people(session, [person("ann")], at(2))
    assert {p.uid: p.status_changed for p in third}["bob"] == at(1), "the departure date does not move"
    assert _stored(database, "bob")["vanished_at"] == at(1)
    assert _changes(database, "bob") == [("status", "active", "departed")]


def test_already_departed_person_vanishing_keeps_its_status_date(database):
    with database.session() as session:
        sync_people(session, [person("cid", status=PersonStatus.DEPARTED, status_changed=at(-30))], at(0))
        sync_people(session, [], at(1))
    cid = _stored(database, "cid")
    assert cid["status"] == "departed"
    assert cid["status_changed"] == at(-30)
    assert cid["vanished_at"] == at(1)
    assert _changes(database, "cid") == []


def test_field_changes_and_reappearance_are_recorded(database):
    with database.session() as session:
        sync_people(session, [person("dan", department="Ops", end_date=date(2025, 6, 30))], at(0))
    with database.session() as session:
        sync_people(session, [], at(1))
    with database.session() as session:
        emails = ("dan@shop.example", "d@shop.example")
        people = sync_people(session, [person("dan", department="Marketing", emails=emails)], at(2))
    dan = {p.uid: p for p in people}["dan"]
    assert dan.status is PersonStatus.ACTIVE
    assert dan.status_changed == at(2)
    assert dan.emails == ("dan@shop.example", "d@shop.example")
    stored = _stored(database, "dan")
    assert stored["vanished_at"] is None
    assert stored["end_date"] is None
    assert _changes(database, "dan") == [
        ("status", "active", "departed"),
        ("emails", "dan@shop.example", "dan@shop.example, d@shop.example"),
        ("department", "Ops", "Marketing"),
        ("status", "departed", "active"),
        ("end_date", "2025-06-30", None),
    ]


def test_status_change_from_directory_keeps_directory_date(database):
    with database.session() as session:
        sync_people(session, [person("eve")], at(0))
        disabled = person("eve", status=PersonStatus.DISABLED, status_changed=at(-1))
        people = sync_people(session, [disabled], at(1))
    assert people[0].status is PersonStatus.DISABLED
    assert people[0].status_changed == at(-1)
    assert _changes(database, "eve") == [("status", "active", "disabled")]


def test_unchanged_people_write_no_history(database):
    people = [person(f"p{i}") for i in range(300)]
    with database.session() as session:
        sync_people(session, people, at(0))
        sync_people(session, people, at(1))
    table = PersonChange.__table__
    with database.session() as session:
        assert session.exec(select(table)).all() == []
        assert _stored(database, "p299")["last_seen"] == at(1)


def test_a_second_entry_with_the_same_uid_never_makes_a_leaver_active(database):
    leaver = person("frank", status=PersonStatus.DEPARTED, dn="uid=frank,ou=leavers,dc=x")
    with database.session() as session:
        sync_people(session, [leaver], at(0))
    rehired = person("Frank", dn="uid=frank,ou=people,dc=x", emails=("frank.new@corp.example",))
    for entries in ([rehired, leaver], [leaver, rehired]):
        with database.session() as session:
            people = {p.uid: p for p in sync_people(session, entries, at(1))}
        assert set(people) == {"frank"}, "the uid is matched case-insensitively, as LDAP does"
        frank = people["frank"]
        assert frank.status is PersonStatus.DEPARTED
        assert frank.duplicates == ("uid=frank,ou=leavers,dc=x", "uid=frank,ou=people,dc=x")
        assert "frank.new@corp.example" in frank.emails
    assert _stored(database, "frank")["status"] == "departed"
    assert [c for c in _changes(database, "frank") if c[0] == "status"] == []


def test_last_seen_of_present_people_moves_at_most_once_an_hour(database):
    from datetime import timedelta

    from auditor.storage.people import SEEN_EVERY, touch_people

    with database.session() as session:
        sync_people(session, [person("ann")], at(0))
        sync_people(session, [person("ann")], at(0) + timedelta(minutes=5))
        touch_people(session, at(0) + timedelta(minutes=10))
    assert _stored(database, "ann")["last_seen"] == at(0), "minutes later: the row is not rewritten"
    later = at(0) + SEEN_EVERY + timedelta(minutes=1)
    with database.session() as session:
        touch_people(session, later)
    assert _stored(database, "ann")["last_seen"] == later
