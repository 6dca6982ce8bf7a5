"""The fictional company's LinkedIn organization: its Page roles and one ad account, with planted cases.

Derived deterministically from ``company.people`` (and ``company.seed`` for ids): named members of the cast
(found by display name) plus the company's other active Marketing staff (Page analysts and content admins) and
active E-commerce staff (ad-account viewers). LinkedIn exposes person URNs only, so every member the company
knows is linked with a manual link (``SandboxPlatform.links``); the agency's account is not.

Planted (the findings the demo scan must produce for this platform and nothing else):

- orphaned_access: Tomasz Wiśniewski left 45 days ago and is still an APPROVED ADMINISTRATOR of the Page;
- traps that must NOT produce findings: Natalia Jankowska's REQUESTED ADMINISTRATOR row (she holds an approved
  CONTENT_ADMINISTRATOR role), Katarzyna Lewandowska's REVOKED ADMINISTRATOR row (she left, properly offboarded)
  and Oliwia Michalska's REJECTED CURATOR row. Counted as live, they would add an orphaned account and push the
  Page to five administrators (excess_admins, limit 3);
- unmatched_account: the agency's ad-account user has no email (LinkedIn shows none) and no manual link;
- could_not_verify, one per rule (platform gaps, severity info): missing-2fa, tenant-2fa-not-enforced,
  personal-email and dormant-access (LinkedIn exposes no 2FA, no email, no activity) and
  post-departure-activity (no log covers the leaver since the departure).
"""

from __future__ import annotations

import random
import string
from datetime import date, datetime, timedelta
from typing import Any

from auditor.demo.company import Company, Planted
from auditor.demo.platforms import SandboxPlatform

KIND = "linkedin"
PLATFORM = "Kwiatek on LinkedIn"
ORGANIZATION_NAME = "Kwiatek Sklep"
AD_ACCOUNT_NAME = "Kwiatek – LinkedIn Ads"
TOKEN_SCOPES = ("r_organization_admin", "r_ads")
MAX_FILLER = 25
COULD_NOT_VERIFY_RULES = (
    "missing-2fa", "tenant-2fa-not-enforced", "personal-email", "dormant-access", "post-departure-activity",
)
"""The rules that yield one aggregated could_not_verify finding on this platform."""

# display name -> (Page role, state); the first is the auditor's token member
PAGE_ROLES: tuple[tuple[str, str, str], ...] = (
    ("Magdalena Wróbel", "ADMINISTRATOR", "APPROVED"),
    ("Karolina Szymańska", "ADMINISTRATOR", "APPROVED"),
    ("Tomasz Wiśniewski", "ADMINISTRATOR", "APPROVED"),  # planted: left 45 days ago
    ("Natalia Jankowska", "CONTENT_ADMINISTRATOR", "APPROVED"),
    ("Natalia Jankowska", "ADMINISTRATOR", "REQUESTED"),  # trap: not live access
    ("Katarzyna Lewandowska", "ADMINISTRATOR", "REVOKED"),  # trap: a leaver, properly removed
    ("Oliwia Michalska", "CURATOR", "REJECTED"),  # trap: not live access
    ("José García", "CURATOR", "APPROVED"),
    ("Michał Woźniak", "DIRECT_SPONSORED_CONTENT_POSTER", "APPROVED"),
    ("Jakub Mazur", "ANALYST", "APPROVED"),
    ("Barbara Kwiatkowska", "RECRUITING_POSTER", "APPROVED"),
    ("Adam Nowicki", "LEAD_CAPTURE_ADMINISTRATOR", "APPROVED"),
    ("Grzegorz Pietrzak", "LEAD_GEN_FORMS_MANAGER", "APPROVED"),
    ("Søren Nielsen", "ANALYST", "APPROVED"),
)
LEAVER = "Tomasz Wiśniewski"
AGENCY = "agency"
# display name (or AGENCY) -> (ad-account role, days since created, creator, days since last modified)
AD_USERS: tuple[tuple[str, str, int, str | None, int | None], ...] = (
    ("Grzegorz Pietrzak", "ACCOUNT_BILLING_ADMIN", 400, None, None),
    ("Magdalena Wróbel", "ACCOUNT_MANAGER", 380, "Grzegorz Pietrzak", None),
    ("Michał Woźniak", "CAMPAIGN_MANAGER", 200, "Magdalena Wróbel", 60),
    ("Adam Nowicki", "CREATIVE_MANAGER", 150, "Grzegorz Pietrzak", None),
    ("Björn Andersson", "VIEWER", 90, "Grzegorz Pietrzak", None),
    (AGENCY, "CAMPAIGN_MANAGER", 120, "Magdalena Wróbel", 30),  # trap: the agency's member, unlinked
)


def _status(company: Company, entry: dict[str, list[str]]) -> str:
    if entry["dn"][0].endswith("," + company.leavers_ou):
        return "departed"
    return "disabled" if entry.get("employeeType", [""])[0] == "disabled" else "active"


def _clean(company: Company, entry: dict[str, list[str]]) -> bool:
    """An active employee or contractor whose end date (if any) is still to come."""
    if _status(company, entry) != "active" or entry.get("employeeType", [""])[0] not in ("employee", "contractor"):
        return False
    end = entry.get("description")
    return not end or date.fromisoformat(end[0]) >= company.now.date()


class _Ids:
    """Person URNs (10 characters, as LinkedIn's) and numeric ids, unique and seeded."""

    def __init__(self, seed: int):
        self.rng = random.Random(f"kwiatek:{seed}:linkedin")
        self.used: set[str] = set()

    def person(self) -> str:
        alphabet = string.ascii_letters + string.digits + "-_"
        while True:
            value = "".join(self.rng.choice(alphabet) for _ in range(10))
            if value not in self.used:
                self.used.add(value)
                return f"urn:li:person:{value}"

    def number(self, low: int, high: int) -> str:
        return str(self.rng.randrange(low, high))


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def build(company: Company) -> SandboxPlatform:
    """The LinkedIn organization of ``company`` with its planted findings, links and settings."""
    by_name = {e["displayName"][0]: e for e in company.people}
    missing = sorted({n for n, *_ in (*PAGE_ROLES, *AD_USERS) if n != AGENCY and n not in by_name})
    if missing:
        raise ValueError(f"company_linkedin: the company has no person named {', '.join(missing)}")
    ids = _Ids(company.seed)
    organization_id = ids.number(10**6, 10**8)
    organization = f"urn:li:organization:{organization_id}"
    ad_account_id = ids.number(5 * 10**8, 6 * 10**8)
    ad_account = f"urn:li:sponsoredAccount:{ad_account_id}"
    members: dict[str, str] = {}  # display name -> person URN

    def member(name: str) -> str:
        if name not in members:
            members[name] = ids.person()
        return members[name]

    acls = [{"roleAssignee": member(name), "role": role, "organization": organization, "state": state}
            for name, role, state in PAGE_ROLES]
    for name, *_ in AD_USERS:  # the cast's ids come before the filler's, so they do not depend on size
        member(name)
    named = {by_name[name]["uid"][0] for name, *_ in PAGE_ROLES if name in by_name}
    named |= {by_name[name]["uid"][0] for name, *_ in AD_USERS if name in by_name}
    filler = [e for e in company.people if e["uid"][0] not in named and _clean(company, e)]
    marketing = [e for e in filler if e.get("departmentNumber") == ["Marketing"]][:MAX_FILLER]
    ecommerce = [e for e in filler if e.get("departmentNumber") == ["E-commerce"]][:MAX_FILLER]
    for index, entry in enumerate(marketing):
        role = "CONTENT_ADMINISTRATOR" if index % 3 == 0 else "ANALYST"
        acls.append({"roleAssignee": member(entry["displayName"][0]), "role": role, "organization": organization,
                     "state": "APPROVED"})
    now = company.now
    users = []
    rows = [(name, role, days, creator, modified) for name, role, days, creator, modified in AD_USERS]
    rows += [(e["displayName"][0], "VIEWER", 30 + 7 * i, "Grzegorz Pietrzak", None) for i, e in enumerate(ecommerce)]
    for name, role, days, creator, modified in rows:
        created: dict[str, Any] = {"time": _ms(now - timedelta(days=days, hours=3))}
        if creator:
            created["actor"] = member(creator)
        last = {"time": _ms(now - timedelta(days=modified, hours=5)), "actor": member(creator)} if (
            modified and creator) else dict(created)
        users.append({"account": ad_account, "user": member(name), "role": role,
                      "changeAuditStamps": {"created": created, "lastModified": last},
                      "version": {"versionTag": "1" if last == created else "2"}})
    data = {
        "organization": {"id": organization_id, "localizedName": ORGANIZATION_NAME},
        "organization_acls": acls,
        "ad_accounts": [{"id": ad_account_id, "name": AD_ACCOUNT_NAME, "users": users}],
        "token_member": member(PAGE_ROLES[0][0]),
        "token_scopes": list(TOKEN_SCOPES),
    }
    links = [{"platform": PLATFORM, "account_id": urn_, "uid": by_name[name]["uid"][0]}
             for name, urn_ in members.items() if name != AGENCY]
    leaver = by_name[LEAVER]
    planted = [Planted("orphaned_access", PLATFORM, member(LEAVER), None, leaver["uid"][0],
                       f"left on {leaver['description'][0]}, still an APPROVED ADMINISTRATOR of the Page")]
    planted.append(Planted("unmatched_account", PLATFORM, members[AGENCY], None, None,
                           "the agency's ad-account user: LinkedIn shows no email and nobody linked it by hand"))
    planted += [Planted("could_not_verify", PLATFORM, None, None, None, f"{rule}: {_GAPS[rule]}")
                for rule in COULD_NOT_VERIFY_RULES]
    return SandboxPlatform(
        kind=KIND, name=PLATFORM, tenant_id=organization_id, data=data,
        token=f"sandbox-linkedin-{ids.rng.getrandbits(128):032x}", planted=planted,
        settings={"tenant_id": organization_id,
                  "options": {"ad_account_ids": [ad_account_id], "organization_name": ORGANIZATION_NAME}},
        links=links,
    )


_GAPS = {
    "missing-2fa": "LinkedIn does not expose 2FA (severity info)",
    "tenant-2fa-not-enforced": "LinkedIn has no 2FA policy to read (severity info)",
    "personal-email": "LinkedIn exposes no member email (severity info)",
    "dormant-access": "LinkedIn has no activity log (severity info)",
    "post-departure-activity": f"no activity log covers {LEAVER} since the departure (severity info)",
}
