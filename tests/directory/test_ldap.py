"""LdapDirectory against real slapd servers: OpenLDAP- and AD-shaped trees, paging, binds, TLS, escaping."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from ldap3 import SUBTREE, Connection, Server

from auditor.config import Settings
from auditor.directory import open_directory
from auditor.directory.ldap import LdapDirectory, email_filter, uid_filter
from auditor.errors import ConfigError, DirectoryError
from auditor.model import Person, PersonKind, PersonStatus
from tests.directory.trees import AUDITOR_DN, AUDITOR_PASSWORD, NOW, ad_settings, openldap_settings
from tests.support.slapd import SlapdHandle, make_tls_files


def _by_uid(people: Iterator[Person]) -> dict[str, Person]:
    result: dict[str, Person] = {}
    for person in people:
        assert person.uid not in result, f"{person.uid} returned twice"
        result[person.uid] = person
    return result


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _root_connection(server: SlapdHandle) -> Connection:
    """A plain ldap3 connection as the root DN, to see what the server itself matches."""
    return Connection(Server(server.url), server.bind_dn, server.password, auto_bind=True)


@pytest.fixture(scope="module")
def openldap_people(openldap_server: SlapdHandle) -> dict[str, Person]:
    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    return _by_uid(directory.people(NOW))


@pytest.fixture(scope="module")
def ad_people(ad_server: SlapdHandle) -> dict[str, Person]:
    directory = LdapDirectory(ad_settings(ad_server), password=ad_server.password)
    return _by_uid(directory.people(NOW))


# --- OpenLDAP tree -------------------------------------------------------------------------------------


def test_openldap_people_are_all_the_inetorgpersons(openldap_people: dict[str, Person]) -> None:
    assert set(openldap_people) == {
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "ken", "lzolc",
        "mallory", "nina", "svc-shop",
    }


@pytest.mark.parametrize(
    ("uid", "status", "changed"),
    [
        ("alice", PersonStatus.ACTIVE, None),
        ("bob", PersonStatus.DISABLED, _at(2025, 3, 1, 9)),  # admin lock: modifyTimestamp
        ("carol", PersonStatus.DISABLED, _at(2025, 4, 15, 8, 30)),  # ppolicy lock time
        ("dave", PersonStatus.DEPARTED, _at(2025, 5, 1)),  # shadowExpire
        ("frank", PersonStatus.DEPARTED, _at(2025, 5, 20, 16)),  # moved to the leavers OU
        ("heidi", PersonStatus.DISABLED, _at(2025, 5, 10, 12)),  # status rule hrStatus=suspended
        ("mallory", PersonStatus.ACTIVE, None),  # shadowExpire in the future
    ],
)
def test_openldap_status(
    openldap_people: dict[str, Person], uid: str, status: PersonStatus, changed: datetime | None
) -> None:
    person = openldap_people[uid]
    assert (person.status, person.status_changed) == (status, changed)


def test_openldap_kinds_end_dates_and_attributes(openldap_people: dict[str, Person]) -> None:
    kinds = {uid: p.kind for uid, p in openldap_people.items() if p.kind is not PersonKind.EMPLOYEE}
    assert kinds == {
        "erin": PersonKind.CONTRACTOR,
        "ivan": PersonKind.CONTRACTOR,
        "nina": PersonKind.CONTRACTOR,  # status rule on employeeType=Partner
        "svc-shop": PersonKind.SERVICE,
    }
    ends = {uid: p.end_date for uid, p in openldap_people.items() if p.end_date}
    assert ends == {
        "dave": date(2025, 4, 30),
        "erin": date(2025, 9, 30),
        "ivan": date(2025, 12, 31),
        "mallory": date(2025, 11, 30),
    }
    grace = openldap_people["grace"]
    assert grace.emails == ("grace@shop.example", "grace.h@shop.example", "gh@shop.example")
    assert (grace.manager, grace.department, grace.display_name) == ("alice", "Marketing", "Grace Hopper")
    assert grace.dn == "uid=grace,ou=people,dc=shop,dc=example"
    assert openldap_people["alice"].emails == ("alice@shop.example", "a.smith@shop.example")
    assert openldap_people["lzolc"].display_name == "Łukasz Żółć"


def test_paged_search_reads_past_the_servers_size_limit(openldap_server: SlapdHandle) -> None:
    # control: the read-only account gets 5 entries from a plain search ...
    conn = Connection(Server(openldap_server.url), AUDITOR_DN, AUDITOR_PASSWORD, auto_bind=True)
    try:
        conn.search(openldap_server.base_dn, "(objectClass=inetOrgPerson)", SUBTREE, attributes=["uid"])
        assert (conn.result["description"], len(conn.entries)) == ("sizeLimitExceeded", 5)
    finally:
        conn.unbind()
    # ... and all 15 from paged searches of 3 entries per page
    settings = openldap_settings(openldap_server, bind_dn=AUDITOR_DN, page_size=3)
    people = list(LdapDirectory(settings, password=AUDITOR_PASSWORD).people(NOW))
    assert len(people) == 15 == len({p.uid for p in people})


def test_page_size_above_the_server_limit_is_a_directory_error(openldap_server: SlapdHandle) -> None:
    settings = openldap_settings(openldap_server, bind_dn=AUDITOR_DN, page_size=4)
    with pytest.raises(DirectoryError, match=rf"directory {openldap_server.url}: search of dc=shop"):
        list(LdapDirectory(settings, password=AUDITOR_PASSWORD).people(NOW))


# --- Active Directory-shaped tree ---------------------------------------------------------------------


def test_ad_people_exclude_computers(ad_people: dict[str, Person]) -> None:
    assert set(ad_people) == {
        "aboss", "jdoe", "dbrown", "eve", "fcontract", "gold", "hleft", "never", "svc-backup",
    }


@pytest.mark.parametrize(
    ("uid", "status", "changed", "end"),
    [
        ("aboss", PersonStatus.ACTIVE, None, None),  # 66048 = normal account + password never expires
        ("dbrown", PersonStatus.DISABLED, _at(2025, 3, 10, 10, 15), None),
        ("eve", PersonStatus.DISABLED, _at(2025, 4, 20), None),  # 546 = 512 + 0x20 + 0x2
        ("fcontract", PersonStatus.ACTIVE, None, date(2025, 8, 31)),
        ("gold", PersonStatus.DEPARTED, _at(2025, 2, 1), date(2025, 1, 31)),
        ("hleft", PersonStatus.DEPARTED, _at(2025, 3, 15), date(2025, 3, 14)),  # expired and disabled
        ("never", PersonStatus.ACTIVE, None, None),  # accountExpires = 2**63 - 1
    ],
)
def test_ad_status(
    ad_people: dict[str, Person], uid: str, status: PersonStatus, changed: datetime | None, end: date | None
) -> None:
    person = ad_people[uid]
    assert (person.status, person.status_changed, person.end_date) == (status, changed, end)


def test_ad_aliases_manager_and_kind(ad_people: dict[str, Person]) -> None:
    jdoe = ad_people["jdoe"]
    assert jdoe.emails == ("john.doe@corp.example", "jdoe@corp.example", "john@corp-old.example")
    assert (jdoe.manager, jdoe.department) == ("Anna Boss", "Sales")  # AD managers are named by their CN
    assert ad_people["fcontract"].kind is PersonKind.CONTRACTOR
    assert ad_people["svc-backup"].kind is PersonKind.SERVICE
    assert ad_people["aboss"].kind is PersonKind.EMPLOYEE


def test_ad_disabled_bit_filter_is_evaluated_by_slapd(
    ad_server: SlapdHandle, ad_people: dict[str, Person]
) -> None:
    directory = LdapDirectory(ad_settings(ad_server), password=ad_server.password)
    disabled = directory.disabled_uids()
    assert disabled == {"dbrown", "eve", "hleft"}
    # the server-side bit test agrees with the client-side one (hleft is disabled but reported departed)
    assert {uid for uid, p in ad_people.items() if p.status is PersonStatus.DISABLED} == disabled - {"hleft"}


def test_openldap_disabled_uids_are_the_locked_accounts(openldap_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    assert directory.disabled_uids() == {"bob", "carol"}


def test_ad_get_and_find_by_proxy_address(ad_server: SlapdHandle) -> None:
    directory = LdapDirectory(ad_settings(ad_server), password=ad_server.password)
    assert directory.get("JDOE", now=NOW).uid == "jdoe"
    assert directory.find_by_email("JOHN@corp-old.example", now=NOW).uid == "jdoe"
    assert directory.find_by_email("x500:/o=corp/ou=exchange/cn=recipients/cn=jdoe", now=NOW) is None
    assert directory.get("WS01$", now=NOW) is None  # a computer, not a person


def test_default_ad_filter_finds_nothing_on_slapd_and_check_says_so(ad_server: SlapdHandle) -> None:
    directory = LdapDirectory(ad_settings(ad_server, user_filter=None), password=ad_server.password)
    with pytest.raises(DirectoryError, match=r"no entries match \(&\(objectCategory=person\)"):
        directory.check()


# --- lookups and filter escaping ----------------------------------------------------------------------


def test_get_and_find_by_email(openldap_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    assert directory.get("bob", now=NOW).status is PersonStatus.DISABLED
    assert directory.get("nobody", now=NOW) is None
    assert directory.find_by_email(" A.Smith@Shop.Example ", now=NOW).uid == "alice"  # alias attribute
    assert directory.find_by_email("a*b@shop.example", now=NOW).uid == "judy"
    assert directory.find_by_email("nobody@shop.example", now=NOW) is None


@pytest.mark.parametrize("value", ["*", "x*)(uid=*", "*)(|(objectClass=*", "a\\2ab@shop.example", "\x00*"])
def test_injected_filters_match_nothing(openldap_server: SlapdHandle, value: str) -> None:
    directory = LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password)
    settings = directory.settings
    conn = _root_connection(openldap_server)
    try:
        for search_filter in (email_filter(settings, value), uid_filter(settings, value)):
            conn.search(openldap_server.base_dn, search_filter, SUBTREE, attributes=["uid"])
            assert conn.entries == [], search_filter  # the server itself matches nothing
    finally:
        conn.unbind()
    assert directory.find_by_email(value, now=NOW) is None
    assert directory.get(value, now=NOW) is None


def test_escaped_email_filter_matches_only_the_literal_address(openldap_server: SlapdHandle) -> None:
    settings = openldap_settings(openldap_server)
    conn = _root_connection(openldap_server)
    try:
        search_filter = email_filter(settings, "a*b@shop.example")
        conn.search(openldap_server.base_dn, search_filter, SUBTREE, attributes=["uid"])
        assert [str(e.uid) for e in conn.entries] == ["judy"]  # not ken (axxb@), as an unescaped * would
    finally:
        conn.unbind()


# --- binds, reachability, check -----------------------------------------------------------------------


def test_wrong_password_is_refused(openldap_server: SlapdHandle) -> None:
    directory = LdapDirectory(openldap_settings(openldap_server), password="wrong")
    url, dn = openldap_server.url, openldap_server.bind_dn
    expected = f"directory {url}: bind as {dn} refused (invalid credentials)"
    with pytest.raises(DirectoryError) as caught:
        list(directory.people(NOW))
    assert str(caught.value) == expected
    assert "wrong" not in str(caught.value).replace(expected, "")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_names_the_url(openldap_server: SlapdHandle) -> None:
    url = f"ldap://127.0.0.1:{_closed_port()}"
    directory = LdapDirectory(
        openldap_settings(openldap_server, url=url, connect_timeout=1.0), password="x"
    )
    with pytest.raises(DirectoryError, match=rf"^directory {url}: cannot connect"):
        directory.check()


def test_silent_server_hits_the_receive_timeout(openldap_server: SlapdHandle) -> None:
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"ldap://127.0.0.1:{silent.getsockname()[1]}"
        settings = openldap_settings(openldap_server, url=url, connect_timeout=1.0, receive_timeout=1.0)
        started = time.monotonic()
        with pytest.raises(DirectoryError, match=rf"^directory {url}: bind as "):
            LdapDirectory(settings, password="x").check()
        assert time.monotonic() - started < 5


def test_check_passes_and_names_a_missing_base(openldap_server: SlapdHandle) -> None:
    LdapDirectory(openldap_settings(openldap_server), password=openldap_server.password).check()
    settings = openldap_settings(openldap_server, base_dn="ou=nowhere,dc=shop,dc=example")
    with pytest.raises(DirectoryError, match="base DN ou=nowhere,dc=shop,dc=example does not exist"):
        LdapDirectory(settings, password=openldap_server.password).check()


def test_open_directory_reads_the_bind_password_from_the_environment(
    openldap_server: SlapdHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory_config = openldap_settings(openldap_server, password_env="TEST_DIRECTORY_PASSWORD").model_dump()
    settings = Settings.model_validate({"directory": directory_config})
    monkeypatch.delenv("TEST_DIRECTORY_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="TEST_DIRECTORY_PASSWORD"):
        open_directory(settings)
    monkeypatch.setenv("TEST_DIRECTORY_PASSWORD", openldap_server.password)
    directory = open_directory(settings)
    assert isinstance(directory, LdapDirectory)
    assert sum(1 for _ in directory.people(NOW)) == 15


def test_ldap_settings_are_validated(openldap_server: SlapdHandle) -> None:
    with pytest.raises(ConfigError, match="directory.url"):
        LdapDirectory(openldap_settings(openldap_server, url="http://example.org"), password="x")
    with pytest.raises(ConfigError, match="directory.password_env"):
        LdapDirectory(openldap_settings(openldap_server), password=None)


# --- TLS ----------------------------------------------------------------------------------------------


def test_ldaps_with_the_servers_ca_works(openldap_server: SlapdHandle) -> None:
    settings = openldap_settings(openldap_server, url=openldap_server.ldaps_url)
    directory = LdapDirectory(settings, password=openldap_server.password, ca_file=openldap_server.ca_file)
    assert directory.get("alice", now=NOW).emails[0] == "alice@shop.example"


def test_starttls_with_the_servers_ca_works(openldap_server: SlapdHandle) -> None:
    settings = openldap_settings(openldap_server, start_tls=True)
    directory = LdapDirectory(settings, password=openldap_server.password, ca_file=openldap_server.ca_file)
    directory.check()


@pytest.mark.parametrize("mode", ["ldaps", "starttls"])
@pytest.mark.parametrize("trust", ["other-ca", "system-store"])
def test_tls_refuses_a_certificate_from_an_untrusted_ca(
    openldap_server: SlapdHandle, tmp_path: pytest.TempPathFactory, mode: str, trust: str
) -> None:
    other_ca = make_tls_files(tmp_path)[0] if trust == "other-ca" else None
    if mode == "ldaps":
        settings = openldap_settings(openldap_server, url=openldap_server.ldaps_url)
    else:
        settings = openldap_settings(openldap_server, start_tls=True)
    directory = LdapDirectory(settings, password=openldap_server.password, ca_file=other_ca)
    with pytest.raises(DirectoryError, match=rf"^directory {settings.url}: .*(?i:certificate)"):
        directory.check()
