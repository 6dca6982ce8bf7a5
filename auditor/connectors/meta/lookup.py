"""The targeted read behind ``MetaConnector.lookup``: one person's access without walking every asset.

Business users (and, for account ids, system users) are read once and filtered; invitations come from
``pending_users?email=``; assets from the per-user views ``/{user}/assigned_pages``,
``assigned_ad_accounts`` and ``assigned_whatsapp_business_accounts`` (platform-apis.md 1.2). Meta has no
per-user Instagram view, so the business's (few) Instagram assets' ``assigned_users`` are read instead,
unless ``walk_instagram`` is False.
"""

from __future__ import annotations

from auditor.connectors.jobs import Job, bind
from auditor.connectors.meta.mapping import (
    BUSINESS_EDGES,
    FIELDS,
    USER_ASSET_EDGES,
    asset_from,
    asset_grant,
    business_user_account,
    invitation_account,
    system_user_account,
)
from auditor.connectors.meta.run import Run, assets_of, wanted
from auditor.model import Account, Asset, Grant


def read_people(
    run: Run, business_id: str, ids: set[str], emails: set[str]
) -> tuple[list[Account], list[Account]]:
    """The wanted (business or system) users and the wanted invitations; business_users is core."""
    edge = f"/{business_id}"
    invite_ids = {i for i in ids if i.startswith("invite:")}
    jobs: list[Job] = [
        ("business_users", bind(run.rows, f"{edge}/business_users", {"fields": FIELDS["business_users"]})),
        ("system_users", bind(run.rows, f"{edge}/system_users", {"fields": FIELDS["system_users"]})
         if ids - invite_ids else list),
    ]
    pending_params = [{"email": e} for e in sorted(emails)] + ([{}] if invite_ids else [])
    fields = FIELDS["pending_users"]
    jobs += [("pending_users", bind(run.rows, f"{edge}/pending_users", {"fields": fields, **p}))
             for p in pending_params]
    users, system, *pendings = run.gather(jobs, core={"business_users"})
    accounts = [business_user_account(u) for u in users]
    accounts += [system_user_account(s) for s in system or []]
    invites: dict[str, Account] = {}
    for rows in pendings:
        for account in map(invitation_account, rows or []):
            if wanted(account, ids, emails):
                invites.setdefault(account.account_id, account)
    return [a for a in accounts if wanted(a, ids, emails)], list(invites.values())


def read_user_views(
    run: Run, business_id: str, accounts: list[Account], *, walk_instagram: bool = True
) -> tuple[list[Asset], list[Grant]]:
    """Assets and asset grants of ``accounts`` from the per-user views (plus the Instagram assets)."""
    if not accounts:
        return [], []
    jobs: list[Job] = []
    keys: list[tuple[str, str]] = []
    for account in accounts:
        for edge, kind in USER_ASSET_EDGES.items():
            fields = f"{FIELDS[kind]},tasks" + (",permitted_tasks" if kind != "whatsapp_business_account" else "")
            jobs.append((f"{edge}:{account.account_id}",
                         bind(run.rows, f"/{account.account_id}/{edge}", {"fields": fields})))
            keys.append((account.account_id, kind))
    ig_edges = [e for e, (k, _) in BUSINESS_EDGES.items() if k == "instagram_account" and walk_instagram]
    ig_fields = {"fields": FIELDS["instagram_account"]}
    jobs += [(e, bind(run.rows, f"/{business_id}/{e}", ig_fields)) for e in ig_edges]
    results = run.gather(jobs)
    assets: dict[str, Asset] = {}
    grants: list[Grant] = []
    for (account_id, kind), rows in zip(keys, results[:len(keys)], strict=True):
        for item in rows or []:
            asset = assets.setdefault(str(item["id"]), asset_from(kind, item, None))
            grants.append(asset_grant(kind, asset.asset_id, account_id, item))
    ig_assets = assets_of(dict(zip(ig_edges, results[len(keys):], strict=True)))
    ids = {a.account_id for a in accounts}
    params = {"business": business_id, "fields": FIELDS["assigned_users"]}
    ig_jobs: list[Job] = [
        (f"assigned_users:{a.asset_id}", bind(run.rows, f"/{a.asset_id}/assigned_users", params))
        for a in ig_assets
    ]
    for asset, rows in zip(ig_assets, run.gather(ig_jobs), strict=True):
        for item in rows or []:
            if str(item["id"]) in ids:
                assets.setdefault(asset.asset_id, asset)
                grants.append(asset_grant(asset.kind, asset.asset_id, str(item["id"]), item))
    return list(assets.values()), grants
