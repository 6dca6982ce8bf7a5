"""Every shipped rule has a passing and a failing case, built from small in-memory snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from auditor.config import MatchingSettings, ServiceAccount
from auditor.connectors.magento import mapping as magento_mapping
from auditor.connectors.shopify import mapping as shopify_mapping
from auditor.connectors.woocommerce import mapping as wp_mapping
from auditor.errors import PolicyError
from auditor.model import Account, AccountKind, App, Capabilities
from auditor.policy.engine import evaluate
from auditor.policy.facts import EvaluationContext
from auditor.policy.loader import RESERVED_FILES, load_policy_file
from tests.policy.builders import (
    FULL,
    POLICIES,
    ago,
    asset,
    context,
    event,
    grant,
    person,
    snapshot,
    user,
)

SERVICE = MatchingSettings(
    company_domains=["corp.example"],
    service_accounts=[
        ServiceAccount(platform="shop-meta", account_id="su-ok", owner="owner"),
        ServiceAccount(platform="shop-meta", account_id="su-left", owner="leaver"),
        ServiceAccount(platform="shop-meta", account_id="su-ghost", owner="nobody"),
        ServiceAccount(platform="shop-meta", account_id="su-none"),
    ],
)


def _orphan(status: str) -> EvaluationContext:
    people = [person("alice", status=status, left_days=10 if status != "active" else None)]
    snap = snapshot([user("u1", "alice@corp.example")], [grant("u1", "p1", "MANAGE", True)])
    return context(snap, people)


def _invitation(status: str) -> EvaluationContext:
    people = [person("bob", status=status, left_days=30 if status != "active" else None)]
    snap = snapshot(
        [user("inv1", "bob@corp.example", kind="invitation", two_factor=None, created_days=3)],
        [grant("inv1", None, "EMPLOYEE")],
    )
    return context(snap, people)


def _post_departure(
    event_days: float, *, target: bool = False, audit_log: bool = True, kind: str = "user"
) -> EvaluationContext:
    people = [person("dan", status="departed", left_days=20)]
    caps = FULL if audit_log else Capabilities(per_user_2fa=True, account_emails=True)
    ev = event("boss", event_days, target="u1") if target else event("u1", event_days)
    snap = snapshot(
        [user("u1", "dan@corp.example", kind=kind)],
        [grant("u1", "act_1", "ADVERTISE")],
        assets=[asset("act_1", "ad_account")],
        events=[ev],
        capabilities=caps,
        activity_since=ago(120),
        kind="meta",
    )
    return context(snap, people)


def _account(*emails: str, settings: MatchingSettings | None = None, **kw: Any) -> EvaluationContext:
    people = [person("carol", "carol@corp.example")]
    snap = snapshot([user("u1", *emails, **kw)], [grant("u1", "p1")])
    return context(snap, people, settings)


def _two_factor(value: bool | None, privileged: bool = False) -> EvaluationContext:
    people = [person("carol")]
    snap = snapshot(
        [user("u1", "carol@corp.example", two_factor=value)],
        [grant("u1", None, "ADMIN" if privileged else "EMPLOYEE", privileged)],
    )
    return context(snap, people)


def _tenant(required: str | None) -> EvaluationContext:
    return context(snapshot(two_factor=required))


def _apps(*apps: App) -> EvaluationContext:
    return context(snapshot(apps=list(apps)))


def _activity(
    *,
    last_days: float | None = None,
    since_days: float | None = None,
    event_days: float | None = None,
    privileged: bool = False,
) -> EvaluationContext:
    people = [person("erin")]
    account = user("u1", "erin@corp.example", last_activity=ago(last_days) if last_days is not None else None)
    events = [event("u1", event_days)] if event_days is not None else []
    snap = snapshot(
        [account],
        [grant("u1", "act_1", "MANAGE" if privileged else "ANALYZE", privileged)],
        assets=[asset("act_1", "ad_account")],
        events=events,
        activity_since=ago(since_days) if since_days is not None else None,
        kind="meta",
    )
    return context(snap, people)


def _admins(count: int, *, invitations: int = 0, on_tenant: bool = False) -> EvaluationContext:
    accounts = [user(f"a{i}", f"a{i}@corp.example") for i in range(count)]
    accounts += [user(f"i{i}", f"i{i}@corp.example", kind="invitation") for i in range(invitations)]
    target = None if on_tenant else "p1"
    grants = [grant(a.account_id, target, "MANAGE", True) for a in accounts]
    return context(snapshot(accounts, grants, assets=[asset("p1", "page", "Main page")]))


def _contract(end_days: int, status: str = "active") -> EvaluationContext:
    people = [person("zoe", kind="contractor", status=status, end_days=end_days)]
    return context(snapshot([user("u1", "zoe@corp.example")], [grant("u1", "p1")]), people)


def _duplicate(*dns: str) -> EvaluationContext:
    frank = person("frank", status="departed" if dns else "active", left_days=5 if dns else None)
    frank.duplicates = dns
    return context(snapshot([user("u1", "frank@corp.example")], [grant("u1", "p1")]), [frank])


def _service(account_id: str) -> EvaluationContext:
    people = [person("owner"), person("leaver", status="departed", left_days=90)]
    snap = snapshot([user(account_id, kind="system_user", two_factor=None)], [grant(account_id, "p1")])
    return context(snap, people, SERVICE)


def _stale(created_days: float | None) -> EvaluationContext:
    people = [person("fay")]
    snap = snapshot(
        [user("inv1", "fay@corp.example", kind="invitation", two_factor=None, created_days=created_days)]
    )
    return context(snap, people)


def _grouped(groups: tuple[str, ...] | None, *, kind: str = "gtm", privileged: bool = True,
             status: str = "active") -> EvaluationContext:
    """Tag Manager publish rights (or a read role) held by someone in ``groups`` (None: groups unknown)."""
    alice = person("alice", status=status, left_days=3 if status != "active" else None)
    alice.groups = groups
    role = "publish" if privileged else "read"
    snap = snapshot([user("u1", "alice@corp.example")], [grant("u1", "c1", role, privileged)], kind=kind)
    return context(snap, [alice])


MARKETING_DN = "cn=Marketing,ou=groups,dc=corp,dc=example"


def _partner(*, privileged: bool = False, grants: bool = True, name: str = "Agency Ltd") -> EvaluationContext:
    partner = Account(account_id="bp-9", kind=AccountKind.PARTNER, name=name, two_factor=None)
    held = [grant("bp-9", "p1", "CREATE_CONTENT"), grant("bp-9", "act_1", "MANAGE", privileged)] if grants else []
    snap = snapshot([partner], held, assets=[asset("p1", "page", "Shop Page"), asset("act_1", "ad_account")])
    return context(snap, [person("carol")])


def _shopify_staff(account_type: str = "COLLABORATOR", *, owner: str | None = None, status: str = "active",
                   shop_owner: bool = False, email: str = "ola@agency.example") -> EvaluationContext:
    """One Shopify staff member, mapped by the connector's own mapping (collaborators, shop owners)."""
    node = {"id": "c1", "name": "Ola", "email": email, "active": True, "isShopOwner": shop_owner,
            "accountType": account_type, "privateData": {"permissions": ["PRODUCTS"]}}
    account = shopify_mapping.staff_account(node)
    people = [person("owner", status=status, left_days=10 if status != "active" else None), person("alice")]
    settings = MatchingSettings(company_domains=["corp.example"], service_accounts=[
        ServiceAccount(platform="shop-meta", account_id="c1", owner=owner)] if owner else [])
    return context(snapshot([account], [shopify_mapping.staff_grant(account)], kind="shopify",
                            capabilities=Capabilities(account_emails=True)), people, settings)


def _app_password(*, used_days: float, status: str = "active") -> EvaluationContext:
    """A WordPress editor with one application password (named like a Zapier connection)."""
    owner = wp_mapping.user_account({"id": 7, "username": "tom", "name": "Tom", "email": "tom@corp.example",
                                     "roles": ["editor"], "capabilities": {"editor": True}})
    used = ago(used_days).strftime("%Y-%m-%dT%H:%M:%S")
    password = wp_mapping.password_account(owner, {"uuid": "u1", "app_id": "", "name": "Zapier - posts",
                                                   "created": used, "last_used": used, "last_ip": "203.0.113.1"})
    owner_grant = wp_mapping.user_grant(owner)
    tom = person("tom", status=status, left_days=30 if status != "active" else None)
    snap = snapshot([password], [wp_mapping.password_grant(owner_grant, password)], kind="woocommerce",
                    capabilities=Capabilities(account_emails=True))
    return context(snap, [tom])


def _magento(*, full_admin: bool, providers: str | None, integration: str | None = None,
             status: str = "active") -> EvaluationContext:
    """A Magento admin (``Magento_Backend::all`` or a content role; 2FA providers as stored, None: no
    ``tfa_user_config`` row) and, with ``integration`` (its contact email), an integration with a live token."""
    roles = [{"role_id": 1, "role_type": "G", "role_name": "Administrators"},
             {"role_id": 2, "role_type": "G", "role_name": "Content"},
             {"role_id": 3, "parent_id": 1 if full_admin else 2, "role_type": "U", "user_id": 5, "user_type": "2"},
             {"role_id": 4, "parent_id": 0, "role_type": "U", "user_id": 9, "user_type": "1"}]
    rules = [{"role_id": 1, "resource_id": magento_mapping.FULL_ADMIN, "permission": "allow"},
             {"role_id": 2, "resource_id": "Magento_Cms::page", "permission": "allow"},
             {"role_id": 4, "resource_id": "Magento_Sales::sales", "permission": "allow"}]
    acl = magento_mapping.Acl(roles, rules)
    tfa = None if providers is None else {"user_id": 5, "encoded_providers": providers}
    admin = magento_mapping.admin_account({"user_id": 5, "firstname": "Ann", "lastname": "Admin", "username": "ann",
                                           "email": "ann@corp.example", "is_active": 1, "logdate": ago(1)},
                                          tfa, now=ago(0), tfa_read=True)
    accounts, grants = [admin], [acl.grant(admin.account_id, "2", 5)]
    people = [person("ann")]
    if integration is not None:
        token = {"consumer_id": 3, "type": "access", "revoked": 0, "created_at": ago(100)}
        erp = magento_mapping.integration_account(
            {"integration_id": 9, "name": "ERP", "email": integration, "consumer_id": 3},
            magento_mapping.live_tokens([token], 3))
        accounts.append(erp)
        grants.append(acl.grant(erp.account_id, "1", 9))
        people.append(person("erp", status=status, left_days=30 if status != "active" else None))
    snap = snapshot(accounts, [g for g in grants if g is not None], kind="magento",
                    capabilities=Capabilities(per_user_2fa=True, account_emails=True))
    return context(snap, people)


AGREEMENT = {"partner_agreements": {"bp-9": "2025-05-31"}}
"""The partner's agreement ended the day before NOW (2025-06-01)."""

TOKEN_SELF = "self"
READ = ("business_management", "ads_read", "pages_show_list")

Case = tuple[str, str, Callable[[], EvaluationContext], dict[str, Any], str, str | None, str | None]
# (rule, case id, context builder, parameter overrides, outcome, subject, severity)
CASES: list[Case] = [
    ("orphaned-access", "departed", lambda: _orphan("departed"), {}, "fail", "account:u1", "critical"),
    ("orphaned-access", "disabled", lambda: _orphan("disabled"), {}, "fail", "account:u1", "critical"),
    ("orphaned-access", "active", lambda: _orphan("active"), {}, "pass", None, None),
    ("orphaned-invitation", "departed", lambda: _invitation("departed"), {}, "fail", "account:inv1", "high"),
    ("orphaned-invitation", "active", lambda: _invitation("active"), {}, "pass", None, None),
    (
        "post-departure-activity",
        "acted after",
        lambda: _post_departure(8),
        {},
        "fail",
        "event:u1",
        "critical",
    ),
    (
        "post-departure-activity",
        "role granted after",
        lambda: _post_departure(5, target=True),
        {},
        "fail",
        "event:u1",
        "critical",
    ),
    ("post-departure-activity", "acted before", lambda: _post_departure(30), {}, "pass", None, None),
    (
        "post-departure-activity",
        "within grace",
        lambda: _post_departure(19),
        {"grace_days": 2},
        "pass",
        None,
        None,
    ),
    (
        "post-departure-activity",
        "no audit log",
        lambda: _post_departure(30, audit_log=False),
        {},
        "unknown",
        None,
        None,
    ),
    (
        "post-departure-activity",
        "invitations cannot act",
        lambda: _post_departure(8, audit_log=False, kind="invitation"),
        {},
        "pass",
        None,
        None,
    ),
    ("unmatched-account", "nobody", lambda: _account("ghost@corp.example"), {}, "fail", "account:u1", "high"),
    ("unmatched-account", "matched", lambda: _account("carol@corp.example"), {}, "pass", None, None),
    (
        "unmatched-account",
        "service account",
        lambda: _account(
            "bot@corp.example",
            settings=MatchingSettings(
                service_accounts=[
                    ServiceAccount(platform="shop-meta", email="bot@corp.example", owner="carol")
                ]
            ),
        ),
        {},
        "pass",
        None,
        None,
    ),
    ("unmatched-account", "no email, no link", lambda: _account(), {}, "fail", "account:u1", "high"),
    (
        "personal-email",
        "gmail",
        lambda: _account("carol.private@gmail.com"),
        {},
        "fail",
        "account:u1",
        "medium",
    ),
    ("personal-email", "company", lambda: _account("carol@corp.example"), {}, "pass", None, None),
    ("missing-2fa", "off", lambda: _two_factor(False), {}, "fail", "account:u1", "medium"),
    (
        "missing-2fa",
        "off privileged",
        lambda: _two_factor(False, privileged=True),
        {},
        "fail",
        "account:u1",
        "high",
    ),
    ("missing-2fa", "on", lambda: _two_factor(True, privileged=True), {}, "pass", None, None),
    ("missing-2fa", "not reported", lambda: _two_factor(None), {}, "unknown", None, None),
    ("tenant-2fa-not-enforced", "none", lambda: _tenant("none"), {}, "fail", "tenant:biz-1", "high"),
    ("tenant-2fa-not-enforced", "admins", lambda: _tenant("admins"), {}, "fail", "tenant:biz-1", "medium"),
    ("tenant-2fa-not-enforced", "all", lambda: _tenant("all"), {}, "pass", None, None),
    (
        "tenant-2fa-not-enforced",
        "admins suffice",
        lambda: _tenant("admins"),
        {"required": "admins"},
        "pass",
        None,
        None,
    ),
    ("tenant-2fa-not-enforced", "not reported", lambda: _tenant(None), {}, "unknown", None, None),
    (
        "excess-app-scope",
        "own token writes",
        lambda: _apps(App("a1", "Auditor", (*READ, "ads_management"), token_ref=TOKEN_SELF)),
        {},
        "fail",
        "token:self",
        "high",
    ),
    (
        "excess-app-scope",
        "own token read-only",
        lambda: _apps(App("a1", "Auditor", READ, token_ref=TOKEN_SELF)),
        {},
        "pass",
        None,
        None,
    ),
    (
        "excess-app-scope",
        "configured app",
        lambda: _apps(App("shop", "Sync", ("catalog_management", "pages_manage_metadata"))),
        {"allowed_scopes": {"shop": ["catalog_management"]}},
        "fail",
        "app:shop",
        "high",
    ),
    (
        "excess-app-scope",
        "configured token within",
        lambda: _apps(App("shop", "Sync", ("catalog_management",), token_ref="SHOP_TOKEN")),
        {"allowed_scopes": {"SHOP_TOKEN": ["catalog_management"]}},
        "pass",
        None,
        None,
    ),
    (
        "excess-app-scope",
        "no allowance configured",
        lambda: _apps(App("x", "X", ("ads_management",))),
        {},
        "pass",
        None,
        None,
    ),
    (
        "excess-app-scope",
        "token scopes not reported",
        lambda: _apps(App("a1", "Auditor", None, token_ref="self")),
        {},
        "unknown",
        None,
        None,
    ),
    (
        "unapproved-app",
        "not approved",
        lambda: _apps(App("promo", "Promo")),
        {"approved_apps": ["hoot"]},
        "fail",
        "app:promo",
        "medium",
    ),
    (
        "unapproved-app",
        "approved",
        lambda: _apps(App("hoot", "Hootsuite")),
        {"approved_apps": ["hoot"]},
        "pass",
        None,
        None,
    ),
    (
        "unapproved-app",
        "inspected token",
        lambda: _apps(App("promo", "Promo", (), token_ref="self")),
        {},
        "pass",
        None,
        None,
    ),
    (
        "dormant-access",
        "last activity old",
        lambda: _activity(last_days=120),
        {},
        "fail",
        "account:u1",
        "low",
    ),
    (
        "dormant-access",
        "privileged",
        lambda: _activity(last_days=120, privileged=True),
        {},
        "fail",
        "account:u1",
        "medium",
    ),
    (
        "dormant-access",
        "no events in a long log",
        lambda: _activity(since_days=120),
        {},
        "fail",
        "account:u1",
        "low",
    ),
    (
        "dormant-access",
        "recent event",
        lambda: _activity(since_days=120, event_days=10),
        {},
        "pass",
        None,
        None,
    ),
    ("dormant-access", "recent last activity", lambda: _activity(last_days=5), {}, "pass", None, None),
    ("dormant-access", "short log", lambda: _activity(since_days=30), {}, "unknown", None, None),
    (
        "dormant-access",
        "log as long as the period",
        lambda: _activity(since_days=90),
        {},
        "fail",
        "account:u1",
        "low",
    ),
    (
        "dormant-access",
        "shorter period",
        lambda: _activity(since_days=30),
        {"days": 20},
        "fail",
        "account:u1",
        "low",
    ),
    ("excess-admins", "four", lambda: _admins(4), {}, "fail", "asset:p1", "medium"),
    ("excess-admins", "three", lambda: _admins(3), {}, "pass", None, None),
    ("excess-admins", "invitations do not count", lambda: _admins(3, invitations=2), {}, "pass", None, None),
    ("excess-admins", "raised limit", lambda: _admins(4), {"max_admins": 4}, "pass", None, None),
    ("excess-admins", "tenant roles not judged", lambda: _admins(5, on_tenant=True), {}, "pass", None, None),
    ("contract-expired", "ended", lambda: _contract(-10), {}, "fail", "account:u1", "high"),
    ("contract-expired", "running", lambda: _contract(30), {}, "pass", None, None),
    ("contract-expired", "ends today", lambda: _contract(0), {}, "pass", None, None),
    ("contract-expired", "within grace", lambda: _contract(-10), {"grace_days": 14}, "pass", None, None),
    ("contract-expired", "already departed", lambda: _contract(-10, "departed"), {}, "pass", None, None),
    ("duplicate-identity", "two entries", lambda: _duplicate("uid=frank,ou=leavers", "uid=frank,ou=people"), {},
     "fail", "account:u1", "high"),
    ("duplicate-identity", "one entry", lambda: _duplicate(), {}, "pass", None, None),
    (
        "ownerless-service-account",
        "not registered",
        lambda: _service("su-x"),
        {},
        "fail",
        "account:su-x",
        "medium",
    ),
    (
        "ownerless-service-account",
        "owner departed",
        lambda: _service("su-left"),
        {},
        "fail",
        "account:su-left",
        "medium",
    ),
    (
        "ownerless-service-account",
        "owner not in directory",
        lambda: _service("su-ghost"),
        {},
        "fail",
        "account:su-ghost",
        "medium",
    ),
    (
        "ownerless-service-account",
        "no owner",
        lambda: _service("su-none"),
        {},
        "fail",
        "account:su-none",
        "medium",
    ),
    ("ownerless-service-account", "owned", lambda: _service("su-ok"), {}, "pass", None, None),
    ("stale-invitation", "old", lambda: _stale(45), {}, "fail", "account:inv1", "low"),
    ("stale-invitation", "fresh", lambda: _stale(5), {}, "pass", None, None),
    ("stale-invitation", "age not reported", lambda: _stale(None), {}, "unknown", None, None),
    (
        "platform-not-verified",
        "failed fetch",
        lambda: context(snapshot(complete=False, errors=["shop-meta: HTTP 500 on business_users"])),
        {},
        "unknown",
        "tenant:biz-1",
        "high",
    ),
    ("platform-not-verified", "complete", lambda: context(snapshot()), {}, "pass", None, None),
    ("partner-not-approved", "unknown partner", _partner, {}, "fail", "account:bp-9", "high"),
    ("partner-not-approved", "approved by id", _partner, {"approved_partners": ["bp-9"]}, "pass", None, None),
    ("partner-not-approved", "approved by name", _partner, {"approved_partners": ["agency ltd"]}, "pass", None,
     None),
    ("partner-not-approved", "holds nothing", lambda: _partner(grants=False), {}, "pass", None, None),
    ("partner-admin-tasks", "admin tasks", lambda: _partner(privileged=True), {}, "fail", "account:bp-9",
     "medium"),
    ("partner-admin-tasks", "task roles only", _partner, {}, "pass", None, None),
    ("partner-agreement-expired", "ended yesterday", _partner, AGREEMENT, "fail", "account:bp-9", "high"),
    ("partner-agreement-expired", "ends today", _partner, {"partner_agreements": {"bp-9": "2025-06-01"}}, "pass",
     None, None),
    ("partner-agreement-expired", "no agreement recorded", _partner, {}, "pass", None, None),
    ("partner-agreement-expired", "numeric id and YAML date", _partner,
     {"partner_agreements": {"bp-8": date(2020, 1, 1)}}, "pass", None, None),
    ("privileged-outside-groups", "publish outside the groups", lambda: _grouped(("cn=sales,dc=corp,dc=example",)),
     {}, "fail", "grant:u1:c1:publish", "high"),
    ("privileged-outside-groups", "in no group at all", lambda: _grouped(()), {}, "fail", "grant:u1:c1:publish",
     "high"),
    ("privileged-outside-groups", "GA4 admin outside", lambda: _grouped((), kind="ga4"), {}, "fail",
     "grant:u1:c1:publish", "high"),
    ("privileged-outside-groups", "member by name", lambda: _grouped((MARKETING_DN,)), {}, "pass", None, None),
    ("privileged-outside-groups", "member by DN", lambda: _grouped((MARKETING_DN.upper(),)),
     {"allowed_groups": [MARKETING_DN]}, "pass", None, None),
    ("privileged-outside-groups", "read role only", lambda: _grouped((), privileged=False), {}, "pass", None, None),
    ("privileged-outside-groups", "another platform", lambda: _grouped((), kind="meta"), {}, "pass", None, None),
    ("privileged-outside-groups", "leaver (orphaned-access judges)", lambda: _grouped((), status="departed"), {},
     "pass", None, None),
    ("privileged-outside-groups", "groups unknown", lambda: _grouped(None), {}, "unknown", None, None),
    ("orphaned-access", "GA4 admin who left", lambda: _grouped((MARKETING_DN,), kind="ga4", status="departed"), {},
     "fail", "account:u1", "critical"),
    ("collaborator-without-owner", "agency collaborator linked to nobody", _shopify_staff, {}, "fail",
     "account:c1", "high"),
    ("collaborator-without-owner", "team member whose registered owner left",
     lambda: _shopify_staff("COLLABORATOR_TEAM_MEMBER", owner="owner", status="departed"), {}, "fail",
     "account:c1", "high"),
    ("collaborator-without-owner", "registered with an active owner", lambda: _shopify_staff(owner="owner"), {},
     "pass", None, None),
    ("collaborator-without-owner", "linked to its person", lambda: _shopify_staff(email="alice@corp.example"), {},
     "pass", None, None),
    ("collaborator-without-owner", "regular staff", lambda: _shopify_staff("REGULAR"), {}, "pass", None, None),
    ("collaborator-without-owner", "collaborator request not accepted", lambda: _shopify_staff("REQUESTED"), {},
     "pass", None, None),
    ("orphaned-access", "Shopify shop owner who left",
     lambda: _shopify_staff("REGULAR", shop_owner=True, email="owner@corp.example", status="departed"), {}, "fail",
     "account:c1", "critical"),
    ("orphaned-access", "a leaver's application password", lambda: _app_password(used_days=3, status="departed"),
     {}, "fail", "account:7:app-password:u1", "critical"),
    ("dormant-access", "application password unused for 120 days", lambda: _app_password(used_days=120), {},
     "fail", "account:7:app-password:u1", "low"),
    ("dormant-access", "application password used last week", lambda: _app_password(used_days=7), {}, "pass",
     None, None),
    ("missing-2fa", "Magento full admin never enrolled", lambda: _magento(full_admin=True, providers=None), {},
     "fail", "account:admin:5", "high"),
    ("missing-2fa", "Magento content admin, empty provider list", lambda: _magento(full_admin=False, providers="[]"),
     {}, "fail", "account:admin:5", "medium"),
    ("missing-2fa", "Magento full admin enrolled", lambda: _magento(full_admin=True, providers='["google"]'), {},
     "pass", None, None),
    ("missing-2fa", "Magento providers unreadable", lambda: _magento(full_admin=True, providers="google"), {},
     "unknown", None, None),
    ("orphaned-access", "a leaver's Magento integration", lambda: _magento(
        full_admin=True, providers='["google"]', integration="erp@corp.example", status="departed"), {}, "fail",
     "account:integration:9", "critical"),
    ("orphaned-access", "an active owner's Magento integration", lambda: _magento(
        full_admin=True, providers='["google"]', integration="erp@corp.example"), {}, "pass", None, None),
]


def run(rule: str, ctx: EvaluationContext, overrides: dict[str, Any]) -> list:
    policy = load_policy_file(POLICIES / f"{rule}.yaml", overrides, POLICIES / "test-overrides.yaml")
    return evaluate(ctx, [policy])


@pytest.mark.parametrize(
    ("rule", "build", "overrides", "outcome", "subject", "severity"),
    [pytest.param(r, b, o, out, s, sev, id=f"{r}: {c}") for r, c, b, o, out, s, sev in CASES],
)
def test_rule(rule, build, overrides, outcome, subject, severity):
    verdicts = run(rule, build(), overrides)
    if outcome == "pass":
        assert verdicts == []
        return
    assert len(verdicts) == 1, [v.message for v in verdicts]
    verdict = verdicts[0]
    assert verdict.rule == rule
    if subject is None:  # an aggregated could-not-verify verdict
        assert verdict.category == "could_not_verify"
        # info and a coverage note when the platform does not expose the value, low and a finding when a
        # value it exposes is missing
        gap = verdict.evidence["reason"].startswith("the platform does not expose")
        assert (verdict.severity, verdict.outcome) == (("info", "coverage") if gap else ("low", "unknown"))
        assert verdict.evidence["count"] == 1
        return
    assert verdict.outcome == outcome
    assert verdict.subject == subject
    assert verdict.severity == severity
    assert verdict.platform == "shop-meta" and verdict.tenant == "biz-1"
    assert verdict.message and "{" not in verdict.message


def test_every_shipped_rule_has_a_passing_and_a_failing_case():
    rules = {p.stem for p in POLICIES.glob("*.yaml") if p.name not in RESERVED_FILES}
    failing = {c[0] for c in CASES if c[4] in ("fail", "unknown") and c[5] is not None}
    passing = {c[0] for c in CASES if c[4] == "pass"}
    assert rules == failing
    assert rules == passing


def test_partner_messages_name_the_partner_and_its_assets():
    (admin,) = run("partner-admin-tasks", _partner(privileged=True), {})
    assert admin.message == "Partner Agency Ltd (bp-9) holds admin-level tasks: act_1:MANAGE"
    (unapproved,) = run("partner-not-approved", _partner(), {})
    assert unapproved.message == ("Partner Agency Ltd (bp-9) is not an approved partner and holds: "
                                  "Shop Page (p1), act_1 (act_1)")
    (expired,) = run("partner-agreement-expired", _partner(), AGREEMENT)
    assert "ended on 2025-05-31" in expired.message and "Shop Page (p1)" in expired.message
    assert expired.account == "bp-9"


@pytest.mark.parametrize("overrides", [
    {"approved_partners": "bp-9"},
    {"partner_agreements": ["bp-9"]},
    {"partner_agreements": {"bp-9": "end of May"}},
])
def test_bad_partner_parameters_name_the_parameter(overrides):
    name = next(iter(overrides))
    rule = "partner-not-approved" if name == "approved_partners" else "partner-agreement-expired"
    with pytest.raises(PolicyError, match=rf"{rule}\.{name}|parameter {name}"):
        run(rule, _partner(), overrides)


def test_the_rules_about_people_do_not_judge_partners():
    """A partner has no email, 2FA status, activity or directory person: only the partner rules see it."""
    partner = Account(account_id="bp-9", kind=AccountKind.PARTNER, name="Agency Ltd", two_factor=None)
    snap = snapshot([partner], [grant("bp-9", "p1", "MANAGE", True)], assets=[asset("p1")], kind="meta",
                    activity_since=ago(120))
    policies = [load_policy_file(path) for path in sorted(POLICIES.glob("*.yaml"))
                if path.name not in RESERVED_FILES and not path.stem.startswith("partner-")]
    verdicts = evaluate(context(snap), policies)
    assert [(v.rule, v.subject) for v in verdicts] == []
