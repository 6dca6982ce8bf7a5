"""The fictional shop on X: one ads account, who really holds it, and what the X Ads API shows of that.

The truth (``x_team``): the marketing team holds the ads account "Kwiatek Sklep" (Magdalena Wróbel and
Karolina Szymańska as ACCOUNT_ADMIN, Michał Woźniak as AD_MANAGER, Łukasz Żółć as ANALYST - his token is
the auditor's), plus three traps: Tomasz Wiśniewski, who left 45 days ago, is still ACCOUNT_ADMIN; Zoë
Lefèvre's contract ended 10 days ago and she is still CREATIVE_MANAGER; an agency account manager
(pixel-agency.example) is AD_MANAGER. The owner handle of the ads account, @kwiatek_sklep, is a shared
account registered to Tomasz as its owner.

What the API shows (``build``, platform "Kwiatek on X"): only the caller's permissions and the promotable
users (@kwiatek_sklep as FULL; two RETWEETS_ONLY handles and a deleted one), so the API tenant finds the
ownerless owner handle and can verify nothing else: one aggregated could_not_verify per rule that needs
2FA, a tenant 2FA policy, activity or an email. The rest of the truth reaches the audit through the admin's
export (``admin_export``, used by ``auditor.demo.file_import.company``), a second platform entry.
"""

from __future__ import annotations

import csv
import io
import random
import string
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.demo.company import AGENCY_DOMAIN, Company, Planted
from auditor.demo.platforms import SandboxPlatform
from auditor.demo.x.emulator import sandbox_credentials

PLATFORM = "Kwiatek on X"
EXPORT_PLATFORM = "Kwiatek on X (admin export)"
EXPORT_FILE = "x-ads-users.csv"
BRAND_HANDLE = "kwiatek_sklep"
LEAVER, EXPIRED, CALLER = "twisniewski", "zlefevre", "lzolc"
_TEAM = (  # uid, permissions
    ("mwrobel", ("ACCOUNT_ADMIN",)),
    ("kszymanska", ("ACCOUNT_ADMIN", "TWEET_COMPOSER")),
    ("mwozniak", ("AD_MANAGER",)),
    (CALLER, ("ANALYST",)),
    (LEAVER, ("ACCOUNT_ADMIN",)),
    (EXPIRED, ("CREATIVE_MANAGER",)),
)
_AGENCY = ("Aleksandra Kurek", f"ola.kurek@{AGENCY_DOMAIN}", ("AD_MANAGER",))
_FILLER = 3
_UNKNOWN_API = ("missing-2fa", "tenant-2fa-not-enforced", "dormant-access", "personal-email")
_UNKNOWN_EXPORT = ("missing-2fa", "tenant-2fa-not-enforced", "dormant-access", "post-departure-activity")
_REASONS = {
    "missing-2fa": "X does not tell whether a user has 2FA",
    "tenant-2fa-not-enforced": "X has no tenant-wide 2FA policy to read",
    "dormant-access": "X Ads has no activity log",
    "personal-email": "the X Ads API reveals no emails",
    "post-departure-activity": "no activity log to look for actions after the departure",
}


@dataclass(frozen=True, slots=True)
class XMember:
    """One holder of the ads account (``uid`` None: nobody in the directory)."""

    uid: str | None
    name: str
    email: str
    handle: str
    user_id: str
    permissions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class XTeam:
    """The ads account and everyone who really holds it."""

    ad_account: dict[str, Any]
    members: tuple[XMember, ...]
    caller: XMember
    brand_user_id: str
    promotable: tuple[dict[str, Any], ...]


def unknown_finding(platform: str, rule: str, reason: str) -> Planted:
    """The aggregated could_not_verify finding of ``rule`` on ``platform`` (the rule id leads the note)."""
    return Planted("could_not_verify", platform, None, None, None, f"[{rule}] {reason}")


def people_by_uid(company: Company) -> dict[str, dict[str, list[str]]]:
    """The directory entries of ``company.people`` by uid."""
    return {entry["uid"][0]: entry for entry in company.people}


def person(company: Company, uid: str) -> dict[str, list[str]]:
    """One directory entry; ValueError naming the uid when the company has no such person."""
    entry = people_by_uid(company).get(uid)
    if entry is None:
        raise ValueError(f"the demo company has no person {uid!r} (the sandbox platforms need its fixed cast)")
    return entry


def clean_staff(company: Company, department: str, count: int, exclude: set[str]) -> list[dict[str, list[str]]]:
    """The first ``count`` active employees of ``department`` without an end date (clean members)."""
    chosen = []
    for entry in company.people:
        if len(chosen) == count:
            break
        if (entry["uid"][0] not in exclude and entry["employeeType"] == ["employee"] and "description" not in entry
                and entry.get("departmentNumber") == [department] and company.leavers_ou not in entry["dn"][0]):
            chosen.append(entry)
    return chosen


def fold(text: str) -> str:
    """ASCII letters and digits of a name part: Żółć -> zolc."""
    text = text.replace("ł", "l").replace("Ł", "L")
    return "".join(c for c in unicodedata.normalize("NFKD", text).lower() if c.isascii() and c.isalnum())


def x_time(moment: datetime) -> str:
    """Ads API time format: 2017-05-05T17:02:50Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def x_team(company: Company) -> XTeam:
    """Who holds the ads account (deterministic for the company's seed)."""
    rng = random.Random(f"kwiatek:{company.seed}:x")
    used: set[str] = set()

    def new_user_id() -> str:
        while (value := str(rng.randrange(10**9, 10**10))) in used:
            pass
        used.add(value)
        return value

    handles: set[str] = {BRAND_HANDLE}

    def handle(name: str) -> str:
        first, *rest = name.split()
        base = f"{fold(first)}_{fold(rest[-1]) if rest else ''}"[:13].rstrip("_")
        value, n = base, 2
        while value in handles:
            value, n = f"{base}{n}", n + 1
        handles.add(value)
        return value

    members = []
    for uid, permissions in _TEAM:
        entry = person(company, uid)
        members.append(XMember(uid, entry["cn"][0], entry["mail"][0], handle(entry["cn"][0]), new_user_id(),
                               permissions))
    cast = {uid for uid, _ in _TEAM}
    for entry in clean_staff(company, "Marketing", _FILLER, cast):
        members.append(XMember(entry["uid"][0], entry["cn"][0], entry["mail"][0], handle(entry["cn"][0]),
                               new_user_id(), ("ANALYST",)))
    name, email, permissions = _AGENCY
    members.append(XMember(None, name, email, "pixelagency_ola", new_user_id(), permissions))
    suffix = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(6))
    now = company.now
    ad_account = {
        "id": f"18ce5{suffix}", "name": "Kwiatek Sklep", "business_id": None, "business_name": None,
        "timezone": "Europe/Warsaw", "timezone_switch_at": x_time(now - timedelta(days=1100)),
        "approval_status": "ACCEPTED", "created_at": x_time(now - timedelta(days=1100)),
        "updated_at": x_time(now - timedelta(days=40)), "deleted": False,
    }
    brand = new_user_id()
    promotable = []
    for handle_name, kind, days, deleted in ((BRAND_HANDLE, "FULL", 1100, False),
                                             ("kwiatek_ogrod", "RETWEETS_ONLY", 700, False),
                                             ("targi_kwiatowe", "RETWEETS_ONLY", 300, False),
                                             ("kwiatek_promo", "RETWEETS_ONLY", 500, True)):
        promotable.append({
            "id": "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(5)),
            "user_id": brand if kind == "FULL" else new_user_id(), "promotable_user_type": kind,
            "created_at": x_time(now - timedelta(days=days)), "updated_at": x_time(now - timedelta(days=days // 2)),
            "deleted": deleted, "screen_name": handle_name,
        })
    caller = next(m for m in members if m.uid == CALLER)
    return XTeam(ad_account, tuple(members), caller, brand, tuple(promotable))


def emulator_data(team: XTeam) -> dict[str, Any]:
    """The X emulator's data: the account knows every user's access; the API reveals only the caller's."""
    users = [{"user_id": m.user_id, "screen_name": m.handle, "permissions": list(m.permissions)} for m in team.members]
    promotable = [{k: v for k, v in p.items() if k != "screen_name"} for p in team.promotable]
    return {"caller_user_id": team.caller.user_id,
            "accounts": [{**team.ad_account, "users": users, "promotable_users": promotable}]}


def build(company: Company) -> SandboxPlatform:
    """The X Ads API tenant of the demo (the admin export is ``admin_export``)."""
    team = x_team(company)
    ad_id = team.ad_account["id"]
    leaver = person(company, LEAVER)
    planted = [
        Planted("ownerless_service_account", PLATFORM, team.brand_user_id, None, LEAVER,
                f"@{BRAND_HANDLE} owns the ads account and is registered to {leaver['cn'][0]}, who left"),
        *(unknown_finding(PLATFORM, rule, _REASONS[rule]) for rule in _UNKNOWN_API),
    ]
    return SandboxPlatform(
        kind="x", name=PLATFORM, tenant_id=ad_id, data=emulator_data(team),
        token=sandbox_credentials(f"kwiatek:{company.seed}"), planted=planted,
        settings={"tenant_id": ad_id, "options": {"ad_account_ids": [ad_id], "tenant_name": "Kwiatek Sklep (X Ads)"}},
        service_accounts=[{"platform": PLATFORM, "account_id": team.brand_user_id, "owner": LEAVER,
                           "note": f"@{BRAND_HANDLE}, the handle that owns the X ads account"}],
        links=[{"platform": PLATFORM, "account_id": team.caller.user_id, "uid": CALLER}],
    )


def admin_export(company: Company) -> tuple[str, list[Planted], str]:
    """The admin's CSV of "Edit access to account" (text, the findings it plants, the tenant id)."""
    team = x_team(company)
    ad_id = team.ad_account["id"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("platform", "tenant", "account_id", "email", "name", "role", "asset", "state"))
    for member in team.members:
        for permission in member.permissions:
            writer.writerow(("x", ad_id, f"@{member.handle}", member.email, member.name, permission, ad_id, "active"))
    by_uid = {m.uid: m for m in team.members}
    agency = next(m for m in team.members if m.uid is None)
    planted = [
        Planted("orphaned_access", EXPORT_PLATFORM, f"@{by_uid[LEAVER].handle}", None, LEAVER,
                "left 45 days ago, still ACCOUNT_ADMIN of the X ads account"),
        Planted("contract_expired", EXPORT_PLATFORM, f"@{by_uid[EXPIRED].handle}", None, EXPIRED,
                "contract ended 10 days ago, still CREATIVE_MANAGER"),
        Planted("unmatched_account", EXPORT_PLATFORM, f"@{agency.handle}", None, None,
                f"agency address on {AGENCY_DOMAIN} matches nobody"),
        *(unknown_finding(EXPORT_PLATFORM, rule, _REASONS[rule]) for rule in _UNKNOWN_EXPORT),
    ]
    return out.getvalue(), planted, ad_id
