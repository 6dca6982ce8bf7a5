"""The fictional demo company "Kwiatek Sklep sp. z o.o.": its people (the directory) and what every platform shares.

``build_company(seed, now=..., size=...)`` is deterministic for a seed and ``now``: a Polish online flower
shop (domain ``kwiatek.example``, alias domain ``kwiatek-shop.example``) with ``size`` directory entries. A
fixed *cast* (heads of department and one person per planted case) comes from its own random stream, so the
planted lists (ids included) are the same for every ``size``; the *filler* that scales with ``size`` is clean
by construction. Each platform's tenant lives in ``auditor/demo/<kind>/`` (see ``auditor.demo.platforms``);
a tenant generated together with the people (Meta's business, whose draws interleave with the filler's) ends
in ``Company.tenants``.

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

The departure time of a departed or disabled person is the end of ``Person.end_date`` when set, else
``status_changed``. With ``leavers_ou`` the mapping takes ``status_changed`` from ``modifyTimestamp`` (the
import time in the demo), so post_departure_activity MUST prefer ``end_date``. ``Company.policy_parameters``
holds the rule parameters the shop has approved for every platform (rule id -> parameters); a tenant adds its
own (``SandboxPlatform.policy_parameters``).

Compare scan results with the planted lists on ``Planted.key`` = (category, platform, account, asset), where
account is the finding's subject for tokens and apps (``token:self``, ``app:<id>``). The ghost is in
``earlier_people`` only: syncing ``earlier_people`` then ``people`` makes it departed (its leftover access is
orphaned_access, as planted); with a single sync of ``people`` it is unmatched_account instead
(``Company.expected(synced_earlier=False)`` gives that list).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from auditor.demo.names import TITLES, fold, random_name

if TYPE_CHECKING:
    from auditor.demo.platforms import SandboxPlatform

COMPANY_NAME = "Kwiatek Sklep sp. z o.o."
DOMAIN = "kwiatek.example"
ALIAS_DOMAIN = "kwiatek-shop.example"
AGENCY_DOMAIN = "pixel-agency.example"
BASE_DN = "dc=kwiatek,dc=example"
PEOPLE_OU = f"ou=people,{BASE_DN}"
LEAVERS_OU = f"ou=leavers,{BASE_DN}"
GROUPS_OU = f"ou=groups,{BASE_DN}"
GROUPS = {"marketing": "Marketing", "it": "IT"}
"""Directory groups (groupOfNames under ``GROUPS_OU``): cn -> the department whose people are its members."""
DORMANT_DAYS = 90
MAX_ADMINS = 3
INVITATION_MAX_AGE_DAYS = 30
DEPARTMENTS = ("Marketing", "E-commerce", "Customer Care", "Logistics", "Finance", "IT", "Management")
_DEPARTMENT_CUM_WEIGHTS = tuple(itertools.accumulate((20, 20, 28, 17, 6, 6, 3)))


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
    """The generated company: directory entries, the tenants generated with them, shared config data."""

    seed: int
    size: int
    now: datetime
    people: list[dict[str, list[str]]]
    earlier_people: list[dict[str, list[str]]]
    tenants: list[SandboxPlatform]
    ghost_uid: str
    name: str = COMPANY_NAME
    domain: str = DOMAIN
    alias_domain: str = ALIAS_DOMAIN
    base_dn: str = BASE_DN
    people_ou: str = PEOPLE_OU
    leavers_ou: str = LEAVERS_OU
    company_domains: list[str] = field(default_factory=lambda: [DOMAIN, ALIAS_DOMAIN])
    groups: list[dict[str, list[str]]] = field(default_factory=list)  # group entries (GROUPS), after people
    directory_settings: dict[str, Any] = field(default_factory=lambda: directory_settings())
    policy_parameters: dict[str, Any] = field(default_factory=lambda: policy_parameters())

    @property
    def planted(self) -> list[Planted]:
        """The findings planted in the tenants generated with the people (``tenants``)."""
        return [p for tenant in self.tenants for p in tenant.planted]

    def expected(self, *, synced_earlier: bool = True) -> list[Planted]:
        """The findings a scan of ``tenants`` must produce, given how the directory was synced.

        After syncing ``earlier_people`` then ``people`` that is ``planted``; after a single sync of
        ``people`` the ghost's account is unmatched_account instead of orphaned_access.
        """
        if synced_earlier:
            return self.planted
        return [
            Planted("unmatched_account", p.platform, p.account, None, None,
                    "deleted from the directory before the first sync: the address matches nobody")
            if p.person == self.ghost_uid else p
            for p in self.planted
        ]


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


def policy_parameters() -> dict[str, dict[str, Any]]:
    """The parameters the shop has approved for the shipped rules on every platform (in their parameter names)."""
    return {
        "tenant-2fa-not-enforced": {"required": "all"},
        "dormant-access": {"days": DORMANT_DAYS},
        "excess-admins": {"max_admins": MAX_ADMINS},
        "stale-invitation": {"max_age_days": INVITATION_MAX_AGE_DAYS},
        "contract-expired": {"grace_days": 0},
        "post-departure-activity": {"grace_days": 0},
    }


def build_company(seed: int = 7, *, now: datetime | None = None, size: int = 160) -> Company:
    """Generate the demo company deterministically from ``seed`` with ``size`` directory entries.

    All dates are relative to ``now`` (default: the current UTC time). ``size`` must be at least the fixed
    cast (29 entries); the planted findings are the same for every size.
    """
    from auditor.demo.platforms import registered

    if now is not None and now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    gen = PeopleGenerator(seed, now)
    tenants = [entry.with_people(gen) for entry in registered() if entry.with_people is not None]
    gen.build_cast(tenants)
    if size < len(gen.persons):
        raise ValueError(f"size {size} is smaller than the fixed cast of {len(gen.persons)} entries")
    gen.build_filler(size - len(gen.persons), size, tenants)
    return gen.company(seed, size, tenants)


# --- people ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    """One directory entry of the company while it is generated."""

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
        """The full name."""
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


class Namer:
    """Hands out unique uids and mail local parts (name, name2, name3 ...) in O(1) each."""

    def __init__(self) -> None:
        self.taken: dict[str, set[str]] = {"uid": set(), "local": set()}
        self._next: dict[tuple[str, str], int] = {}
        self.reserved_names: set[str] = set()

    def unique(self, space: str, base: str) -> str:
        """``base``, or ``base2``, ``base3`` ... whichever is free in ``space`` (uid or local)."""
        taken = self.taken[space]
        candidate, n = base, self._next.get((space, base), 2)
        while candidate in taken:
            candidate, n = f"{base}{n}", n + 1
        self._next[(space, base)] = n
        taken.add(candidate)
        return candidate

    def uid(self, given: str, sn: str) -> str:
        """A free uid: initial and surname, folded."""
        return self.unique("uid", (fold(given)[:1] + fold(sn))[:20] or "user")

    def local(self, given: str, sn: str) -> str:
        """A free mail local part: given.surname, folded."""
        return self.unique("local", ".".join(p for p in (fold(given), fold(sn)) if p))


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
_SERVICES = (("svc-shopify", "Shopify Sync Service"), ("svc-backup", "Backup Service"),
             ("svc-newsletter", "Newsletter Bot"))


def table(text: str) -> list[list[str]]:
    """The cells of a ``|``-separated text table, one list per line."""
    return [[cell.strip() for cell in line.split("|")] for line in text.strip().splitlines()]


class TenantGenerator(Protocol):
    """A platform tenant generated together with the people, drawing from the same random streams."""

    reserved_names: tuple[str, ...]  # full names of its own outsiders, which no filler person may get

    def add_cast(self) -> None:
        """Add the tenant's part of the cast (``PeopleGenerator.cast`` exists; draw from ``cast_rng``)."""

    def before_filler(self, size: int) -> None:
        """Prepare for ``size`` people before the filler is drawn (from ``fill_rng``)."""

    def add_filler(self, person: Person) -> None:
        """Give a filler person their place in the tenant, right after they are drawn (from ``fill_rng``)."""

    def tenant(self) -> SandboxPlatform:
        """The finished tenant."""


class PeopleGenerator:
    """Builds the cast (one random stream, independent of ``size``), then the filler (another stream)."""

    def __init__(self, seed: int, now: datetime):
        self.now, self.today = now, now.date()
        self.cast_rng = random.Random(f"kwiatek:{seed}:cast")
        self.fill_rng = random.Random(f"kwiatek:{seed}:filler")
        self.namer = Namer()
        self.persons: list[Person] = []
        self.cast: dict[str, Person] = {}
        self.heads: dict[str, str] = {}
        self.leads: dict[str, tuple[str, int]] = {}
        self.cast_count = 0

    def build_cast(self, tenants: list[TenantGenerator]) -> None:
        """The cast, the service accounts, then each tenant's part of the cast."""
        rows = table(_CAST)
        for tenant in tenants:
            self.namer.reserved_names.update(tenant.reserved_names)
        self.namer.reserved_names.update(f"{row[1]} {row[2]}" for row in rows)
        heads = {"Management": "ceo", **{row[3]: row[0] for row in rows if row[0].endswith("_head")}}
        for key, given, sn, dept, state, end, title in rows:
            manager = None if key == "ceo" else "ceo" if key.endswith("_head") else heads[dept]
            local = self.namer.local(given, sn)
            person = Person(
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
            self.persons.append(Person(uid=uid, given="", sn=display, dept="IT", title="Service account",
                                       mail=f"{uid}@{DOMAIN}", kind="service", manager=self.heads["IT"]))
        self.cast_count = len(self.persons)
        for tenant in tenants:
            tenant.add_cast()

    def build_filler(self, count: int, size: int, tenants: list[TenantGenerator]) -> None:
        """``count`` ordinary, clean people; each tenant places each of them right after they are drawn."""
        r = self.fill_rng
        for tenant in tenants:
            tenant.before_filler(size)
        for _ in range(count):
            dept = r.choices(DEPARTMENTS, cum_weights=_DEPARTMENT_CUM_WEIGHTS)[0]
            roll = r.random()
            status = "departed" if roll < 0.06 else "disabled" if roll < 0.07 else "active"
            kind = "contractor" if r.random() < 0.1 else "employee"
            given, sn = random_name(r, self.namer.reserved_names)
            local = self.namer.local(given, sn)
            end = None
            if status != "active":  # departed, or the day before the account was disabled
                end = self.today - timedelta(days=r.randint(1, 730))
            elif kind == "contractor":
                end = self.today + timedelta(days=r.randint(30, 400))
            lead, members = self.leads.get(dept, (self.heads[dept], 0))
            person = Person(
                uid=self.namer.uid(given, sn), given=given, sn=sn, dept=dept, title=r.choice(TITLES[dept]),
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
            for tenant in tenants:
                tenant.add_filler(person)

    def company(self, seed: int, size: int, tenants: list[TenantGenerator]) -> Company:
        """The finished company."""
        people = [p.entry() for p in self.persons]
        earlier = [*people[: self.cast_count], self.cast["ghost"].entry(), *people[self.cast_count:]]
        return Company(seed=seed, size=size, now=self.now, people=people, earlier_people=earlier,
                       tenants=[t.tenant() for t in tenants], ghost_uid=self.cast["ghost"].uid,
                       groups=group_entries(people))


def group_entries(people: list[dict[str, list[str]]]) -> list[dict[str, list[str]]]:
    """The ``GROUPS`` as groupOfNames entries: everyone of the department, leavers included (a directory keeps
    memberships after a departure; rules about groups judge active people only)."""
    entries = []
    for cn, department in GROUPS.items():
        members = [e["dn"][0] for e in people if e.get("departmentNumber") == [department]]
        entries.append({"dn": [f"cn={cn},{GROUPS_OU}"], "objectClass": ["top", "groupOfNames"], "cn": [cn],
                        "member": members})
    return entries
