"""The fictional shop's TikTok Business Center, derived from the demo company's people, with planted findings.

Deterministic for a company (seed, ``now``, ``size``). The cast comes from the fixed cast of
``auditor.demo.company`` (looked up by uid); the filler is every active Marketing employee outside the
cast whose uid hashes into one third: they hold non-privileged roles only and are clean.

Traps (and what the shipped rules make of them, with the demo's policy parameters):

- Paweł Kamiński (departed 20 days ago) is still a BOUND member and ADMIN of the ad account, and the
  changelog shows him granting the agency a role 6 days ago and sharing the ad account 2 days ago:
  orphaned_access and post_departure_activity (the changelog's operator is structured; its target is not);
- Tomasz Wiśniewski (departed 45 days ago) has a PENDING membership (an invitation sent before he left):
  stale_invitation (rule orphaned-invitation); TikTok gives no invitation date, so rule stale-invitation
  cannot judge its age (could_not_verify);
- an agency member on pixel-agency.example: unmatched_account;
- Zoë Lefèvre (contract ended 10 days ago) still posts on the TikTok account: contract_expired;
- the agency's own Business Center (Pixel Agency) is a partner holding the ad account as OPERATOR, and the
  shop has approved no partner: partner_access (rule partner-not-approved, subject ``account:<partner id>``);
  its role is not admin-level and it has no agreement date, so partner-admin-tasks and
  partner-agreement-expired stay silent;
- Marek Wójcik (UNBOUND) and Björn Andersson (REJECTED) hold nothing and raise nothing;
- TikTok exposes no 2FA and no tenant 2FA policy, and its changelog cannot show dormancy: one aggregated
  could_not_verify each for missing-2fa, tenant-2fa-not-enforced and dormant-access.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.demo.company import AGENCY_DOMAIN, Company, Planted
from auditor.demo.platforms import SandboxPlatform

PLATFORM = "Kwiatek on TikTok"
BC_ID = "7301428560012345678"
ADVERTISER_ID = "7301428560100000001"
CATALOG_ID = "7301428560200000001"
TT_ACCOUNT_ID = "7301428560300000001"
PIXEL_ID = "7301428560400000001"
PARTNER_BC_ID = "7301428569900000001"
PARTNER_NAME = "Pixel Agency"
AGENCY_EMAIL = f"ola.kurek@{AGENCY_DOMAIN}"

CAST = {
    "mkt_head": "mwrobel", "karolina": "kszymanska", "ecom_head": "gpietrzak", "fin_head": "dgrabowska",
    "michal": "mwozniak", "natalia": "njankowska", "jose": "jgarcia", "adam": "anowicki",
    "olena": "okovalenko", "zoe": "zlefevre", "d2": "pkaminski", "d1": "twisniewski", "d0": "mwojcik",
    "bjorn": "bandersson",
}
"""Cast key -> uid in ``company.people`` (the fixed cast of auditor.demo.company)."""

# key | user_role | relation_status | finance role | advertiser | catalog | TikTok account roles
_MEMBERS = """
mkt_head  | ADMIN    | BOUND    |         | ADMIN    |            |
karolina  | ADMIN    | BOUND    |         |          |            | POST LIVE DIRECT_MESSAGE
ecom_head | ADMIN    | BOUND    |         | ADMIN    | ADMIN      |
fin_head  | STANDARD | BOUND    | MANAGER | ANALYST  |            |
michal    | STANDARD | BOUND    |         | OPERATOR | AD_PROMOTE |
natalia   | STANDARD | BOUND    |         |          |            | POST LIVE
jose      | STANDARD | BOUND    |         |          |            | POST
adam      | STANDARD | BOUND    | ANALYST | OPERATOR | ADMIN      |
olena     | STANDARD | BOUND    |         |          |            | DIRECT_MESSAGE
zoe       | STANDARD | BOUND    |         |          |            | POST
d2        | STANDARD | BOUND    |         | ADMIN    |            |
agency    | STANDARD | BOUND    |         | OPERATOR |            |
d1        | STANDARD | PENDING  |         |          |            |
d0        | STANDARD | UNBOUND  |         |          |            |
bjorn     | STANDARD | REJECTED |         |          |            |
"""


def _digits(*parts: object, length: int = 18) -> str:
    number = int(hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest(), 16)
    return str(number)[:length]


def company_cast(company: Company) -> set[str]:
    """The uids of the main company's fixed cast: they precede the ghost in ``company.earlier_people``."""
    uids = [entry["uid"][0] for entry in company.earlier_people]
    return set(uids[: uids.index(company.ghost_uid)]) if company.ghost_uid in uids else set()


def _fraction(*parts: object) -> float:
    return int(hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def _time(moment: datetime) -> str:
    """TikTok's ``YYYY-MM-DD HH:MM:SS`` (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class _Builder:
    """Accumulates the Business Center data for one company."""

    def __init__(self, company: Company):
        self.company = company
        self.people = {entry["uid"][0]: entry for entry in company.people}
        self.members: list[dict[str, Any]] = []
        self.by_key: dict[str, dict[str, Any]] = {}
        self.changelog: list[dict[str, Any]] = []
        advertiser = {"asset_id": ADVERTISER_ID, "asset_name": "Kwiatek – TikTok Ads", "asset_type": "ADVERTISER",
                      "relation_type": "OWNER_BC", "relation_status": "BOUND", "advertiser_status": "STATUS_ENABLE",
                      "advertiser_account_type": "AUCTION", "owner_bc_name": "Kwiatek Sklep", "members": []}
        catalog = {"asset_id": CATALOG_ID, "asset_name": "Kwiatek – katalog kwiatów", "asset_type": "CATALOG",
                   "relation_type": "OWNER_BC", "ad_creation_eligible": "AVAILABLE",
                   "owner_bc_name": "Kwiatek Sklep", "members": []}
        account = {"asset_id": TT_ACCOUNT_ID, "asset_name": "@kwiatek.sklep", "asset_type": "TT_ACCOUNT",
                   "relation_type": "OWNER_BC", "members": []}
        pixel = {"asset_id": PIXEL_ID, "asset_name": "Kwiatek Pixel", "asset_type": "PIXEL",
                 "relation_type": "OWNER_BC", "relation_status": "BOUND", "pixel_code": "CKWIATEK00000001",
                 "owner_bc_name": "Kwiatek Sklep", "members": []}
        self.assets = {"ADVERTISER": advertiser, "CATALOG": catalog, "TT_ACCOUNT": account, "PIXEL": pixel}

    def person(self, key: str) -> dict[str, list[str]]:
        uid = CAST[key]
        if uid not in self.people:
            raise ValueError(f"company_tiktok: cast member {key!r} (uid {uid!r}) is not in company.people")
        return self.people[uid]

    def ago(self, days: float, key: str) -> datetime:
        minutes = int(_fraction(self.company.seed, "tiktok-time", key, days) * 480)
        return self.company.now - timedelta(days=days, minutes=minutes)

    def member(self, key: str, name: str, email: str, user_role: str, status: str, finance: str,
               roles: dict[str, Any], uid: str | None) -> None:
        item: dict[str, Any] = {"user_name": name, "user_email": email, "user_role": user_role,
                                "relation_status": status}
        if status != "PENDING":  # an invitee has no user id yet: TikTok addresses it by email
            item["user_id"] = "7" + _digits(self.company.seed, "tiktok-user", uid or email)
        if finance:
            item["ext_user_role"] = {"finance_role": finance}
        self.members.append(item)
        self.by_key[key] = item
        for asset_type, value in roles.items():
            field = {"ADVERTISER": "advertiser_role", "CATALOG": "catalog_role",
                     "TT_ACCOUNT": "tt_account_roles"}[asset_type]
            entry = {k: v for k, v in item.items() if k != "ext_user_role"}
            entry[field] = value
            self.assets[asset_type]["members"].append(entry)

    def cast(self) -> None:
        for line in _MEMBERS.strip().splitlines():
            key, role, status, finance, advertiser, catalog, tt_roles = (c.strip() for c in line.split("|"))
            roles: dict[str, Any] = {}
            if advertiser:
                roles["ADVERTISER"] = advertiser
            if catalog:
                roles["CATALOG"] = catalog
            if tt_roles:
                roles["TT_ACCOUNT"] = tt_roles.split()
            if key == "agency":
                self.member(key, "Aleksandra Kurek", AGENCY_EMAIL, role, status, finance, roles, None)
                continue
            entry = self.person(key)
            self.member(key, entry["cn"][0], entry["mail"][0], role, status, finance, roles, entry["uid"][0])

    def filler(self) -> None:
        """Active Marketing employees outside the cast, one in three: clean, non-privileged members."""
        cast = set(CAST.values()) | company_cast(self.company)
        for uid, entry in self.people.items():
            if (uid in cast or ",ou=leavers," in entry["dn"][0] or entry["employeeType"] != ["employee"]
                    or entry.get("departmentNumber") != ["Marketing"]
                    or _fraction(self.company.seed, "tiktok-member", uid) >= 1 / 3):
                continue
            roles: dict[str, Any] = ({"TT_ACCOUNT": ["POST"]} if _fraction("tiktok-role", uid) < 0.5
                                     else {"ADVERTISER": "ANALYST"})
            key = f"filler:{uid}"
            self.member(key, entry["cn"][0], entry["mail"][0], "STANDARD", "BOUND", "", roles, uid)
            days = 20 + 120 * _fraction(self.company.seed, "tiktok-joined", uid)
            self.log(days + 1, "USER", "karolina", f"Karolina Szymańska invited {entry['mail'][0]} to join the "
                     "Business Center as Standard member")
            self.log(days, "USER", key, f"{entry['cn'][0]} accepted the invitation to join the Business Center")

    def log(self, days: float, activity_type: str, operator: str, text: str) -> None:
        self.changelog.append({"time": _time(self.ago(days, operator)), "activity_type": activity_type,
                               "operator_id": self.by_key[operator]["user_id"], "activity_log": text})

    def history(self) -> None:
        ads, tt = "ad account Kwiatek – TikTok Ads", "TikTok account @kwiatek.sklep"
        for days, kind, operator, text in (
            (170, "BUSINESS", "mkt_head", "Magdalena Wróbel created Business Center Kwiatek Sklep"),
            (160, "USER", "mkt_head", "Magdalena Wróbel invited karolina.szymanska@kwiatek.example to join the "
                                      "Business Center as Admin"),
            (159, "USER", "karolina", "Karolina Szymańska accepted the invitation to join the Business Center"),
            (150, "ACCOUNT", "mkt_head", f"Magdalena Wróbel created {ads}"),
            (120, "ACCOUNT", "ecom_head", f"Grzegorz Pietrzak assigned Operator permission on {ads} to Michał "
                                          "Woźniak"),
            (95, "ACCOUNT", "ecom_head", f"Grzegorz Pietrzak assigned Admin permission on {ads} to Paweł Kamiński"),
            (88, "USER", "mkt_head", "Magdalena Wróbel removed Marek Wójcik from the Business Center"),
            (80, "ASSET", "karolina", f"Karolina Szymańska assigned Post permission on {tt} to Zoë Lefèvre"),
            (60, "USER", "karolina", "Karolina Szymańska invited bjorn.andersson@kwiatek.example to join the "
                                     "Business Center as Standard member"),
            (50, "USER", "karolina", "Karolina Szymańska invited tomasz.wisniewski@kwiatek.example to join the "
                                     "Business Center as Standard member"),
            (40, "USER", "mkt_head", f"Magdalena Wróbel invited {AGENCY_EMAIL} to join the Business Center as "
                                     "Standard member"),
            (39, "USER", "agency", "Aleksandra Kurek accepted the invitation to join the Business Center"),
            (30, "ACCOUNT", "d2", f"Paweł Kamiński assigned Analyst permission on {ads} to Dorota Grabowska"),
            (12, "ASSET", "adam", "Adam Nowicki updated catalog Kwiatek – katalog kwiatów"),
            (6, "ACCOUNT", "d2", f"Paweł Kamiński assigned Operator permission on {ads} to Aleksandra Kurek"),
            (2, "ACCOUNT", "d2", f"Paweł Kamiński shared {ads} with partner Business Center Pixel Agency"),
        ):
            self.log(days, kind, operator, text)

    def planted(self) -> list[Planted]:
        d2, zoe, agency = (self.by_key[k]["user_id"] for k in ("d2", "zoe", "agency"))
        invite = f"invite:{self.by_key['d1']['user_email']}"
        cnv = "could_not_verify"
        return [
            Planted("orphaned_access", PLATFORM, d2, None, CAST["d2"], "departed 20 days ago, still a member and "
                    "ADMIN of the TikTok ad account"),
            Planted("post_departure_activity", PLATFORM, d2, None, CAST["d2"], "granted the agency a role 6 days "
                    "ago and shared the ad account 2 days ago, after the departure"),
            Planted("stale_invitation", PLATFORM, invite, None, CAST["d1"], "orphaned-invitation: membership "
                    "still PENDING for a person who departed 45 days ago"),
            Planted("unmatched_account", PLATFORM, agency, None, None, f"agency member on {AGENCY_DOMAIN}"),
            Planted("contract_expired", PLATFORM, zoe, None, CAST["zoe"], "contract ended 10 days ago, still "
                    "posts on the TikTok account"),
            Planted("partner_access", PLATFORM, PARTNER_BC_ID, None, None, f"partner-not-approved: the agency's "
                    f"Business Center {PARTNER_NAME} holds the ad account (OPERATOR) and is not approved"),
            Planted(cnv, PLATFORM, None, None, None, "missing-2fa: TikTok does not expose 2FA"),
            Planted(cnv, PLATFORM, None, None, None, "tenant-2fa-not-enforced: TikTok does not expose a 2FA "
                    "policy"),
            Planted(cnv, PLATFORM, None, None, None, "dormant-access: the changelog cannot show dormancy"),
            Planted(cnv, PLATFORM, None, None, None, "stale-invitation: the pending membership has no date"),
        ]


def build(company: Company) -> SandboxPlatform:
    """The TikTok Business Center of ``company`` (see the module docstring for the planted cases)."""
    builder = _Builder(company)
    builder.cast()
    builder.filler()
    builder.history()
    ids = [m["user_id"] for m in builder.members if "user_id" in m]
    if len(ids) != len(set(ids)):
        raise ValueError("company_tiktok: two members got the same user id")
    data = {
        "now": company.now.isoformat(),
        "bc": {"bc_id": BC_ID, "name": "Kwiatek Sklep", "company": company.name, "currency": "PLN",
               "timezone": "Europe/Warsaw", "type": "NORMAL", "status": "ENABLE"},
        "caller": {"user_role": "ADMIN", "ext_user_role": {"finance_role": "ANALYST"}},
        "members": builder.members,
        "assets": list(builder.assets.values()),
        "partners": [{"bc_id": PARTNER_BC_ID, "bc_name": PARTNER_NAME, "shared": [], "assets": [
            {"asset_type": "ADVERTISER", "asset_id": ADVERTISER_ID, "advertiser_role": "OPERATOR"}]}],
        "changelog": sorted(builder.changelog, key=lambda e: e["time"], reverse=True),
    }
    token = "sandbox-tiktok-" + _digits(company.seed, "tiktok-token", length=24)
    return SandboxPlatform(kind="tiktok", name=PLATFORM, tenant_id=BC_ID, data=data, token=token,
                           planted=builder.planted(), settings={"tenant_id": BC_ID, "backoff": 0.2})
