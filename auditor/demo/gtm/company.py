"""The fictional company's Google Tag Manager account: two containers and who may edit and publish them.

Derived deterministically from ``company.people`` (and ``company.seed`` for ids). Tag Manager reveals each
user's email, so everyone matches by email. The shop reserves publish rights and account administration for
its ``marketing`` and ``it`` directory groups (rule privileged-outside-groups, default parameters).

Planted (the findings the demo scan must produce for this platform and nothing else):

- excess_admins (rule privileged-outside-groups, subject ``grant:<id>:<web container>:publish``): Adam Nowicki
  (E-commerce, in neither group) can publish the web container; editors, approvers and readers outside the
  groups (Björn Andersson reads) are fine, and so is the Head of IT's publish right (group ``it``);
- could_not_verify, one per rule (platform gaps, severity info): missing-2fa, tenant-2fa-not-enforced (Tag
  Manager exposes no 2FA) and dormant-access (no activity log).
"""

from __future__ import annotations

import random
from typing import Any

from auditor.demo.company import Company, Planted
from auditor.demo.platforms import SandboxPlatform

KIND = "gtm"
PLATFORM = "Kwiatek on Tag Manager"
ACCOUNT_NAME = "Kwiatek Sklep"
SCOPES = ("https://www.googleapis.com/auth/tagmanager.manage.users",)
OUTSIDER = "Adam Nowicki"
COULD_NOT_VERIFY_RULES = ("missing-2fa", "tenant-2fa-not-enforced", "dormant-access")

# display name -> account permission, web container permission, server container permission
USERS: tuple[tuple[str, str, str, str], ...] = (
    ("Magdalena Wróbel", "admin", "publish", "noAccess"),
    ("Łukasz Żółć", "admin", "publish", "publish"),
    ("Michał Woźniak", "user", "edit", "noAccess"),
    ("Natalia Jankowska", "user", "approve", "read"),
    ("Björn Andersson", "user", "read", "noAccess"),
    (OUTSIDER, "user", "publish", "noAccess"),  # planted: publish outside marketing and IT
)


def build(company: Company) -> SandboxPlatform:
    """The Tag Manager account of ``company`` with its planted findings."""
    by_name = {e["displayName"][0]: e for e in company.people}
    missing = sorted(name for name, *_ in USERS if name not in by_name)
    if missing:
        raise ValueError(f"company_gtm: the company has no person named {', '.join(missing)}")
    rng = random.Random(f"kwiatek:{company.seed}:gtm")
    account = str(rng.randrange(10**9, 10**10))
    web, server = (str(rng.randrange(10**7, 10**8)) for _ in range(2))
    permissions: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    for name, on_account, on_web, on_server in USERS:
        pid = ids[name] = str(rng.randrange(10**11, 10**12))
        permissions.append({
            "path": f"accounts/{account}/user_permissions/{pid}", "accountId": account,
            "emailAddress": by_name[name]["mail"][0], "accountAccess": {"permission": on_account},
            "containerAccess": [{"accountId": account, "containerId": web, "permission": on_web},
                                {"accountId": account, "containerId": server, "permission": on_server}],
        })
    data = {"account": {"accountId": account, "name": ACCOUNT_NAME}, "user_permissions": permissions,
            "token_scopes": list(SCOPES)}
    outsider = by_name[OUTSIDER]["uid"][0]
    planted = [Planted("excess_admins", PLATFORM, ids[OUTSIDER], web, outsider,
                       "privileged-outside-groups: publish on the web container, in neither marketing nor it")]
    planted += [Planted("could_not_verify", PLATFORM, None, None, None, f"{rule}: Tag Manager does not expose it "
                        "(severity info)") for rule in COULD_NOT_VERIFY_RULES]
    return SandboxPlatform(kind=KIND, name=PLATFORM, tenant_id=account, data=data,
                           token=f"sandbox-gtm-{rng.getrandbits(128):032x}", planted=planted,
                           settings={"tenant_id": account, "options": {"account_name": ACCOUNT_NAME}})
