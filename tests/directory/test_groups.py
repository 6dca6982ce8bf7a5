"""Directory groups: nested membership from group entries and memberOf, on a real slapd with the memberof
overlay, on an AD-shaped tree (msuser.schema), in LDIF files, and AD range retrieval of big groups."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ldap3 import Connection, Server

from auditor.directory.groups import GroupIndex, group_matches, ranged_members
from auditor.directory.ldap import LdapDirectory
from auditor.directory.ldif import LdifDirectory
from auditor.directory.mapping import normalize_dn
from auditor.errors import DirectoryError
from tests.directory.trees import AD_SUFFIX, DATA, NOW, OPENLDAP_SUFFIX, ad_settings, openldap_settings
from tests.support.slapd import MODULE_DIRS, SlapdHandle, start_slapd

MARKETING = f"cn=marketing,ou=groups,{OPENLDAP_SUFFIX}"
WEB = f"cn=web-team,ou=groups,{OPENLDAP_SUFFIX}"
IT = f"cn=it,ou=groups,{OPENLDAP_SUFFIX}"


def _module_dir() -> Path:
    found = next((d for d in MODULE_DIRS if (d / "memberof.so").exists()), None)
    assert found is not None, "the memberof overlay is not installed (Debian: slapd ships it)"
    return found


@pytest.fixture(scope="module")
def memberof_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdHandle]:
    """slapd with the OpenLDAP tree and the memberof overlay; groups added over LDAP so the overlay sees them."""
    _module_dir()
    handle = start_slapd(tmp_path_factory.mktemp("slapd-memberof"), OPENLDAP_SUFFIX,
                         (DATA / "openldap.ldif").read_text(encoding="utf-8"),
                         extra_schema=(DATA / "shop.schema").read_text(encoding="utf-8"),
                         extra_config="moduleload memberof\noverlay memberof")
    conn = Connection(Server(handle.url), handle.bind_dn, handle.password, auto_bind=True)
    try:
        # web-team (alice) is nested in marketing; it (dave) holds marketing too: a loop marketing -> it -> marketing
        assert conn.add(WEB, ["groupOfNames"], {"cn": "web-team", "member": [f"uid=alice,ou=people,{OPENLDAP_SUFFIX}"]})
        assert conn.add(IT, ["groupOfNames"], {"cn": "it", "member": [f"uid=dave,ou=people,{OPENLDAP_SUFFIX}",
                                                                      MARKETING]})
        assert conn.modify(MARKETING, {"member": [("MODIFY_ADD", [WEB, IT])]})
    finally:
        conn.unbind()
    yield handle
    handle.stop()


def test_the_overlay_maintains_memberof_and_the_directory_resolves_nesting(memberof_server: SlapdHandle) -> None:
    conn = Connection(Server(memberof_server.url), memberof_server.bind_dn, memberof_server.password, auto_bind=True)
    try:  # control: memberOf is operational, returned when named
        conn.search(f"uid=alice,ou=people,{OPENLDAP_SUFFIX}", "(objectClass=*)", "BASE", attributes=["memberOf"])
        assert [str(v).lower() for v in conn.entries[0].memberOf.values] == [WEB]
    finally:
        conn.unbind()
    people = {p.uid: p for p in LdapDirectory(openldap_settings(memberof_server),
                                              password=memberof_server.password).people(NOW)}
    assert people["alice"].groups == (IT, MARKETING, WEB)  # through web-team -> marketing -> it (loop closed)
    assert people["dave"].groups == (IT, MARKETING)
    assert people["bob"].groups == (IT, MARKETING)
    assert people["carol"].groups == ()  # the directory knows groups: none is "in no group", not unknown


def test_a_targeted_lookup_carries_the_groups(memberof_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(memberof_server), password=memberof_server.password)
    person = directory.get("alice", now=NOW)
    assert person is not None and MARKETING in (person.groups or ())


AD_GROUPS = f"OU=Groups,{AD_SUFFIX}"
AD_MARKETING = f"CN=Marketing,{AD_GROUPS}"
AD_ADS = f"CN=Ads (EU)\\, Paid,{AD_GROUPS}"
AD_GROUP = {"groupType": "-2147483646", "instanceType": "4", "nTSecurityDescriptor": b"\x01\x00\x04\x80",
            "objectCategory": f"CN=Group,CN=Schema,CN=Configuration,{AD_SUFFIX}"}
"""What every AD group entry carries (mstop's MUST attributes); groupType: global security group."""


@pytest.fixture(scope="module")
def ad_groups_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlapdHandle]:
    """The AD-shaped tree with groups: users carry memberOf (direct only), groups carry member."""
    handle = start_slapd(tmp_path_factory.mktemp("slapd-ad-groups"), AD_SUFFIX,
                         (DATA / "ad.ldif").read_text(encoding="utf-8"), ad_schema=True)
    conn = Connection(Server(handle.url), handle.bind_dn, handle.password, auto_bind=True)
    john = f"CN=John Doe,OU=Staff,{AD_SUFFIX}"
    try:
        assert conn.add(AD_GROUPS, ["organizationalUnit"], {"ou": "Groups"})
        assert conn.add(AD_ADS, ["top", "group"], {"cn": "Ads (EU), Paid", "member": [john], **AD_GROUP})
        assert conn.add(AD_MARKETING, ["top", "group"], {"cn": "Marketing", "member": [AD_ADS], **AD_GROUP})
        assert conn.modify(john, {"memberOf": [("MODIFY_ADD", [AD_ADS])]})
    finally:
        conn.unbind()
    yield handle
    handle.stop()


def test_ad_nested_groups_with_special_characters_in_the_dn(ad_groups_server: SlapdHandle) -> None:
    people = {p.uid: p for p in LdapDirectory(ad_settings(ad_groups_server),
                                              password=ad_groups_server.password).people(NOW)}
    assert sorted(map(normalize_dn, people["jdoe"].groups or ())) == sorted(map(normalize_dn, [AD_ADS, AD_MARKETING]))
    assert people["aboss"].groups == ()
    assert group_matches(people["jdoe"].groups, ["marketing"])
    assert group_matches(people["jdoe"].groups, [AD_ADS.lower()])
    assert not group_matches(people["aboss"].groups, ["Marketing", AD_MARKETING])


def test_no_groups_anywhere_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "people.ldif"
    path.write_text("dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\ncn: A\nsn: A\n", encoding="utf-8")
    assert [p.groups for p in LdifDirectory(path).people(NOW)] == [None]


def test_ldif_groups_may_follow_their_members_and_memberof_counts(tmp_path: Path) -> None:
    path = tmp_path / "people.ldif"
    path.write_text(
        "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\ncn: A\nsn: A\n\n"
        "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nuid: b\ncn: B\nsn: B\nmemberOf: cn=IT,dc=x\n\n"
        "dn: uid=c,dc=x\nobjectClass: inetOrgPerson\nuid: c\ncn: C\nsn: C\n\n"
        "dn: cn=Team,dc=x\nobjectClass: groupOfUniqueNames\ncn: Team\nuniqueMember: uid=a,dc=x\n\n"
        "dn: cn=IT,dc=x\nobjectClass: groupOfNames\ncn: IT\nmember: cn=Team,dc=x\n", encoding="utf-8")
    groups = {p.uid: p.groups for p in LdifDirectory(path).people(NOW)}
    assert groups == {"a": ("cn=IT,dc=x", "cn=Team,dc=x"), "b": ("cn=IT,dc=x",), "c": ()}


def test_a_ranged_member_in_a_file_is_an_error_not_a_short_list(tmp_path: Path) -> None:
    path = tmp_path / "people.ldif"
    path.write_text("dn: cn=Big,dc=x\nobjectClass: groupOfNames\ncn: Big\nmember;range=0-1: uid=a,dc=x\n"
                    "member;range=0-1: uid=b,dc=x\n", encoding="utf-8")
    with pytest.raises(DirectoryError, match=r"people.ldif: line 4: expected 'attribute: value', found 'member;range"):
        list(LdifDirectory(path).people(NOW))


class RangedGroup:
    """Active Directory's answer for a group above MaxValRange (1500): slices named by the server."""

    max_values = 1500

    def __init__(self, members: list[str]):
        self.members = members
        self.asked: list[str] = []

    def first(self) -> dict[str, list[str]]:
        return {"member": [], **self.slice(0)}

    def slice(self, start: int) -> dict[str, list[str]]:
        if start >= len(self.members):
            raise AssertionError("operationsError: start index beyond the last value")
        end = min(start + self.max_values, len(self.members))
        high = "*" if end == len(self.members) else str(end - 1)
        return {f"member;Range={start}-{high}": self.members[start:end]}

    def fetch(self, attribute: str) -> dict[str, list[str]]:
        self.asked.append(attribute)
        name, _, rest = attribute.partition(";range=")
        assert name == "member" and rest.endswith("-*")
        return self.slice(int(rest[:-2]))


def test_range_retrieval_reads_every_slice_of_a_big_group() -> None:
    group = RangedGroup([f"CN=User {i},OU=Staff,DC=corp,DC=example" for i in range(3200)])
    members = ranged_members("CN=Big,DC=corp,DC=example", group.first(), group.fetch)
    assert members == group.members
    assert group.asked == ["member;range=1500-*", "member;range=3000-*"]


def test_a_small_group_needs_no_range() -> None:
    group = RangedGroup(["CN=A,DC=corp,DC=example"])
    assert ranged_members("CN=Small,DC=corp,DC=example", {"member": group.members}, group.fetch) == group.members
    assert group.asked == []


def test_a_loop_of_groups_ends() -> None:
    index = GroupIndex()
    index.add_group("cn=a,dc=x", ["cn=b,dc=x", "uid=u,dc=x"])
    index.add_group("cn=b,dc=x", ["cn=a,dc=x"])
    assert index.groups_of("uid=u,dc=x") == ("cn=a,dc=x", "cn=b,dc=x")
