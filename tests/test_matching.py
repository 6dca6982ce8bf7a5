"""Identity matching: email, alias, manual links, ambiguity, personal/company domains, service accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config import ManualLink, MatchingSettings, ServiceAccount
from auditor.errors import ConfigError
from auditor.matching import link_accounts, load_links_file
from auditor.model import Account, AccountKind, Capabilities, Person, Tenant, TenantSnapshot


def snap(*accounts: Account, platform: str = "shop-meta", kind: str = "meta") -> TenantSnapshot:
    return TenantSnapshot(
        platform=platform,
        kind=kind,
        tenant=Tenant(platform, "b1", "Shop"),
        capabilities=Capabilities(),
        accounts=list(accounts),
    )


def acc(account_id: str, *emails: str, kind: AccountKind = AccountKind.USER) -> Account:
    return Account(account_id=account_id, kind=kind, emails=emails)


PEOPLE = [
    Person("ann", "Ann", ("ann@corp.example", "ann.alias@corp.example", "sales@corp.example")),
    Person("bob", "Bob", ("bob@corp.example", "ann.alias@corp.example", "sales@corp.example")),
    Person("cat", "Cat", ("cat@corp.example", "cat@shop.example")),
    Person("dan", "Dan", ("dan@corp.example", "ann@corp.example")),  # an alias equal to Ann's primary mail
]
SETTINGS = MatchingSettings(company_domains=["corp.example", "shop.example"])


def link(account: Account, settings: MatchingSettings = SETTINGS, people=PEOPLE, **kw):
    links = link_accounts([snap(account)], people, settings, **kw)
    return links[("shop-meta", account.account_id)]


def test_primary_mail_links_case_insensitively():
    result = link(acc("1", " Cat@Corp.Example "))
    assert (result.uid, result.method, result.email, result.email_domain) == (
        "cat",
        "email",
        "cat@corp.example",
        "corp.example",
    )
    assert result.company_email is True and result.personal_email is False


def test_alias_links_when_no_primary_matches():
    result = link(acc("1", "cat@shop.example"))
    assert (result.uid, result.method) == ("cat", "alias")


def test_primary_mail_beats_an_alias():
    result = link(acc("1", "ann@corp.example"))
    assert (result.uid, result.method) == ("ann", "email")


def test_an_email_naming_several_people_is_ambiguous():
    result = link(acc("1", "ann.alias@corp.example"))
    assert result.uid is None and result.method == "ambiguous" and result.candidates == ("ann", "bob")


def test_an_account_whose_emails_name_two_people_is_ambiguous():
    result = link(acc("1", "ann@corp.example", "bob@corp.example"))
    assert result.method == "ambiguous" and result.candidates == ("ann", "bob")


def test_unknown_email_is_not_linked():
    result = link(acc("1", "zed@corp.example"))
    assert result.uid is None and result.method is None and result.company_email is True


def test_manual_link_by_account_id_beats_email():
    settings = SETTINGS.model_copy(
        update={"links": [ManualLink(platform="shop-meta", account_id="1", uid="bob")]}
    )
    result = link(acc("1", "ann@corp.example"), settings)
    assert (result.uid, result.method) == ("bob", "manual")


def test_manual_link_by_email_and_by_connector_kind():
    links = [ManualLink(platform="meta", email="Kuba.Ads@gmail.com", uid="dan")]
    result = link(acc("7", "kuba.ads@gmail.com"), SETTINGS.model_copy(update={"links": links}))
    assert (result.uid, result.method) == ("dan", "manual")
    assert result.personal_email is True and result.company_email is False


def test_manual_links_passed_by_the_caller_and_resolving_ambiguity():
    result = link(
        acc("1", "ann.alias@corp.example"),
        manual_links=[ManualLink(platform="shop-meta", email="ann.alias@corp.example", uid="ann")],
    )
    assert (result.uid, result.method) == ("ann", "manual")


def test_manual_link_for_another_platform_does_not_apply():
    settings = SETTINGS.model_copy(
        update={"links": [ManualLink(platform="linkedin", account_id="1", uid="bob")]}
    )
    assert link(acc("1", "ann@corp.example"), settings).uid == "ann"


def test_conflicting_manual_links_are_a_config_error():
    links = [
        ManualLink(platform="shop-meta", account_id="1", uid="ann"),
        ManualLink(platform="shop-meta", account_id="1", uid="bob"),
    ]
    with pytest.raises(ConfigError, match=r"matching.links\[1\]: '1' on 'shop-meta' is linked to both"):
        link(acc("1"), SETTINGS.model_copy(update={"links": links}))


def test_manual_link_needs_an_account_id_or_email():
    with pytest.raises(ConfigError, match=r"matching.links\[0\]: a link needs account_id or email"):
        link(acc("1"), SETTINGS.model_copy(update={"links": [ManualLink(platform="shop-meta", uid="ann")]}))


def test_personal_domains_include_subdomains_and_settings():
    assert link(acc("1", "x@gmail.com")).personal_email is True
    assert link(acc("1", "x@mail.yahoo.com")).personal_email is True
    custom = SETTINGS.model_copy(update={"personal_domains": ["freemail.example"]})
    assert link(acc("1", "x@freemail.example"), custom).personal_email is True
    assert link(acc("1", "x@gmail.com"), custom).personal_email is False


def test_company_domains_default_to_the_directory_domains_except_personal_ones():
    people = [*PEOPLE, Person("eve", "Eve", ("eve@corp.example", "eve.private@gmail.com"))]
    empty = MatchingSettings()
    assert link(acc("1", "new@shop.example"), empty, people).company_email is True
    assert link(acc("1", "someone@gmail.com"), empty, people).company_email is False
    assert link(acc("1", "x@agency.example"), empty, people).company_email is False


def test_registered_service_accounts_are_marked_by_id_or_email():
    services = [
        ServiceAccount(platform="shop-meta", account_id="su1", owner="ann"),
        ServiceAccount(platform="meta", email="bot@corp.example", owner="bob"),
    ]
    settings = SETTINGS.model_copy(update={"service_accounts": services})
    by_id = link(acc("su1", kind=AccountKind.SYSTEM_USER), settings)
    assert by_id.service_account is not None and by_id.service_account.owner == "ann" and by_id.uid is None
    by_email = link(acc("9", "BOT@corp.example"), settings)
    assert by_email.service_account is not None and by_email.service_account.owner == "bob"
    assert link(acc("su2", kind=AccountKind.SYSTEM_USER), settings).service_account is None


def test_apps_are_never_linked_by_email():
    result = link(acc("app1", "ann@corp.example", kind=AccountKind.APP))
    assert result.uid is None and result.method is None


def test_every_account_of_every_snapshot_is_keyed_by_platform():
    links = link_accounts(
        [snap(acc("1", "ann@corp.example")), snap(acc("1", "bob@corp.example"), platform="two")],
        PEOPLE,
        SETTINGS,
    )
    assert links[("shop-meta", "1")].uid == "ann" and links[("two", "1")].uid == "bob"


# -- links files ---------------------------------------------------------------------------


def test_links_file_yaml_and_csv(tmp_path):
    yaml_file = tmp_path / "links.yaml"
    yaml_file.write_text(
        "- {platform: shop-meta, account_id: '1', uid: bob}\n"
        "- platform: shop-meta\n  email: X@Gmail.com\n  uid: cat\n",
        encoding="utf-8",
    )
    csv_file = tmp_path / "links.csv"
    csv_file.write_text(
        "platform,account_id,email,uid\nshop-meta,2,,ann\n\nshop-meta,,y@gmail.com,dan\n", encoding="utf-8"
    )
    assert [(x.account_id, x.email, x.uid) for x in load_links_file(yaml_file)] == [
        ("1", None, "bob"),
        (None, "X@Gmail.com", "cat"),
    ]
    assert [(x.account_id, x.email, x.uid) for x in load_links_file(csv_file)] == [
        ("2", None, "ann"),
        (None, "y@gmail.com", "dan"),
    ]
    settings = SETTINGS.model_copy(update={"links_file": "links.yaml"})
    links = link_accounts(
        [snap(acc("1", "ann@corp.example"), acc("5", "x@gmail.com"))], PEOPLE, settings, base_dir=tmp_path
    )
    assert links[("shop-meta", "1")].uid == "bob" and links[("shop-meta", "5")].uid == "cat"


def test_links_file_as_a_mapping_with_a_links_key(tmp_path):
    path = tmp_path / "links.yml"
    path.write_text("links:\n  - {platform: shop-meta, account_id: '1', uid: bob}\n", encoding="utf-8")
    assert [x.uid for x in load_links_file(path)] == ["bob"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "links.yaml",
            "- {platform: shop-meta, account_id: '1', uid: bob}\n- {platform: shop-meta, uid: ann}\n",
            "line 2: a link needs account_id or email",
        ),
        (
            "links.yaml",
            "- {platform: shop-meta, account_id: '1', uid: bob}\n\n- {platform: m, email: e, uid: u, x: 1}\n",
            "line 3: x: Extra inputs are not permitted",
        ),
        ("links.yaml", "- {platform: shop-meta, account_id: '1'}\n", "line 1: uid: Field required"),
        ("links.yaml", "- just a string\n", "line 1: expected a mapping"),
        ("links.yaml", "- {platform: [\n", "line 2: invalid YAML"),
        ("links.yaml", "platform: shop-meta\n", "line 1: expected a list of links"),
        (
            "links.csv",
            "platform,account_id,uid\nshop-meta,1,ann\nshop-meta,2,\n",
            "line 3: uid: Field required",
        ),
        ("links.csv", "platform,account,uid\nshop-meta,1,ann\n", "line 1: unknown column 'account'"),
        ("links.csv", "platform,account_id,uid\nshop-meta,1,ann,extra\n", "line 2: more values than columns"),
        ("links.csv", "platform,email,uid\nshop-meta,,ann\n", "line 2: a link needs account_id or email"),
        ("links.txt", "", "links file must be .csv, .yaml or .yml"),
    ],
)
def test_links_file_errors_name_the_file_and_line(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_links_file(path)
    assert str(caught.value).startswith(f"{path}: {expected}")


def test_missing_links_file(tmp_path):
    settings = SETTINGS.model_copy(update={"links_file": str(tmp_path / "nope.csv")})
    with pytest.raises(ConfigError, match="nope.csv: links file not found"):
        link_accounts([], PEOPLE, settings)


def test_conflicting_links_between_file_and_settings_name_the_file(tmp_path: Path):
    path = tmp_path / "links.csv"
    path.write_text("platform,account_id,uid\nshop-meta,1,ann\n", encoding="utf-8")
    settings = SETTINGS.model_copy(
        update={
            "links": [ManualLink(platform="shop-meta", account_id="1", uid="bob")],
            "links_file": str(path),
        }
    )
    with pytest.raises(
        ConfigError, match=f"{path}: line 2: '1' on 'shop-meta' is linked to both 'bob' and 'ann'"
    ):
        link_accounts([], PEOPLE, settings)
