"""The lean LDAP read path and the incremental directory sync, on real slapd servers.

The lean path must return exactly what the previous read returned (ldap3 ``SAFE_SYNC`` paged searches, every
response copied and formatted); an incremental sync must see modified, added and deleted entries, fall back to
a full read when due, and several servers must fail over to the first reachable one.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from ldap3 import MODIFY_REPLACE, NONE, SAFE_SYNC, SUBTREE, Connection, Server
from sqlalchemy import select

from auditor.config import DirectorySettings, Settings
from auditor.directory.groups import GROUP_FILTER, MEMBER_ATTRIBUTES, GroupIndex, ranged_members
from auditor.directory.incremental import SyncState
from auditor.directory.ldap import LdapDirectory, person_filter
from auditor.directory.ldap_wire import decode_search_entry
from auditor.directory.mapping import EntryMapper, requested_attributes
from auditor.model import Person, PersonStatus
from auditor.services.directory_sync import load_state, read_people, state_path, sync_directory
from auditor.storage.db import open_database
from auditor.storage.tables import DirectoryPerson
from tests.directory.trees import DATA, NOW, OPENLDAP_SUFFIX, ad_settings, openldap_settings
from tests.support.slapd import SlapdHandle, start_slapd

LATER = NOW + timedelta(minutes=10)


def _sorted(people: list[Person] | Iterator[Person]) -> list[Person]:
    return sorted(people, key=lambda p: p.dn or "")


def reference_people(settings: DirectorySettings, password: str, now: datetime) -> list[Person]:
    """The people as the previous read path produced them: ldap3 SAFE_SYNC paged searches, mapped alike."""
    conn = Connection(Server(settings.url, get_info=NONE), settings.bind_dn, password, client_strategy=SAFE_SYNC,
                      auto_bind=True)
    try:
        index = GroupIndex()
        for item in conn.extend.standard.paged_search(settings.base_dn, GROUP_FILTER, SUBTREE,
                                                      attributes=[*MEMBER_ATTRIBUTES, "memberOf"], generator=True):
            if item["type"] == "searchResEntry":
                raw = item["raw_attributes"]
                members = ranged_members(item["dn"], raw, None) + ranged_members(item["dn"], raw, None, "uniqueMember")
                index.add_group(item["dn"], members)
                index.add_member_of(item["dn"], [v.decode() for v in raw.get("memberOf", [])])
        mapper = EntryMapper(settings, now)
        people = []
        for item in conn.extend.standard.paged_search(
            settings.base_dn, person_filter(settings), SUBTREE,
            attributes=[*requested_attributes(settings), "memberOf"], generator=True,
        ):
            if item["type"] == "searchResEntry":
                person = mapper.map(item["dn"], item["raw_attributes"])
                member_of = [v.decode() for v in item["raw_attributes"].get("memberOf", [])]
                person.groups = index.groups_of(item["dn"], member_of)
                people.append(person)
        return _sorted(people)
    finally:
        conn.unbind()


@pytest.fixture
def writable_server(tmp_path: Path) -> Iterator[SlapdHandle]:
    """A private slapd with the OpenLDAP tree that a test may change."""
    handle = start_slapd(tmp_path / "slapd", OPENLDAP_SUFFIX, (DATA / "openldap.ldif").read_text(encoding="utf-8"),
                         extra_schema=(DATA / "shop.schema").read_text(encoding="utf-8"))
    yield handle
    handle.stop()


def _admin(server: SlapdHandle) -> Connection:
    return Connection(Server(server.url), server.bind_dn, server.password, auto_bind=True, raise_exceptions=True)


# --- the lean read path -------------------------------------------------------------------------------


def test_lean_path_returns_the_same_people_as_before_on_the_openldap_tree(openldap_server: SlapdHandle) -> None:
    settings = openldap_settings(openldap_server)
    people = _sorted(LdapDirectory(settings, password=openldap_server.password).people(NOW))
    assert len(people) == 15
    assert people == reference_people(settings, openldap_server.password, NOW)


def test_lean_path_returns_the_same_people_as_before_on_the_ad_tree(ad_server: SlapdHandle) -> None:
    settings = ad_settings(ad_server)
    people = _sorted(LdapDirectory(settings, password=ad_server.password).people(NOW))
    assert len(people) == 9
    assert people == reference_people(settings, ad_server.password, NOW)


def test_the_wire_decoder_reads_long_lengths_and_skips_other_messages() -> None:
    def tlv(tag: int, body: bytes) -> bytes:
        size = len(body)
        head = bytes([size]) if size < 0x80 else bytes([0x82]) + size.to_bytes(2, "big")
        return bytes([tag]) + head + body

    long_value = "é".encode() * 200  # 400 bytes: a two-byte length
    attribute = tlv(0x30, tlv(0x04, b"description") + tlv(0x31, tlv(0x04, long_value) + tlv(0x04, b"x")))
    entry = tlv(0x64, tlv(0x04, b"uid=a,dc=x") + tlv(0x30, attribute))
    message = tlv(0x30, tlv(0x02, b"\x07") + entry)
    assert decode_search_entry(message) == (
        7, {"type": "searchResEntry", "dn": "uid=a,dc=x", "raw_attributes": {"description": [long_value, b"x"]}})
    done = tlv(0x30, tlv(0x02, b"\x07") + tlv(0x65, tlv(0x0A, b"\x00") + tlv(0x04, b"") + tlv(0x04, b"")))
    assert decode_search_entry(done) is None
    with pytest.raises(ValueError, match="malformed search result entry"):
        decode_search_entry(message[:-5])


def test_a_ranged_memberof_on_a_person_is_read_to_its_end(openldap_server: SlapdHandle,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # slapd never slices values, so the AD answer is played by the base-search hook the directory calls
    groups = [f"CN=G{i},OU=Groups,DC=corp,DC=example" for i in range(3200)]
    asked: list[str] = []

    def slice_of(conn: object, dn: str, attribute: str) -> dict[str, list[bytes]]:
        asked.append(attribute)
        low = int(attribute.split("=")[1].split("-")[0])
        high = min(low + 1499, len(groups) - 1)
        name = f"memberOf;range={low}-{'*' if high == len(groups) - 1 else high}"
        return {name: [g.encode() for g in groups[low:high + 1]]}

    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    monkeypatch.setattr(directory, "_base_attributes", slice_of)
    first = {"uid": [b"big"], "memberOf;range=0-1499": [g.encode() for g in groups[:1500]]}
    raw = directory._unranged(None, "uid=big,dc=x", first)  # type: ignore[arg-type]
    assert asked == ["memberOf;range=1500-*", "memberOf;range=3000-*"]
    assert raw == {"uid": [b"big"], "memberOf": [g.encode() for g in groups]}


# --- several servers ----------------------------------------------------------------------------------


def test_the_first_reachable_server_is_used_when_the_first_is_down(openldap_server: SlapdHandle) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        down = f"ldap://127.0.0.1:{probe.getsockname()[1]}"
    settings = openldap_settings(openldap_server, url=down, urls=[openldap_server.url])
    directory = LdapDirectory(settings, password=openldap_server.password)
    with directory.connection() as conn:
        assert f"ldap://{conn.server.host}:{conn.server.port}" == openldap_server.url
    assert len(list(directory.people(NOW))) == 15


def test_server_urls_are_validated() -> None:
    with pytest.raises(ValueError, match="expected ldap://host"):
        DirectorySettings(kind="ldap", url="ldap://a", urls=["https://b"])
    with pytest.raises(ValueError, match="full_sync_hours"):
        DirectorySettings(full_sync_hours=0)
    with pytest.raises(ValueError, match="sync_overlap_seconds"):
        DirectorySettings(sync_overlap_seconds=-1)


# --- incremental sync ---------------------------------------------------------------------------------


def test_an_incremental_sync_with_nothing_changed_equals_a_full_read(openldap_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    first = directory.sync(None, NOW)
    assert (first.mode, first.reason) == ("full", "no saved state")
    again = directory.sync(SyncState.from_json(first.state.to_json()), LATER)
    assert again.mode == "incremental"
    assert _sorted(again.people) == _sorted(directory.people(LATER)) == _sorted(first.people)
    # the cursor's overlap reads the newest entries again; unchanged, they leave the saved state as it was
    assert (again.reason, again.state_changed) == ("0 changed or new entries read", False)


def test_an_incremental_sync_sees_a_modified_an_added_and_a_deleted_entry(writable_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(writable_server), password=writable_server.password)
    state = directory.sync(None, NOW).state
    conn = _admin(writable_server)
    try:
        conn.modify(f"uid=alice,ou=people,{OPENLDAP_SUFFIX}", {"displayName": [(MODIFY_REPLACE, ["Alice Newname"])]})
        conn.add(f"uid=olga,ou=people,{OPENLDAP_SUFFIX}", ["inetOrgPerson"],
                 {"uid": "olga", "cn": "Olga New", "sn": "New", "mail": "olga@shop.example"})
        conn.delete(f"uid=judy,ou=people,{OPENLDAP_SUFFIX}")
        conn.modify(f"cn=marketing,ou=groups,{OPENLDAP_SUFFIX}",
                    {"member": [(MODIFY_REPLACE, [f"uid=olga,ou=people,{OPENLDAP_SUFFIX}"])]})
    finally:
        conn.unbind()
    result = directory.sync(state, LATER)
    people = {p.uid: p for p in result.people}
    assert result.mode == "incremental" and result.state_changed
    assert people["alice"].display_name == "Alice Newname"
    assert people["olga"].emails == ("olga@shop.example",)
    assert "judy" not in people
    assert people["olga"].groups == (f"cn=marketing,ou=groups,{OPENLDAP_SUFFIX}",)
    assert people["bob"].groups == ()  # left the group with the change of the group entry
    assert _sorted(result.people) == _sorted(directory.people(LATER))


def test_an_entry_missing_from_the_state_is_read_by_its_dn(openldap_server: SlapdHandle) -> None:
    # e.g. replicated late with an old change stamp: the DN listing shows it, so it is fetched
    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    state = directory.sync(None, NOW).state
    state.cursor = "29990101000000Z"  # nothing counts as changed
    dn = f"uid=grace,ou=people,{OPENLDAP_SUFFIX}"
    del state.people[dn]
    result = directory.sync(state, LATER)
    assert result.mode == "incremental" and result.reason == "1 changed or new entries read"
    assert dn in result.state.people
    assert _sorted(result.people) == _sorted(directory.people(LATER))


def test_an_expiry_passing_between_syncs_departs_an_unchanged_entry(openldap_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    state = directory.sync(None, NOW).state
    after_expiry = NOW + timedelta(days=200)  # mallory's shadowExpire (2025-12-01) has passed
    mallory = f"uid=mallory,ou=people,{OPENLDAP_SUFFIX}"
    assert state.people[mallory].status is PersonStatus.ACTIVE and mallory in state.recheck
    state.full_at = after_expiry - timedelta(hours=1)  # keep the safety net out of the way
    late = directory.sync(state, after_expiry)
    assert late.mode == "incremental"
    assert {p.uid: p.status for p in late.people}["mallory"] is PersonStatus.DEPARTED
    assert mallory not in late.state.recheck  # mapped after its expiry: no longer depends on the date


def test_the_safety_net_full_sync_runs_when_due(openldap_server: SlapdHandle) -> None:
    settings = openldap_settings(openldap_server, full_sync_hours=6)
    directory = LdapDirectory(settings, password=openldap_server.password)
    state = directory.sync(None, NOW).state
    assert directory.sync(state, NOW + timedelta(hours=5, minutes=59)).mode == "incremental"
    due = directory.sync(state, NOW + timedelta(hours=6))
    assert (due.mode, due.reason, due.state.full_at) == ("full", "full sync due (every 6 h)", NOW + timedelta(hours=6))


def test_changed_settings_or_another_domain_controller_mean_a_full_read(
    openldap_server: SlapdHandle, ad_server: SlapdHandle
) -> None:
    state = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password).sync(None, NOW).state
    other = LdapDirectory(openldap_settings(openldap_server, alias_attributes=[]), password=openldap_server.password)
    assert other.sync(state, LATER).reason == "directory settings changed"
    ad = LdapDirectory(ad_settings(ad_server), password=ad_server.password)
    ad_state = ad.sync(None, NOW).state
    # slapd has no highestCommittedUSN and the tree no uSNChanged: without a cursor the next read is full
    assert ad_state.cursor is None and ad.sync(ad_state, LATER).reason == "no change stamp in the last read"
    ad_state.cursor = "4711"  # as a domain controller's highestCommittedUSN + 1 would give
    assert ad.sync(ad_state, LATER).mode == "incremental"
    ad_state.server = "CN=NTDS Settings,CN=DC2,CN=Servers,CN=Site,CN=Sites,CN=Configuration,DC=corp,DC=example"
    assert ad.sync(ad_state, LATER).reason.startswith("another domain controller")


def test_directory_sync_keeps_its_state_and_a_deleted_entry_departs(
    writable_server: SlapdHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LDAP_PW", writable_server.password)
    directory = openldap_settings(writable_server, incremental=True, password_env="LDAP_PW")
    settings = Settings(storage={"url": f"sqlite:///{tmp_path / 'a.db'}"}, data_dir=str(tmp_path / "data"),
                        directory=directory.model_dump())
    assert sync_directory(settings, now=NOW) == 15
    path = state_path(settings)
    assert path == tmp_path / "data" / "directory-state.json"
    assert path.stat().st_mode & 0o777 == 0o600  # it holds the directory's people
    conn = _admin(writable_server)
    try:
        conn.delete(f"uid=judy,ou=people,{OPENLDAP_SUFFIX}")
    finally:
        conn.unbind()
    assert sync_directory(settings, now=LATER) == 14
    state = load_state(path)
    assert state is not None and state.full_at == NOW  # the second sync was incremental
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            table = DirectoryPerson.__table__
            rows = dict(session.exec(select(table.c.uid, table.c.status)).all())
    finally:
        db.dispose()
    assert (len(rows), rows["judy"], rows["alice"]) == (15, "departed", "active")
    path.write_text("{not json", encoding="utf-8")  # a broken state only means a full read
    assert len(read_people(settings, LATER)) == 14
    assert json.loads(path.read_text(encoding="utf-8"))["full_at"] == LATER.isoformat()


def test_the_saved_state_keeps_every_field_of_a_person() -> None:
    from dataclasses import fields
    from datetime import UTC, date

    from auditor.model import PersonKind

    person = Person(uid="ann", display_name="Ann Kwiat", emails=("ann@kwiatek.example", "a.kwiat@kwiatek.example"),
                    department="Marketing", manager="uid=boss,ou=people,dc=kwiatek,dc=example",
                    kind=PersonKind.CONTRACTOR, status=PersonStatus.DISABLED,
                    status_changed=datetime(2026, 10, 1, 8, 0, tzinfo=UTC), end_date=date(2026, 12, 31),
                    dn="uid=ann,ou=people,dc=kwiatek,dc=example", duplicates=("uid=ann,ou=old,dc=kwiatek,dc=example",),
                    groups=("cn=marketing,ou=groups,dc=kwiatek,dc=example",))
    assert all(getattr(person, f.name) != f.default for f in fields(Person)), "every field set off its default"
    state = SyncState(fingerprint="f", full_at=datetime(2026, 11, 1, tzinfo=UTC), cursor="20261101000000Z",
                      people={person.dn: person})
    assert SyncState.from_json(state.to_json()).people == {person.dn: person}


def test_an_unchanged_incremental_read_reuses_the_saved_digest_of_its_people(
    writable_server: SlapdHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditor.services.directory_sync import read_directory
    from auditor.storage.people import people_digest

    monkeypatch.setenv("LDAP_PW", writable_server.password)
    directory = openldap_settings(writable_server, incremental=True, password_env="LDAP_PW")
    settings = Settings(data_dir=str(tmp_path / "data"), directory=directory.model_dump())
    people, digest = read_directory(settings, NOW)
    assert digest == people_digest(people)
    assert load_state(state_path(settings)).people_digest == digest
    again, same = read_directory(settings, LATER)
    assert same == digest == people_digest(again)
    conn = _admin(writable_server)
    try:
        conn.modify(f"uid=alice,ou=people,{OPENLDAP_SUFFIX}", {"displayName": [(MODIFY_REPLACE, ["Alice Other"])]})
    finally:
        conn.unbind()
    changed, moved = read_directory(settings, LATER + timedelta(minutes=5))
    assert moved != digest and moved == people_digest(changed)
    assert load_state(state_path(settings)).people_digest == moved


@pytest.fixture
def syncprov_server(tmp_path: Path) -> Iterator[SlapdHandle]:
    """A private slapd with the OpenLDAP tree and the syncprov overlay (contextCSN), that a test may change."""
    handle = start_slapd(tmp_path / "slapd", OPENLDAP_SUFFIX, (DATA / "openldap.ldif").read_text(encoding="utf-8"),
                         extra_schema=(DATA / "shop.schema").read_text(encoding="utf-8"), syncprov=True)
    yield handle
    handle.stop()


def _counting_listings(directory: LdapDirectory) -> list[bool]:
    """Record each DN listing (``present``) the directory makes."""
    calls: list[bool] = []
    original = directory.present

    def present(conn, groups=False):
        calls.append(groups)
        return original(conn, groups)

    directory.present = present
    return calls


def test_an_unchanged_context_csn_skips_the_change_search_and_the_dn_listing(syncprov_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(syncprov_server), password=syncprov_server.password)
    first = directory.sync(None, NOW)
    assert first.state.mark, "syncprov keeps a contextCSN on the naming context"
    listings = _counting_listings(directory)
    quiet = directory.sync(SyncState.from_json(first.state.to_json()), LATER)
    assert listings == [] and quiet.mode == "incremental" and not quiet.state_changed
    assert quiet.reason == "no write since the last read (contextCSN unchanged)"
    assert _sorted(quiet.people) == _sorted(first.people)
    conn = _admin(syncprov_server)
    try:
        conn.delete(f"uid=judy,ou=people,{OPENLDAP_SUFFIX}")  # a delete leaves no change stamp behind
    finally:
        conn.unbind()
    after = directory.sync(quiet.state, LATER + timedelta(minutes=5))
    assert listings == [False, True], "the contextCSN moved: the DN listings run and see the deletion"
    assert "judy" not in {p.uid for p in after.people} and after.state.mark != first.state.mark
    assert _sorted(after.people) == _sorted(directory.people(LATER))


def test_an_expiry_passing_is_seen_even_when_nothing_was_written(syncprov_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(syncprov_server), password=syncprov_server.password)
    state = directory.sync(None, NOW).state
    assert state.recheck, "the tree has an account expiring after NOW"
    dn, expires = next(iter(state.recheck.items()))
    later = expires + timedelta(minutes=1)
    state.full_at = later - timedelta(hours=1)  # keep the safety net out of the way
    result = directory.sync(state, later)
    assert result.reason == "no write since the last read (contextCSN unchanged)"
    assert {p.dn: p for p in result.people}[dn].status is PersonStatus.DEPARTED
    assert result.state_changed and dn not in result.state.recheck
    assert _sorted(result.people) == _sorted(directory.people(later))


def test_a_read_that_found_nothing_new_keeps_the_saved_state_untouched(
    syncprov_server: SlapdHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditor.services.directory_sync as directory_sync

    monkeypatch.setenv("LDAP_PW", syncprov_server.password)
    directory = openldap_settings(syncprov_server, incremental=True, password_env="LDAP_PW")
    settings = Settings(data_dir=str(tmp_path / "data"), directory=directory.model_dump())
    _, digest = directory_sync.read_directory(settings, NOW)
    saved: list[SyncState] = []
    monkeypatch.setattr(directory_sync, "save_state", lambda _path, state: saved.append(state))
    digests: list[object] = []
    monkeypatch.setattr(directory_sync, "people_digest", lambda people: digests.append(people) or "computed")
    _, again = directory_sync.read_directory(settings, LATER)
    assert (again, saved, digests) == (digest, [], []), "neither written again nor digested again"
