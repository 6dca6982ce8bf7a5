"""The demo company: determinism, size, shapes, LDIF, and that the planted findings are exactly the findings.

``reference_findings`` is an independent, deliberately plain reading of the rules documented in
``auditor.demo.company``; it proves the data holds every planted case and nothing else.
"""

from __future__ import annotations

import base64
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import ldap3
import pytest

from auditor.config import DirectorySettings, ManualLink, MatchingSettings, ServiceAccount
from auditor.demo.company import DEPARTMENTS, Company, build_company
from auditor.demo.ldif_writer import entries_ldif, ldif_text, write_ldif
from auditor.demo.meta.company import ACTIVITY_DAYS, PLATFORM
from auditor.demo.platforms import SandboxPlatform
from auditor.directory.mapping import EntryMapper
from auditor.model import CATEGORIES, PersonKind, PersonStatus
from tests.support.slapd import start_slapd

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
ASSET_EDGES = ("owned_pages", "client_pages", "owned_ad_accounts", "client_ad_accounts",
               "owned_instagram_assets", "owned_whatsapp_business_accounts")
PARTNER_ASSET_EDGES = (*ASSET_EDGES, "owned_pixels", "owned_product_catalogs")


@pytest.fixture(scope="module")
def company() -> Company:
    return build_company(7, now=NOW)


@pytest.fixture(scope="module")
def big() -> Company:
    return build_company(7, now=NOW, size=2000)


def _time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


def meta_of(company: Company) -> SandboxPlatform:
    """The company's Meta business (generated with its people)."""
    return next(tenant for tenant in company.tenants if tenant.kind == "meta")


def allowlist(company: Company) -> dict[str, list[str]]:
    """Meta app id -> the scopes its tokens may hold."""
    return meta_of(company).policy_parameters["excess-app-scope"]["allowed_scopes"]


def meta_stats(company: Company) -> dict[str, int]:
    """Counts of the Meta business: people, principals, assets, grants, activities."""
    meta = meta_of(company).data
    assets = [a for key in ASSET_EDGES for a in meta.get(key, [])]
    principals = len(meta["business_users"]) + len(meta["system_users"])
    return {
        "people": len(company.people),
        "business_users": len(meta["business_users"]),
        "assets": len(assets),
        # one grant per task on an asset, plus each principal's business role
        "grants": principals + sum(len(u["tasks"]) for a in assets for u in a["assigned_users"]),
        "activities": sum(len(a.get("activities", ())) for a in assets),
    }


def reference_findings(company: Company, *, synced_earlier: bool = True) -> set[tuple]:
    """The findings the documented rules give on this data, as ``Planted.key`` tuples."""
    tenant = meta_of(company)
    now, meta, platform = company.now, tenant.data, tenant.name
    info: dict[str, tuple[str, str, date | None]] = {}  # uid -> (status, kind, end date)
    by_email: dict[str, str] = {}
    current = {entry["uid"][0] for entry in company.people}
    entries = list(company.people)
    if synced_earlier:  # vanished since the earlier export == departed (no end date)
        entries += [e for e in company.earlier_people if e["uid"][0] not in current]
    for entry in entries:
        uid, kind = entry["uid"][0], entry["employeeType"][0]
        status = "disabled" if kind == "disabled" else "active"
        if ",ou=leavers," in entry["dn"][0] or uid not in current:
            status = "departed"
        end = date.fromisoformat(entry["description"][0]) if "description" in entry else None
        info[uid] = (status, kind, end)
        by_email.update({mail.lower(): uid for mail in entry["mail"]})

    found: set[tuple] = set()

    def add(category: str, account: str | None = None, asset: str | None = None) -> None:
        found.add((category, platform, account, asset))

    if meta["business"]["two_factor_type"] != "all_required":
        add("tenant_2fa_not_enforced")
    holdings: dict[str, set[str]] = defaultdict(set)
    ad_holdings: dict[str, set[str]] = defaultdict(set)
    managers: Counter[str] = Counter()
    for edge in ASSET_EDGES:
        for asset in meta[edge]:
            for holder in asset["assigned_users"]:
                holdings[holder["id"]].add(asset["id"])
                managers[asset["id"]] += "MANAGE" in holder["tasks"]
                if "ad_accounts" in edge:
                    ad_holdings[holder["id"]].add(asset["id"])
    for asset_id, count in managers.items():
        if count > 3:
            add("excess_admins", asset=asset_id)
    last_active: dict[tuple[str, str], datetime] = {}
    events = []
    for edge in ("owned_ad_accounts", "client_ad_accounts"):
        for ad in meta[edge]:
            for event in ad["activities"]:
                when = _time(event["event_time"])
                key = (event["actor_id"], ad["id"])
                last_active[key] = max(when, last_active.get(key, when))
                events.append((event, when))

    personal = set(MatchingSettings().personal_domains)
    links = {link["account_id"]: link["uid"] for link in tenant.links}
    for user in meta["business_users"]:
        email = user["email"].lower()
        uid = links.get(user["id"]) or by_email.get(email)
        if email.rpartition("@")[2] in personal:
            add("personal_email", user["id"])
        if user["two_fac_status"] != "enabled":
            add("missing_2fa", user["id"])
        if uid is None:
            add("unmatched_account", user["id"])
            if holdings[user["id"]] and not ad_holdings[user["id"]]:
                add("could_not_verify")  # dormancy: Meta logs ad-account activity only
            continue
        status, kind, end = info[uid]
        if status == "active" and holdings[user["id"]] and not ad_holdings[user["id"]]:
            add("could_not_verify")
        if status != "active":
            add("orphaned_access", user["id"])
        if status != "active":
            left = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC) if end else now
            for event, when in events:
                target = event["object_id"] if event["object_type"] == "USER" else None
                if when >= left and user["id"] in (event["actor_id"], target):
                    add("post_departure_activity", user["id"])
        if status == "active" and kind == "contractor" and end and end < now.date() and holdings[user["id"]]:
            add("contract_expired", user["id"])
        stale = now - timedelta(days=90)
        if status == "active" and any(last_active.get((user["id"], ad), stale) <= stale
                                      for ad in ad_holdings[user["id"]]):
            add("dormant_access", user["id"])
    owners = {entry["account_id"]: entry["owner"] for entry in tenant.service_accounts}
    for system_user in meta["system_users"]:
        owner = owners.get(system_user["id"])
        if owner is None or info.get(owner, ("departed",))[0] != "active":
            add("ownerless_service_account", system_user["id"])
    for invitation in meta["pending_users"]:
        uid = by_email.get(invitation["email"].lower())
        too_old = now - _time(invitation["created_time"]) > timedelta(days=30)
        if too_old or (uid is not None and info[uid][0] != "active"):
            add("stale_invitation", f"invite:{invitation['id']}")
    for app in meta["owned_apps"] + meta["client_apps"]:
        if app["id"] not in tenant.policy_parameters["unapproved-app"]["approved_apps"]:
            add("unapproved_app", f"app:{app['id']}")
    names = {tenant.token: "self", **{token: env for env, token in tenant.extra_tokens.items()}}
    for token, data in meta["tokens"].items():
        if set(data["scopes"]) - set(allowlist(company).get(data["app_id"], ())):
            add("excess_app_scope", f"token:{names[token]}")
    for page in meta["owned_pages"] + meta["client_pages"]:  # direct Page roles: no email, manual links only
        for person in page.get("roles", ()):
            uid = links.get(person["id"])
            if uid is None:
                add("unmatched_account", person["id"])
            elif info[uid][0] != "active":
                add("orphaned_access", person["id"])
    approved = tenant.policy_parameters.get("partner-not-approved", {}).get("approved_partners", [])
    held: dict[str, set[str]] = defaultdict(set)  # partner id -> its tasks on our assets
    for edge in PARTNER_ASSET_EDGES:
        for asset in meta.get(edge, ()):
            for partner in [*asset.get("agencies", ()), *asset.get("shared_agencies", ())]:
                held[partner["id"]].update(partner.get("permitted_tasks", ()))
    for partner_id, tasks in held.items():
        if partner_id not in approved:
            add("partner_access", partner_id)
        if tasks & {"MANAGE", "ADMIN", "EDIT"}:  # admin-level: MANAGE, and a pixel's EDIT
            add("partner_access", partner_id)
    return found


# --- determinism, size, people -----------------------------------------------------------------------


def test_same_seed_and_now_give_the_same_company(company):
    again = build_company(7, now=NOW)
    assert again.people == company.people
    assert again.earlier_people == company.earlier_people
    assert meta_of(again) == meta_of(company)
    assert again.planted == company.planted


def test_another_seed_gives_other_ids_and_tokens(company):
    other = build_company(8, now=NOW)
    assert meta_of(other).token != meta_of(company).token
    assert {u["id"] for u in meta_of(other).data["business_users"]}.isdisjoint(
        u["id"] for u in meta_of(company).data["business_users"])
    assert sorted(p.category for p in other.planted) == sorted(p.category for p in company.planted)


def test_dates_follow_now(company):
    later = build_company(7, now=NOW + timedelta(days=400))
    ends = {e["uid"][0]: e["description"][0] for e in company.people if "description" in e}
    later_ends = {e["uid"][0]: e["description"][0] for e in later.people if "description" in e}
    assert ends.keys() == later_ends.keys()
    for uid, end in ends.items():
        assert date.fromisoformat(later_ends[uid]) - date.fromisoformat(end) == timedelta(days=400)
    assert reference_findings(later) == {p.key for p in later.planted}


def test_default_now_is_the_current_time():
    before = datetime.now(UTC)
    fresh = build_company(7)
    assert before <= fresh.now <= datetime.now(UTC)
    assert reference_findings(fresh) == {p.key for p in fresh.planted}


def test_people_are_a_plausible_shop(company):
    people = company.people
    assert len(people) == 160
    assert {e["departmentNumber"][0] for e in people} == set(DEPARTMENTS)
    assert {e["employeeType"][0] for e in people} == {"employee", "contractor", "service", "disabled"}
    assert len({e["uid"][0] for e in people}) == len(people)
    mails = [m for e in people for m in e["mail"]]
    assert len(set(mails)) == len(mails)
    assert all(m.endswith(("@kwiatek.example", "@kwiatek-shop.example")) for m in mails)
    names = {e["cn"][0] for e in people}
    assert "Łukasz Żółć" in names
    assert any("Zoë" in name for name in names)
    dns = {e["dn"][0]: e for e in people}
    for entry in people:  # every manager is an active person in ou=people
        if "manager" in entry:
            manager = dns[entry["manager"][0]]
            assert manager["employeeType"][0] == "employee"
    assert sum(1 for e in people if ",ou=leavers," in e["dn"][0]) >= 5
    left = [e for e in people if ",ou=leavers," in e["dn"][0] or e["employeeType"] == ["disabled"]]
    assert all("description" in e for e in left)


def test_the_ghost_is_only_in_the_earlier_export(company):
    earlier = {e["uid"][0] for e in company.earlier_people}
    now = {e["uid"][0] for e in company.people}
    assert earlier - now == {company.ghost_uid}
    assert now <= earlier


def test_directory_mapping_reads_the_conventions(company):
    mapper = EntryMapper(DirectorySettings(kind="ldif", **company.directory_settings), NOW)
    people = {p.uid: p for p in (mapper.map(e["dn"][0], e) for e in company.people)}
    assert people["twisniewski"].status is PersonStatus.DEPARTED
    assert people["twisniewski"].end_date == NOW.date() - timedelta(days=45)
    assert people["azajac"].status is PersonStatus.DISABLED
    assert people["azajac"].end_date == NOW.date() - timedelta(days=25)
    zoe = people["zlefevre"]
    assert (zoe.kind, zoe.status, zoe.end_date) == (PersonKind.CONTRACTOR, PersonStatus.ACTIVE,
                                                    NOW.date() - timedelta(days=10))
    assert people["svc-shopify"].kind is PersonKind.SERVICE
    assert "natalia.jankowska@kwiatek-shop.example" in people["njankowska"].emails
    statuses = Counter(p.status for p in people.values())
    assert statuses[PersonStatus.ACTIVE] > 130


# --- planted findings ------------------------------------------------------------------------------


def test_every_meta_category_is_planted(company):
    # duplicate_identity is the directory's own case, proved against a real slapd in tests/directory
    assert {p.category for p in company.planted} == set(CATEGORIES) - {"duplicate_identity"}
    repeated = [key for key, n in Counter(p.key for p in company.planted).items() if n > 1]
    # two partner rules on one agency; could-not-verify verdicts name no account (one per rule and tenant)
    assert sorted(key[0] for key in repeated) == ["could_not_verify", "partner_access"]
    assert all(p.platform == PLATFORM for p in company.planted)
    severities = {p.severity for p in company.planted if p.category == "missing_2fa"}
    assert severities == {"high", "medium"}


def test_planted_accounts_and_assets_exist(company):
    tenant = meta_of(company)
    meta = tenant.data
    users = {u["id"] for u in meta["business_users"]} | {u["id"] for u in meta["system_users"]}
    invites = {f"invite:{i['id']}" for i in meta["pending_users"]}
    apps = {f"app:{a['id']}" for a in meta["owned_apps"] + meta["client_apps"]}
    tokens = {"token:self"} | {f"token:{env}" for env in tenant.extra_tokens}
    assets = {a["id"] for edge in ASSET_EDGES for a in meta[edge]}
    users |= {r["id"] for page in meta["owned_pages"] for r in page.get("roles", ())}  # direct Page roles
    users |= {a["id"] for a in meta["agencies"]}  # partner businesses
    for planted in company.planted:
        assert planted.account is None or planted.account in users | invites | apps | tokens, planted
        assert planted.asset is None or planted.asset in assets, planted
    assert tenant.token in meta["tokens"]
    assert all(token in meta["tokens"] for token in tenant.extra_tokens.values())


def test_planted_list_is_exactly_what_the_rules_find(company):
    assert reference_findings(company) == {p.key for p in company.planted}


def test_with_a_single_sync_the_ghost_is_unmatched_instead(company):
    ghost = next(p for p in company.planted if p.person == company.ghost_uid)
    single = company.expected(synced_earlier=False)
    assert ("unmatched_account", *ghost.key[1:]) in {p.key for p in single}
    assert ghost not in single and len(single) == len(company.planted)
    assert reference_findings(company, synced_earlier=False) == {p.key for p in single}
    assert company.expected() == company.planted


def test_scaled_company_keeps_the_same_planted_cases(company, big):
    assert big.planted == company.planted
    assert reference_findings(big) == {p.key for p in big.planted}
    stats, small = meta_stats(big), meta_stats(company)
    assert stats["people"] == 2000
    assert 0.4 * 2000 < stats["business_users"] < 0.8 * 2000
    assert 3 * 2000 < stats["grants"] < 7 * 2000  # about five grants per person
    assert stats["assets"] > small["assets"]
    assert stats["activities"] > 10 * small["activities"]


def test_size_below_the_cast_is_refused():
    with pytest.raises(ValueError, match="smaller than the fixed cast"):
        build_company(7, now=NOW, size=10)


# --- Meta shapes and config data -----------------------------------------------------------------------


def test_meta_business_shape(company):
    meta = meta_of(company).data
    business = {"id": "1234567890", "name": "Kwiatek Shop", "two_factor_type": "admin_required"}
    assert meta["business"] == business
    principals = {u["id"]: "BUSINESS_USER" for u in meta["business_users"]}  # AssignedUserType: upper case
    principals.update({u["id"]: "SYSTEM_USER" for u in meta["system_users"]})
    for user in meta["business_users"]:
        assert user["role"] in {"ADMIN", "EMPLOYEE"} and user["invited_user_type"] in {"FB", "MWA"}
    assert sum(u["role"] == "ADMIN" for u in meta["business_users"]) <= 3
    assert (len(meta["owned_pages"]), len(meta["client_pages"])) == (2, 1)
    assert len(meta["owned_ad_accounts"]) + len(meta["client_ad_accounts"]) == 3
    assert (len(meta["owned_instagram_assets"]), len(meta["owned_whatsapp_business_accounts"])) == (2, 1)
    for edge in ASSET_EDGES:
        for asset in meta[edge]:
            assert asset["assigned_users"]
            for holder in asset["assigned_users"]:
                assert principals[holder["id"]] == holder["user_type"]
                assert holder["tasks"] == holder["permitted_tasks"]
    for ad in meta["owned_ad_accounts"] + meta["client_ad_accounts"]:
        assert ad["id"] == f"act_{ad['account_id']}"
        times = [_time(e["event_time"]) for e in ad["activities"]]
        assert times == sorted(times, reverse=True)
        assert all(NOW - timedelta(days=ACTIVITY_DAYS) < t <= NOW for t in times)
        assert all(re.fullmatch(r"\d\d/\d\d/\d{4} at \d{1,2}:\d\d[ap]m", e["date_time_in_timezone"])
                   for e in ad["activities"])


def test_tokens_and_allowlists(company):
    tenant = meta_of(company)
    own = tenant.data["tokens"][tenant.token]
    assert tenant.token.startswith("sandbox-meta-")
    assert set(own["scopes"]) - set(allowlist(company)[own["app_id"]]) == {"ads_management"}
    assert set(tenant.extra_tokens) == {"AUDITOR_META_SHOPIFY_SYNC_TOKEN"}
    assert tenant.settings["inspect_tokens"] == ["AUDITOR_META_SHOPIFY_SYNC_TOKEN"]
    shop = tenant.data["tokens"][tenant.extra_tokens["AUDITOR_META_SHOPIFY_SYNC_TOKEN"]]
    assert set(shop["scopes"]) - set(allowlist(company)[shop["app_id"]]) == {"pages_manage_metadata"}
    system_users = {u["id"] for u in tenant.data["system_users"]}
    assert own["user_id"] in system_users and shop["user_id"] in system_users
    assert tenant.policy_parameters["excess-app-scope"]["default_allowed"] == [
        "business_management", "ads_read", "pages_show_list", "pages_read_engagement", "pages_manage_metadata"]


def test_config_data_validates_against_the_settings_models(company):
    DirectorySettings(**company.directory_settings)
    accounts = [ServiceAccount(**entry) for entry in meta_of(company).service_accounts]
    links = [ManualLink(**entry) for entry in meta_of(company).links]
    assert {a.platform for a in accounts} | {link.platform for link in links} == {"Kwiatek on Meta"}
    matching = MatchingSettings(company_domains=company.company_domains, links=links,
                                service_accounts=accounts)
    assert matching.company_domains == ["kwiatek.example", "kwiatek-shop.example"]
    assert len(meta_of(company).data["system_users"]) == len(accounts) + 1  # one system user is unregistered


# --- LDIF ---------------------------------------------------------------------------------------------


def parse_ldif(text: str) -> list[dict[str, list[str]]]:
    """A small independent LDIF reader: unfold, split records, decode ``::`` values."""
    unfolded = re.sub(r"\n ", "", text)
    records = []
    for block in unfolded.strip().split("\n\n"):
        record: dict[str, list[str]] = {}
        for line in block.splitlines():
            name, _, rest = line.partition(":")
            value = base64.b64decode(rest[2:]).decode("utf-8") if rest.startswith(":") else rest[1:]
            record.setdefault(name, []).append(value)
        records.append(record)
    return records


def test_ldif_round_trips_and_base64_encodes_non_ascii(company):
    text = ldif_text(company)
    assert text.isascii()
    assert "cn:: " in text and "version:" not in text
    assert all(len(line) <= 76 for line in text.splitlines())
    records = parse_ldif(text)
    assert [r["dn"][0] for r in records[:3]] == [
        "dc=kwiatek,dc=example", "ou=people,dc=kwiatek,dc=example", "ou=leavers,dc=kwiatek,dc=example"]
    people = len(company.people)
    assert records[3:3 + people] == company.people
    assert [r["dn"][0] for r in records[3 + people:]] == [
        "ou=groups,dc=kwiatek,dc=example", *(g["dn"][0] for g in company.groups)]  # the groups follow the people
    assert parse_ldif(ldif_text(company, earlier=True))[3:3 + len(company.earlier_people)] == company.earlier_people
    assert ldif_text(company, version=True).startswith("version: 1\n")


def test_ldif_folds_long_lines_and_encodes_unsafe_values():
    long_value = "Kwiatek " * 30
    entry = {"dn": "uid=x,ou=people,dc=kwiatek,dc=example", "description": [long_value.strip()],
             "cn": [" leading space", ":colon", "<angle", "trailing "], "sn": ["Zoë"]}
    text = entries_ldif([entry])
    assert max(len(line) for line in text.splitlines()) == 76
    assert "description: Kwiatek" in text
    assert text.count("cn:: ") == 4
    parsed = parse_ldif(text)[0]
    assert parsed["description"] == [long_value.strip()] and parsed["sn"] == ["Zoë"]
    assert parsed["cn"] == entry["cn"]


def test_ldif_loads_into_slapd(tmp_path, company):
    path = write_ldif(company, tmp_path / "kwiatek.ldif", earlier=True)
    handle = start_slapd(tmp_path / "slapd", company.base_dn, path.read_text(encoding="utf-8"))
    try:
        server = ldap3.Server(handle.url)
        connection = ldap3.Connection(server, handle.bind_dn, handle.password, auto_bind=True)
        connection.search(company.base_dn, "(uid=lzolc)", attributes=["cn", "mail"])
        assert [str(e.cn) for e in connection.entries] == ["Łukasz Żółć"]
        connection.search(company.leavers_ou, "(objectClass=inetOrgPerson)", attributes=["description"])
        leavers = sum(1 for e in company.people if ",ou=leavers," in e["dn"][0])
        assert len(connection.entries) == leavers
        connection.search(company.people_ou, "(objectClass=inetOrgPerson)")
        assert len(connection.entries) == len(company.earlier_people) - leavers
        connection.unbind()
    finally:
        handle.stop()
