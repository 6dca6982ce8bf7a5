"""The fictional shop's Google Ads (manager account, a Search & Shopping and a YouTube & Video customer).

Deterministic for a company (seed, ``now``, ``size``). The cast comes from the fixed cast of
``auditor.demo.company`` (looked up by uid); the filler is every active E-commerce employee outside the
cast whose uid hashes into one third: read-only or standard users of the Search customer, clean.

Traps (and what the shipped rules make of them, with the demo's policy parameters):

- Marek Wójcik (System Administrator, departed 90 days ago) is still ADMIN of the Search customer, and a
  Google Ads script running under his login changed keywords 5 and 2 days ago: orphaned_access and
  post_departure_activity;
- Paweł Kamiński (Performance Marketing Specialist, departed 20 days ago) is still STANDARD on the
  Performance Max customer, a client of the manager that ``listAccessibleCustomers`` does not return and no
  setting names: it is found only through the manager hierarchy (``customer_client``) and read with the
  manager's ``login-customer-id``: orphaned_access;
- a pending invitation (sent 9 days ago) to Katarzyna Lewandowska, who departed 60 days ago:
  stale_invitation (rule orphaned-invitation); an EXPIRED and a DECLINED invitation raise nothing;
- most users have no passkey: Google exposes no other 2FA, so missing-2fa cannot judge them (one
  aggregated could_not_verify), and neither can tenant-2fa-not-enforced (no account-wide policy);
- change_event reaches 30 days back while dormancy is judged over 90 days: users without a change in 30 days
  cannot be judged (one aggregated could_not_verify for dormant-access).

YouTube channel managers have no API at all: the connector declares that gap in its capabilities.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, timedelta
from typing import Any

from auditor.demo.company import Company, Planted
from auditor.demo.platforms import SandboxPlatform

PLATFORM = "Kwiatek on Google Ads"
MANAGER_ID = "4218305567"
SEARCH_ID = "7065123480"
VIDEO_ID = "7065123481"
PMAX_ID = "7065123482"
DEVELOPER_TOKEN_ENV = "AUDITOR_GOOGLE_ADS_DEVELOPER_TOKEN"  # noqa: S105 - the name of a variable
TIME_ZONE = "Europe/Warsaw"

CAST = {
    "it_head": "lzolc", "ecom_head": "gpietrzak", "mkt_head": "mwrobel", "fin_head": "dgrabowska",
    "michal": "mwozniak", "adam": "anowicki", "bjorn": "bandersson", "karolina": "kszymanska",
    "natalia": "njankowska", "jose": "jgarcia", "d0": "mwojcik", "d3": "klewandowska", "oliwia": "omichalska",
    "soren": "snielsen", "d2": "pkaminski",
}
"""Cast key -> uid in ``company.people`` (the fixed cast of auditor.demo.company)."""

# customer | key | access role | passkey | days since access was created | inviter key
_USERS = """
manager | it_head   | ADMIN      | yes | 900 |
manager | ecom_head | ADMIN      | no  | 700 | it_head
search  | ecom_head | ADMIN      | no  | 690 | it_head
search  | d0        | ADMIN      | yes | 650 | it_head
search  | michal    | STANDARD   | yes | 400 | ecom_head
search  | adam      | STANDARD   | no  | 300 | ecom_head
search  | bjorn     | READ_ONLY  | no  | 200 | ecom_head
search  | fin_head  | EMAIL_ONLY | no  | 500 | ecom_head
video   | mkt_head  | ADMIN      | yes | 600 | it_head
video   | karolina  | STANDARD   | no  | 350 | mkt_head
video   | natalia   | STANDARD   | no  | 250 | mkt_head
video   | jose      | READ_ONLY  | no  | 150 | mkt_head
pmax    | ecom_head | ADMIN      | no  | 680 | it_head
pmax    | d2        | STANDARD   | no  | 280 | ecom_head
"""
# customer | key | access role | status | days since sent
_INVITATIONS = """
search | d3     | STANDARD  | PENDING  | 9
search | oliwia | READ_ONLY | EXPIRED  | 40
video  | soren  | READ_ONLY | DECLINED | 15
"""
# customer | key | days ago | operation | resource type | client type
_CHANGES = """
search | michal    | 3  | UPDATE | CAMPAIGN_BUDGET     | GOOGLE_ADS_WEB_CLIENT
search | adam      | 10 | CREATE | AD_GROUP_AD         | GOOGLE_ADS_WEB_CLIENT
search | ecom_head | 12 | UPDATE | CAMPAIGN            | GOOGLE_ADS_EDITOR
search | d0        | 5  | UPDATE | AD_GROUP_CRITERION  | GOOGLE_ADS_SCRIPTS
search | d0        | 2  | UPDATE | AD_GROUP_CRITERION  | GOOGLE_ADS_SCRIPTS
search | michal    | 45 | CREATE | ASSET               | GOOGLE_ADS_WEB_CLIENT
video  | mkt_head  | 8  | CREATE | CAMPAIGN            | GOOGLE_ADS_WEB_CLIENT
video  | karolina  | 15 | UPDATE | AD                  | GOOGLE_ADS_WEB_CLIENT
video  | natalia   | 20 | CREATE | ASSET               | GOOGLE_ADS_MOBILE_APP
"""
_CUSTOMER_IDS = {"manager": MANAGER_ID, "search": SEARCH_ID, "video": VIDEO_ID, "pmax": PMAX_ID}


def _hash(*parts: object) -> int:
    return int(hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest(), 16)


def company_cast(company: Company) -> set[str]:
    """The uids of the main company's fixed cast: they precede the ghost in ``company.earlier_people``."""
    uids = [entry["uid"][0] for entry in company.earlier_people]
    return set(uids[: uids.index(company.ghost_uid)]) if company.ghost_uid in uids else set()


def _fraction(*parts: object) -> float:
    return (_hash(*parts) % 1_000_000) / 1_000_000


def camel_plural(resource_type: str) -> str:
    """``AD_GROUP_CRITERION`` -> ``adGroupCriterions`` (the path segment of a resource name)."""
    head, *rest = resource_type.lower().split("_")
    return head + "".join(part.title() for part in rest) + "s"


def _rows(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in table.strip().splitlines()]


class _Builder:
    """Accumulates the customers of one company."""

    def __init__(self, company: Company):
        self.company = company
        self.people = {entry["uid"][0]: entry for entry in company.people}
        self.customers: dict[str, dict[str, Any]] = {
            MANAGER_ID: self._customer("Kwiatek Sklep – MCC", manager=True, via_manager=False),
            SEARCH_ID: self._customer("Kwiatek – Search & Shopping", manager=False, via_manager=True),
            VIDEO_ID: self._customer("Kwiatek – YouTube & Video", manager=False, via_manager=True),
            PMAX_ID: self._customer("Kwiatek – Performance Max", manager=False, via_manager=True),
        }
        self.user_ids: dict[str, str] = {}
        self.invitations: dict[str, str] = {}

    @staticmethod
    def _customer(name: str, *, manager: bool, via_manager: bool) -> dict[str, Any]:
        return {"descriptive_name": name, "manager": manager, "time_zone": TIME_ZONE, "currency_code": "PLN",
                "test_account": False, "via_manager": via_manager, "users": [], "invitations": [],
                "change_events": []}

    def email(self, key: str) -> str:
        uid = CAST.get(key, key)
        if uid not in self.people:
            raise ValueError(f"company_google_ads: person {key!r} (uid {uid!r}) is not in company.people")
        return self.people[uid]["mail"][0]

    def ago(self, days: float, *salt: object) -> str:
        minutes = _hash(self.company.seed, "gads-time", days, *salt) % 600
        return (self.company.now - timedelta(days=days, minutes=minutes)).astimezone(UTC).isoformat()

    def user(self, customer: str, key: str, role: str, passkey: bool, days: float, inviter: str | None) -> None:
        uid = CAST.get(key, key)
        user_id = self.user_ids.setdefault(key, str(10**9 + _hash(self.company.seed, "gads-user", uid) % 10**9))
        self.customers[_CUSTOMER_IDS[customer]]["users"].append({
            "user_id": user_id, "email_address": self.email(key), "access_role": role,
            "access_creation_date_time": self.ago(days, customer, key),
            "inviter_user_email_address": self.email(inviter) if inviter else None, "passkey_enabled": passkey,
        })

    def cast(self) -> None:
        for customer, key, role, passkey, days, inviter in _rows(_USERS):
            self.user(customer, key, role, passkey == "yes", float(days), inviter or None)
        for customer, key, role, status, days in _rows(_INVITATIONS):
            invitation_id = str(10**8 + _hash(self.company.seed, "gads-invite", key) % 10**8)
            self.invitations[key] = f"invite:{_CUSTOMER_IDS[customer]}:{invitation_id}"
            self.customers[_CUSTOMER_IDS[customer]]["invitations"].append({
                "invitation_id": invitation_id, "email_address": self.email(key), "access_role": role,
                "creation_date_time": self.ago(float(days), "invite", key), "invitation_status": status})
        for customer, key, days, operation, resource_type, client in _rows(_CHANGES):
            self.change(customer, key, float(days), operation, resource_type, client)

    def change(self, customer: str, key: str, days: float, operation: str, resource_type: str,
               client: str) -> None:
        cid = _CUSTOMER_IDS[customer]
        campaign = f"customers/{cid}/campaigns/{2 * 10**10 + _hash('campaign', cid, key) % 10**10}"
        self.customers[cid]["change_events"].append({
            "change_date_time": self.ago(days, "change", key, resource_type), "user_email": self.email(key),
            "client_type": client, "change_resource_type": resource_type, "resource_change_operation": operation,
            "change_resource_name": campaign if resource_type == "CAMPAIGN" else
            f"customers/{cid}/{camel_plural(resource_type)}/{_hash('res', cid, key, days) % 10**12}",
            "changed_fields": "status" if operation == "UPDATE" else "", "campaign": campaign,
        })

    def filler(self) -> None:
        """Active E-commerce employees outside the cast, one in three: clean users of the Search customer."""
        cast = set(CAST.values()) | company_cast(self.company)
        for uid, entry in self.people.items():
            if (uid in cast or ",ou=leavers," in entry["dn"][0] or entry["employeeType"] != ["employee"]
                    or entry.get("departmentNumber") != ["E-commerce"]
                    or _fraction(self.company.seed, "gads-member", uid) >= 1 / 3):
                continue
            standard = _fraction("gads-role", uid) < 0.5
            self.user("search", uid, "STANDARD" if standard else "READ_ONLY", _fraction("gads-passkey", uid) < 0.4,
                      30 + 400 * _fraction("gads-since", uid), "ecom_head")
            if standard:
                self.change("search", uid, 1 + 25 * _fraction("gads-change", uid), "UPDATE", "AD_GROUP",
                            "GOOGLE_ADS_WEB_CLIENT")

    def planted(self) -> list[Planted]:
        d0 = self.user_ids["d0"]
        cnv = "could_not_verify"
        return [
            Planted("orphaned_access", PLATFORM, d0, None, CAST["d0"], "departed 90 days ago, still ADMIN of the "
                    "Search & Shopping customer"),
            Planted("post_departure_activity", PLATFORM, d0, None, CAST["d0"], "a Google Ads script under his "
                    "login changed keywords 5 and 2 days ago"),
            Planted("orphaned_access", PLATFORM, self.user_ids["d2"], None, CAST["d2"], "departed 20 days ago, "
                    "still STANDARD on the Performance Max customer, reached only through the manager hierarchy"),
            Planted("stale_invitation", PLATFORM, self.invitations["d3"], None, CAST["d3"], "orphaned-invitation: "
                    "invitation sent 9 days ago to a person who departed 60 days ago"),
            Planted(cnv, PLATFORM, None, None, None, "missing-2fa: users without a passkey (Google exposes no "
                    "other 2FA)"),
            Planted(cnv, PLATFORM, None, None, None, "tenant-2fa-not-enforced: Google Ads has no 2FA policy in "
                    "its API"),
            Planted(cnv, PLATFORM, None, None, None, "dormant-access: change_event covers 30 of the 90 days"),
        ]


def build(company: Company) -> SandboxPlatform:
    """The Google Ads customers of ``company`` (see the module docstring for the planted cases)."""
    builder = _Builder(company)
    builder.cast()
    builder.filler()
    data = {"now": company.now.isoformat(), "manager_id": MANAGER_ID, "accessible": [MANAGER_ID],
            "developer_token": None, "customers": builder.customers}
    token = f"sandbox-google-ads-{_hash(company.seed, 'gads-token') % 10**24:024d}"
    settings = {"tenant_id": MANAGER_ID, "backoff": 0.2,
                "options": {"login_customer_id": MANAGER_ID, "developer_token_env": DEVELOPER_TOKEN_ENV}}
    return SandboxPlatform(kind="google_ads", name=PLATFORM, tenant_id=MANAGER_ID, data=data, token=token,
                           planted=builder.planted(), settings=settings)

