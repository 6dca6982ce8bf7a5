"""The fictional company's Pinterest business: members, system users, three assets and invites, with planted cases.

Derived deterministically from ``company.people`` (and ``company.seed`` for ids): named members of the cast
(found by display name, with their directory mail) plus the company's other active Marketing staff as profile
analysts. Pinterest reveals members' emails, so matching works by email; the one manual link ties a personal
Gmail member to its person.

Planted (the findings the demo scan must produce for this platform and nothing else):

- personal_email: José García works through his personal Gmail account (manually linked to him);
- unmatched_account: the agency's account manager (pixel-agency.example) is a business member;
- stale_invitation: the membership invite to Oliwia Michalska has been PENDING for 40 days (the one to Björn
  Andersson, 3 days, is fine; ACCEPTED/EXPIRED/DECLINED/CANCELLED ones are not live);
- ownerless_service_account: the system user of a scheduling tool nobody registered (the catalog-feed
  system user is registered with the Head of IT as owner);
- partner_access (rule partner-not-approved, subject ``account:<partner id>``): the agency's own business
  (Pixel Agency) is a partner managing campaigns on the ad account, and the shop has approved no partner; its
  permissions are not admin-level and it has no agreement date, so partner-admin-tasks and
  partner-agreement-expired stay silent;
- could_not_verify, one per rule (platform gaps, severity info): missing-2fa, tenant-2fa-not-enforced
  (Pinterest exposes no 2FA) and dormant-access (no activity log).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from auditor.demo.company import AGENCY_DOMAIN, Company, Planted
from auditor.demo.platforms import SandboxPlatform

KIND = "pinterest"
PLATFORM = "Kwiatek on Pinterest"
BUSINESS_NAME = "kwiateksklep"
TOKEN_SCOPES = ("biz_access:read",)
MAX_FILLER = 15
PERSONAL = ("José García", "jose.garcia.pins@gmail.com")
AGENCY = ("ola.kurek.pixel", f"ola.kurek@{AGENCY_DOMAIN}")
SERVICE_OWNER = "Łukasz Żółć"
PARTNER = ("pixel_agency", ["CAMPAIGN_MANAGER", "ANALYST"])
"""The agency's business: username, permissions on the ad account."""
COULD_NOT_VERIFY_RULES = ("missing-2fa", "tenant-2fa-not-enforced", "dormant-access")
"""The rules that yield one aggregated could_not_verify finding on this platform."""

# display name -> business roles, profile / ad account / catalog permissions, days since joined
MEMBERS: tuple[tuple[str, list[str], list[str], list[str], list[str], int], ...] = (
    ("Magdalena Wróbel", ["BIZ_ADMIN"], ["ADMIN"], ["ADMIN"], [], 700),
    ("Karolina Szymańska", ["EMPLOYEE"], ["ADMIN"], [], [], 650),
    ("Natalia Jankowska", ["EMPLOYEE"], ["PROFILE_PUBLISHER", "ANALYST"], [], [], 400),
    ("José García", ["EMPLOYEE"], ["PROFILE_PUBLISHER"], [], [], 380),  # planted: a personal Gmail account
    ("Michał Woźniak", ["EMPLOYEE"], [], ["CAMPAIGN_MANAGER", "ANALYST"], [], 300),
    ("Grzegorz Pietrzak", ["BIZ_ADMIN"], [], ["FINANCE_MANAGER"], ["ADMIN"], 690),
    ("Adam Nowicki", ["EMPLOYEE"], [], ["AUDIENCE_MANAGER"], ["CATALOGS_MANAGER"], 250),
    ("agency", ["EMPLOYEE"], [], ["CAMPAIGN_MANAGER", "ANALYST"], [], 200),  # planted: the agency's member
)
# username, registered?, profile / ad account / catalog permissions, days since created
SYSTEM_USERS: tuple[tuple[str, bool, list[str], list[str], list[str], int], ...] = (
    ("kwiatek_catalog_feed", True, [], [], ["CATALOGS_MANAGER"], 500),
    ("tailwind_scheduler", False, ["PROFILE_PUBLISHER"], [], [], 260),  # planted: nobody registered it
)
# display name, status, days since sent, sender
INVITES: tuple[tuple[str, str, int, str], ...] = (
    ("Oliwia Michalska", "PENDING", 40, "Karolina Szymańska"),  # planted: stale
    ("Björn Andersson", "PENDING", 3, "Grzegorz Pietrzak"),
    ("Jakub Mazur", "EXPIRED", 100, "Magdalena Wróbel"),
    ("Søren Nielsen", "DECLINED", 60, "Magdalena Wróbel"),
    ("Barbara Kwiatkowska", "CANCELLED", 20, "Magdalena Wróbel"),
    ("Natalia Jankowska", "ACCEPTED", 401, "Magdalena Wróbel"),
)


def _clean(company: Company, entry: dict[str, list[str]]) -> bool:
    """An active employee or contractor in ``ou=people`` whose end date (if any) is still to come."""
    if entry["dn"][0].endswith("," + company.leavers_ou):
        return False
    if entry.get("employeeType", [""])[0] not in ("employee", "contractor"):
        return False
    end = entry.get("description")
    return not end or date.fromisoformat(end[0]) >= company.now.date()


def _user(user_id: str, username: str, email: str | None) -> dict[str, Any]:
    return {"id": user_id, "username": username, "email": email}


def build(company: Company) -> SandboxPlatform:
    """The Pinterest business of ``company`` with its planted findings, links, service accounts and settings."""
    by_name = {e["displayName"][0]: e for e in company.people}
    names = {m[0] for m in MEMBERS if m[0] != "agency"} | {i[0] for i in INVITES} | {SERVICE_OWNER}
    missing = sorted(n for n in names if n not in by_name)
    if missing:
        raise ValueError(f"company_pinterest: the company has no person named {', '.join(missing)}")
    rng = random.Random(f"kwiatek:{company.seed}:pinterest")
    used: set[str] = set()

    def new_id() -> str:
        while True:
            value = str(rng.randrange(10**11, 10**12))
            if value not in used:
                used.add(value)
                return value

    now = company.now
    business = {"id": str(rng.randrange(10**17, 10**18)), "name": BUSINESS_NAME}
    profile, ad_account, catalog = new_id(), new_id(), new_id()
    holders: dict[str, list[dict[str, Any]]] = {profile: [], ad_account: [], catalog: []}
    members: list[dict[str, Any]] = []
    ids: dict[str, str] = {}  # display name (or "agency", or a system user's username) -> user id
    usernames: dict[str, str] = {}  # user id -> username

    def millis(days: int) -> int:
        """Pinterest times are epoch milliseconds."""
        return int((now - timedelta(days=days, hours=2)).timestamp()) * 1000

    def grant(user_id: str, permissions: tuple[list[str], ...]) -> None:
        for asset, perms in zip((profile, ad_account, catalog), permissions, strict=True):
            if perms:
                holders[asset].append({"user_id": user_id, "permissions": list(perms)})

    admin = None
    rows = list(MEMBERS)
    named = {by_name[n]["uid"][0] for n in names}
    filler = [e for e in company.people if e["uid"][0] not in named and _clean(company, e)
              and e.get("departmentNumber") == ["Marketing"]][:MAX_FILLER]
    rows += [(e["displayName"][0], ["EMPLOYEE"], ["ANALYST"], [], [], 30 + 9 * i) for i, e in enumerate(filler)]
    for name, roles, on_profile, on_ads, on_catalog, days in rows:
        user_id = ids[name] = new_id()
        if name == "agency":
            username, email = AGENCY
        elif name == PERSONAL[0]:
            username, email = PERSONAL[1].split("@")[0], PERSONAL[1]
        else:
            email = by_name[name]["mail"][0]
            username = email.split("@")[0].replace(".", "_")
        usernames[user_id] = username
        item = {"id": user_id, "user": _user(user_id, username, email), "business_roles": roles,
                "created_time": millis(days), "is_shared_partner": False}
        if admin is not None:
            item["created_by_user"] = admin
        admin = admin or _user(user_id, username, email)
        members.append(item)
        grant(user_id, (on_profile, on_ads, on_catalog))
    system_users = []
    for username, _, on_profile, on_ads, on_catalog, days in SYSTEM_USERS:
        user_id = ids[username] = new_id()
        system_users.append({"id": user_id, "user": _user(user_id, username, None), "business_roles": ["EMPLOYEE"],
                             "created_time": millis(days), "created_by_user": admin, "is_shared_partner": False})
        grant(user_id, (on_profile, on_ads, on_catalog))
    invites = []
    for name, status, days, sender in INVITES:
        sent = int((now - timedelta(days=days, hours=1)).timestamp() * 1000)
        invites.append({
            "id": new_id(), "is_received_invite": False, "business_roles": ["EMPLOYEE"], "created_time": sent,
            "user": {"id": None, "username": None, "email": by_name[name]["mail"][0]},
            "created_by_user": _user(ids[sender], usernames[ids[sender]], None),
            "invite_data": {"invite_status": status, "invite_type": "MEMBER_INVITE", "sent_at": sent,
                            "last_updated_time": sent, "invite_expiration": sent + 30 * 86_400_000},
        })
    partner_id = new_id()
    partner = {"id": partner_id, "user": _user(partner_id, PARTNER[0], None), "business_roles": ["PARTNER"],
               "created_time": millis(120), "created_by_user": admin, "is_shared_partner": False,
               "partner_type": "INTERNAL", "assets": [{"asset_id": ad_account, "permissions": list(PARTNER[1])}]}
    data = {
        "business": business,
        "members": members,
        "system_users": system_users,
        "assets": [
            {"asset_id": profile, "asset_type": "PROFILE", "name": "Kwiatek Sklep", "members": holders[profile]},
            {"asset_id": ad_account, "asset_type": "AD_ACCOUNT", "name": "Kwiatek – Pinterest Ads",
             "members": holders[ad_account]},
            {"asset_id": catalog, "asset_type": "CATALOG", "catalog_info": {"catalog_id": catalog,
             "name": "Kwiatek – katalog"}, "members": holders[catalog]},
        ],
        "partners": [partner],
        "invites": invites,
        "token_scopes": list(TOKEN_SCOPES),
    }
    owner = by_name[SERVICE_OWNER]["uid"][0]
    service_accounts = [{"platform": PLATFORM, "account_id": ids[username], "owner": owner,
                         "note": "catalog feed of the shop (Pinterest system user)"}
                        for username, registered, *_ in SYSTEM_USERS if registered]
    personal_uid = by_name[PERSONAL[0]]["uid"][0]
    links = [{"platform": PLATFORM, "account_id": ids[PERSONAL[0]], "email": PERSONAL[1], "uid": personal_uid}]
    stale = next(i for i, row in zip(invites, INVITES, strict=True) if row[0] == "Oliwia Michalska")
    planted = [
        Planted("personal_email", PLATFORM, ids[PERSONAL[0]], None, personal_uid,
                f"member through the personal address {PERSONAL[1]}, linked to {PERSONAL[0]}"),
        Planted("unmatched_account", PLATFORM, ids["agency"], None, None,
                f"agency address on {AGENCY_DOMAIN}, no manual link"),
        Planted("stale_invitation", PLATFORM, f"invite:{stale['id']}", None, by_name["Oliwia Michalska"]["uid"][0],
                "membership invite pending for 40 days"),
        Planted("ownerless_service_account", PLATFORM, ids["tailwind_scheduler"], None, None,
                "system user tailwind_scheduler is not registered"),
        Planted("partner_access", PLATFORM, partner_id, None, None, "partner-not-approved: the agency's business "
                f"{PARTNER[0]} manages campaigns on the ad account ({'+'.join(PARTNER[1])}) and is not approved"),
    ]
    planted += [Planted("could_not_verify", PLATFORM, None, None, None, f"{rule}: {_GAPS[rule]}")
                for rule in COULD_NOT_VERIFY_RULES]
    return SandboxPlatform(
        kind=KIND, name=PLATFORM, tenant_id=business["id"], data=data,
        token=f"sandbox-pinterest-{rng.getrandbits(128):032x}", planted=planted,
        settings={"tenant_id": business["id"], "options": {"business_name": BUSINESS_NAME}},
        service_accounts=service_accounts, links=links,
    )


_GAPS = {
    "missing-2fa": "Pinterest does not expose 2FA (severity info)",
    "tenant-2fa-not-enforced": "Pinterest has no 2FA policy to read (severity info)",
    "dormant-access": "Pinterest has no activity log (severity info)",
}
