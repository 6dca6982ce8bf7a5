"""The access review's view-model: every account present now with its person, role, assets, 2FA and last
activity, for the asset owner (one group per platform tenant) or for each manager (one group per manager
from the directory) to decide keep / remove / modify and sign.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlmodel import Session

from auditor.reporting import data, inventory_data
from auditor.reporting.base import ReportInputs
from auditor.reporting.errors import ReportError

UNASSIGNED = "~unassigned"
"""Group key of accounts linked to nobody in the directory (reviewed by the security officer)."""
NO_MANAGER = "~no-manager"
"""Group key of people the directory gives no manager."""


def _account(row: dict[str, Any], grants: list[dict[str, Any]], flags: list[str]) -> dict[str, Any]:
    return {
        "platform": row["platform"], "tenant": row["tenant"], "account_id": row["account_id"],
        "kind": row["kind"], "name": row["name"], "emails": list(row["emails"] or []),
        "state": row["state"], "role": row["role"], "two_factor": row["two_factor"],
        "last_activity": row["last_activity"], "person_uid": row["person_uid"],
        "person_name": row["person_name"], "person_status": row["person_status"],
        "manager": row["manager"], "department": row["department"],
        "grants": [
            {"asset_id": g["asset_id"], "asset_name": g["asset_name"], "asset_kind": g["asset_kind"],
             "role": g["role"], "privileged": bool(g["privileged"])}
            for g in grants
        ],
        "flags": flags,
    }


def _totals(accounts: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "accounts": len(accounts),
        "grants": sum(len(a["grants"]) for a in accounts),
        "privileged": sum(1 for a in accounts if any(g["privileged"] for g in a["grants"])),
        "without_2fa": sum(1 for a in accounts if a["two_factor"] is False),
        "unknown_2fa": sum(1 for a in accounts if a["two_factor"] is None and a["kind"] == "user"),
        "unassigned": sum(1 for a in accounts if not a["person_uid"]),
        "flagged": sum(1 for a in accounts if a["flags"]),
    }


def _by_tenant(accounts: list[dict[str, Any]], apps: list[dict[str, Any]],
               platforms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    states = {(p["platform"], p["tenant"]): p for p in platforms}
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    apps_by_key: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for account in accounts:
        by_key[(account["platform"], account["tenant"])].append(account)
    for app in apps:
        apps_by_key[(app["platform"], app["tenant"])].append(app)
    groups = []
    for key in sorted(by_key.keys() | apps_by_key.keys()):
        state = states.get(key, {})
        members = by_key.get(key, [])
        groups.append({
            "key": f"{key[0]}/{key[1]}", "kind": "tenant", "platform": key[0], "tenant": key[1],
            "title": state.get("tenant_name") or key[1], "two_factor_required": state.get("two_factor_required"),
            "status": state.get("status"), "scan_id": state.get("scan_id"), "reviewer": None,
            "accounts": members, "apps": apps_by_key.get(key, []),
            "totals": _totals(members),
        })
    return groups


def _by_manager(session: Session, accounts: list[dict[str, Any]], apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for account in accounts:
        if not account["person_uid"]:
            members[UNASSIGNED].append(account)
        else:
            members[account["manager"] or NO_MANAGER].append(account)
    managers = inventory_data.people(session, [key for key in members if not key.startswith("~")])
    groups = []
    for key, rows in members.items():
        manager = managers.get(key)
        rows.sort(key=lambda a: ((a["person_name"] or "").casefold(), a["platform"], a["account_id"]))
        groups.append({
            "key": key, "kind": "special" if key.startswith("~") else "manager",
            "title": (manager or {}).get("display_name") or key, "reviewer": key if not key.startswith("~") else None,
            "reviewer_status": (manager or {}).get("status"), "department": (manager or {}).get("department"),
            "people": len({a["person_uid"] for a in rows if a["person_uid"]}),
            "accounts": rows, "apps": apps if key == UNASSIGNED else [], "totals": _totals(rows),
        })
    if apps and UNASSIGNED not in members:
        groups.append({"key": UNASSIGNED, "kind": "special", "title": UNASSIGNED, "reviewer": None,
                       "reviewer_status": None, "department": None, "people": 0, "accounts": [], "apps": apps,
                       "totals": _totals([])})
    return sorted(groups, key=lambda g: (g["kind"] == "special", g["title"].casefold(), g["key"]))


def build_access_review(session: Session, inputs: ReportInputs) -> dict[str, Any]:
    """The access review view-model (JSON-ready) of the accounts present now, in scope."""
    scope = inputs.scope
    count = inventory_data.count_current_accounts(session, scope.platform, scope.person)
    if count > inputs.max_review_accounts:
        raise ReportError(
            f"access review: {count} accounts in scope exceed reports.max_review_accounts "
            f"({inputs.max_review_accounts}); narrow it with --platform or --person, or raise the limit"
        )
    platforms = data.platform_states(session, scope.platform)
    grants = inventory_data.current_grants(session, scope.platform)
    flags = inventory_data.open_flags(session, scope.platform)
    accounts = [
        _account(row, grants.get((row["platform"], row["tenant"], row["account_id"]), []),
                 flags.get((row["platform"], row["account_id"]), []))
        for row in inventory_data.current_accounts(session, scope.platform)
        if scope.person is None or row["person_uid"] == scope.person
    ]
    apps = [] if scope.person is not None else inventory_data.current_apps(session, scope.platform)
    groups = _by_manager(session, accounts, apps) if inputs.by_manager else _by_tenant(accounts, apps, platforms)
    scan = data.evaluated_scan(session, scope.platform)
    return {
        "organisation": inputs.organisation,
        "as_of": scan["finished_at"] if scan else None,
        "scan": scan,
        "scan_ids": sorted({p["scan_id"] for p in platforms}),
        "platforms": platforms,
        "by_manager": inputs.by_manager,
        "groups": groups,
        "apps_total": len(apps),
        "totals": _totals(accounts),
    }
