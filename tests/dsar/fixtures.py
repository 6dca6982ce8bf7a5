"""Test-only platforms for the DSAR collection: a connector that reads an import file (JSON in the normalised
shape), and the two import files of the demo shop besides its Meta business.

- "Kwiatek Shop (customers)": the shop's customer accounts; Michał Woźniak (an employee) is also a customer with
  his private address, placed an order, and a customer-care agent issued him a refund (an event whose actor is
  another person: it must be redacted);
- "Kwiatek on TikTok (export)": TikTok Business Center members without e-mail addresses (the platform does not
  reveal them); Michał's member id is linked to him by a manual link, so collection finds it through the
  auditor's inventory and asks the platform by account id.

The connector is registered under ``KIND`` only for the tests that need it (``monkeypatch.setitem`` on the
connector registry), so nothing leaks into other test packages.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from auditor.connectors.base import Connector, ConnectorOptions
from auditor.errors import ConnectorError
from auditor.model import Account, AccountKind, Asset, AuditEvent, Capabilities, Grant, Tenant, TenantSnapshot

KIND = "dsar-import"
SHOP = "Kwiatek Shop (customers)"
TIKTOK = "Kwiatek on TikTok (export)"
MICHAL_PRIVATE = "michal.w@poczta.example"
MICHAL_UID = "mwozniak"
MICHAL_WORK = "michal.wozniak@kwiatek.example"
TIKTOK_MICHAL = "tt-7001"
SHOP_MICHAL = "cust-501"
CARE_AGENT_NAME = "Olena Kovalenko"


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class ImportFileOptions(ConnectorOptions):
    """The file to read, and whether the platform reveals e-mail addresses."""

    path: str
    emails: bool = True


class ImportFileConnector(Connector):
    """Reads ``options.path`` (JSON: tenant, accounts, assets, grants, events); ``options.emails`` says whether
    the platform reveals e-mail addresses."""

    kind = KIND
    Options = ImportFileOptions
    options: ImportFileOptions
    capabilities: ClassVar[Capabilities] = Capabilities(account_emails=True, audit_log=True)

    def __init__(self, settings: Any, secret: Any):
        super().__init__(settings, secret)
        reveals = self.options.emails
        self.capabilities = Capabilities(account_emails=reveals, audit_log=True)  # type: ignore[misc]

    def _data(self) -> dict[str, Any]:
        path = Path(self.options.path)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConnectorError(self.name, f"cannot read the import file {path}: {exc.strerror}") from exc

    def check(self) -> list[str]:
        self._data()
        return []

    def fetch(self, *, now: datetime, events_since: datetime | None = None) -> TenantSnapshot:
        data = self._data()
        tenant = Tenant(self.name, data["tenant"]["id"], data["tenant"]["name"], two_factor_required="all")
        snap = TenantSnapshot(platform=self.name, kind=KIND, tenant=tenant,
                              capabilities=Capabilities(account_emails=self.capabilities.account_emails,
                                                        audit_log=True))
        snap.accounts = [Account(a["id"], AccountKind(a.get("kind", "user")), a.get("name"),
                                 tuple(a.get("emails", ())), two_factor=a.get("two_factor"),
                                 last_activity=_time(a.get("last_activity")), role=a.get("role"),
                                 created_by=a.get("created_by")) for a in data["accounts"]]
        snap.assets = [Asset(a["id"], a["kind"], a.get("name")) for a in data["assets"]]
        snap.grants = [Grant(g["account"], g.get("asset"), g["role"], bool(g.get("privileged")),
                             granted_by=g.get("granted_by")) for g in data["grants"]]
        snap.events = [AuditEvent(e["id"], _time(e["time"]), e["action"], e["raw_action"], e.get("actor"),
                                  e.get("actor_name"), e.get("target"), e.get("target_name"), e.get("asset"))
                       for e in data["events"]]
        snap.activity_since = now - timedelta(days=365)
        return snap


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def shop_data(now: datetime) -> dict[str, Any]:
    """The shop's customers: Michał (private address) and two strangers, one care agent, orders and a refund."""
    return {
        "tenant": {"id": "kwiatek-shop", "name": "Kwiatek Sklep – customers"},
        "accounts": [
            {"id": SHOP_MICHAL, "name": "Michał W.", "emails": [MICHAL_PRIVATE], "role": "customer", "two_factor": True,
             "last_activity": _iso(now - timedelta(days=3))},
            {"id": "cust-502", "name": "Anna Nowak", "emails": ["anna.nowak@poczta.example"], "role": "customer",
             "two_factor": True},
            {"id": "cust-503", "name": "Jan Kowal", "emails": ["jan.kowal@poczta.example"], "role": "customer",
             "two_factor": True},
            {"id": "staff-9", "name": CARE_AGENT_NAME, "emails": ["olena.kovalenko@kwiatek.example"],
             "role": "support", "two_factor": True},
        ],
        "assets": [{"id": "store-1", "kind": "store", "name": "kwiatek.example shop"}],
        "grants": [
            {"account": SHOP_MICHAL, "asset": "store-1", "role": "customer", "granted_by": "staff-9"},
            {"account": "cust-502", "asset": "store-1", "role": "customer"},
            {"account": "cust-503", "asset": "store-1", "role": "customer"},
            {"account": "staff-9", "asset": "store-1", "role": "support", "privileged": True},
        ],
        "events": [
            {"id": "ord-1", "time": _iso(now - timedelta(days=9)), "action": "activity", "raw_action": "order_placed",
             "actor": SHOP_MICHAL, "actor_name": "Michał W.", "target": "order-88", "target_name": "order 88",
             "asset": "store-1"},
            {"id": "ref-1", "time": _iso(now - timedelta(days=4)), "action": "activity", "raw_action": "refund_issued",
             "actor": "staff-9", "actor_name": CARE_AGENT_NAME, "target": SHOP_MICHAL, "target_name": "Michał W.",
             "asset": "store-1"},
            {"id": "ord-2", "time": _iso(now - timedelta(days=2)), "action": "activity", "raw_action": "order_placed",
             "actor": "cust-502", "actor_name": "Anna Nowak", "target": "order-90", "target_name": "order 90",
             "asset": "store-1"},
        ],
    }


def tiktok_data(now: datetime) -> dict[str, Any]:
    """TikTok Business Center members (no e-mail addresses): Michał and two colleagues on one ad account."""
    return {
        "tenant": {"id": "bc-7000", "name": "Kwiatek Business Center"},
        "accounts": [
            {"id": TIKTOK_MICHAL, "name": "michal.kwiatek", "role": "Operator",
             "last_activity": _iso(now - timedelta(days=6))},
            {"id": "tt-7002", "name": "karolina.social", "role": "Admin"},
            {"id": "tt-7003", "name": "natalia.content", "role": "Operator"},
        ],
        "assets": [{"id": "adv-1", "kind": "ad_account", "name": "Kwiatek – TikTok Ads"}],
        "grants": [
            {"account": TIKTOK_MICHAL, "asset": "adv-1", "role": "Operator", "granted_by": "tt-7002"},
            {"account": "tt-7002", "asset": "adv-1", "role": "Admin", "privileged": True},
            {"account": "tt-7003", "asset": "adv-1", "role": "Operator"},
        ],
        "events": [
            {"id": "tt-e1", "time": _iso(now - timedelta(days=6)), "action": "activity", "raw_action": "campaign_edit",
             "actor": TIKTOK_MICHAL, "actor_name": "michal.kwiatek", "target": "cmp-1", "target_name": "Wiosna",
             "asset": "adv-1"},
            {"id": "tt-e2", "time": _iso(now - timedelta(days=20)), "action": "role_granted",
             "raw_action": "member_add", "actor": "tt-7002", "actor_name": "karolina.social", "target": TIKTOK_MICHAL,
             "target_name": "michal.kwiatek", "asset": "adv-1"},
        ],
    }


def write_import_files(directory: Path, now: datetime) -> dict[str, Path]:
    """Write both import files; returns platform name -> path."""
    paths = {SHOP: directory / "shop-customers.json", TIKTOK: directory / "tiktok-members.json"}
    paths[SHOP].write_text(json.dumps(shop_data(now), ensure_ascii=False), encoding="utf-8")
    paths[TIKTOK].write_text(json.dumps(tiktok_data(now), ensure_ascii=False), encoding="utf-8")
    return paths
