"""LDIF parsing (RFC 2849) and LdifDirectory: folding, base64, comments, errors with line numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.config import DirectorySettings, load_settings
from auditor.directory import open_directory
from auditor.directory.ldap import LdapDirectory
from auditor.directory.ldif import LdifDirectory, parse_ldif
from auditor.directory.mapping import normalize_dn
from auditor.errors import ConfigError, DirectoryError
from auditor.model import Person, PersonKind, PersonStatus
from tests.directory.trees import DATA, NOW, ad_settings, openldap_settings
from tests.support.slapd import SlapdHandle


def _parse(text: str | bytes) -> list:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return list(parse_ldif(raw.splitlines(keepends=True), source="people.ldif"))


def _write(tmp_path: Path, text: str | bytes, name: str = "people.ldif") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_parser_handles_version_comments_folding_base64_and_crlf() -> None:
    records = _parse(
        "\ufeffversion: 1\r\n"
        "# a comment that is folded\r\n"
        " onto a second line: still a comment\r\n"
        "dn: uid=lzolc,ou=people,\r\n"
        " dc=shop,dc=example\r\n"
        "objectClass: inetOrgPerson\r\n"
        "cn:: xYF1a2FzeiDFu8OzxYLEhw==\r\n"
        "description: a long value fol\r\n"
        " ded over  \r\n"
        " three lines\r\n"
        "uid:   lzolc\r\n"
        "\r\n"
        "\r\n"
        "# between records\r\n"
        "dn:: dWlkPWFubmEsZGM9eA==\r\n"
        "changetype: add\r\n"
        "uid: anna\r\n"
    )
    assert [(r.dn, r.line) for r in records] == [
        ("uid=lzolc,ou=people,dc=shop,dc=example", 4),
        ("uid=anna,dc=x", 15),
    ]
    first = records[0].attributes
    assert first["cn"] == ["Łukasz Żółć".encode()]  # base64 values stay bytes until mapped
    assert first["description"] == ["a long value folded over  three lines"]
    assert first["uid"] == ["lzolc"]
    assert records[1].attributes == {"uid": ["anna"]}


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("dn: uid=a,dc=x\nuid: a\ncn Alice\n", 3, "expected 'attribute: value'"),
        ("dn: uid=a,dc=x\nuid: a\n\ndn: uid=b,dc=x\ncn:: ***not base64***\n", 5, "cn: invalid base64"),
        ("dn: uid=a,dc=x\n\n continued\n", 3, "continuation line"),
        ("# people\nuid: a\ndn: uid=a,dc=x\n", 2, "a record must start with 'dn:'"),
        ("dn: uid=a,dc=x\nchangetype: modify\nreplace: cn\n", 2, "change records (changetype: modify)"),
        ("dn: uid=a,dc=x\njpegPhoto:< file:///etc/shadow\n", 2, "URL values"),
        ("version: 2\ndn: uid=a,dc=x\n", 1, "unsupported LDIF version"),
        (b"dn: uid=a,dc=x\ncn: caf\xe9\n", 2, "not UTF-8 text"),
        ("dn: uid=a,dc=x\nuid: a\n\n\n\ndn: uid=b,dc=x\nbad attr: x\n", 7, "expected 'attribute: value'"),
    ],
)
def test_malformed_ldif_names_the_line(text: str | bytes, line: int, problem: str) -> None:
    with pytest.raises(DirectoryError) as caught:
        _parse(text)
    assert str(caught.value).startswith(f"people.ldif: line {line}: ")
    assert problem in str(caught.value)


def test_directory_reads_the_openldap_tree(tmp_path: Path) -> None:
    settings = DirectorySettings(
        kind="ldif", alias_attributes=["mailLocalAddress"], leavers_ou="ou=leavers,dc=shop,dc=example"
    )
    people = {p.uid: p for p in LdifDirectory(DATA / "openldap.ldif", settings).people(NOW)}
    assert len(people) == 15  # the OUs, the group and the auditor role are not people
    assert people["lzolc"].display_name == "Łukasz Żółć"
    assert people["frank"].status is PersonStatus.DEPARTED
    assert people["svc-shop"].kind is PersonKind.SERVICE
    assert people["alice"].emails == ("alice@shop.example", "a.smith@shop.example")


def test_ldif_and_ldap_give_the_same_people(openldap_server: SlapdHandle, ad_server: SlapdHandle) -> None:
    for settings, server, name in (
        (openldap_settings, openldap_server, "openldap.ldif"),
        (ad_settings, ad_server, "ad.ldif"),
    ):
        from_ldap = LdapDirectory(settings(server), password=server.password).people(NOW)
        from_file = LdifDirectory(DATA / name, settings(server, kind="ldif")).people(NOW)
        assert _comparable(from_file) == _comparable(from_ldap), name


def _comparable(people: Iterable[Person]) -> list[tuple[Person, tuple]]:
    """People sorted by uid with the DN normalised (slapd lower-cases attribute names: CN= -> cn=)."""
    return sorted(((replace(p, dn=None), normalize_dn(p.dn or "")) for p in people), key=lambda t: t[0].uid)


def test_base_dn_limits_the_entries(tmp_path: Path) -> None:
    settings = DirectorySettings(kind="ldif", base_dn="OU=Services, DC=shop,DC=example")
    assert [p.uid for p in LdifDirectory(DATA / "openldap.ldif", settings).people(NOW)] == ["svc-shop"]


def test_computers_are_not_people() -> None:
    uids = {p.uid for p in LdifDirectory(DATA / "ad.ldif", DirectorySettings(flavor="ad")).people(NOW)}
    assert "WS01$" not in uids and "jdoe" in uids


def test_people_are_streamed_and_a_bad_entry_names_file_line_dn_and_attribute(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid: a\n\n"
        "dn: uid=b,dc=x\nobjectClass: inetOrgPerson\nobjectClass: shadowAccount\n"
        "uid: b\nshadowExpire: soon\n",
    )
    people = LdifDirectory(path).people(NOW)
    assert next(people).uid == "a"  # read before the bad record is reached
    with pytest.raises(DirectoryError) as caught:
        next(people)
    assert str(caught.value) == (
        f"{path}: line 5: directory entry uid=b,dc=x: attribute shadowExpire: not an integer: 'soon'"
    )


def test_check(tmp_path: Path) -> None:
    LdifDirectory(DATA / "openldap.ldif").check()
    only_groups = _write(tmp_path, "dn: cn=g,dc=x\nobjectClass: groupOfNames\ncn: g\n")
    with pytest.raises(DirectoryError, match="no person entries"):
        LdifDirectory(only_groups).check()
    with pytest.raises(DirectoryError, match=r"missing\.ldif: cannot read LDIF file"):
        LdifDirectory(tmp_path / "missing.ldif").check()
    broken = _write(tmp_path, "dn: uid=a,dc=x\nobjectClass: inetOrgPerson\nuid a\n", name="broken.ldif")
    with pytest.raises(DirectoryError, match=r"broken\.ldif: line 3: "):
        LdifDirectory(broken).check()


def test_default_lookups_scan_the_file() -> None:
    settings = DirectorySettings(alias_attributes=["mailLocalAddress"])
    directory = LdifDirectory(DATA / "openldap.ldif", settings)
    assert directory.get("GRACE", now=NOW).uid == "grace"
    assert directory.find_by_email("GH@shop.example", now=NOW).uid == "grace"
    assert directory.find_by_email("*", now=NOW) is None
    assert directory.get("nobody", now=NOW) is None


def test_open_directory_resolves_the_path_against_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "hr").mkdir()
    _write(tmp_path / "hr", (DATA / "openldap.ldif").read_text(encoding="utf-8"))
    config = tmp_path / "auditor.toml"
    config.write_text('[directory]\nkind = "ldif"\npath = "hr/people.ldif"\n', encoding="utf-8")
    directory = open_directory(load_settings(config, environ={}))
    assert isinstance(directory, LdifDirectory)
    assert directory.path == tmp_path / "hr" / "people.ldif"
    assert sum(1 for _ in directory.people(NOW)) == 15
    config.write_text('[directory]\nkind = "ldif"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="directory.path is not set"):
        open_directory(load_settings(config, environ={}))


def test_an_oversized_value_names_file_line_and_limit(tmp_path: Path) -> None:
    settings = DirectorySettings(kind="ldif", ldif_max_line_bytes=1000)
    long_line = "dn: uid=a,dc=x\nobjectClass: person\nuid: a\ndescription: " + "x" * 5000 + "\n"
    folded = "dn: uid=a,dc=x\nobjectClass: person\nuid: a\ndescription: x\n" + " " + "y" * 600 + "\n " + "z" * 600
    for text, line in ((long_line, 4), (folded, 4)):
        path = _write(tmp_path, text)
        with pytest.raises(DirectoryError) as caught:
            list(LdifDirectory(path, settings).people(NOW))
        message = str(caught.value)
        assert message.startswith(f"{path}: line {line}: ") and "1000 bytes" in message, message
        assert "directory.ldif_max_line_bytes" in message


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = _write(tmp_path, "dn: uid=a,dc=x\nobjectClass: person\nuid: a\n" * 50)
    with pytest.raises(DirectoryError, match=r"bytes is more than the 100 allowed \(directory.ldif_max_bytes\)"):
        list(LdifDirectory(path, DirectorySettings(kind="ldif", ldif_max_bytes=100)).people(NOW))
