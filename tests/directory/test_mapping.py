"""Entry -> Person normalisation: attribute names, emails, manager, kind, status and dates, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from auditor.config import DirectorySettings, StatusRule
from auditor.directory.mapping import (
    EntryMapper,
    classify_kind,
    filetime_to_datetime,
    is_person_entry,
    map_entry,
    normalize_dn,
    parse_date,
    parse_generalized_time,
    requested_attributes,
    split_dn,
)
from auditor.errors import DirectoryError
from auditor.model import Person, PersonKind, PersonStatus

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
OPENLDAP = DirectorySettings(flavor="openldap")
AD = DirectorySettings(flavor="ad")
FILETIME_UNIX_EPOCH = 116444736000000000  # 1970-01-01T00:00Z, the well-known offset


def filetime(moment: datetime) -> str:
    return str(FILETIME_UNIX_EPOCH + int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 10**7)


# --- value parsers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20250301090000Z", datetime(2025, 3, 1, 9, 0, tzinfo=UTC)),
        ("20250310101500.0Z", datetime(2025, 3, 10, 10, 15, tzinfo=UTC)),  # AD whenChanged
        ("20250310101500.25Z", datetime(2025, 3, 10, 10, 15, 0, 250000, tzinfo=UTC)),
        ("2025031010Z", datetime(2025, 3, 10, 10, tzinfo=UTC)),  # minutes and seconds are optional
        ("2025031010.5Z", datetime(2025, 3, 10, 10, 30, tzinfo=UTC)),  # a fraction of the hour
        ("20250310101500+0200", datetime(2025, 3, 10, 8, 15, tzinfo=UTC)),
        ("20250310101500-05", datetime(2025, 3, 10, 15, 15, tzinfo=UTC)),
    ],
)
def test_generalized_time(text: str, expected: datetime) -> None:
    assert parse_generalized_time(text) == expected


@pytest.mark.parametrize("text", ["2025-03-10", "20250310", "20251310000000Z", "yesterday", "20250310101500"])
def test_bad_generalized_time(text: str) -> None:
    with pytest.raises(ValueError):
        parse_generalized_time(text)


def test_parse_date_accepts_iso_dates_and_generalized_times() -> None:
    assert parse_date("2025-09-30") == date(2025, 9, 30)
    assert parse_date("20250930230000-0200") == date(2025, 10, 1)  # the UTC date


def test_filetime() -> None:
    assert filetime_to_datetime(FILETIME_UNIX_EPOCH) == datetime(1970, 1, 1, tzinfo=UTC)
    assert filetime_to_datetime(FILETIME_UNIX_EPOCH + 10**7 * 86400 + 15) == datetime(
        1970, 1, 2, 0, 0, 0, 1, tzinfo=UTC
    )
    assert filetime_to_datetime(0) is None
    assert filetime_to_datetime(9223372036854775807) is None
    with pytest.raises(ValueError):
        filetime_to_datetime(-5)


def test_split_dn_tolerates_spaces_and_unescapes() -> None:
    expected = [("cn", "Doe, John"), ("ou", "Staff"), ("dc", "corp")]
    assert split_dn("CN=Doe\\, John ,OU=Staff, DC=corp") == tuple(expected)
    assert split_dn("cn=J\\C3\\A9r\\C3\\B4me+uid=jr,dc=x") == (("cn", "Jérôme"), ("dc", "x"))
    assert normalize_dn("OU=Leavers, DC=Shop") == normalize_dn("ou=leavers,dc=shop")
    with pytest.raises(ValueError):
        split_dn("just a name")


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["Contractor"], PersonKind.CONTRACTOR),
        (["external"], PersonKind.CONTRACTOR),
        (["External Consultant"], PersonKind.CONTRACTOR),
        (["contractors"], PersonKind.CONTRACTOR),
        (["Service account"], PersonKind.SERVICE),
        (["svc"], PersonKind.SERVICE),
        (["Employee"], PersonKind.EMPLOYEE),
        (["Contractor", "Service"], PersonKind.SERVICE),
        (["Partner"], None),
        ([], None),
    ],
)
def test_classify_kind(values: list[str], kind: PersonKind | None) -> None:
    assert classify_kind(values) == kind


# --- identity, names, emails, manager -----------------------------------------------------------------


def test_openldap_entry_with_mixed_case_attribute_names_and_bytes() -> None:
    person = map_entry(
        "uid=grace,ou=people,dc=shop,dc=example",
        {
            "UID": [b"grace"],
            "CN": ["Grace Hopper"],
            "Mail": ["Grace@Shop.example", "grace.h@shop.example"],
            "mailLocalAddress": ["grace@shop.example", " GH@shop.example "],
            "departmentNumber": ["Marketing"],
            "manager": ["uid=alice, ou=People, dc=shop, dc=example"],
            "cn;lang-de": ["Grace H."],
        },
        OPENLDAP.model_copy(update={"alias_attributes": ["MAILLOCALADDRESS"]}),
        NOW,
    )
    assert person.uid == "grace"
    assert person.display_name == "Grace Hopper"
    assert person.emails == ("grace@shop.example", "grace.h@shop.example", "gh@shop.example")
    assert (person.department, person.manager) == ("Marketing", "alice")
    assert (person.kind, person.status, person.status_changed, person.end_date) == (
        PersonKind.EMPLOYEE, PersonStatus.ACTIVE, None, None,
    )
    assert person.dn == "uid=grace,ou=people,dc=shop,dc=example"


def test_ad_entry_uses_samaccountname_and_smtp_proxy_addresses() -> None:
    person = map_entry(
        "CN=John Doe,OU=Staff,DC=corp,DC=example",
        {
            "sAMAccountName": ["jdoe"],
            "uid": ["john-posix"],
            "displayName": ["John Doe"],
            "proxyAddresses": [
                "smtp:jdoe@corp.example",
                "X500:/o=Corp/ou=Exchange/cn=jdoe",
                "SMTP:John.Doe@corp.example",
                "sip:jdoe@corp.example",
                "smtp:john.doe@corp.example",
            ],
            "department": ["Sales"],
            "departmentNumber": ["S-1"],
            "manager": ["CN=Boss\\, Anna,OU=Staff,DC=corp,DC=example"],
            "userAccountControl": ["512"],
            "accountExpires": ["0"],
        },
        AD,
        NOW,
    )
    assert person.uid == "jdoe"
    assert person.emails == ("john.doe@corp.example", "jdoe@corp.example")  # primary SMTP: first
    assert (person.department, person.manager) == ("Sales", "Boss, Anna")
    assert person.status is PersonStatus.ACTIVE


def test_fallbacks_for_name_department_and_manager() -> None:
    person = map_entry(
        "uid=x,dc=e",
        {"uid": ["x"], "ou": ["Ops"], "manager": ["employeeNumber=42,dc=e"]},
        OPENLDAP,
        NOW,
    )
    assert (person.display_name, person.department, person.manager, person.emails) == ("x", "Ops", None, ())


def test_missing_uid_names_the_entry() -> None:
    with pytest.raises(DirectoryError, match=r"^directory entry cn=nobody,dc=e: attribute uid: missing"):
        map_entry("cn=nobody,dc=e", {"cn": ["nobody"]}, OPENLDAP, NOW)
    with pytest.raises(DirectoryError, match="attribute sAMAccountName: missing"):
        map_entry("CN=nobody,DC=e", {"cn": ["nobody"]}, AD, NOW)


# --- Active Directory status --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uac", "expires", "status", "changed", "end"),
    [
        ("512", "0", PersonStatus.ACTIVE, None, None),
        ("66048", "9223372036854775807", PersonStatus.ACTIVE, None, None),
        ("514", "0", PersonStatus.DISABLED, datetime(2025, 3, 10, 10, 15, tzinfo=UTC), None),
        ("546", None, PersonStatus.DISABLED, datetime(2025, 3, 10, 10, 15, tzinfo=UTC), None),
        (
            "512", filetime(datetime(2025, 2, 1, tzinfo=UTC)),
            PersonStatus.DEPARTED, datetime(2025, 2, 1, tzinfo=UTC), date(2025, 1, 31),
        ),
        (  # expired and disabled: departed wins, dated by the expiry
            "514", filetime(datetime(2025, 3, 15, tzinfo=UTC)),
            PersonStatus.DEPARTED, datetime(2025, 3, 15, tzinfo=UTC), date(2025, 3, 14),
        ),
        (  # a local-midnight expiry (CET) still ends on the day before
            "512", filetime(datetime(2025, 8, 31, 22, tzinfo=UTC)),
            PersonStatus.ACTIVE, None, date(2025, 8, 31),
        ),
        ("512", filetime(NOW), PersonStatus.DEPARTED, NOW, date(2025, 6, 1)),  # expiring exactly now
    ],
)
def test_ad_status(
    uac: str, expires: str | None, status: PersonStatus, changed: datetime | None, end: date | None
) -> None:
    attributes = {"sAMAccountName": ["u"], "userAccountControl": [uac], "whenChanged": ["20250310101500.0Z"]}
    if expires is not None:
        attributes["accountExpires"] = [expires]
    person = map_entry("CN=u,DC=e", attributes, AD, NOW)
    assert (person.status, person.status_changed, person.end_date) == (status, changed, end)


# --- OpenLDAP status ----------------------------------------------------------------------------------


def _openldap(
    attributes: dict[str, list[str]], settings: DirectorySettings = OPENLDAP, dn: str = "uid=u,ou=people,dc=e"
) -> Person:
    return map_entry(dn, {"uid": ["u"], "modifyTimestamp": ["20250301090000Z"], **attributes}, settings, NOW)


def test_admin_lock_is_dated_by_modify_timestamp() -> None:
    person = _openldap({"pwdAccountLockedTime": ["000001010000Z"]})
    assert (person.status, person.status_changed) == (
        PersonStatus.DISABLED, datetime(2025, 3, 1, 9, tzinfo=UTC)
    )


def test_ppolicy_lock_is_dated_by_the_lock_time() -> None:
    person = _openldap({"pwdAccountLockedTime": ["20250415083000Z"]})
    assert (person.status, person.status_changed) == (
        PersonStatus.DISABLED, datetime(2025, 4, 15, 8, 30, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("days", "status", "end"),
    [
        ((date(2025, 5, 1) - date(1970, 1, 1)).days, PersonStatus.DEPARTED, date(2025, 4, 30)),
        ((date(2025, 6, 1) - date(1970, 1, 1)).days, PersonStatus.DEPARTED, date(2025, 5, 31)),  # today
        ((date(2025, 6, 2) - date(1970, 1, 1)).days, PersonStatus.ACTIVE, date(2025, 6, 1)),
        (-1, PersonStatus.ACTIVE, None),
    ],
)
def test_shadow_expire(days: int, status: PersonStatus, end: date | None) -> None:
    person = _openldap({"shadowExpire": [str(days)]})
    assert (person.status, person.end_date) == (status, end)
    if status is PersonStatus.DEPARTED:
        assert person.status_changed == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=days)


def test_end_date_attribute_overrides_the_expiry_date() -> None:
    settings = OPENLDAP.model_copy(update={"end_date_attribute": "contractEndDate"})
    future = (date(2025, 12, 1) - date(1970, 1, 1)).days
    assert _openldap({"contractEndDate": ["2025-09-30"]}, settings).end_date == date(2025, 9, 30)
    assert _openldap({"contractenddate": ["20251231000000Z"]}, settings).end_date == date(2025, 12, 31)
    person = _openldap({"contractEndDate": ["2025-09-30"], "shadowExpire": [str(future)]}, settings)
    assert (person.end_date, person.status) == (date(2025, 9, 30), PersonStatus.ACTIVE)


def test_leavers_ou_marks_departed_whatever_the_dn_spelling() -> None:
    settings = OPENLDAP.model_copy(update={"leavers_ou": "ou=Leavers, dc=E"})
    person = _openldap({}, settings, dn="uid=u, OU=leavers,DC=e")
    moved = datetime(2025, 3, 1, 9, tzinfo=UTC)  # modifyTimestamp
    assert (person.status, person.status_changed) == (PersonStatus.DEPARTED, moved)
    assert _openldap({}, settings, dn="uid=u,ou=notleavers,dc=e").status is PersonStatus.ACTIVE
    assert _openldap({}, settings, dn="uid=u,ou=people,dc=e").status is PersonStatus.ACTIVE


def test_status_rules_apply_last_in_order() -> None:
    settings = OPENLDAP.model_copy(
        update={
            "status_rules": [
                StatusRule(attribute="hrStatus", equals="suspended", status="disabled"),
                StatusRule(attribute="hrStatus", equals="terminated", status="departed"),
                StatusRule(attribute="employeeType", equals="partner", kind="contractor"),
                StatusRule(attribute="botFlag", kind="service"),  # no value: the attribute is present
                StatusRule(attribute="hrStatus", equals="reinstated", status="active"),
            ]
        }
    )
    assert _openldap({"hrStatus": ["SUSPENDED"]}, settings).status is PersonStatus.DISABLED
    terminated = _openldap({"hrStatus": ["Terminated"]}, settings)
    assert (terminated.status, terminated.status_changed) == (
        PersonStatus.DEPARTED, datetime(2025, 3, 1, 9, tzinfo=UTC)
    )
    assert _openldap({"employeeType": ["Partner"]}, settings).kind is PersonKind.CONTRACTOR
    assert _openldap({"botFlag": ["yes"]}, settings).kind is PersonKind.SERVICE
    reinstated = _openldap({"hrStatus": ["reinstated"], "pwdAccountLockedTime": ["000001010000Z"]}, settings)
    assert (reinstated.status, reinstated.status_changed) == (PersonStatus.ACTIVE, None)
    assert _openldap({"hrStatus": ["on leave"]}, settings).status is PersonStatus.ACTIVE


# --- malformed values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attributes", "settings", "attribute"),
    [
        ({"pwdAccountLockedTime": ["last tuesday"]}, OPENLDAP, "pwdAccountLockedTime"),
        ({"modifyTimestamp": ["2025-03-01"]}, OPENLDAP, "modifyTimestamp"),
        ({"shadowExpire": ["soon"]}, OPENLDAP, "shadowExpire"),
        ({"contractEndDate": ["31.12.2025"]}, DirectorySettings(end_date_attribute="contractEndDate"),
         "contractEndDate"),
        ({"userAccountControl": ["0x202"]}, AD, "userAccountControl"),
        ({"accountExpires": ["-3"]}, AD, "accountExpires"),
        ({"accountExpires": ["99999999999999999999"]}, AD, "accountExpires"),
        ({"manager": ["Anna Boss"]}, OPENLDAP, "manager"),
        ({"displayName": [b"\xff\xfe"]}, OPENLDAP, "displayName"),
    ],
)
def test_malformed_value_names_dn_and_attribute(
    attributes: dict[str, list[str | bytes]], settings: DirectorySettings, attribute: str
) -> None:
    base = {"uid": ["u"], "sAMAccountName": ["u"]}
    with pytest.raises(DirectoryError, match=rf"^directory entry uid=u,dc=e: attribute {attribute}: "):
        map_entry("uid=u,dc=e", {**base, **attributes}, settings, NOW)


# --- helpers ------------------------------------------------------------------------------------------


def test_requested_attributes_name_operational_and_configured_ones() -> None:
    settings = OPENLDAP.model_copy(
        update={
            "alias_attributes": ["mailLocalAddress", "mail"],
            "end_date_attribute": "contractEndDate",
            "status_rules": [StatusRule(attribute="hrStatus", equals="x", status="disabled")],
        }
    )
    names = requested_attributes(settings)
    for name in ("pwdAccountLockedTime", "modifyTimestamp", "shadowExpire", "mailLocalAddress",
                 "contractEndDate", "hrStatus", "uid", "mail"):
        assert name in names
    assert len({n.lower() for n in names}) == len(names)
    assert {"userAccountControl", "accountExpires", "whenChanged", "sAMAccountName", "proxyAddresses"} <= set(
        requested_attributes(AD)
    )


def test_is_person_entry() -> None:
    assert is_person_entry({"objectClass": ["top", "inetOrgPerson"]})
    assert is_person_entry({"OBJECTCLASS": [b"User"]})
    assert not is_person_entry({"objectClass": ["top", "person", "user", "computer"]})
    assert not is_person_entry({"objectClass": ["groupOfNames"]})
    assert not is_person_entry({})


def test_mapper_requires_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EntryMapper(OPENLDAP, datetime(2025, 6, 1))  # noqa: DTZ001 - the point of the test
