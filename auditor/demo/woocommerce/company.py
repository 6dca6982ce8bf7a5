"""The fictional company's WordPress / WooCommerce site: back-office users and their application passwords.

Derived deterministically from ``company.people`` and ``company.seed``. WordPress reveals user emails (with
``context=edit``), so matching works by email; an application password carries its owner's email.

Planted (the findings the demo scan must produce for this platform and nothing else):

- orphaned_access, twice for one leaver: Tomasz Wiśniewski (left 45 days ago) is still an editor, and his
  application password named like a Zapier connection ("Zapier – blog posts") still signs in as him;
- dormant_access: Natalia Jankowska's "Make.com scenario" application password has not been used for 120 days;
- could_not_verify, one per rule (platform gaps, severity info): missing-2fa, tenant-2fa-not-enforced,
  dormant-access (users: no login log) and post-departure-activity.

Quiet on purpose: shop customers (not accounts of the audit), the auditor's own password (used today), a
Hootsuite password used two days ago.
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from auditor.demo.company import Company, Planted
from auditor.demo.platforms import SandboxPlatform

if TYPE_CHECKING:
    from auditor.config import PlatformSettings, Settings

KIND = "woocommerce"
PLATFORM = "Kwiatek on WooCommerce"
SITE = "sklep.kwiatek.example"
COULD_NOT_VERIFY_RULES = ("missing-2fa", "tenant-2fa-not-enforced", "dormant-access", "post-departure-activity")
ADMIN_CAPS = {"list_users": True, "edit_users": True, "promote_users": True, "manage_options": True,
              "install_plugins": True, "manage_woocommerce": True}
SHOP_CAPS = {"manage_woocommerce": True, "edit_products": True, "list_users": True}
# display name, roles, days since registered, application passwords (name, days since created, days since used)
USERS: tuple[tuple[str, list[str], int, tuple[tuple[str, int, int | None], ...]], ...] = (
    ("Barbara Kwiatkowska", ["administrator"], 1200, (("Kwiatek Access Audit", 30, 0),)),
    ("Grzegorz Pietrzak", ["shop_manager"], 900, (("Hootsuite", 200, 2),)),
    ("Natalia Jankowska", ["editor"], 600, (("Make.com scenario", 300, 120),)),  # planted: dormant
    ("Karolina Szymańska", ["author"], 500, ()),
    ("Tomasz Wiśniewski", ["editor"], 700, (("Zapier – blog posts", 400, 50),)),  # planted: a leaver's
)
CUSTOMERS = (("anna.klientka@gmail.com", "Anna Klientka"), ("jan.kupiec@wp.example", "Jan Kupiec"))


def build(company: Company) -> SandboxPlatform:
    """The WordPress site of ``company`` with its planted findings and settings."""
    by_name = {e["displayName"][0]: e for e in company.people}
    missing = sorted(n for n, *_ in USERS if n not in by_name)
    if missing:
        raise ValueError(f"company_woocommerce: the company has no person named {', '.join(missing)}")
    rng = random.Random(f"kwiatek:{company.seed}:woocommerce")
    now = company.now

    def ago(days: int, *, zone: bool) -> str:
        value = (now - timedelta(days=days, hours=1)).replace(microsecond=0)
        return value.isoformat() if zone else value.strftime("%Y-%m-%dT%H:%M:%S")

    def uuid() -> str:
        h = f"{rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    secret = " ".join(f"{rng.getrandbits(16):04x}"[:4] for _ in range(6))
    users: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for index, (name, roles, days, passwords) in enumerate(USERS, start=1):
        entry = by_name[name]
        email = entry["mail"][0]
        ids[name] = str(index)
        caps = ADMIN_CAPS if "administrator" in roles else SHOP_CAPS if "shop_manager" in roles else {}
        users.append({
            "id": index, "username": entry["uid"][0], "name": name, "email": email, "slug": entry["uid"][0],
            "roles": roles, "capabilities": {**{r: True for r in roles}, **caps}, "extra_capabilities": {},
            "registered_date": ago(days, zone=True), "has_published_posts": "editor" in roles,
            "application_passwords": [
                {"uuid": uuid(), "app_id": "", "name": label, "created": ago(created, zone=False),
                 "last_used": None if used is None else ago(used, zone=False),
                 "last_ip": None if used is None else f"203.0.113.{10 + n}"}
                for n, (label, created, used) in enumerate(passwords)],
        })
    for offset, (email, name) in enumerate(CUSTOMERS, start=len(USERS) + 1):
        users.append({"id": offset, "username": email.split("@")[0], "name": name, "email": email,
                      "slug": email.split("@")[0], "roles": ["customer"], "capabilities": {"customer": True},
                      "registered_date": ago(30 * offset, zone=True), "has_published_posts": False,
                      "application_passwords": []})
    token = f"{users[0]['username']}:{secret}"

    def password_id(name: str) -> str:
        user = users[int(ids[name]) - 1]
        return f"{ids[name]}:app-password:{user['application_passwords'][0]['uuid']}"

    leaver = by_name["Tomasz Wiśniewski"]["uid"][0]
    planted = [
        Planted("orphaned_access", PLATFORM, ids["Tomasz Wiśniewski"], None, leaver,
                "a leaver (45 days ago) is still an editor"),
        Planted("orphaned_access", PLATFORM, password_id("Tomasz Wiśniewski"), None, leaver,
                "the leaver's Zapier connection (application password) still signs in as him"),
        Planted("dormant_access", PLATFORM, password_id("Natalia Jankowska"), None,
                by_name["Natalia Jankowska"]["uid"][0], "a Make.com application password unused for 120 days"),
    ]
    planted += [Planted("could_not_verify", PLATFORM, None, None, None, f"{rule}: WordPress platform gap")
                for rule in COULD_NOT_VERIFY_RULES]
    return SandboxPlatform(
        kind=KIND, name=PLATFORM, tenant_id=SITE, data={"site": {"name": "Kwiatek Sklep", "url": f"https://{SITE}"},
                                                        "users": users},
        token=token, planted=planted, settings={"tenant_id": SITE, "options": {"site_name": "Kwiatek Sklep"}},
    )


def with_secrets(tenant: SandboxPlatform, platform: PlatformSettings, settings: Settings) -> dict[str, Any]:
    """The site's data with the auditor's administrator named as in the configured ``username:password`` token
    (the demo's tokens are random, so the user name the emulator signs in must follow the secret)."""
    data = copy.deepcopy(tenant.data)
    token = settings.secret(platform.token_env, key="platform.token_env")
    data["users"][0]["username"] = token.split(":", 1)[0]
    return data
