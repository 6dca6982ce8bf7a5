"""The evaluator: verdicts, evidence, stable subjects, could-not-verify aggregation, incomplete snapshots."""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path

import pytest

from auditor.config import ManualLink, MatchingSettings
from auditor.model import App, Capabilities, Severity
from auditor.policy.engine import MAX_UNKNOWN_SUBJECTS, evaluate
from auditor.policy.loader import load_policies, load_policy_file
from tests.policy.builders import (
    FULL,
    NOW,
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


@pytest.fixture(scope="module")
def shipped():
    return {p.id: p for p in load_policies(POLICIES)}


def custom_rule(tmp_path: Path, resource: str, body: str, rule_id: str = "custom") -> object:
    text = textwrap.dedent(f"""\
        id: {rule_id}
        title: Custom
        severity: low
        category: excess_admins
        resource: {resource}
        rationale: r
        remediation: r
        compliance: ["SOC2 CC6.3"]
    """) + textwrap.dedent(body)
    path = tmp_path / f"{rule_id}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy_file(path)


def test_unknowns_become_one_could_not_verify_verdict_per_rule_and_tenant(shipped):
    accounts = [user(f"u{i}", f"p{i}@corp.example", two_factor=None) for i in range(25)]
    accounts.append(user("off", "off@corp.example", two_factor=False))
    caps = Capabilities(account_emails=True, audit_log=True, tenant_2fa=True)
    ctx = context(snapshot(accounts, capabilities=caps))
    verdicts = evaluate(ctx, [shipped["missing-2fa"]])
    failed = [v for v in verdicts if v.outcome == "fail"]
    (unknown,) = [v for v in verdicts if v.outcome == "coverage"]
    assert [v.subject for v in failed] == ["account:off"]
    # a gap of the platform is information (a coverage note), not a problem of the shop
    assert unknown.category == "could_not_verify" and unknown.severity == Severity.INFO
    assert unknown.rule == "missing-2fa" and unknown.subject == "unverified:account"
    assert unknown.evidence["count"] == 25
    assert unknown.evidence["subjects"] == [f"account:u{i}" for i in range(MAX_UNKNOWN_SUBJECTS)]
    assert unknown.evidence["reason"] == "the platform does not expose per-user 2FA status"
    assert unknown.evidence["missing_facts"] == ["account.two_factor"]
    assert unknown.evidence["policy_hash"] == shipped["missing-2fa"].content_hash
    assert "could not verify 25 accounts" in unknown.message


def test_unknown_reason_is_value_missing_when_the_platform_exposes_the_value(shipped):
    ctx = context(snapshot([user("u1", "a@corp.example", two_factor=None)], capabilities=FULL))
    (verdict,) = evaluate(ctx, [shipped["missing-2fa"]])
    assert verdict.evidence["reason"].startswith("value missing: ")
    assert verdict.evidence["reasons"] == {verdict.evidence["reason"]: 1}
    assert verdict.severity == Severity.LOW
    assert verdict.outcome == "unknown"  # a value the platform exposes is missing: a finding, not coverage


def test_unknowns_are_counted_per_tenant(shipped):
    snaps = [snapshot([user("u1", two_factor=None)], tenant_id=t, platform=f"meta-{t}") for t in ("a", "b")]
    verdicts = evaluate(context(snaps), [shipped["missing-2fa"]])
    assert sorted((v.platform, v.tenant, v.evidence["count"]) for v in verdicts) == [
        ("meta-a", "a", 1),
        ("meta-b", "b", 1),
    ]


def test_incomplete_snapshot_is_not_verified_and_still_judged(shipped):
    snap = snapshot(
        [user("u1", "a@corp.example", two_factor=False)],
        complete=False,
        errors=["shop-meta: system_users: HTTP 403", "shop-meta: pending_users: timeout"],
    )
    verdicts = evaluate(context(snap), [shipped["platform-not-verified"], shipped["missing-2fa"]])
    by_rule = {v.rule: v for v in verdicts}
    not_verified = by_rule["platform-not-verified"]
    assert not_verified.category == "could_not_verify" and not_verified.outcome == "unknown"
    assert not_verified.severity == Severity.HIGH and not_verified.subject == "tenant:biz-1"
    assert "HTTP 403" in not_verified.message and "timeout" in not_verified.message
    assert not_verified.evidence["facts"]["tenant.errors"] == snap.errors
    assert by_rule["missing-2fa"].outcome == "fail"


def test_fail_verdict_carries_context_fields_and_evidence(shipped):
    people = [person("alice", status="departed", left_days=10)]
    snap = snapshot([user("u1", "Alice@Corp.example")], [grant("u1", "p1", "MANAGE", True)])
    (verdict,) = evaluate(context(snap, people), [shipped["orphaned-access"]])
    assert (verdict.account, verdict.account_email, verdict.person) == ("u1", "alice@corp.example", "alice")
    evidence = verdict.evidence
    assert evidence["rule"] == "orphaned-access"
    assert evidence["policy_hash"] == shipped["orphaned-access"].content_hash
    assert evidence["facts"]["person.status"] == "departed"
    assert evidence["facts"]["account.grants"] == ["p1:MANAGE"]
    assert evidence["facts"]["person.days_since_departure"] == 10
    assert set(evidence["facts"]) == set(shipped["orphaned-access"].facts)
    json.dumps(evidence)  # storable as JSON


def test_subjects_are_stable_across_scans(shipped):
    def scan():
        people = [person("alice", status="departed", left_days=3)]
        snap = snapshot(
            [user("u1", "alice@corp.example"), user("u2", "x@gmail.com", two_factor=False)],
            [grant("u1", "p1", "MANAGE", True), grant("u2", None)],
            apps=[App("app9", "Promo"), App("a1", "Me", ("ads_management",), token_ref="self")],
        )
        return sorted((v.rule, v.subject) for v in evaluate(context(snap, people), shipped.values()))

    first, second = scan(), scan()
    assert first == second
    subjects = {s for _, s in first}
    assert {"account:u1", "account:u2", "token:self", "app:app9"} <= subjects


def test_evaluation_is_pure_and_ages_against_context_now(shipped):
    snap = snapshot([user("inv1", "a@corp.example", kind="invitation", created_days=20)])
    ctx = context(snap, [person("a", "a@corp.example")])
    before = copy.deepcopy(ctx)
    assert evaluate(ctx, [shipped["stale-invitation"]]) == []
    assert ctx == before
    later = context(snap, [person("a", "a@corp.example")], now=NOW + (ago(0) - ago(15)))
    (verdict,) = evaluate(later, [shipped["stale-invitation"]])
    assert verdict.evidence["facts"]["account.invitation_age_days"] == 35


def test_post_departure_is_one_verdict_per_account_listing_the_events(shipped):
    people = [person("dan", status="departed", left_days=20)]
    events = [event("u1", d) for d in (2, 5, 9, 30)] + [event("other", 3, target="u1", action="role_granted")]
    snap = snapshot(
        [user("u1", "dan@corp.example")],
        [grant("u1", "act_1", "ADVERTISE")],
        assets=[asset("act_1", "ad_account")],
        events=events,
        activity_since=ago(100),
        kind="meta",
    )
    (verdict,) = evaluate(context(snap, people), [shipped["post-departure-activity"]])
    assert verdict.subject == "event:u1" and verdict.person == "dan"
    facts = verdict.evidence["facts"]
    assert facts["event.count_after_departure"] == 4
    assert [e["time"] for e in facts["event.events"]] == [ago(d).isoformat() for d in (9, 5, 3, 2)]
    assert facts["event.events"][2]["action"] == "role_granted"
    assert facts["event.log_covers_departure"] is True


def test_post_departure_unknown_when_the_log_starts_after_the_departure(shipped):
    people = [person("dan", status="departed", left_days=20)]
    snap = snapshot(
        [user("u1", "dan@corp.example")],
        [grant("u1", "act_1")],
        assets=[asset("act_1", "ad_account")],
        activity_since=ago(10),
        kind="meta",
    )
    (verdict,) = evaluate(context(snap, people), [shipped["post-departure-activity"]])
    assert verdict.outcome == "unknown" and verdict.category == "could_not_verify"
    assert (
        verdict.evidence["reason"] == "value missing: the audit log does not cover this account since its "
        "person left"
    )


def test_post_departure_uses_the_day_after_the_end_date_when_earlier(shipped):
    # status changed (directory import) 1 day ago, but the last working day was 10 days ago
    dan = person("dan", status="departed", left_days=1, end_days=-10)
    snap = snapshot(
        [user("u1", "dan@corp.example")],
        [grant("u1", "act_1")],
        assets=[asset("act_1", "ad_account")],
        events=[event("u1", 5)],
        activity_since=ago(100),
        kind="meta",
    )
    (verdict,) = evaluate(context(snap, [dan]), [shipped["post-departure-activity"]])
    assert verdict.evidence["facts"]["event.count_after_departure"] == 1


def test_severity_when_takes_the_highest_matching_severity(tmp_path):
    policy = custom_rule(
        tmp_path,
        "account",
        """\
        require:
          - fact: account.two_factor
            is_true: true
        severity_when:
          - when: {fact: account.privileged, is_true: true}
            severity: medium
          - when: {fact: account.admin_of_tenant, is_true: true}
            severity: critical
          - when: {fact: account.grant_count, gt: 0}
            severity: info
        message: "{fact.account.id}"
    """,
    )
    snap = snapshot(
        [user("a", two_factor=False), user("b", two_factor=False), user("c", two_factor=False)],
        [grant("b", "p1", "MANAGE", True), grant("c", None, "ADMIN", True)],
    )
    verdicts = {v.subject: v.severity for v in evaluate(context(snap), [policy])}
    assert verdicts == {
        "account:a": Severity.LOW,
        "account:b": Severity.MEDIUM,
        "account:c": Severity.CRITICAL,
    }


def test_grant_resource_subjects_and_fields(tmp_path):
    policy = custom_rule(
        tmp_path,
        "grant",
        """\
        scope:
          - fact: grant.privileged
            is_true: true
        require:
          - fact: account.two_factor
            is_true: true
        message: "{fact.grant.role} on {fact.asset.name} by {fact.account.email}"
    """,
    )
    snap = snapshot(
        [user("u1", "a@corp.example", two_factor=False)],
        [grant("u1", "p1", "MANAGE", True), grant("u1", None, "ADMIN", True), grant("u1", "p2")],
        assets=[asset("p1", "page", "Main")],
    )
    verdicts = evaluate(context(snap), [policy])
    assert [(v.subject, v.asset, v.role, v.message) for v in verdicts] == [
        ("grant:u1:p1:MANAGE", "p1", "MANAGE", "MANAGE on Main by a@corp.example"),
        ("grant:u1:tenant:ADMIN", None, "ADMIN", "ADMIN on Shop by a@corp.example"),
    ]


def test_unknown_person_facts_explain_the_missing_link(tmp_path):
    policy = custom_rule(
        tmp_path,
        "account",
        """\
        require:
          - fact: person.status
            equals: active
        message: "{fact.person.uid}"
    """,
    )
    snap = snapshot([user("u1", "nobody@corp.example"), user("u2", "ghost@corp.example")])
    settings = MatchingSettings(links=[ManualLink(platform="shop-meta", account_id="u2", uid="gone")])
    (verdict,) = evaluate(context(snap, [], settings), [policy])
    assert verdict.evidence["reasons"] == {
        "value missing: the account is not linked to a directory person": 1,
        "value missing: the linked person is not in the directory": 1,
    }


def test_verdicts_follow_snapshot_and_policy_order(shipped):
    snaps = [
        snapshot([user("u1", "x@gmail.com", two_factor=False)], platform=p, tenant_id=p) for p in ("m1", "m2")
    ]
    policies = [shipped["missing-2fa"], shipped["personal-email"]]
    verdicts = evaluate(context(snaps), policies)
    assert [(v.platform, v.rule) for v in verdicts if v.outcome == "fail"] == [
        ("m1", "missing-2fa"),
        ("m1", "personal-email"),
        ("m2", "missing-2fa"),
        ("m2", "personal-email"),
    ]


def test_activity_on_assets_the_log_does_not_cover_is_a_platform_gap(shipped):
    snap = snapshot(
        [user("pager", "pager@corp.example"), user("ads", "ads@corp.example")],
        [grant("pager", "p1"), grant("ads", "act_1")],
        assets=[asset("p1", "page"), asset("act_1", "ad_account")],
        events=[event("ads", 3)],
        activity_since=ago(120),
        kind="meta",
    )
    (verdict,) = evaluate(context(snap, [person("pager", "pager@corp.example"), person("ads", "ads@corp.example")]),
                          [shipped["dormant-access"]])
    assert verdict.outcome == "coverage" and verdict.evidence["subjects"] == ["account:pager"]
    assert "covers only: ad_account" in verdict.evidence["reason"]
    assert verdict.severity == Severity.INFO


def test_an_audit_log_shorter_than_the_rule_period_is_a_platform_gap(shipped):
    snap = snapshot([user("quiet", "quiet@corp.example")], [grant("quiet", "c1")],
                    assets=[asset("c1", "customer")], activity_since=ago(30))
    (verdict,) = evaluate(context(snap, [person("quiet", "quiet@corp.example")]), [shipped["dormant-access"]])
    assert verdict.outcome == "coverage" and verdict.severity == Severity.INFO
    assert "older than 30 days" in verdict.evidence["reason"] and "needs 90" in verdict.evidence["reason"]


def test_invitation_dates_the_platform_does_not_report_are_a_gap(shipped):
    invite = user("inv", "new@corp.example", kind="invitation")
    caps = Capabilities(account_emails=True, invitation_dates=False)
    (verdict,) = evaluate(context(snapshot([invite], [grant("inv", None)], capabilities=caps),
                                  [person("new", "new@corp.example")]), [shipped["stale-invitation"]])
    assert verdict.outcome == "coverage" and verdict.severity == Severity.INFO
    assert verdict.evidence["reason"] == "the platform does not expose when invitations were sent"
