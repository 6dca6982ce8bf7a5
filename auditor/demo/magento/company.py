"""The fictional company's Magento shop: admin users with their roles and 2FA, and one integration.

The shop's database is the platform's interface, so the demo writes a SQLite file holding the documented schema
subset (``schema.py``) into the workspace, and the connector reads it through ``options.database_file`` (a real
shop: ``options.database_url_env`` naming a read-only MariaDB / MySQL URL). Derived deterministically from
``company.people``; Magento stores admins' emails, so matching works by email.

Planted (the findings the demo scan must produce for this platform and nothing else):

- missing_2fa (severity high): Grzegorz Pietrzak is a full admin (``Magento_Backend::all``) who never enrolled
  in two-factor authentication (no ``tfa_user_config`` row);
- orphaned_access: Tomasz Wiśniewski left the company and his admin account (content role, 2FA on) is active;
- could_not_verify, one per rule (platform gaps, severity info): tenant-2fa-not-enforced (Magento has no
  tenant 2FA policy to read), dormant-access (no last use is recorded for the integration's token) and
  post-departure-activity (no audit log).

Quiet on purpose: an inactive admin account of a leaver (cannot sign in), an integration whose token was
revoked, and the ERP integration registered as a service account with its active owner.
"""

from __future__ import annotations

import json
import random
import sqlite3
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from auditor.demo.company import Company, Planted
from auditor.demo.magento.schema import load
from auditor.demo.platforms import SandboxPlatform

KIND = "magento"
PLATFORM = "Kwiatek on Magento"
SHOP = "magento.kwiatek.example"
DATABASE_FILE = "magento-shop.sqlite"
ERP_OWNER = "Łukasz Żółć"
LEAVER = "Tomasz Wiśniewski"
NO_2FA = "Grzegorz Pietrzak"
COULD_NOT_VERIFY_RULES = ("tenant-2fa-not-enforced", "dormant-access", "post-departure-activity")
ROLES = (("Administrators", ("Magento_Backend::all",)),
         ("Content", ("Magento_Cms::page", "Magento_Cms::block", "Magento_Catalog::products")))
# display name, role (index into ROLES), 2FA providers, days since last login, active
ADMINS: tuple[tuple[str, int, list[str] | None, int, int], ...] = (
    ("Barbara Kwiatkowska", 0, ["google"], 1, 1),
    (NO_2FA, 0, None, 3, 1),  # planted: a full admin without 2FA
    ("Karolina Szymańska", 1, ["google"], 5, 1),
    (LEAVER, 1, ["duo_security"], 50, 1),  # planted: a leaver's admin account
    ("Jakub Mazur", 1, None, 200, 0),  # inactive: cannot sign in, quiet
)


def _naive(value: datetime) -> datetime:
    return value.replace(tzinfo=None, microsecond=0)


def shop_rows(company: Company) -> dict[str, list[dict[str, Any]]]:
    """The shop's rows per table (the schema subset of ``schema.py``)."""
    by_name = {e["displayName"][0]: e for e in company.people}
    missing = sorted(n for n in [*(a[0] for a in ADMINS), ERP_OWNER] if n not in by_name)
    if missing:
        raise ValueError(f"company_magento: the company has no person named {', '.join(missing)}")
    rng = random.Random(f"kwiatek:{company.seed}:magento")

    def ago(days: float) -> datetime:
        return _naive(company.now - timedelta(days=days, hours=2))

    roles = [{"role_id": i + 1, "parent_id": 0, "tree_level": 1, "sort_order": 0, "role_type": "G", "user_id": 0,
              "user_type": "2", "role_name": name} for i, (name, _) in enumerate(ROLES)]
    rules = [{"role_id": i + 1, "resource_id": r, "permission": "allow", "privileges": None}
             for i, (_, resources) in enumerate(ROLES) for r in resources]
    admins, tfa = [], []
    for user_id, (name, role, providers, login, active) in enumerate(ADMINS, start=1):
        entry = by_name[name]
        first, _, last = name.partition(" ")
        admins.append({"user_id": user_id, "firstname": first, "lastname": last, "email": entry["mail"][0],
                       "username": entry["uid"][0], "password": f"{rng.getrandbits(128):032x}:3",
                       "created": ago(700 - 50 * user_id), "modified": ago(30), "logdate": ago(login),
                       "lognum": 40 + user_id, "is_active": active, "interface_locale": "pl_PL"})
        roles.append({"role_id": len(roles) + 1, "parent_id": role + 1, "tree_level": 2, "sort_order": 0,
                      "role_type": "U", "user_id": user_id, "user_type": "2", "role_name": entry["uid"][0]})
        if providers is not None:
            tfa.append({"user_id": user_id, "encoded_providers": json.dumps(providers), "encoded_config": "{}",
                        "default_provider": providers[0]})
    integrations = [("ERP sync", by_name[ERP_OWNER]["mail"][0], ("Magento_Sales::sales", "Magento_Catalog::catalog"),
                     0),
                    ("Old newsletter feed", None, ("Magento_Newsletter::newsletter",), 1)]
    rows: dict[str, list[dict[str, Any]]] = {"integration": [], "oauth_consumer": [], "oauth_token": []}
    for integration_id, (name, email, resources, revoked) in enumerate(integrations, start=1):
        rows["integration"].append({"integration_id": integration_id, "name": name, "email": email, "status": 1,
                                    "consumer_id": integration_id, "created_at": ago(400), "updated_at": ago(400),
                                    "setup_type": 0})
        rows["oauth_consumer"].append({"entity_id": integration_id, "name": f"Integration{integration_id}",
                                       "key": f"{rng.getrandbits(128):032x}", "secret": f"{rng.getrandbits(128):032x}",
                                       "rejected_callback_url": "", "created_at": ago(400)})
        rows["oauth_token"].append({"consumer_id": integration_id, "type": "access",
                                    "token": f"{rng.getrandbits(128):032x}", "secret": f"{rng.getrandbits(128):032x}",
                                    "callback_url": "oob", "revoked": revoked, "authorized": 1, "user_type": 1,
                                    "created_at": ago(399)})
        role_id = len(roles) + 1
        roles.append({"role_id": role_id, "parent_id": 0, "tree_level": 1, "sort_order": 0, "role_type": "U",
                      "user_id": integration_id, "user_type": "1", "role_name": str(integration_id)})
        rules += [{"role_id": role_id, "resource_id": r, "permission": "allow", "privileges": None}
                  for r in resources]
    return {"admin_user": admins, "authorization_role": roles, "authorization_rule": rules, "tfa_user_config": tfa,
            **rows}


def database_bytes(rows: dict[str, list[dict[str, Any]]]) -> bytes:
    """A SQLite database file holding the schema subset and ``rows``."""
    with tempfile.TemporaryDirectory(prefix="auditor-magento-") as folder:
        path = Path(folder) / DATABASE_FILE
        engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
        with engine.begin() as conn:
            load(conn, rows)
        engine.dispose()
        with sqlite3.connect(path) as check:
            check.execute("PRAGMA journal_mode=DELETE")
        return path.read_bytes()


def build(company: Company) -> SandboxPlatform:
    """The Magento shop of ``company`` with its planted findings, its database file and settings."""
    by_name = {e["displayName"][0]: e for e in company.people}
    rows = shop_rows(company)
    ids = {name: f"admin:{i}" for i, (name, *_rest) in enumerate(ADMINS, start=1)}
    planted = [
        Planted("missing_2fa", PLATFORM, ids[NO_2FA], None, by_name[NO_2FA]["uid"][0],
                "a full admin (Magento_Backend::all) never enrolled in 2FA", severity="high"),
        Planted("orphaned_access", PLATFORM, ids[LEAVER], None, by_name[LEAVER]["uid"][0],
                "a leaver's admin account is still active"),
    ]
    planted += [Planted("could_not_verify", PLATFORM, None, None, None, f"{rule}: Magento platform gap")
                for rule in COULD_NOT_VERIFY_RULES]
    service = [{"platform": PLATFORM, "account_id": "integration:1", "owner": by_name[ERP_OWNER]["uid"][0],
                "note": "ERP sync (Magento integration)"}]
    return SandboxPlatform(
        kind=KIND, name=PLATFORM, tenant_id=SHOP, data={}, token="", planted=planted,
        settings={"tenant_id": SHOP, "options": {"database_file": DATABASE_FILE, "shop_name": "Kwiatek Sklep"}},
        service_accounts=service, files={DATABASE_FILE: database_bytes(rows)},
    )
