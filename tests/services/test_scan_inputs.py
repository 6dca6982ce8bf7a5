"""A platform whose inputs have not moved is carried over by the next scan; anything it depends on moving makes
the scan read and judge it again (directory, export, rules, exceptions, links, the day)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from auditor.config import Settings, load_settings
from auditor.model import Person, PersonStatus
from auditor.services.directory_sync import sync_directory
from auditor.services.scan import run_scan
from auditor.storage.db import open_database
from auditor.storage.people import people_digest
from auditor.storage.tables import Finding, ScanPlatform
from tests.services.conftest import findings

NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PLATFORM = "Kwiatek on YouTube (admin export)"
LDIF = """dn: uid=alice,ou=people,dc=kwiatek,dc=example
objectClass: inetOrgPerson
uid: alice
cn: Alice Nowak
sn: Nowak
mail: alice@kwiatek.example

dn: uid=bob,ou=people,dc=kwiatek,dc=example
objectClass: inetOrgPerson
uid: bob
cn: Bob Lis
sn: Lis
mail: bob@kwiatek.example
employeeType: {bob}
"""
EXPORT = """account_id,name,email,role,asset,two_factor,last_activity
a1,Alice Nowak,alice@kwiatek.example,OWNER,channel-1,true,2026-10-30T10:00:00Z
b1,Bob Lis,bob@kwiatek.example,MANAGER,channel-1,true,2026-10-20T10:00:00Z
s1,Stranger,stranger@agency.example,EDITOR,channel-2,false,2026-10-01T10:00:00Z
"""


def _workspace(folder: Path, *, bob: str = "departed", export: str = EXPORT) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "people.ldif").write_text(LDIF.format(bob=bob), encoding="utf-8")
    (folder / "youtube.csv").write_text(export, encoding="utf-8")
    (folder / "auditor.toml").write_text(f"""
[storage]
url = "sqlite:///auditor.db"

[directory]
kind = "ldif"
path = "people.ldif"
status_rules = [{{attribute = "employeeType", equals = "departed", status = "departed"}}]

[[platform]]
kind = "import"
name = "{PLATFORM}"
tenant_id = "kwiatek-youtube"
options = {{path = "youtube.csv", platform_kind = "youtube"}}
""", encoding="utf-8")
    return load_settings(folder / "auditor.toml")


def _platform_rows(settings: Settings) -> list[dict]:
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            table = ScanPlatform.__table__
            return [dict(r) for r in session.exec(select(table).order_by(table.c.id)).mappings()]
    finally:
        db.dispose()


def _open(settings: Settings) -> set[tuple[str, str | None]]:
    return {(row["category"], row["account"]) for row in findings(settings)}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A workspace of two people (Bob left) and an export where Bob still manages a channel."""
    return _workspace(tmp_path / "ws")


def test_a_rescan_with_nothing_changed_carries_the_export_over_without_writing_its_inventory(settings) -> None:
    first = run_scan(settings, now=NOW)
    assert first.unchanged == {}
    assert ("orphaned_access", "b1") in _open(settings)
    before = findings(settings)
    later = NOW + timedelta(hours=3)
    second = run_scan(settings, now=later)
    assert second.unchanged == {PLATFORM: first.scan_id}
    assert second.status == "complete"
    assert (second.opened, second.resolved, second.reopened) == (0, 0, 0)
    after = findings(settings)
    assert [(r["fingerprint"], r["evidence"]) for r in after] == [(r["fingerprint"], r["evidence"]) for r in before]
    assert {r["last_seen"] for r in after} == {later.isoformat()}, "a carried-over finding was seen by this scan too"
    rows = _platform_rows(settings)
    assert rows[-1]["unchanged_since"] == first.scan_id and rows[-1]["input_key"] == rows[0]["input_key"]
    assert rows[-1]["counts"] == rows[0]["counts"] and rows[-1]["status"] == "complete"
    third = run_scan(settings, now=later + timedelta(hours=1))
    assert third.unchanged == {PLATFORM: first.scan_id}, "points at the scan that read it, not the one before"


def test_a_changed_export_is_read_and_judged_again(settings, tmp_path) -> None:
    run_scan(settings, now=NOW)
    export = tmp_path / "ws" / "youtube.csv"
    export.write_text(EXPORT.replace("b1,Bob Lis,bob@kwiatek.example,MANAGER,channel-1,true,2026-10-20T10:00:00Z\n",
                                     ""), encoding="utf-8")
    second = run_scan(settings, now=NOW + timedelta(hours=1))
    assert second.unchanged == {}
    assert second.resolved >= 1 and ("orphaned_access", "b1") not in _open(settings)


def test_a_changed_directory_makes_the_export_judged_again(settings, tmp_path) -> None:
    run_scan(settings, now=NOW)
    assert ("orphaned_access", "b1") in _open(settings)
    _workspace(tmp_path / "ws", bob="employee")  # Bob is back (same export)
    second = run_scan(settings, now=NOW + timedelta(hours=1))
    assert second.unchanged == {}
    assert ("orphaned_access", "b1") not in _open(settings)


def test_the_next_day_judges_again_because_ages_moved(settings) -> None:
    run_scan(settings, now=NOW)
    same_day = run_scan(settings, now=NOW.replace(hour=23, minute=59))
    next_day = run_scan(settings, now=NOW.replace(hour=23, minute=59) + timedelta(minutes=2))
    assert same_day.unchanged == {PLATFORM: 1}
    assert next_day.unchanged == {}


def test_a_new_risk_exception_or_rule_parameter_makes_the_export_judged_again(settings, tmp_path) -> None:
    run_scan(settings, now=NOW)
    exceptions = tmp_path / "ws" / "exceptions.yaml"
    exceptions.write_text("- rule: orphaned-access\n  account: b1\n  reason: handover until Friday\n"
                          "  approved_by: ciso@kwiatek.example\n  expires: 2026-12-31\n", encoding="utf-8")
    with_exception = settings.model_copy(update={"policies": settings.policies.model_copy(
        update={"exceptions_file": str(exceptions)})})
    second = run_scan(with_exception, now=NOW + timedelta(hours=1))
    assert second.unchanged == {}
    assert second.muted >= 1
    parameters = tmp_path / "ws" / "parameters.yaml"
    parameters.write_text("dormant-access:\n  days: 5\n", encoding="utf-8")
    tuned = with_exception.model_copy(update={"policies": with_exception.policies.model_copy(
        update={"parameters_file": str(parameters)})})
    third = run_scan(tuned, now=NOW + timedelta(hours=2))
    assert third.unchanged == {}


def test_a_directory_sync_in_between_makes_the_scan_read_the_carried_platform_after_all(settings, tmp_path) -> None:
    run_scan(settings, now=NOW)
    # someone syncs another directory state between two scans (Bob active); the scan itself reads Bob departed
    _workspace(tmp_path / "other", bob="employee")
    other = settings.directory.model_copy(update={"path": str(tmp_path / "other" / "people.ldif")})
    sync_directory(settings.model_copy(update={"directory": other}), now=NOW + timedelta(minutes=30))
    second = run_scan(settings, now=NOW + timedelta(hours=1))
    assert second.unchanged == {}, "the stored people moved under the check: the export is read and judged"
    assert ("orphaned_access", "b1") in _open(settings)


def test_a_partial_reading_is_never_carried_over(settings, tmp_path) -> None:
    run_scan(settings, now=NOW)
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            table = ScanPlatform.__table__
            session.exec(table.update().values(status="partial"))
    finally:
        db.dispose()
    assert run_scan(settings, now=NOW + timedelta(hours=1)).unchanged == {}


def test_people_digest_follows_every_field_and_not_the_order() -> None:
    alice = Person(uid="alice", display_name="Alice", emails=("alice@x.example",), groups=("cn=a", "cn=b"))
    bob = Person(uid="bob", display_name="Bob", status=PersonStatus.DEPARTED, end_date=date(2026, 10, 1))
    assert people_digest([alice, bob]) == people_digest([bob, alice])
    for changed in (Person(uid="bob", display_name="Bob", end_date=date(2026, 10, 1)),
                    Person(uid="bob", display_name="Bob", status=PersonStatus.DEPARTED, end_date=date(2026, 10, 2)),
                    Person(uid="bob", display_name="Bob", status=PersonStatus.DEPARTED, end_date=date(2026, 10, 1),
                           groups=("cn=a",))):
        assert people_digest([alice, changed]) != people_digest([alice, bob])


def test_finding_rows_are_not_rewritten_when_carried(settings) -> None:
    first = run_scan(settings, now=NOW)
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            ids = set(session.exec(select(Finding.__table__.c.id)).scalars())
    finally:
        db.dispose()
    second = run_scan(settings, now=NOW + timedelta(hours=1))
    assert second.unchanged and second.still_open == 0 and first.opened == len(ids)
