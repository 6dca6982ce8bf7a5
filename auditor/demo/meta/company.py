"""The fictional company's Meta business (``/tmp/meta_spec.md`` shape), generated together with its people.

Meta's business draws from the people's random streams (the cast's, then the filler's, person by person), so
it is a ``TenantGenerator`` (``auditor.demo.company``) rather than a builder on top of the finished company.

Rules and parameters the business assumes (``SandboxPlatform.policy_parameters`` adds the Meta ones to the
shop's ``Company.policy_parameters``):

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
The tenant's ``token`` is the auditor's own token; ``extra_tokens`` names the other token it inspects.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from auditor.demo.company import AGENCY_DOMAIN, DOMAIN, MAX_ADMINS, PeopleGenerator, Person, Planted, table
from auditor.demo.meta.records import MetaRecords, Record
from auditor.demo.names import fold, words
from auditor.demo.platforms import SandboxPlatform

KIND = "meta"
PLATFORM = "Kwiatek on Meta"
"""The configured platform name that planted findings, service accounts and links refer to."""
BUSINESS_ID = "1234567890"
SHOP_TOKEN_ENV = "AUDITOR_META_SHOPIFY_SYNC_TOKEN"  # noqa: S105 (the name of an environment variable)
APP_SECRET_ENV = "AUDITOR_META_APP_SECRET"  # noqa: S105 (the name of an environment variable)
SELF_ALLOWED_SCOPES = ("business_management", "ads_read", "pages_show_list", "pages_read_engagement",
                       "pages_manage_metadata")
"""The auditor's approved scopes: the connector's required ones plus pages_manage_metadata (Page tokens read
Page assignees, roles and agencies; ``options.page_roles``)."""
SHOP_ALLOWED_SCOPES = ("catalog_management", "business_management")
ACTIVITY_DAYS = 120
META_DEPARTMENTS = frozenset({"Marketing", "E-commerce", "Customer Care"})
_CITIES = words(
    "Warszawa Kraków Łódź Wrocław Poznań Gdańsk Szczecin Bydgoszcz Lublin Białystok Katowice Gdynia "
    "Toruń Rzeszów Kielce Olsztyn Opole Radom Płock Elbląg"
)

_OUTSIDERS = {  # business users who are nobody in the directory: first, last, address, title
    "typo": ("Henryk", "Baran", f"h.baran@{DOMAIN}", "Marketing Assistant"),
    "agency": ("Aleksandra", "Kurek", f"ola.kurek@{AGENCY_DOMAIN}", "Account Manager, Pixel Agency"),
    "personal": ("Kuba", "Mazur", "jakub.mazur.ads@gmail.com", "Marketing"),
}
AUDITOR_PAGE_TASKS = ["MANAGE"]
"""What the shop grants the auditor's system user on each Page: the least a Page token reading roles,
agencies and assignees needs (contract page_agencies_page_token_only, page_assigned_users_manage_task)."""
_TASK_SETS = {
    "@page_admin": ("MANAGE", "CREATE_CONTENT", "MODERATE", "MESSAGING", "ADVERTISE", "ANALYZE"),
    "@waba_admin": ("MANAGE", "MANAGE_TEMPLATES", "VIEW_COST", "MESSAGING", "VIEW_INSIGHTS"),
}
# asset | holders | tasks. The main page has five MANAGE holders here, seven with the auditor's system user and
# d0's direct Page role (planted excess_admins); every other asset has at most three. The auditor's system
# user holds MANAGE on every Page (``AUDITOR_PAGE_TASKS``): Page roles and agencies need its Page token
# (connector option page_roles). Every ad-account holder is active on it in the last 85 days, except the
# planted ones.
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


class MetaTenant:
    """Generates the Meta business alongside the people of ``gen`` (see ``TenantGenerator``)."""

    reserved_names = tuple(f"{first} {last}" for first, last, *_ in _OUTSIDERS.values())

    def __init__(self, gen: PeopleGenerator):
        self.now, self.people = gen.now, gen.cast
        self.cast_rng, self.fill_rng = gen.cast_rng, gen.fill_rng
        self.records = MetaRecords()
        self.records.business_id = BUSINESS_ID
        self.ids = self.records.ids
        self.users: dict[str, Record] = {}
        self.assets: dict[str, Record] = {}
        self.apps: dict[str, Record] = {}
        self.tokens: dict[str, str] = {}
        self.service_accounts: list[Record] = []
        self.links: list[Record] = []
        self.ad_manager: dict[str, Record] = {}
        self.unmanaged: set[str] = set()
        self.pools: dict[str, list[Record]] = {}
        self.planted: list[Planted] = []

    def ago(self, days: float, rng: random.Random) -> datetime:
        """A moment ``days`` before now, a few random minutes earlier still."""
        return self.now - timedelta(days=days, minutes=rng.randrange(0, 600))

    def add_cast(self) -> None:
        """The business users, system users, invitations, assets, apps, tokens and activity of the cast."""
        self._cast_principals()
        self._cast_assets()
        self._cast_apps_and_tokens()
        self._cast_activity()
        self._cast_planted()

    def _cast_principals(self) -> None:
        r, m, c, u = self.cast_rng, self.records, self.people, self.users
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


    def _cast_assets(self) -> None:
        r, a, u = self.cast_rng, self.assets, self.users
        a["main"] = self.records.page("owned_pages", "Kwiatek Sklep", "Florist", r)
        a["blog"] = self.records.page("owned_pages", "Kwiatek Ogród – porady", "Garden Center", r)
        a["fair"] = self.records.page("client_pages", "Targi Kwiatowe Poznań", "Trade Fair", r)
        a["perf"] = self.records.ad_account("owned_ad_accounts", "Kwiatek – Performance", r)
        a["brand"] = self.records.ad_account("owned_ad_accounts", "Kwiatek – Brand", r)
        a["agency_ads"] = self.records.ad_account("client_ad_accounts", "Pixel Agency – Kwiatek", r)
        a["ig_shop"] = self.records.instagram("kwiatek.sklep", r)
        a["ig_garden"] = self.records.instagram("kwiatek.ogrod", r)
        a["waba"] = self.records.waba("Kwiatek Sklep – Obsługa Klienta", r)
        for asset, holders, tasks in table(_PLAN):
            for key in holders.split():
                self.records.assign(a[asset], u[key], list(_TASK_SETS.get(tasks, tasks.split())))
        for page in ("main", "blog", "fair"):
            self.records.assign(a[page], u["su_audit"], AUDITOR_PAGE_TASKS)
        for ad, manager in (("perf", "ecom_head"), ("brand", "mkt_head"), ("agency_ads", "ecom_head")):
            self.ad_manager[a[ad]["id"]] = u[manager]
        self._cast_outside_access()

    def _cast_outside_access(self) -> None:
        """The shop's pixel and catalog, the agency holding assets through a partnership, and d0's personal
        profile still an admin of the main Page by a direct Page role (outside the business)."""
        r, m, a, u = self.cast_rng, self.records, self.assets, self.users
        a["pixel"] = m.pixel("Kwiatek Sklep – Pixel", r)
        a["catalog"] = m.catalog("Kwiatek – katalog produktów", r)
        for asset, key, tasks in (("pixel", "ecom_head", ["EDIT", "ANALYZE", "ADVERTISE"]),
                                  ("pixel", "michal", ["ANALYZE", "ADVERTISE"]),
                                  ("catalog", "ecom_head", ["MANAGE", "ADVERTISE"]),
                                  ("catalog", "su_shop", ["MANAGE"]),
                                  ("catalog", "adam", ["ADVERTISE"])):
            m.assign(a[asset], u[key], tasks)
        self.agency = m.partner("agencies", self.ids.new(r), "Pixel Agency Sp. z o.o.")
        m.share(a["perf"], self.agency, ["ADVERTISE", "ANALYZE"])
        m.share(a["pixel"], self.agency, ["EDIT", "ANALYZE", "ADVERTISE", "UPLOAD"])
        d0 = self.people["d0"]
        self.page_admin = {"id": self.ids.new(r), "name": d0.name}
        m.page_role(a["main"], self.page_admin["id"], d0.name, list(_TASK_SETS["@page_admin"]))

    def _cast_apps_and_tokens(self) -> None:
        r, m, u, a = self.cast_rng, self.records, self.users, self.assets
        for key, name, link in (
            ("audit", "Kwiatek Access Auditor", f"https://{DOMAIN}/auditor"),
            ("shop", "Kwiatek Shopify Sync", f"https://{DOMAIN}/shopify-sync"),
            ("hootsuite", "Hootsuite", "https://hootsuite.example/"),
            ("promo", "Promo Booster Pro", "https://promo-booster.example/"),  # planted: unapproved_app
        ):
            self.apps[key] = {"id": self.ids.new(r), "name": name, "link": link,
                              "namespace": fold(name)}
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
        owner = self.people["it_head"].uid
        self.service_accounts = [
            {"platform": PLATFORM, "account_id": u["su_audit"]["id"], "owner": owner,
             "note": "system user of the access auditor (its own token)"},
            {"platform": PLATFORM, "account_id": u["su_shop"]["id"], "owner": owner,
             "note": f"Shopify catalog and conversions sync ({SHOP_TOKEN_ENV})"},
            {"platform": PLATFORM, "account_id": u["su_bot"]["id"], "owner": self.people["d0"].uid,
             "note": "marketing automation bot"},
        ]
        personal = u["personal"]
        self.links = [{"platform": PLATFORM, "account_id": personal["id"], "email": personal["email"],
                       "uid": self.people["jakub"].uid},
                      # Page roles show no email: the admin recognised d0's personal profile by hand
                      {"platform": PLATFORM, "account_id": self.page_admin["id"], "uid": self.people["d0"].uid}]

    def _cast_planted(self) -> None:
        """The findings the business plants (compare on ``Planted.key``)."""
        u, c = self.users, self.people
        invitation = {record["email"]: record["id"] for record in self.records.edges["pending_users"]}

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
        plant("orphaned_access", self.page_admin["id"], "departed 90 days ago, still an admin of the main "
              "Page through a direct Page role of a personal profile (outside the business)", "d0")
        agency = self.agency["id"]
        plant("partner_access", agency, "partner-not-approved: Pixel Agency is not an approved partner")
        plant("partner_access", agency, "partner-admin-tasks: Pixel Agency holds EDIT on the shop's pixel")
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
        plant("excess_admins", None, f"page Kwiatek Sklep has 7 MANAGE holders: five business "
              f"users, the auditor's system user and d0's direct Page role (limit {MAX_ADMINS})",
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
        # d0's personal profile holds a direct Page role only: Meta reports neither its 2FA nor an email, and
        # logs no Page activity, so three rules cannot judge it (read with the auditor's Page token)
        plant("could_not_verify", None, "2FA of d0's personal profile (direct Page role) is not reported "
              "(severity low)", "d0")
        plant("could_not_verify", None, "d0's personal profile (direct Page role) has no email to check for a "
              "personal address (severity low)", "d0")
        plant("could_not_verify", None, "post-departure activity of d0's direct Page role cannot be judged: "
              "Meta logs activity for ad accounts only (severity info)", "d0")


    def _busy(self, ad: Record, who: Record, rng: random.Random, most: int = 3,
              app: Record | None = None) -> None:
        """Ordinary recent activity: 1..most events within the last 85 days."""
        for _ in range(rng.randint(1, most)):
            self.records.activity(ad, self.ago(rng.uniform(1, 85), rng), who, rng, app=app)

    def _cast_activity(self) -> None:
        r, m, u, a = self.cast_rng, self.records, self.users, self.assets
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


    def before_filler(self, size: int) -> None:
        """Regional pages, ad accounts and Instagram accounts per 400 people, a WhatsApp account per 4000."""
        r, a = self.fill_rng, self.assets
        pools = {"pages": [a["main"], a["blog"]], "ads": [a["perf"], a["brand"]],
                 "igs": [a["ig_shop"], a["ig_garden"]], "wabas": [a["waba"]]}
        for i in range(size // 400):
            city = _CITIES[i % len(_CITIES)] + (f" {i // len(_CITIES) + 1}" if i >= len(_CITIES) else "")
            page = self.records.page("owned_pages", f"Kwiatek {city}", "Florist", r)
            self.records.assign(page, self.users["su_audit"], AUDITOR_PAGE_TASKS)
            ad = self.records.ad_account("owned_ad_accounts", f"Kwiatek – {city}", r)
            pools["pages"].append(page)
            pools["ads"].append(ad)
            pools["igs"].append(self.records.instagram(f"kwiatek.{fold(city)}", r))
            self.unmanaged.update((page["id"], ad["id"]))
            if i % 10 == 9:
                waba = self.records.waba(f"Kwiatek {city} – WhatsApp", r)
                pools["wabas"].append(waba)
                self.unmanaged.add(waba["id"])
        self.pools = pools

    def _grant(self, asset: Record, user: Record, tasks: list[str], manage: tuple[str, ...] = ()) -> None:
        """Assign a filler user; the first holder of a regional asset also gets its ``manage`` tasks."""
        if manage and asset["id"] in self.unmanaged:
            self.unmanaged.discard(asset["id"])
            tasks = list(dict.fromkeys([*manage, *tasks]))
            if asset["id"].startswith("act_"):
                self.ad_manager[asset["id"]] = user
        self.records.assign(asset, user, tasks)

    def add_filler(self, person: Person) -> None:
        """Most active Marketing, E-commerce and Customer Care staff use Meta."""
        r = self.fill_rng
        if person.status == "active" and person.dept in META_DEPARTMENTS and r.random() < 0.9:
            self._filler_user(person, self.pools, r)

    def _filler_user(self, p: Person, pools: dict[str, list[Record]], r: random.Random) -> None:
        """A business user for ``p`` with ordinary tasks on the company's (and the regional) assets."""
        email = p.aliases[0] if r.random() < 0.1 else p.mail
        user = self.records.user(self.ids.new(r), p.given, p.sn, email, p.title,
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
                self.records.role_granted(ad, self.ago(r.uniform(1, ACTIVITY_DAYS - 1), r), manager, user, tasks)

    def _data(self, business: Record) -> dict[str, Any]:
        """The emulator data; the Shopify sync's system user holds full control of its app, so its token may
        inspect itself with debug_token (contract debug_token_caller); the auditor's app needs its app token."""
        data = self.records.data(business)
        data["app_roles"] = {self.apps["shop"]["id"]: [self.users["su_shop"]["id"]]}
        return data

    def tenant(self) -> SandboxPlatform:
        """The finished business as the demo's Meta tenant."""
        approved = [self.apps[key]["id"] for key in ("audit", "shop", "hootsuite")]
        allowlist = {self.apps["audit"]["id"]: list(SELF_ALLOWED_SCOPES),
                     self.apps["shop"]["id"]: list(SHOP_ALLOWED_SCOPES)}
        business = {"id": BUSINESS_ID, "name": "Kwiatek Shop", "two_factor_type": "admin_required"}
        extra_tokens = {SHOP_TOKEN_ENV: self.tokens[SHOP_TOKEN_ENV]}
        return SandboxPlatform(
            kind=KIND, name=PLATFORM, tenant_id=BUSINESS_ID, data=self._data(business),
            token=self.tokens["self"], planted=list(self.planted),
            settings={"business_id": BUSINESS_ID, "inspect_tokens": sorted(extra_tokens),
                      "options": {"app_id": self.apps["audit"]["id"], "app_secret_env": APP_SECRET_ENV}},
            service_accounts=self.service_accounts, links=self.links, extra_tokens=extra_tokens, revocation=True,
            policy_parameters={
                "excess-app-scope": {"allowed_scopes": allowlist, "default_allowed": list(SELF_ALLOWED_SCOPES)},
                "unapproved-app": {"approved_apps": approved},
            },
        )
