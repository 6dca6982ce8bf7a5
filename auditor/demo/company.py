"""The fictional demo company "Kwiatek Sklep sp. z o.o." (directory + Meta business) with planted findings.

``build_company(seed, now=..., size=...)`` is deterministic for a seed and ``now``: a Polish online flower
shop (domain ``kwiatek.example``, alias domain ``kwiatek-shop.example``) with ``size`` directory entries and a
Meta business in the shape of ``/tmp/meta_spec.md``. A fixed *cast* (heads of department and one person per
planted case) comes from its own random stream, so the planted list (ids included) is the same for every
``size``; the *filler* that scales with ``size`` is clean by construction.

Directory conventions (``Company.directory_settings`` holds exactly these ``[directory]`` settings):

- entries are ``top/person/organizationalPerson/inetOrgPerson`` under ``ou=people,dc=kwiatek,dc=example``;
  no extra schema is needed (core + cosine + inetorgperson);
- kind: ``employeeType`` = ``employee`` | ``contractor`` | ``service`` (status rules map the last two);
- disabled: ``employeeType: disabled`` (status rule -> ``status=disabled``; no ppolicy overlay needed);
- departed: the entry lives under ``leavers_ou = "ou=leavers,dc=kwiatek,dc=example"``;
- end date: ``end_date_attribute = "description"``, exactly ``YYYY-MM-DD``: the last day of employment
  (leavers), of the contract (contractors) or before the account was disabled (disabled people), so that
  post_departure_activity can be verified for them. Nobody else has a ``description``. A past end date
  alone does NOT make a person departed: the expired contractor stays active (the contract_expired case);
- aliases: every ``mail`` value is an address of the person (primary first, then the alias-domain address);
  ``alias_attributes = ["mail"]``.

Rules and parameters the demo assumes (``Company.policy_parameters``: rule id -> parameters, ready for a
policy parameters file):

- departure time of a departed or disabled person: the end of ``Person.end_date`` when set, else
  ``status_changed``.
  With ``leavers_ou`` the mapping takes ``status_changed`` from ``modifyTimestamp`` (the import time in the
  demo), so post_departure_activity MUST prefer ``end_date``;
- orphaned_access: departed or disabled person linked to a business or system user (not an invitation);
- post_departure_activity: the person's account acted on an ad account (``actor_id``), or was the target of
  ``ad_account_add_user_to_role`` (``object_id``), after the departure;
- tenant_2fa_not_enforced: ``two_factor_type`` must be ``all_required`` (rule parameter ``required: all``);
- missing_2fa: business users only (system users and invitations have no 2FA); only ``"enabled"`` passes;
  ADMIN -> high, others -> medium;
- dormant_access: an account that is not a leaver's (active person, unlinked, or system user) holding an
  ad-account task with no activity in 90 days (activity is served for the last 120 days, so the connector
  must read more than 90 days); page/Instagram/WhatsApp assets have no activity log on Meta;
- excess_admins: more than 3 holders of the ``MANAGE`` task on one asset (one finding per asset);
- stale_invitation: pending invitation older than 30 days, or addressed to a departed or disabled person;
- excess_app_scope: inspected tokens only (``token:self``, ``token:<ENV>``) against
  ``app_scope_allowlist[debug_token app_id]``; owned/client apps have no scopes and are not judged by it;
- unapproved_app: owned and client apps whose id is not in ``approved_apps``;
- contract_expired: contractor, status active, end date before the scan date, holding access;
- unmatched_account / personal_email: business users only; a manual link makes an account matched;
- ownerless_service_account: a system user with no registered ``service_accounts`` entry, or whose owner is
  not active. System users are never unmatched_account.

Every planted person is single-purpose: departed people have 2FA, company addresses and no other problem.
Subjects: one finding per account (account rules), per asset (excess_admins), per tenant, per token or app.
Compare scan results with ``planted`` on ``Planted.key`` = (category, platform, account, asset), where
account is the finding's subject for tokens and apps (``token:self``, ``app:<id>``).
The ghost is in ``earlier_people`` only: syncing ``earlier_people`` then ``people`` makes it departed
(orphaned_access, as planted); with a single sync of ``people`` it is unmatched_account instead
(``Company.expected(synced_earlier=False)`` gives that list).
"""

from __future__ import annotations

import functools
import itertools
import json
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

COMPANY_NAME = "Kwiatek Sklep sp. z o.o."
PLATFORM = "Kwiatek on Meta"
"""The configured platform name that planted findings, service accounts and links refer to."""
BUSINESS_ID = "1234567890"
DOMAIN = "kwiatek.example"
ALIAS_DOMAIN = "kwiatek-shop.example"
AGENCY_DOMAIN = "pixel-agency.example"
BASE_DN = "dc=kwiatek,dc=example"
PEOPLE_OU = f"ou=people,{BASE_DN}"
LEAVERS_OU = f"ou=leavers,{BASE_DN}"
SHOP_TOKEN_ENV = "AUDITOR_META_SHOPIFY_SYNC_TOKEN"  # noqa: S105 (the name of an environment variable)
SELF_ALLOWED_SCOPES = ("business_management", "ads_read", "pages_show_list", "pages_read_engagement")
SHOP_ALLOWED_SCOPES = ("catalog_management", "business_management")
ACTIVITY_DAYS = 120
DORMANT_DAYS = 90
MAX_ADMINS = 3
INVITATION_MAX_AGE_DAYS = 30
DEPARTMENTS = ("Marketing", "E-commerce", "Customer Care", "Logistics", "Finance", "IT", "Management")
META_DEPARTMENTS = frozenset({"Marketing", "E-commerce", "Customer Care"})
_DEPARTMENT_CUM_WEIGHTS = tuple(itertools.accumulate((20, 20, 28, 17, 6, 6, 3)))
_ASSET_EDGES = (
    "owned_pages", "client_pages", "owned_ad_accounts", "client_ad_accounts", "owned_instagram_assets",
    "client_instagram_assets", "owned_whatsapp_business_accounts", "client_whatsapp_business_accounts",
)


@dataclass(frozen=True, slots=True)
class Planted:
    """One finding the demo scan must produce (compare on ``key``; ``person`` and ``note`` inform)."""

    category: str
    platform: str
    account: str | None
    asset: str | None
    person: str | None
    note: str
    severity: str | None = None  # only where the brief fixes it (missing_2fa)

    @property
    def key(self) -> tuple[str, str, str | None, str | None]:
        """(category, platform, account, asset): what identifies the finding."""
        return (self.category, self.platform, self.account, self.asset)


@dataclass(slots=True)
class Company:
    """The generated company: directory entries, the Meta business, config data and planted findings."""

    seed: int
    size: int
    now: datetime
    people: list[dict[str, list[str]]]
    earlier_people: list[dict[str, list[str]]]
    meta: dict[str, Any]
    meta_token: str
    meta_extra_tokens: dict[str, str]
    service_accounts: list[dict[str, Any]]
    links: list[dict[str, Any]]
    approved_apps: list[str]
    app_scope_allowlist: dict[str, list[str]]
    planted: list[Planted]
    ghost_uid: str
    name: str = COMPANY_NAME
    platform: str = PLATFORM
    domain: str = DOMAIN
    alias_domain: str = ALIAS_DOMAIN
    base_dn: str = BASE_DN
    people_ou: str = PEOPLE_OU
    leavers_ou: str = LEAVERS_OU
    company_domains: list[str] = field(default_factory=lambda: [DOMAIN, ALIAS_DOMAIN])
    directory_settings: dict[str, Any] = field(default_factory=lambda: directory_settings())
    policy_parameters: dict[str, Any] = field(default_factory=dict)

    def expected(self, *, synced_earlier: bool = True) -> list[Planted]:
        """The findings a scan must produce, given how the directory was synced.

        After syncing ``earlier_people`` then ``people`` that is ``planted``; after a single sync of
        ``people`` the ghost's account is unmatched_account instead of orphaned_access.
        """
        if synced_earlier:
            return list(self.planted)
        return [
            Planted("unmatched_account", p.platform, p.account, None, None,
                    "deleted from the directory before the first sync: the address matches nobody")
            if p.person == self.ghost_uid else p
            for p in self.planted
        ]

    def stats(self) -> dict[str, int]:
        """Counts for tests and benchmarks: people, principals, assets, assignments, grants, events."""
        assets = [a for key in _ASSET_EDGES for a in self.meta.get(key, [])]
        principals = len(self.meta["business_users"]) + len(self.meta["system_users"])
        return {
            "people": len(self.people),
            "business_users": len(self.meta["business_users"]),
            "system_users": len(self.meta["system_users"]),
            "pending_users": len(self.meta["pending_users"]),
            "assets": len(assets),
            "assignments": sum(len(a["assigned_users"]) for a in assets),
            # one grant per task on an asset, plus each principal's business role
            "grants": principals + sum(len(u["tasks"]) for a in assets for u in a["assigned_users"]),
            "activities": sum(len(a.get("activities", ())) for a in assets),
        }


def directory_settings() -> dict[str, Any]:
    """The ``[directory]`` settings (``auditor.config.DirectorySettings`` fields) the demo directory needs."""
    return {
        "base_dn": BASE_DN,
        "flavor": "openldap",
        "leavers_ou": LEAVERS_OU,
        "end_date_attribute": "description",
        "alias_attributes": ["mail"],
        "status_rules": [
            {"attribute": "employeeType", "equals": "contractor", "kind": "contractor"},
            {"attribute": "employeeType", "equals": "service", "kind": "service"},
            {"attribute": "employeeType", "equals": "disabled", "status": "disabled"},
        ],
    }


def build_company(seed: int = 7, *, now: datetime | None = None, size: int = 160) -> Company:
    """Generate the demo company deterministically from ``seed`` with ``size`` directory entries.

    All dates are relative to ``now`` (default: the current UTC time). ``size`` must be at least the fixed
    cast (29 entries); the planted findings are the same for every size.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    gen = _Generator(seed, now)
    gen.build_cast()
    if size < len(gen.persons):
        raise ValueError(f"size {size} is smaller than the fixed cast of {len(gen.persons)} entries")
    gen.build_filler(size - len(gen.persons), size)
    return gen.company(seed, size)


# --- names and time --------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_MALE = _words(
    "Jan Piotr Krzysztof Andrzej Tomasz Paweł Michał Marcin Grzegorz Jakub Adam Łukasz Mateusz Marek "
    "Wojciech Kamil Maciej Rafał Dawid Szymon Bartosz Filip Mikołaj Kacper Wiktor Przemysław Sebastian "
    "Damian Artur Jarosław Zbigniew Bartłomiej Radosław Dominik Hubert Ryszard Stanisław Józef"
)
_FEMALE = _words(
    "Anna Maria Katarzyna Małgorzata Agnieszka Barbara Ewa Krystyna Magdalena Joanna Aleksandra Monika "
    "Zofia Natalia Karolina Julia Marta Beata Dorota Paulina Weronika Agata Justyna Iwona Żaneta Jadwiga "
    "Halina Łucja Urszula Gabriela Alicja Oliwia Wiktoria Emilia Zuzanna Jolanta Bożena Grażyna"
)
_GENDERED = _words(  # male form; the female form ends in -ska / -cka / -dzka
    "Kowalski Wiśniewski Lewandowski Kamiński Zieliński Szymański Dąbrowski Kozłowski Jankowski "
    "Wojciechowski Kwiatkowski Piotrowski Grabowski Pawłowski Michalski Zalewski Jabłoński Wróblewski "
    "Majewski Olszewski Malinowski Górski Rutkowski Witkowski Baranowski Czarnecki Sadowski Borkowski "
    "Chmielewski Ostrowski Tomaszewski Kalinowski Wasilewski Zawadzki Jasiński Śliwiński Żurawski"
)
_NEUTRAL = _words(
    "Nowak Wójcik Kowalczyk Woźniak Mazur Krawczyk Kaczmarek Zając Król Wieczorek Wróbel Stępień Dudek "
    "Adamczyk Pawlak Walczak Sikora Michalak Szewczyk Tomczak Pietrzak Marciniak Żak Gołąb Bąk Kurek "
    "Łuczak Kołodziej Śliwa Ćwik Ślusarczyk Gąsior Bień Sobczak Jaworek"
)
_INTL_FIRST = _words(
    "Olena Oleksandr Iryna Maksym Sophie Lukas José Inês Søren Chloé François Åsa Mateo Siobhán Zoë "
    "Noémie Jürgen Björn Aiko Priya"
)
_INTL_LAST = _words(
    "Kovalenko Shevchenko Bondarenko Melnyk Müller Schröder Fernández Gonçalves Nielsen Dubois Lefebvre "
    "Lindqvist Núñez O'Connor Nakamura Sharma Øvergaard"
)
_TITLES = {
    "Marketing": ("Marketing Specialist", "Social Media Specialist", "Copywriter", "Graphic Designer",
                  "Content Creator", "Performance Marketing Specialist"),
    "E-commerce": ("E-commerce Specialist", "Online Merchandiser", "E-commerce Analyst",
                   "Product Data Specialist"),
    "Customer Care": ("Customer Care Agent", "Senior Customer Care Agent", "Social Care Specialist"),
    "Logistics": ("Warehouse Operator", "Florist", "Dispatch Coordinator", "Courier Coordinator"),
    "Finance": ("Accountant", "Payroll Specialist", "Controller"),
    "IT": ("Developer", "System Administrator", "IT Support Specialist"),
    "Management": ("Office Manager", "Executive Assistant", "HR Business Partner"),
}
_CITIES = _words(
    "Warszawa Kraków Łódź Wrocław Poznań Gdańsk Szczecin Bydgoszcz Lublin Białystok Katowice Gdynia "
    "Toruń Rzeszów Kielce Olsztyn Opole Radom Płock Elbląg"
)
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "ß": "ss", "đ": "d"})


@functools.lru_cache(maxsize=4096)
def _fold(text: str) -> str:
    """ASCII-fold a name part for uids and addresses: Żółć -> zolc, O'Connor -> oconnor."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed.lower() if c.isascii() and c.isalnum())


def _female(surname: str) -> str:
    return surname[:-1] + "a" if surname.endswith("i") else surname


def _iso(moment: datetime) -> str:
    """Graph API timestamp style: 2026-03-14T13:07:12+0000."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _last_sunday_1utc(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _warsaw(moment: datetime) -> str:
    """``date_time_in_timezone`` for Europe/Warsaw (EU summer time rule), e.g. ``03/14/2026 at 2:07pm``."""
    summer = _last_sunday_1utc(moment.year, 3) <= moment < _last_sunday_1utc(moment.year, 10)
    local = moment + timedelta(hours=2 if summer else 1)
    hour = local.hour % 12 or 12
    return f"{local:%m/%d/%Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


# --- directory people ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Person:
    uid: str
    given: str
    sn: str
    dept: str
    title: str
    mail: str
    kind: str = "employee"  # employee | contractor | service
    status: str = "active"  # active | disabled | departed
    end: date | None = None
    manager: str | None = None  # uid
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.given} {self.sn}".strip()

    def entry(self) -> dict[str, list[str]]:
        """The LDAP attribute dict (``dn`` included as a one-value list)."""
        ou = LEAVERS_OU if self.status == "departed" else PEOPLE_OU
        attrs: dict[str, list[str]] = {
            "dn": [f"uid={self.uid},{ou}"],
            "objectClass": ["top", "person", "organizationalPerson", "inetOrgPerson"],
            "uid": [self.uid], "cn": [self.name], "sn": [self.sn],
        }
        if self.given:
            attrs["givenName"] = [self.given]
        attrs["displayName"] = [self.name]
        attrs["mail"] = [self.mail, *self.aliases]
        attrs["departmentNumber"] = [self.dept]
        attrs["title"] = [self.title]
        attrs["employeeType"] = ["disabled" if self.status == "disabled" else self.kind]
        attrs["o"] = [COMPANY_NAME]
        if self.manager:
            attrs["manager"] = [f"uid={self.manager},{PEOPLE_OU}"]
        if self.end:
            attrs["description"] = [self.end.isoformat()]
        return attrs


class _Namer:
    """Hands out unique uids and mail local parts (name, name2, name3 ...) in O(1) each."""

    def __init__(self) -> None:
        self.taken: dict[str, set[str]] = {"uid": set(), "local": set()}
        self._next: dict[tuple[str, str], int] = {}
        self.reserved_names: set[str] = set()

    def unique(self, space: str, base: str) -> str:
        taken = self.taken[space]
        candidate, n = base, self._next.get((space, base), 2)
        while candidate in taken:
            candidate, n = f"{base}{n}", n + 1
        self._next[(space, base)] = n
        taken.add(candidate)
        return candidate

    def uid(self, given: str, sn: str) -> str:
        return self.unique("uid", (_fold(given)[:1] + _fold(sn))[:20] or "user")

    def local(self, given: str, sn: str) -> str:
        return self.unique("local", ".".join(p for p in (_fold(given), _fold(sn)) if p))


class _Ids:
    """Unique numeric ids (business-scoped user ids, asset ids, app ids ...)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, rng: random.Random, digits: int = 15) -> str:
        while True:
            value = str(rng.randrange(10 ** (digits - 1), 10**digits))
            if value not in self.used:
                self.used.add(value)
                return value


# --- the Meta business -----------------------------------------------------------------------------

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


class _Meta:
    """Accumulates the Meta business; ``data()`` returns it in the /tmp/meta_spec.md shape."""

    def __init__(self) -> None:
        edges = ("business_users", "system_users", "pending_users", *_ASSET_EDGES, "owned_apps")
        self.edges: dict[str, list[Record]] = {key: [] for key in (*edges, "client_apps")}
        self.tokens: dict[str, Record] = {}
        self._assigned: dict[str, dict[str, Record]] = {}  # asset id -> account id -> AssignedUser
        self._activities: dict[str, list[Record]] = {}  # ad account id -> AdActivity
        self.ad_holders: dict[str, list[str]] = {}  # ad account id -> account ids

    def user(self, uid: str, first: str, last: str, email: str, title: str, *, role: str = "EMPLOYEE",
             two_fa: bool = True, invited: str = "FB") -> Record:
        record = {
            "id": uid, "name": f"{first} {last}", "email": email, "first_name": first, "last_name": last,
            "title": title, "role": role, "tasks": [role],
            "two_fac_status": "enabled" if two_fa else "not_enabled", "finance_permission": None,
            "pending_email": None, "marked_for_removal": False, "invited_user_type": invited,
        }
        self.edges["business_users"].append(record)
        return record

    def system_user(self, ids: tuple[str, str], name: str, creator: Record, created: datetime) -> Record:
        record = {
            "id": ids[0], "name": name, "role": "EMPLOYEE", "system_user_id": ids[1],
            "created_by": {"id": creator["id"], "name": creator["name"]}, "created_time": _iso(created),
        }
        self.edges["system_users"].append(record)
        return record

    def invitation(self, iid: str, email: str, creator: Record, created: datetime) -> None:
        self.edges["pending_users"].append({
            "id": iid, "email": email, "role": "EMPLOYEE", "tasks": ["EMPLOYEE"], "status": "PENDING",
            "created_by": {"id": creator["id"], "name": creator["name"]}, "created_time": _iso(created),
            "expiration_time": _iso(created + timedelta(days=60)), "invited_user_type": "FB",
        })

    def asset(self, edge: str, record: Record) -> Record:
        self.edges[edge].append(record)
        self._assigned[record["id"]] = {}
        if edge.endswith("ad_accounts"):
            self._activities[record["id"]] = []
            self.ad_holders[record["id"]] = []
        return record

    def assign(self, asset: Record, who: Record, tasks: list[str]) -> None:
        entries = self._assigned[asset["id"]]
        entry = entries.get(who["id"])
        if entry is None:
            user_type = "system_user" if "system_user_id" in who else "business_user"
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
            for item in items if key in _ASSET_EDGES else ():
                item["assigned_users"] = list(self._assigned[item["id"]].values())
                if item["id"] in self._activities:
                    events = self._activities[item["id"]]
                    item["activities"] = sorted(events, key=lambda e: e["event_time"], reverse=True)
            out[key] = items
        out["tokens"] = self.tokens
        return out


# --- the cast: heads of department and one single-purpose person per planted case ------------------

# key | given name | surname | department | state (active, contractor, departed, disabled) | end date in
# days from today | title. Heads report to the CEO, everybody else to the head of their department.
_CAST = """
ceo       | Barbara   | Kwiatkowska | Management    | active     |     | Chief Executive Officer
it_head   | Łukasz    | Żółć        | IT            | active     |     | Head of IT
mkt_head  | Magdalena | Wróbel      | Marketing     | active     |     | Head of Marketing
ecom_head | Grzegorz  | Pietrzak    | E-commerce    | active     |     | Head of E-commerce
care_head | Joanna    | Krawczyk    | Customer Care | active     |     | Customer Care Manager
log_head  | Sebastian | Kaczmarek   | Logistics     | active     |     | Logistics Manager
fin_head  | Dorota    | Grabowska   | Finance       | active     |     | Chief Accountant
karolina  | Karolina  | Szymańska   | Marketing     | active     |     | Social Media Lead
michal    | Michał    | Woźniak     | Marketing     | active     |     | Performance Marketing Specialist
natalia   | Natalia   | Jankowska   | Marketing     | active     |     | Content Manager
jose      | José      | García      | Marketing     | active     |     | Graphic Designer
jakub     | Jakub     | Mazur       | Marketing     | active     |     | Marketing Specialist
soren     | Søren     | Nielsen     | Marketing     | contractor | 150 | Freelance Photographer
adam      | Adam      | Nowicki     | E-commerce    | active     |     | E-commerce Specialist
bjorn     | Björn     | Andersson   | E-commerce    | active     |     | E-commerce Analyst
olena     | Olena     | Kovalenko   | Customer Care | active     |     | Social Care Specialist
oliwia    | Oliwia    | Michalska   | Customer Care | active     |     | Customer Care Agent
d0        | Marek     | Wójcik      | IT            | departed   | -90 | System Administrator
d1        | Tomasz    | Wiśniewski  | Marketing     | departed   | -45 | Social Media Specialist
d2        | Paweł     | Kamiński    | E-commerce    | departed   | -20 | Performance Marketing Specialist
d3        | Katarzyna | Lewandowska | Marketing     | departed   | -60 | Copywriter
d4        | Rafał     | Zieliński   | Marketing     | departed   | -30 | Marketing Specialist
disabled  | Agnieszka | Zając       | Customer Care | disabled   | -25 | Customer Care Agent
nofa      | Ewelina   | Sikora      | Customer Care | active     |     | Senior Customer Care Agent
dormant   | Piotr     | Dąbrowski   | E-commerce    | active     |     | Online Merchandiser
zoe       | Zoë       | Lefèvre     | Marketing     | contractor | -10 | Freelance Content Creator
ghost     | Wojciech  | Kowalczyk   | E-commerce    | active     |     | E-commerce Specialist
"""
_SERVICES = (("svc-shopify", "Shopify Sync Service"), ("svc-backup", "Backup Service"),
             ("svc-newsletter", "Newsletter Bot"))
_OUTSIDERS = {  # business users who are nobody in the directory: first, last, address, title
    "typo": ("Henryk", "Baran", f"h.baran@{DOMAIN}", "Marketing Assistant"),
    "agency": ("Aleksandra", "Kurek", f"ola.kurek@{AGENCY_DOMAIN}", "Account Manager, Pixel Agency"),
    "personal": ("Kuba", "Mazur", "jakub.mazur.ads@gmail.com", "Marketing"),
}
_TASK_SETS = {
    "@page_admin": ("MANAGE", "CREATE_CONTENT", "MODERATE", "MESSAGING", "ADVERTISE", "ANALYZE"),
    "@waba_admin": ("MANAGE", "MANAGE_TEMPLATES", "VIEW_COST", "MESSAGING", "VIEW_INSIGHTS"),
}
# asset | holders | tasks. The main page has five MANAGE holders (planted excess_admins); every other asset
# has at most three. Every ad-account holder is active on it in the last 85 days, except the planted ones.
# Every leaver in the business holds an ad-account task: Meta logs activity on ad accounts only, so only
# then can post_departure_activity be verified for them (a page-only leaver would be "could not verify").
_PLAN = """
main       | mkt_head karolina michal natalia jose  | @page_admin
main       | care_head                              | MESSAGING MODERATE ANALYZE
main       | olena disabled nofa                    | MESSAGING MODERATE
main       | d1                                     | CREATE_CONTENT ANALYZE
main       | typo                                   | MODERATE ANALYZE
main       | su_bot                                 | ANALYZE
blog       | it_head mkt_head                       | @page_admin
blog       | zoe personal                           | CREATE_CONTENT ANALYZE
blog       | soren su_zapier                        | CREATE_CONTENT
blog       | ghost                                  | ANALYZE
fair       | karolina                               | @page_admin
fair       | natalia                                | CREATE_CONTENT ANALYZE
perf       | ecom_head                              | MANAGE ADVERTISE ANALYZE DRAFT
perf       | adam                                   | ADVERTISE ANALYZE DRAFT
perf       | michal d2 d3 dormant agency su_shop    | ADVERTISE ANALYZE
perf       | ghost                                  | ANALYZE
brand      | mkt_head                               | MANAGE ADVERTISE ANALYZE
brand      | michal karolina d1                     | ADVERTISE ANALYZE
brand      | disabled                               | ANALYZE
agency_ads | ecom_head                              | MANAGE ADVERTISE ANALYZE
agency_ads | adam                                   | ANALYZE
ig_shop    | karolina                               | CONTENT COMMUNITY_ACTIVITY MESSAGES ANALYZE ADVERTISE
ig_shop    | natalia                                | CONTENT ANALYZE
ig_shop    | zoe personal                           | CONTENT
ig_shop    | olena                                  | MESSAGES COMMUNITY_ACTIVITY
ig_shop    | disabled                               | MESSAGES
ig_garden  | jose                                   | CONTENT ANALYZE
ig_garden  | ghost                                  | ANALYZE
ig_garden  | soren                                  | CONTENT
waba       | care_head                              | @waba_admin
waba       | olena nofa                             | MESSAGING VIEW_TEMPLATES
waba       | it_head                                | DEVELOP MANAGE_PHONE
"""


def _table(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


class _Generator:
    """Builds the cast (one random stream, independent of ``size``), then the filler (another stream)."""

    def __init__(self, seed: int, now: datetime):
        self.now, self.today = now, now.date()
        self.cast_rng = random.Random(f"kwiatek:{seed}:cast")
        self.fill_rng = random.Random(f"kwiatek:{seed}:filler")
        self.ids, self.namer, self.meta = _Ids(), _Namer(), _Meta()
        self.persons: list[_Person] = []
        self.cast: dict[str, _Person] = {}
        self.heads: dict[str, str] = {}
        self.users: dict[str, Record] = {}
        self.assets: dict[str, Record] = {}
        self.apps: dict[str, Record] = {}
        self.tokens: dict[str, str] = {}
        self.planted: list[Planted] = []
        self.service_accounts: list[Record] = []
        self.links: list[Record] = []
        self.ad_manager: dict[str, Record] = {}
        self.unmanaged: set[str] = set()
        self.leads: dict[str, tuple[str, int]] = {}
        self.cast_count = 0

    def ago(self, days: float, rng: random.Random) -> datetime:
        """A moment ``days`` before now, a few random minutes earlier still."""
        return self.now - timedelta(days=days, minutes=rng.randrange(0, 600))

    # -- cast ---------------------------------------------------------------------------------------

    def build_cast(self) -> None:
        rows = _table(_CAST)
        self.namer.reserved_names.update(f"{first} {last}" for first, last, *_ in _OUTSIDERS.values())
        self.namer.reserved_names.update(f"{row[1]} {row[2]}" for row in rows)
        heads = {"Management": "ceo", **{row[3]: row[0] for row in rows if row[0].endswith("_head")}}
        for key, given, sn, dept, state, end, title in rows:
            manager = None if key == "ceo" else "ceo" if key.endswith("_head") else heads[dept]
            local = self.namer.local(given, sn)
            person = _Person(
                uid=self.namer.uid(given, sn), given=given, sn=sn, dept=dept, title=title,
                mail=f"{local}@{DOMAIN}", kind="contractor" if state == "contractor" else "employee",
                status="active" if state == "contractor" else state,
                end=self.today + timedelta(days=int(end)) if end else None,
                manager=self.cast[manager].uid if manager else None, aliases=(f"{local}@{ALIAS_DOMAIN}",),
            )
            self.cast[key] = person
            if key != "ghost":  # the ghost is only in the earlier export
                self.persons.append(person)
        self.heads = {dept: self.cast[key].uid for dept, key in heads.items()}
        for uid, display in _SERVICES:
            self.namer.taken["uid"].add(uid)
            self.namer.taken["local"].add(uid)
            self.persons.append(_Person(uid=uid, given="", sn=display, dept="IT", title="Service account",
                                        mail=f"{uid}@{DOMAIN}", kind="service", manager=self.heads["IT"]))
        self.cast_count = len(self.persons)
        self._cast_principals()
        self._cast_assets()
        self._cast_apps_and_tokens()
        self._cast_activity()
        self._cast_planted()

    def _cast_principals(self) -> None:
        r, m, c, u = self.cast_rng, self.meta, self.cast, self.users
        options: dict[str, dict[str, Any]] = {
            "it_head": {"role": "ADMIN"}, "mkt_head": {"role": "ADMIN"},
            "ecom_head": {"role": "ADMIN", "two_fa": False},  # planted: missing_2fa (high)
            "nofa": {"two_fa": False},  # planted: missing_2fa (medium)
            "olena": {"invited": "MWA"},
        }
        for key in ("it_head", "mkt_head", "ecom_head", "care_head", "fin_head", "karolina", "michal",
                    "natalia", "jose", "soren", "adam", "olena", "d1", "d2", "d3", "disabled", "nofa",
                    "dormant", "zoe", "ghost"):
            p = c[key]
            email = p.aliases[0] if key == "natalia" else p.mail  # she signed up with the alias domain
            u[key] = m.user(self.ids.new(r), p.given, p.sn, email, p.title, **options.get(key, {}))
        u["fin_head"].update(tasks=["EMPLOYEE", "FINANCE_EDIT"], finance_permission="EDITOR")
        for key, (first, last, email, title) in _OUTSIDERS.items():
            u[key] = m.user(self.ids.new(r), first, last, email, title)
        gone = {"id": self.ids.new(r), "name": c["d0"].name}  # d0 left and was removed from the business
        for key, name, creator, days in (
            ("su_audit", "Kwiatek Access Auditor", u["it_head"], 200),
            ("su_shop", "Shopify Sync", u["it_head"], 420),
            ("su_bot", "Marketing API Bot", gone, 510),
            ("su_zapier", "Zapier Integration", u["mkt_head"], 700),
        ):
            u[key] = m.system_user((self.ids.new(r), self.ids.new(r)), name, creator, self.ago(days, r))
        invitations = (("oliwia", "care_head", 45), ("d4", "mkt_head", 5), ("bjorn", "ecom_head", 2))
        for key, creator, days in invitations:
            m.invitation(self.ids.new(r), c[key].mail, u[creator], self.ago(days, r))

    def _page(self, edge: str, name: str, category: str, rng: random.Random) -> Record:
        return self.meta.asset(edge, {"id": self.ids.new(rng), "name": name, "category": category})

    def _ad_account(self, edge: str, name: str, rng: random.Random) -> Record:
        number = self.ids.new(rng, 16)
        return self.meta.asset(edge, {
            "id": f"act_{number}", "account_id": number, "name": name, "account_status": 1, "currency": "PLN",
            "timezone_name": "Europe/Warsaw",
        })

    def _instagram(self, username: str, rng: random.Random) -> Record:
        return self.meta.asset("owned_instagram_assets", {
            "id": self.ids.new(rng, 16), "ig_user_id": "17841" + self.ids.new(rng, 12),
            "ig_username": username,
        })

    def _waba(self, name: str, rng: random.Random) -> Record:
        return self.meta.asset("owned_whatsapp_business_accounts", {"id": self.ids.new(rng), "name": name})

    def _cast_assets(self) -> None:
        r, a, u = self.cast_rng, self.assets, self.users
        a["main"] = self._page("owned_pages", "Kwiatek Sklep", "Florist", r)
        a["blog"] = self._page("owned_pages", "Kwiatek Ogród – porady", "Garden Center", r)
        a["fair"] = self._page("client_pages", "Targi Kwiatowe Poznań", "Trade Fair", r)
        a["perf"] = self._ad_account("owned_ad_accounts", "Kwiatek – Performance", r)
        a["brand"] = self._ad_account("owned_ad_accounts", "Kwiatek – Brand", r)
        a["agency_ads"] = self._ad_account("client_ad_accounts", "Pixel Agency – Kwiatek", r)
        a["ig_shop"] = self._instagram("kwiatek.sklep", r)
        a["ig_garden"] = self._instagram("kwiatek.ogrod", r)
        a["waba"] = self._waba("Kwiatek Sklep – Obsługa Klienta", r)
        for asset, holders, tasks in _table(_PLAN):
            for key in holders.split():
                self.meta.assign(a[asset], u[key], list(_TASK_SETS.get(tasks, tasks.split())))
        for ad, manager in (("perf", "ecom_head"), ("brand", "mkt_head"), ("agency_ads", "ecom_head")):
            self.ad_manager[a[ad]["id"]] = u[manager]

    def _cast_apps_and_tokens(self) -> None:
        r, m, u, a = self.cast_rng, self.meta, self.users, self.assets
        for key, name, link in (
            ("audit", "Kwiatek Access Auditor", f"https://{DOMAIN}/auditor"),
            ("shop", "Kwiatek Shopify Sync", f"https://{DOMAIN}/shopify-sync"),
            ("hootsuite", "Hootsuite", "https://hootsuite.example/"),
            ("promo", "Promo Booster Pro", "https://promo-booster.example/"),  # planted: unapproved_app
        ):
            self.apps[key] = {"id": self.ids.new(r), "name": name, "link": link,
                              "namespace": _fold(name)}
        m.edges["owned_apps"] += [self.apps["audit"], self.apps["shop"]]
        m.edges["client_apps"] += [self.apps["hootsuite"], self.apps["promo"]]
        pages = [a[k]["id"] for k in ("main", "blog", "fair")]
        ads = [a[k]["account_id"] for k in ("perf", "brand", "agency_ads")]
        targets = {"business_management": [BUSINESS_ID], "ads_read": ads, "ads_management": ads,
                   "pages_show_list": pages, "pages_read_engagement": pages, "pages_manage_metadata": pages,
                   "catalog_management": [BUSINESS_ID]}

        def token(app: Record, user: Record, scopes: list[str], issued_days: int) -> str:
            value = f"sandbox-meta-{r.getrandbits(128):032x}"
            m.tokens[value] = {
                "app_id": app["id"], "type": "USER", "application": app["name"], "expires_at": 0,
                "data_access_expires_at": 0, "issued_at": int(self.ago(issued_days, r).timestamp()),
                "is_valid": True, "scopes": scopes, "user_id": user["id"],
                "granular_scopes": [{"scope": s, "target_ids": targets[s]} for s in scopes],
            }
            return value

        # planted excess_app_scope: ads_management on the auditor's token, pages_manage_metadata on Shopify's
        self.tokens["self"] = token(self.apps["audit"], u["su_audit"],
                                    [*SELF_ALLOWED_SCOPES, "ads_management"], 30)
        self.tokens[SHOP_TOKEN_ENV] = token(self.apps["shop"], u["su_shop"],
                                            [*SHOP_ALLOWED_SCOPES, "pages_manage_metadata"], 300)
        owner = self.cast["it_head"].uid
        self.service_accounts = [
            {"platform": PLATFORM, "account_id": u["su_audit"]["id"], "owner": owner,
             "note": "system user of the access auditor (its own token)"},
            {"platform": PLATFORM, "account_id": u["su_shop"]["id"], "owner": owner,
             "note": f"Shopify catalog and conversions sync ({SHOP_TOKEN_ENV})"},
            {"platform": PLATFORM, "account_id": u["su_bot"]["id"], "owner": self.cast["d0"].uid,
             "note": "marketing automation bot"},
        ]
        personal = u["personal"]
        self.links = [{"platform": PLATFORM, "account_id": personal["id"], "email": personal["email"],
                       "uid": self.cast["jakub"].uid}]

    def _busy(self, ad: Record, who: Record, rng: random.Random, most: int = 3,
              app: Record | None = None) -> None:
        """Ordinary recent activity: 1..most events within the last 85 days."""
        for _ in range(rng.randint(1, most)):
            self.meta.activity(ad, self.ago(rng.uniform(1, 85), rng), who, rng, app=app)

    def _cast_activity(self) -> None:
        r, m, u, a = self.cast_rng, self.meta, self.users, self.assets
        by_id = {record["id"]: record for record in u.values()}
        planted = {u[key]["id"] for key in ("d1", "d2", "d3", "disabled", "ghost", "dormant", "agency")}
        for key in ("perf", "brand", "agency_ads"):
            for account_id in m.ad_holders[a[key]["id"]]:
                if account_id not in planted:
                    app = self.apps["shop"] if account_id == u["su_shop"]["id"] else None
                    self._busy(a[key], by_id[account_id], r, app=app)
        perf = a["perf"]
        m.activity(a["brand"], self.ago(60, r), u["d1"], r)  # before d1's departure 45 days ago
        m.activity(perf, self.ago(30, r), u["d2"], r)  # before d2's departure 20 days ago
        m.activity(perf, self.ago(8, r), u["d2"], r, event=0)  # planted: after the departure
        m.activity(perf, self.ago(70, r), u["d3"], r)  # before d3's departure 60 days ago
        m.activity(a["brand"], self.ago(40, r), u["disabled"], r)  # before she was disabled 25 days ago
        m.activity(perf, self.ago(30, r), u["ghost"], r)  # before it vanished; not dormant when unmatched
        m.role_granted(perf, self.ago(15, r), u["ecom_head"], u["d3"], ["ADVERTISE", "ANALYZE"])  # planted
        m.role_granted(perf, self.ago(110, r), u["ecom_head"], u["adam"], ["ADVERTISE", "ANALYZE", "DRAFT"])
        for days in (12, 40):
            m.activity(perf, self.ago(days, r), u["agency"], r)

    def _cast_planted(self) -> None:
        u, c = self.users, self.cast
        invitation = {record["email"]: record["id"] for record in self.meta.edges["pending_users"]}

        def plant(category: str, account: str | None, note: str, key: str | None = None, *,
                  asset: str | None = None, severity: str | None = None) -> None:
            person = c[key].uid if key else None
            self.planted.append(Planted(category, PLATFORM, account, asset, person, note, severity))

        for key, note in (
            ("d1", "departed 45 days ago, still a business user with page and ad-account tasks"),
            ("d2", "departed 20 days ago, still holds ad-account tasks"),
            ("d3", "departed 60 days ago, granted an ad-account role after the departure"),
            ("disabled", "disabled in the directory 25 days ago, still holds page, ad and Instagram tasks"),
            ("ghost", "deleted from the directory (earlier export only), still holds page and ad tasks"),
        ):
            plant("orphaned_access", u[key]["id"], note, key)
        plant("post_departure_activity", u["d2"]["id"], "changed a campaign budget 8 days ago, 12 days after "
              "the departure", "d2")
        plant("post_departure_activity", u["d3"]["id"], "added to an ad-account role 15 days ago, 45 days "
              "after the departure", "d3")
        plant("unmatched_account", u["typo"]["id"], f"old address h.baran@{DOMAIN} matches nobody")
        plant("unmatched_account", u["agency"]["id"], f"agency address on {AGENCY_DOMAIN}, no manual link")
        plant("personal_email", u["personal"]["id"], "gmail.com business user linked to Jakub Mazur", "jakub")
        plant("missing_2fa", u["nofa"]["id"], "employee without two-factor authentication", "nofa",
              severity="medium")
        plant("missing_2fa", u["ecom_head"]["id"], "business ADMIN without two-factor authentication",
              "ecom_head", severity="high")
        plant("tenant_2fa_not_enforced", None, f"business {BUSINESS_ID}: two_factor_type admin_required")
        plant("excess_app_scope", "token:self", "the auditor's own token also holds ads_management")
        plant("excess_app_scope", f"token:{SHOP_TOKEN_ENV}", "also holds pages_manage_metadata")
        plant("unapproved_app", f"app:{self.apps['promo']['id']}", "client app Promo Booster Pro")
        plant("dormant_access", u["dormant"]["id"], "holds Performance ad-account tasks, no activity in "
              f"{ACTIVITY_DAYS} days", "dormant")
        plant("excess_admins", None, f"page Kwiatek Sklep has 5 MANAGE holders (limit {MAX_ADMINS})",
              asset=self.assets["main"]["id"])
        plant("contract_expired", u["zoe"]["id"], "contract ended 10 days ago, still in ou=people", "zoe")
        plant("ownerless_service_account", u["su_zapier"]["id"], "system user Zapier Integration is not "
              "registered")
        plant("ownerless_service_account", u["su_bot"]["id"], "the registered owner of Marketing API Bot "
              "departed 90 days ago", "d0")
        plant("stale_invitation", f"invite:{invitation[c['oliwia'].mail]}", "pending for 45 days", "oliwia")
        plant("stale_invitation", f"invite:{invitation[c['d4'].mail]}", "sent 5 days ago to the address of a "
              "person who departed 30 days ago", "d4")
        plant("could_not_verify", None, "dormancy of accounts holding only page, Instagram or WhatsApp roles "
              "cannot be judged: Meta logs activity for ad accounts only (severity info)")

    # -- filler -------------------------------------------------------------------------------------

    def _name(self, rng: random.Random) -> tuple[str, str]:
        while True:
            if rng.random() < 0.06:
                given, sn = rng.choice(_INTL_FIRST), rng.choice(_INTL_LAST)
            else:
                female = rng.random() < 0.55
                given = rng.choice(_FEMALE if female else _MALE)
                if rng.random() < 0.55:
                    sn = rng.choice(_GENDERED)
                    sn = _female(sn) if female else sn
                else:
                    sn = rng.choice(_NEUTRAL)
            if f"{given} {sn}" not in self.namer.reserved_names:
                return given, sn

    def _extra_assets(self, size: int) -> dict[str, list[Record]]:
        """Regional pages, ad accounts and Instagram accounts per 400 people, a WhatsApp account per 4000."""
        r, a = self.fill_rng, self.assets
        pools = {"pages": [a["main"], a["blog"]], "ads": [a["perf"], a["brand"]],
                 "igs": [a["ig_shop"], a["ig_garden"]], "wabas": [a["waba"]]}
        for i in range(size // 400):
            city = _CITIES[i % len(_CITIES)] + (f" {i // len(_CITIES) + 1}" if i >= len(_CITIES) else "")
            page = self._page("owned_pages", f"Kwiatek {city}", "Florist", r)
            ad = self._ad_account("owned_ad_accounts", f"Kwiatek – {city}", r)
            pools["pages"].append(page)
            pools["ads"].append(ad)
            pools["igs"].append(self._instagram(f"kwiatek.{_fold(city)}", r))
            self.unmanaged.update((page["id"], ad["id"]))
            if i % 10 == 9:
                waba = self._waba(f"Kwiatek {city} – WhatsApp", r)
                pools["wabas"].append(waba)
                self.unmanaged.add(waba["id"])
        return pools

    def build_filler(self, count: int, size: int) -> None:
        """``count`` ordinary, clean people; most Marketing, E-commerce and Customer Care staff use Meta."""
        r = self.fill_rng
        pools = self._extra_assets(size)
        for _ in range(count):
            dept = r.choices(DEPARTMENTS, cum_weights=_DEPARTMENT_CUM_WEIGHTS)[0]
            roll = r.random()
            status = "departed" if roll < 0.06 else "disabled" if roll < 0.07 else "active"
            kind = "contractor" if r.random() < 0.1 else "employee"
            given, sn = self._name(r)
            local = self.namer.local(given, sn)
            end = None
            if status != "active":  # departed, or the day before the account was disabled
                end = self.today - timedelta(days=r.randint(1, 730))
            elif kind == "contractor":
                end = self.today + timedelta(days=r.randint(30, 400))
            lead, members = self.leads.get(dept, (self.heads[dept], 0))
            person = _Person(
                uid=self.namer.uid(given, sn), given=given, sn=sn, dept=dept, title=r.choice(_TITLES[dept]),
                mail=f"{local}@{DOMAIN}", kind=kind, status=status, end=end, manager=lead,
                aliases=(f"{local}@{ALIAS_DOMAIN}",),
            )
            if status == "active" and kind == "employee":  # every twelfth becomes a team lead
                if members % 12 == 0:
                    person.manager, person.title = self.heads[dept], f"Team Lead, {dept}"
                    self.leads[dept] = (person.uid, 1)
                else:
                    self.leads[dept] = (lead, members + 1)
            self.persons.append(person)
            if status == "active" and dept in META_DEPARTMENTS and r.random() < 0.9:
                self._filler_meta(person, pools, r)

    def _grant(self, asset: Record, user: Record, tasks: list[str], manage: tuple[str, ...] = ()) -> None:
        """Assign a filler user; the first holder of a regional asset also gets its ``manage`` tasks."""
        if manage and asset["id"] in self.unmanaged:
            self.unmanaged.discard(asset["id"])
            tasks = list(dict.fromkeys([*manage, *tasks]))
            if asset["id"].startswith("act_"):
                self.ad_manager[asset["id"]] = user
        self.meta.assign(asset, user, tasks)

    def _filler_meta(self, p: _Person, pools: dict[str, list[Record]], r: random.Random) -> None:
        email = p.aliases[0] if r.random() < 0.1 else p.mail
        user = self.meta.user(self.ids.new(r), p.given, p.sn, email, p.title,
                              invited="MWA" if r.random() < 0.1 else "FB")
        page_admin = _TASK_SETS["@page_admin"]
        ads: list[Record] = []
        if p.dept == "Marketing":
            for page in r.sample(pools["pages"], r.randint(1, 2)):
                tasks = r.choice((["CREATE_CONTENT", "ANALYZE"], ["CREATE_CONTENT", "MODERATE", "ANALYZE"]))
                self._grant(page, user, tasks, page_admin)
            tasks = r.choice((["CONTENT", "ANALYZE"], ["CONTENT", "COMMUNITY_ACTIVITY", "ANALYZE"]))
            self._grant(r.choice(pools["igs"]), user, tasks)
            if r.random() < 0.6:
                ads.append(r.choice(pools["ads"]))
        elif p.dept == "E-commerce":
            ads += r.sample(pools["ads"], r.randint(1, 2))
            self._grant(r.choice(pools["pages"]), user, r.choice((["ADVERTISE", "ANALYZE"], ["ANALYZE"])),
                        page_admin)
            if r.random() < 0.5:
                self._grant(r.choice(pools["igs"]), user, ["ADVERTISE", "ANALYZE"])
        else:
            for page in r.sample(pools["pages"], r.randint(1, 2)):
                tasks = r.choice((["MESSAGING", "MODERATE"], ["MESSAGING", "MODERATE", "ANALYZE"]))
                self._grant(page, user, tasks, page_admin)
            self._grant(r.choice(pools["igs"]), user, ["MESSAGES", "COMMUNITY_ACTIVITY", "ANALYZE"])
            if r.random() < 0.7:
                tasks = r.choice((["MESSAGING", "VIEW_TEMPLATES"], ["MESSAGING", "VIEW_INSIGHTS"]))
                self._grant(r.choice(pools["wabas"]), user, tasks, ("MANAGE", "MANAGE_TEMPLATES"))
        for ad in ads:
            tasks = r.choice((["ADVERTISE", "ANALYZE"], ["ADVERTISE", "ANALYZE", "DRAFT"], ["ANALYZE"]))
            self._grant(ad, user, tasks, ("MANAGE",))
            self._busy(ad, user, r, 2)
            manager = self.ad_manager.get(ad["id"])
            if manager is not None and manager is not user and r.random() < 0.15:
                self.meta.role_granted(ad, self.ago(r.uniform(1, ACTIVITY_DAYS - 1), r), manager, user, tasks)

    # -- result -------------------------------------------------------------------------------------

    def company(self, seed: int, size: int) -> Company:
        people = [p.entry() for p in self.persons]
        earlier = [*people[: self.cast_count], self.cast["ghost"].entry(), *people[self.cast_count:]]
        approved = [self.apps[key]["id"] for key in ("audit", "shop", "hootsuite")]
        allowlist = {self.apps["audit"]["id"]: list(SELF_ALLOWED_SCOPES),
                     self.apps["shop"]["id"]: list(SHOP_ALLOWED_SCOPES)}
        business = {"id": BUSINESS_ID, "name": "Kwiatek Shop", "two_factor_type": "admin_required"}
        return Company(
            seed=seed, size=size, now=self.now, people=people, earlier_people=earlier,
            meta=self.meta.data(business), meta_token=self.tokens["self"],
            meta_extra_tokens={SHOP_TOKEN_ENV: self.tokens[SHOP_TOKEN_ENV]},
            service_accounts=self.service_accounts, links=self.links, approved_apps=approved,
            app_scope_allowlist=allowlist, planted=list(self.planted), ghost_uid=self.cast["ghost"].uid,
            policy_parameters={  # rule id -> parameters, in the shipped rules' parameter names
                "tenant-2fa-not-enforced": {"required": "all"},
                "dormant-access": {"days": DORMANT_DAYS},
                "excess-admins": {"max_admins": MAX_ADMINS},
                "stale-invitation": {"max_age_days": INVITATION_MAX_AGE_DAYS},
                "excess-app-scope": {"allowed_scopes": allowlist,
                                     "default_allowed": list(SELF_ALLOWED_SCOPES)},
                "unapproved-app": {"approved_apps": approved},
                "contract-expired": {"grace_days": 0},
                "post-departure-activity": {"grace_days": 0},
            },
        )
