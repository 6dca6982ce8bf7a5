"""The fictional company's Shopify shop (a Plus store): staff members, collaborators and the auditor's app.

Derived deterministically from ``company.people`` and ``company.seed``. Shopify reveals staff emails, so matching
works by email.

Planted (the findings the demo scan must produce for this platform and nothing else):

- orphaned_access: Paweł Kamiński left 20 days ago and is still an active staff member with full permissions
  (APPLICATIONS among them: a privileged grant);
- partner_access (rule collaborator-without-owner) and unmatched_account: the agency's collaborator account
  (pixel-agency.example) is linked to nobody and registered with no owner; the web developer's collaborator
  account is registered with the Head of IT as owner and stays quiet;
- could_not_verify, one per rule (platform gaps, severity info): missing-2fa, tenant-2fa-not-enforced,
  dormant-access and post-departure-activity (Shopify exposes no 2FA and no staff activity log).

Quiet on purpose: the deactivated account of another leaver (no access left), a SAML account (SSO), a recent
staff invitation, the auditor's own app holding only read_users.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from auditor.demo.company import AGENCY_DOMAIN, Company, Planted
from auditor.demo.platforms import SandboxPlatform

KIND = "shopify"
PLATFORM = "Kwiatek on Shopify"
SHOP_DOMAIN = "kwiatek-sklep.myshopify.com"
APP_SCOPES = ("read_users",)
FULL = ["APPLICATIONS", "CUSTOMERS", "DASHBOARD", "DOMAINS", "EDIT_ORDERS", "ORDERS", "PREFERENCES", "PRODUCTS",
        "REPORTS", "THEMES"]
AGENCY = ("Ola Kurek (Pixel Agency)", f"ola.kurek@{AGENCY_DOMAIN}")
DEVELOPER = ("Shopdev Studio", "hello@shopdev-studio.example")
COULD_NOT_VERIFY_RULES = ("missing-2fa", "tenant-2fa-not-enforced", "dormant-access", "post-departure-activity")
# display name, accountType, isShopOwner, active, permissions, days since created
STAFF: tuple[tuple[str, str, bool, bool, list[str], int], ...] = (
    ("Barbara Kwiatkowska", "REGULAR", True, True, FULL, 900),
    ("Grzegorz Pietrzak", "REGULAR", False, True, FULL, 800),
    ("Adam Nowicki", "REGULAR", False, True, ["ORDERS", "PRODUCTS", "DRAFT_ORDERS"], 400),
    ("Björn Andersson", "SAML", False, True, ["ORDERS", "REPORTS"], 200),
    ("Paweł Kamiński", "REGULAR", False, True, FULL, 500),  # planted: a leaver, still active
    ("Marek Wójcik", "REGULAR", False, False, FULL, 700),  # a leaver, deactivated: no access left
    ("Olena Kovalenko", "INVITED", False, True, ["CUSTOMERS", "ORDERS"], 4),
)


def build(company: Company) -> SandboxPlatform:
    """The Shopify shop of ``company`` with its planted findings, links, service accounts and settings."""
    by_name = {e["displayName"][0]: e for e in company.people}
    missing = sorted(n for n, *_ in STAFF if n not in by_name)
    if missing:
        raise ValueError(f"company_shopify: the company has no person named {', '.join(missing)}")
    rng = random.Random(f"kwiatek:{company.seed}:shopify")
    now = company.now
    used: set[int] = set()

    def gid(kind: str) -> str:
        while (value := rng.randrange(10**10, 10**11)) in used:
            pass
        used.add(value)
        return f"gid://shopify/{kind}/{value}"

    def created(days: int) -> str:
        return (now - timedelta(days=days, hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")

    staff: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for name, account_type, owner, active, permissions, days in STAFF:
        ids[name] = gid("StaffMember")
        staff.append({"id": ids[name], "name": name, "email": by_name[name]["mail"][0], "active": active,
                      "isShopOwner": owner, "accountType": account_type,
                      "privateData": {"createdAt": created(days), "permissions": list(permissions)}})
    for key, (name, email), days in (("agency", AGENCY, 150), ("developer", DEVELOPER, 300)):
        ids[key] = gid("StaffMember")
        staff.append({"id": ids[key], "name": name, "email": email, "active": True, "isShopOwner": False,
                      "accountType": "COLLABORATOR",
                      "privateData": {"createdAt": created(days), "permissions": ["PRODUCTS", "THEMES"]}})
    app_id = gid("App")
    data = {
        "shop": {"id": gid("Shop"), "name": "Kwiatek Sklep", "myshopifyDomain": SHOP_DOMAIN,
                 "plan": {"displayName": "Shopify Plus", "shopifyPlus": True}},
        "installation": {"id": gid("AppInstallation"), "app": {"id": app_id, "title": "Kwiatek Access Audit",
                                                                "developerName": "Kwiatek IT"},
                         "accessScopes": [{"handle": s} for s in APP_SCOPES]},
        "installations": [],
        "staff": staff,
        "throttle": {"maximum": 1000.0, "restore_rate": 50.0},
    }
    it_head = next(e["uid"][0] for e in company.people if e["displayName"][0] == "Łukasz Żółć")
    leaver = by_name["Paweł Kamiński"]["uid"][0]
    planted = [
        Planted("orphaned_access", PLATFORM, ids["Paweł Kamiński"], None, leaver,
                "a leaver (20 days ago) is still an active staff member with full permissions"),
        Planted("partner_access", PLATFORM, ids["agency"], None, None,
                "collaborator-without-owner: the agency's collaborator account has no owner in the directory"),
        Planted("unmatched_account", PLATFORM, ids["agency"], None, None,
                f"collaborator on {AGENCY_DOMAIN}, linked to nobody"),
    ]
    planted += [Planted("could_not_verify", PLATFORM, None, None, None, f"{rule}: Shopify platform gap")
                for rule in COULD_NOT_VERIFY_RULES]
    return SandboxPlatform(
        kind=KIND, name=PLATFORM, tenant_id=SHOP_DOMAIN, data=data,
        token=f"shpat_{rng.getrandbits(128):032x}", planted=planted,
        settings={"tenant_id": SHOP_DOMAIN, "options": {"api_version": "2025-10"}},
        service_accounts=[{"platform": PLATFORM, "account_id": ids["developer"], "owner": it_head,
                           "note": "collaborator account of the web developer (Shopdev Studio)"}],
        policy_parameters={"excess-app-scope": {"allowed_scopes": {app_id: list(APP_SCOPES)}}},
    )
