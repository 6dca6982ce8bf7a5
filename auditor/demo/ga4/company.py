"""The fictional company's Google Analytics 4 account (Google Analytics 360): two properties, who holds which
role on them, and the data-access report.

Derived deterministically from ``company.people`` (and ``company.seed`` for ids). Bindings name users by
email, so everyone matches by email. Everyone active read reports in the last weeks (dormant-access stays
quiet); admin and editor roles are held by members of the ``marketing`` and ``it`` groups only.

Planted (the findings the demo scan must produce for this platform and nothing else):

- orphaned_access: Marek Wójcik (IT, left 90 days ago) is still an account administrator; his last data access
  was before he left, so post-departure-activity stays quiet, and privileged-outside-groups does not judge
  leavers;
- could_not_verify, one per rule (platform gaps, severity info): missing-2fa and tenant-2fa-not-enforced.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from auditor.demo.company import Company, Planted
from auditor.demo.platforms import SandboxPlatform

KIND = "ga4"
PLATFORM = "Kwiatek on Google Analytics"
ACCOUNT_NAME = "Kwiatek Sklep"
LEAVER = "Marek Wójcik"
COULD_NOT_VERIFY_RULES = ("missing-2fa", "tenant-2fa-not-enforced")

# display name, level ("account" or a property key), roles, days since the last data access
BINDINGS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("Magdalena Wróbel", "account", ("admin",), 2),
    ("Łukasz Żółć", "account", ("admin",), 9),
    (LEAVER, "account", ("admin",), 120),  # planted: left 90 days ago, still an administrator
    ("Karolina Szymańska", "shop", ("editor",), 1),
    ("Michał Woźniak", "shop", ("analyst",), 3),
    ("Natalia Jankowska", "blog", ("viewer",), 6),
    ("Grzegorz Pietrzak", "shop", ("viewer", "no-cost-data"), 12),
    ("Björn Andersson", "shop", ("analyst",), 20),
)


def build(company: Company) -> SandboxPlatform:
    """The Analytics account of ``company`` with its planted findings."""
    by_name = {e["displayName"][0]: e for e in company.people}
    missing = sorted(name for name, *_ in BINDINGS if name not in by_name)
    if missing:
        raise ValueError(f"company_ga4: the company has no person named {', '.join(missing)}")
    rng = random.Random(f"kwiatek:{company.seed}:ga4")
    account = str(rng.randrange(10**8, 10**9))
    properties = {"shop": str(rng.randrange(10**8, 10**9)), "blog": str(rng.randrange(10**8, 10**9))}
    parents = {"account": f"accounts/{account}", **{k: f"properties/{v}" for k, v in properties.items()}}
    bindings: dict[str, list[dict[str, Any]]] = {parent: [] for parent in parents.values()}
    rows: list[dict[str, Any]] = []
    for name, level, roles, days in BINDINGS:
        email = by_name[name]["mail"][0]
        parent = parents[level]
        bindings[parent].append({"name": f"{parent}/accessBindings/{rng.randrange(10**9, 10**10)}", "user": email,
                                 "roles": [f"predefinedRoles/{r}" for r in roles]})
        seen = company.now - timedelta(days=days, hours=3)
        rows.append({"userEmail": email, "accessedPropertyId": properties.get(level, properties["shop"]),
                     "epochTimeMicros": str(int(seen.timestamp()) * 1_000_000), "accessCount": 1 + days % 7})
    data = {
        "account": {"id": account, "name": ACCOUNT_NAME, "ga360": True},
        "properties": [{"id": properties["shop"], "displayName": "Kwiatek Sklep – web"},
                       {"id": properties["blog"], "displayName": "Kwiatek blog"}],
        "bindings": bindings,
        "access_rows": rows,
    }
    leaver = by_name[LEAVER]
    planted = [Planted("orphaned_access", PLATFORM, leaver["mail"][0].lower(), None, leaver["uid"][0],
                       "account administrator who left 90 days ago")]
    planted += [Planted("could_not_verify", PLATFORM, None, None, None, f"{rule}: Google Analytics does not expose "
                        "it (severity info)") for rule in COULD_NOT_VERIFY_RULES]
    return SandboxPlatform(kind=KIND, name=PLATFORM, tenant_id=account, data=data,
                           token=f"sandbox-ga4-{rng.getrandbits(128):032x}", planted=planted,
                           settings={"tenant_id": account, "options": {"account_name": ACCOUNT_NAME}})
