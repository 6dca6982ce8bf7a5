"""Every shipped rule has a passing and a failing case, built from small in-memory snapshots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from auditor.config import MatchingSettings, ServiceAccount
from auditor.model import App, Capabilities
from auditor.policy.engine import evaluate
from auditor.policy.facts import EvaluationContext
from auditor.policy.loader import load_policy_file
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
        assert verdict.outcome == "unknown"
        assert verdict.category == "could_not_verify"
        # info when the platform does not expose the value, low when a value it exposes is missing
        expected = "info" if verdict.evidence["reason"].startswith("the platform does not expose") else "low"
        assert verdict.severity == expected
        assert verdict.evidence["count"] == 1
        return
    assert verdict.outcome == outcome
    assert verdict.subject == subject
    assert verdict.severity == severity
    assert verdict.platform == "shop-meta" and verdict.tenant == "biz-1"
    assert verdict.message and "{" not in verdict.message


def test_every_shipped_rule_has_a_passing_and_a_failing_case():
    rules = {p.stem for p in POLICIES.glob("*.yaml") if p.name != "exceptions.yaml"}
    failing = {c[0] for c in CASES if c[4] in ("fail", "unknown") and c[5] is not None}
    passing = {c[0] for c in CASES if c[4] == "pass"}
    assert rules == failing
    assert rules == passing
