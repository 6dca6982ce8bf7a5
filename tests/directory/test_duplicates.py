"""The same uid twice in the directory (rehire, migration, stray copy): one person, judged on the strictest entry.

Read from a real slapd and from LDIF: an active entry in ``ou=people`` beside the real leaver in
``ou=leavers`` must never make the leaver active again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.config import DirectorySettings, Settings
from auditor.directory.duplicates import merge_duplicates
from auditor.directory.ldap import LdapDirectory
from auditor.directory.ldif import LdifDirectory, parse_ldif
from auditor.errors import DirectoryError
from auditor.model import Person, PersonStatus
from auditor.services.directory_sync import read_people
from tests.directory.trees import NOW
from tests.support.slapd import SlapdHandle, start_slapd

SUFFIX = "dc=dup,dc=example"
PEOPLE_DN = f"uid=frank,ou=people,{SUFFIX}"
LEAVER_DN = f"uid=frank,ou=leavers,{SUFFIX}"
LOCKED_DN = f"uid=Frank,ou=contractors,{SUFFIX}"
TREE = f"""dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=leavers,{SUFFIX}
objectClass: organizationalUnit
ou: leavers

dn: ou=contractors,{SUFFIX}
objectClass: organizationalUnit
ou: contractors

dn: {LEAVER_DN}
objectClass: inetOrgPerson
uid: frank
cn: Frank Leaver
sn: Leaver
mail: frank@shop.example
modifyTimestamp: 20250301090000Z

dn: {PEOPLE_DN}
objectClass: inetOrgPerson
uid: frank
cn: Frank Rehired
sn: Rehired
mail: frank.new@shop.example

dn: uid=alice,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: alice
cn: Alice Smith
sn: Smith
mail: alice@shop.example
"""
LOCKED = f"""
dn: {LOCKED_DN}
objectClass: inetOrgPerson
uid: Frank
cn: Frank Locked
sn: Locked
mail: frank@contractor.example
pwdAccountLockedTime: 000001010000Z
"""


def _settings(**overrides: object) -> DirectorySettings:
    values: dict[str, object] = {"kind": "ldif", "base_dn": SUFFIX, "leavers_ou": f"ou=leavers,{SUFFIX}"}
    values.update(overrides)
    return DirectorySettings.model_validate(values)


def _by_uid(people: list[Person]) -> dict[str, Person]:
    return {p.uid.casefold(): p for p in people}


@pytest.fixture(scope="module")
def dup_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdHandle]:
    """slapd holding uid=frank twice: the leaver in ou=leavers and an active entry in ou=people."""
    handle = start_slapd(tmp_path_factory.mktemp("slapd-dup"), SUFFIX, TREE)
    yield handle
    handle.stop()


def _ldap(server: SlapdHandle) -> LdapDirectory:
    settings = _settings(kind="ldap", url=server.url, bind_dn=server.bind_dn, connect_timeout=3.0)
    return LdapDirectory(settings, password=server.password)


def test_slapd_leaver_stays_departed_beside_an_active_copy(dup_server: SlapdHandle) -> None:
    directory = _ldap(dup_server)
    people = _by_uid(merge_duplicates(directory.people(NOW)))
    frank = people["frank"]
    assert frank.status is PersonStatus.DEPARTED
    assert frank.dn == LEAVER_DN
    assert frank.duplicates == (LEAVER_DN, PEOPLE_DN)
    assert set(frank.emails) == {"frank@shop.example", "frank.new@shop.example"}
    assert people["alice"].status is PersonStatus.ACTIVE and people["alice"].duplicates == ()


def test_slapd_lookups_return_the_strictest_entry(dup_server: SlapdHandle) -> None:
    directory = _ldap(dup_server)
    by_uid = directory.get("frank", now=NOW)
    by_new_address = directory.find_by_email("frank.new@shop.example", now=NOW)
    assert by_uid is not None and by_uid.status is PersonStatus.DEPARTED
    assert by_uid.duplicates == (LEAVER_DN, PEOPLE_DN)
    # the active copy's own address still leads to the person, judged as departed
    assert by_new_address is not None and by_new_address.status is PersonStatus.DEPARTED


@pytest.mark.parametrize("order", ["leaver first", "active first"])
def test_ldif_duplicates_are_merged_whatever_the_order(tmp_path: Path, order: str) -> None:
    blocks = TREE.split("\n\n")
    if order == "active first":
        blocks[3], blocks[4] = blocks[4], blocks[3]
    path = tmp_path / "people.ldif"
    path.write_text("\n\n".join(blocks) + LOCKED, encoding="utf-8")
    settings = Settings.model_validate({"directory": {**_settings().model_dump(), "path": str(path)}})
    people = _by_uid(read_people(settings, NOW))
    frank = people["frank"]
    assert frank.status is PersonStatus.DEPARTED
    assert frank.duplicates == (LOCKED_DN, LEAVER_DN, PEOPLE_DN)
    assert len(people) == 2


def test_disabled_beats_active() -> None:
    active = Person(uid="eve", display_name="Eve", dn="uid=eve,ou=a", emails=("eve@a.example",))
    locked = Person(uid="EVE", display_name="Eve L", dn="uid=eve,ou=b", status=PersonStatus.DISABLED)
    (merged,) = merge_duplicates([active, locked])
    assert merged.status is PersonStatus.DISABLED and merged.uid == "EVE"
    assert merged.emails == ("eve@a.example",)
    assert merge_duplicates([active]) == [active]


def test_default_lookup_of_an_ldif_file_merges(tmp_path: Path) -> None:
    path = tmp_path / "people.ldif"
    path.write_text(TREE, encoding="utf-8")
    directory = LdifDirectory(path, _settings(path=str(path)))
    person = directory.get("frank", now=NOW)
    assert person is not None and person.status is PersonStatus.DEPARTED
    found = directory.find_by_email("frank.new@shop.example", now=NOW)
    assert found is not None and found.status is PersonStatus.DEPARTED


def test_a_record_appended_without_a_blank_line_is_refused_with_its_line() -> None:
    text = TREE + f"dn: uid=mallory,ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: mallory\n"
    with pytest.raises(DirectoryError) as caught:
        list(parse_ldif(text.encode().splitlines(keepends=True), source="people.ldif"))
    line = TREE.count("\n") + 1
    assert str(caught.value).startswith(f"people.ldif: line {line}: second 'dn:' in one record")
    assert "blank line" in str(caught.value)
