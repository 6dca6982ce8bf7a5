"""The Meta business of the demo as records in the emulator's shape (docs/platforms/meta.md): principals, assets,
assignments, ad-account activity and tokens, with the Graph API's timestamp formats."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from auditor.demo.meta.emulator import ASSET_EDGES


def _iso(moment: datetime) -> str:
    """Graph API timestamp style: 2026-03-14T13:07:12+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _last_sunday_1utc(year: int, month: int) -> datetime:
    """01:00 UTC on the last Sunday of ``month`` (when EU summer time starts or ends)."""
    day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _warsaw(moment: datetime) -> str:
    """``date_time_in_timezone`` for Europe/Warsaw (EU summer time rule), e.g. ``03/14/2026 at 2:07pm``."""
    summer = _last_sunday_1utc(moment.year, 3) <= moment < _last_sunday_1utc(moment.year, 10)
    local = moment + timedelta(hours=2 if summer else 1)
    hour = local.hour % 12 or 12
    return f"{local:%m/%d/%Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


class Ids:
    """Unique numeric ids (business-scoped user ids, asset ids, app ids ...)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, rng: random.Random, digits: int = 15) -> str:
        """A fresh id of ``digits`` digits."""
        while True:
            value = str(rng.randrange(10 ** (digits - 1), 10**digits))
            if value not in self.used:
                self.used.add(value)
                return value


_CAMPAIGNS = (
    "Wiosenna wyprzedaż tulipanów", "Dzień Matki – bukiety", "Walentynki – róże", "Black Friday – doniczki",
    "Retargeting – porzucony koszyk", "Lookalike – klienci 1%", "Storczyki – katalog", "Święta – choinki",
)
_AD_EVENTS = (  # event_type, translated_event_type, object_type
    ("update_campaign_budget", "Campaign budget updated", "CAMPAIGN"),
    ("create_ad", "Ad created", "AD"),
    ("update_ad_run_status", "Ad run status updated", "AD"),
    ("update_ad_set_target_spec", "Ad set targeting updated", "AD_SET"),
    ("create_campaign_group", "Campaign created", "CAMPAIGN"),
    ("update_ad_creative", "Ad creative updated", "AD"),
    ("update_ad_set_budget", "Ad set budget updated", "AD_SET"),
)
Record = dict[str, Any]


class MetaRecords:
    """Accumulates the Meta business; ``data()`` returns it in the /tmp/meta_spec.md shape."""

    def __init__(self) -> None:
        edges = ("business_users", "system_users", "pending_users", *ASSET_EDGES, "owned_apps")
        self.edges: dict[str, list[Record]] = {key: [] for key in (*edges, "client_apps")}
        self.tokens: dict[str, Record] = {}
        self._assigned: dict[str, dict[str, Record]] = {}  # asset id -> account id -> AssignedUser
        self._activities: dict[str, list[Record]] = {}  # ad account id -> AdActivity
        self.ad_holders: dict[str, list[str]] = {}  # ad account id -> account ids
        self.ids = Ids()
        self.partners: dict[str, list[Record]] = {"agencies": [], "clients": []}
        self.business_id = ""

    def user(self, uid: str, first: str, last: str, email: str, title: str, *, role: str = "EMPLOYEE",
             two_fa: bool = True, invited: str = "FB") -> Record:
        """A business user."""
        record = {
            "id": uid, "name": f"{first} {last}", "email": email, "first_name": first, "last_name": last,
            "title": title, "role": role, "tasks": [role],
            "two_fac_status": "enabled" if two_fa else "not_enabled", "finance_permission": None,
            "pending_email": None, "marked_for_removal": False, "invited_user_type": invited,
        }
        self.edges["business_users"].append(record)
        return record

    def system_user(self, ids: tuple[str, str], name: str, creator: Record, created: datetime) -> Record:
        """A system user (``ids``: its business-scoped id and its system user id)."""
        record = {
            "id": ids[0], "name": name, "role": "EMPLOYEE", "system_user_id": ids[1],
            "created_by": {"id": creator["id"], "name": creator["name"]}, "created_time": _iso(created),
        }
        self.edges["system_users"].append(record)
        return record

    def invitation(self, iid: str, email: str, creator: Record, created: datetime) -> None:
        """A pending invitation to the business."""
        self.edges["pending_users"].append({
            "id": iid, "email": email, "role": "EMPLOYEE", "tasks": ["EMPLOYEE"], "status": "PENDING",
            "created_by": {"id": creator["id"], "name": creator["name"]}, "created_time": _iso(created),
            "expiration_time": _iso(created + timedelta(days=60)), "invited_user_type": "FB",
        })

    def asset(self, edge: str, record: Record) -> Record:
        """An asset on ``edge`` (its assigned users, and activities for an ad account, start empty)."""
        self.edges[edge].append(record)
        self._assigned[record["id"]] = {}
        if edge.endswith("ad_accounts"):
            self._activities[record["id"]] = []
            self.ad_holders[record["id"]] = []
        return record

    def page(self, edge: str, name: str, category: str, rng: random.Random) -> Record:
        """A Facebook page on ``edge``."""
        return self.asset(edge, {"id": self.ids.new(rng), "name": name, "category": category})

    def ad_account(self, edge: str, name: str, rng: random.Random) -> Record:
        """An ad account on ``edge``."""
        number = self.ids.new(rng, 16)
        return self.asset(edge, {
            "id": f"act_{number}", "account_id": number, "name": name, "account_status": 1, "currency": "PLN",
            "timezone_name": "Europe/Warsaw",
        })

    def instagram(self, username: str, rng: random.Random) -> Record:
        """An owned Instagram account."""
        return self.asset("owned_instagram_assets", {
            "id": self.ids.new(rng, 16), "ig_user_id": "17841" + self.ids.new(rng, 12),
            "ig_username": username,
        })

    def waba(self, name: str, rng: random.Random) -> Record:
        """An owned WhatsApp Business account."""
        return self.asset("owned_whatsapp_business_accounts", {"id": self.ids.new(rng), "name": name})

    def pixel(self, name: str, rng: random.Random) -> Record:
        """An owned Meta pixel (the shop's conversion tracking)."""
        return self.asset("owned_pixels", {"id": self.ids.new(rng), "name": name,
                                           "owner_business": {"id": self.business_id, "name": "Kwiatek Shop"}})

    def catalog(self, name: str, rng: random.Random) -> Record:
        """An owned product catalog (the shop's product feed)."""
        return self.asset("owned_product_catalogs", {
            "id": self.ids.new(rng), "name": name, "vertical": "commerce",
            "owner_business": {"id": self.business_id, "name": "Kwiatek Shop"}})

    def page_role(self, page: Record, uid: str, name: str, tasks: list[str]) -> None:
        """A person outside the business with a direct role on ``page`` (served by ``/{page}/roles``)."""
        page.setdefault("roles", []).append({"id": uid, "name": name, "tasks": list(tasks)})

    def partner(self, edge: str, bid: str, name: str) -> Record:
        """A partner business on ``edge`` (``agencies`` or ``clients``)."""
        record = {"id": bid, "name": name}
        self.partners[edge].append(record)
        return record

    def share(self, asset: Record, partner: Record, tasks: list[str], edge: str = "agencies") -> None:
        """Share ``asset`` with a partner business, which may give its people ``tasks`` there."""
        asset.setdefault(edge, []).append({**partner, "access_status": "CONFIRMED", "permitted_tasks": list(tasks)})

    def assign(self, asset: Record, who: Record, tasks: list[str]) -> None:
        """Give ``who`` the ``tasks`` on ``asset`` (merged with what they hold there already)."""
        entries = self._assigned[asset["id"]]
        entry = entries.get(who["id"])
        if entry is None:
            user_type = "SYSTEM_USER" if "system_user_id" in who else "BUSINESS_USER"  # AssignedUserType
            entries[who["id"]] = {"id": who["id"], "name": who["name"], "user_type": user_type,
                                  "tasks": list(tasks), "permitted_tasks": list(tasks)}
            if asset["id"] in self.ad_holders:
                self.ad_holders[asset["id"]].append(who["id"])
        else:
            merged = list(dict.fromkeys([*entry["tasks"], *tasks]))
            entry["tasks"], entry["permitted_tasks"] = merged, list(merged)

    def _event(self, ad: Record, when: datetime, actor: Record, app: Record | None, **fields: Any) -> None:
        self._activities[ad["id"]].append({
            "actor_id": actor["id"], "actor_name": actor["name"],
            "application_id": app["id"] if app else None, "application_name": app["name"] if app else None,
            "date_time_in_timezone": _warsaw(when), "event_time": _iso(when), **fields,
        })

    def activity(self, ad: Record, when: datetime, actor: Record, rng: random.Random, *,
                 event: int | None = None, app: Record | None = None) -> None:
        """An ordinary ad-account change by ``actor`` (a random kind unless ``event`` picks one)."""
        index = rng.randrange(len(_AD_EVENTS)) if event is None else event
        event_type, translated, object_type = _AD_EVENTS[index]
        old = rng.randrange(50, 500) * 10
        extra = {"old_value": old, "new_value": old + rng.randrange(-20, 40) * 10, "currency": "PLN"}
        self._event(ad, when, actor, app, event_type=event_type, extra_data=json.dumps(extra),
                    object_id=str(rng.randrange(10**17, 10**18)), object_name=rng.choice(_CAMPAIGNS),
                    object_type=object_type, translated_event_type=translated)

    def role_granted(self, ad: Record, when: datetime, actor: Record, target: Record,
                     tasks: list[str]) -> None:
        """``actor`` added ``target`` to a role on ``ad``."""
        self._event(ad, when, actor, None, event_type="ad_account_add_user_to_role",
                    extra_data=json.dumps({"user_id": target["id"], "tasks": tasks}), object_id=target["id"],
                    object_name=target["name"], object_type="USER",
                    translated_event_type="User added to ad account role")

    def data(self, business: Record) -> dict[str, Any]:
        """The finished business: assets carry ``assigned_users`` (and ``activities``, newest first)."""
        out: dict[str, Any] = {"business": business}
        for key, items in self.edges.items():
            for item in items if key in ASSET_EDGES else ():
                item["assigned_users"] = list(self._assigned[item["id"]].values())
                if item["id"] in self._activities:
                    events = self._activities[item["id"]]
                    item["activities"] = sorted(events, key=lambda e: e["event_time"], reverse=True)
            out[key] = items
        out.update(self.partners)
        out["tokens"] = self.tokens
        return out
