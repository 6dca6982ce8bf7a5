"""Facts built from snapshots: indexes, ages, activity, departures, admin counts, link facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from auditor.config import MatchingSettings
from auditor.model import App, Capabilities
from auditor.policy.facts import FACTS, Subject
from auditor.policy.subjects import FactBase, calendar_days, departure_time
from tests.policy.builders import NOW, ago, asset, context, event, grant, person, snapshot, user


def facts_of(ctx, resource: str) -> dict[str, Subject]:
    view = FactBase(ctx).snapshot(ctx.snapshots[0])
    return {s.key: s for s in view.subjects(resource)}


def test_departure_is_the_earlier_of_status_change_and_the_day_after_the_end_date():
    assert departure_time(person("a", status="departed", left_days=2, end_days=-10)) == (
        NOW - timedelta(days=9)
    ).replace(hour=0, minute=0)
    assert departure_time(person("b", status="disabled", left_days=2, end_days=5)) == ago(2)
    assert departure_time(person("c", status="departed")) is None
    assert departure_time(person("d", left_days=2, end_days=-3)) is None  # active: not departed


def test_account_facts_from_grants_and_links():
    people = [person("ann"), person("bob", status="departed", left_days=3)]
    snap = snapshot(
        [
            user("u1", "ANN@corp.example"),
            user("u2", "bob@corp.example"),
            user("u3", "x@gmail.com"),
            user("u4"),
            user("s1", kind="system_user"),
        ],
        [grant("u1", None, "ADMIN", True), grant("u1", "p1", "ANALYZE"), grant("u2", "p1", "MANAGE", True)],
    )
    subjects = facts_of(context(snap, people), "account")
    ann = subjects["account:u1"].facts
    assert ann["account"]["privileged"] is True and ann["account"]["admin_of_tenant"] is True
    assert ann["account"]["grant_count"] == 2 and ann["account"]["grants"] == ["tenant:ADMIN", "p1:ANALYZE"]
    assert ann["account"]["linked"] is True and ann["account"]["link_method"] == "email"
    assert ann["account"]["company_email"] is True and ann["account"]["personal_email"] is False
    assert ann["person"]["status"] == "active" and ann["person"]["days_since_departure"] is None
    bob = subjects["account:u2"].facts
    assert bob["account"]["admin_of_tenant"] is False and bob["account"]["privileged"] is True
    assert bob["person"]["days_since_departure"] == 3
    assert subjects["account:u3"].facts["account"]["linked"] is False
    assert subjects["account:u3"].facts["account"]["personal_email"] is True
    assert subjects["account:u3"].facts["account"]["link_method"] == "none"
    assert subjects["account:u4"].facts["account"]["link_method"] == "none"
    assert subjects["account:u4"].facts["account"]["linked"] is False  # no email and no manual link: unmatched
    assert subjects["account:u4"].facts["account"]["personal_email"] is None
    assert subjects["account:s1"].facts["person"] == {}


def test_ambiguous_email_is_not_linked():
    people = [person("a1", "shared@corp.example"), person("a2", "shared@corp.example")]
    subjects = facts_of(context(snapshot([user("u1", "shared@corp.example")]), people), "account")
    facts = subjects["account:u1"].facts["account"]
    assert facts["linked"] is False and facts["link_method"] == "ambiguous"
    assert facts["link_candidates"] == ["a1", "a2"]


def test_activity_from_the_audit_log_only_for_covered_assets():
    snap = snapshot(
        [user("ads", "a@corp.example"), user("page", "b@corp.example"), user("quiet", "c@corp.example")],
        [grant("ads", "act_1"), grant("page", "p1"), grant("quiet", "act_1")],
        assets=[asset("act_1", "ad_account"), asset("p1", "page")],
        events=[event("ads", 40), event("ads", 12), event("page", 1, asset="act_1")],
        activity_since=ago(100),
        kind="meta",
    )
    subjects = facts_of(context(snap), "account")
    ads = subjects["account:ads"].facts["account"]
    assert ads["days_since_activity"] == 12 and ads["activity_source"] == "audit_log"
    assert ads["activity_window_days"] is None
    page = subjects["account:page"].facts["account"]
    assert page["activity_observable"] is False and page["days_since_activity"] is None
    quiet = subjects["account:quiet"].facts["account"]
    assert quiet["days_since_activity"] is None and quiet["activity_window_days"] == 100


def test_activity_needs_the_audit_log_capability_and_a_start():
    caps = Capabilities(account_emails=True)
    snap = snapshot(
        [user("u1", "a@corp.example")],
        [grant("u1", "p1")],
        events=[event("u1", 3)],
        activity_since=ago(50),
        capabilities=caps,
    )
    assert facts_of(context(snap), "account")["account:u1"].facts["account"]["days_since_activity"] is None
    snap = snapshot([user("u1", "a@corp.example")], [grant("u1", "p1")], events=[event("u1", 3)])
    assert facts_of(context(snap), "account")["account:u1"].facts["account"]["days_since_activity"] is None
    snap = snapshot(
        [user("u1", "a@corp.example")], [grant("u1", "p1")], events=[event("u1", 3)], activity_since=ago(50)
    )  # kind "test": the log covers the whole tenant
    assert facts_of(context(snap), "account")["account:u1"].facts["account"]["days_since_activity"] == 3


def test_last_activity_from_the_platform_wins_over_the_log():
    snap = snapshot(
        [user("u1", "a@corp.example", last_activity=ago(7))],
        [grant("u1", "act_1")],
        assets=[asset("act_1", "ad_account")],
        events=[event("u1", 2)],
        activity_since=ago(50),
    )
    facts = facts_of(context(snap), "account")["account:u1"].facts["account"]
    assert facts["days_since_activity"] == 7 and facts["activity_source"] == "last_activity"


def test_asset_facts_count_holders_but_not_invitations():
    snap = snapshot(
        [user("a"), user("b"), user("c", kind="system_user"), user("i", kind="invitation")],
        [
            grant("a", "p1", "MANAGE", True),
            grant("b", "p1", "ANALYZE"),
            grant("c", "p1", "MANAGE", True),
            grant("i", "p1", "MANAGE", True),
            grant("a", "orphan", "X"),
            grant("a", None, "ADMIN", True),
            grant("i", None, "ADMIN", True),
        ],
        assets=[asset("p1", "page", "Main"), asset("p2", "page")],
    )
    subjects = facts_of(context(snap), "asset")
    assert set(subjects) == {"asset:p1", "asset:p2", "asset:orphan", "asset:biz-1"}
    p1 = subjects["asset:p1"].facts["asset"]
    assert p1["admin_count"] == 2 and p1["admins"] == ["a", "c"] and p1["holder_count"] == 3
    assert subjects["asset:p2"].facts["asset"]["admin_count"] == 0
    assert subjects["asset:orphan"].facts["asset"]["kind"] is None
    tenant_asset = subjects["asset:biz-1"].facts["asset"]
    assert tenant_asset["is_tenant"] is True and tenant_asset["admin_count"] == 1
    assert subjects["asset:p1"].facts["tenant"]["admin_count"] == 1


def test_tenant_facts():
    snap = snapshot(
        [user("a")],
        complete=False,
        errors=["boom"],
        two_factor="admins",
        capabilities=Capabilities(audit_log=True),
    )
    (subject,) = facts_of(context(snap), "tenant").values()
    tenant = subject.facts["tenant"]
    assert tenant["fetch_complete"] is False and tenant["errors"] == ["boom"] and tenant["error_count"] == 1
    assert tenant["two_factor_required"] == "admins" and tenant["account_count"] == 1
    assert tenant["exposes_audit_log"] is True and tenant["exposes_per_user_2fa"] is False
    assert FACTS["tenant.two_factor_enforced"].value(subject, {"required": "admins"}) is True
    assert FACTS["tenant.two_factor_enforced"].value(subject, {"required": "all"}) is False


def test_app_facts_and_derived_scopes():
    snap = snapshot(
        apps=[App("a1", "Me", ("ads_read", "ads_management"), token_ref="self"), App("a2", "Other", None)]
    )
    subjects = facts_of(context(snap), "app")
    me, other = subjects["token:self"], subjects["app:a2"]
    params = {"allowed_scopes": {"a2": ["x"]}, "default_allowed": ["ads_read"]}
    assert FACTS["app.allowed_scopes"].value(me, params) == ["ads_read"]
    assert FACTS["app.excess_scopes"].value(me, params) == ["ads_management"]
    assert FACTS["app.allowed_scopes"].value(other, params) == ["x"]
    assert FACTS["app.excess_scopes"].value(other, params) is None  # scopes unknown
    assert FACTS["app.approved"].value(other, {"approved_apps": ["a2"]}) is True
    assert me.facts["app"]["is_self"] is True and other.facts["app"]["is_token"] is False


def test_event_subjects_only_carry_departure_facts_for_leavers():
    people = [person("ann"), person("bob", status="disabled", left_days=5)]
    snap = snapshot(
        [user("u1", "ann@corp.example"), user("u2", "bob@corp.example")],
        [grant("u2", "act_1")],
        events=[event("u1", 1), event("u2", 1)],
        activity_since=ago(30),
    )
    subjects = facts_of(context(snap, people), "event")
    assert subjects["event:u1"].facts["event"] == {}
    bob = subjects["event:u2"]
    assert FACTS["event.count_after_departure"].value(bob, {}) == 1
    assert FACTS["event.count_after_departure"].value(bob, {"grace_days": 7}) == 0
    assert FACTS["event.log_covers_departure"].value(bob, {"grace_days": 7}) is True


def test_an_account_without_a_link_entry_is_unlinked_with_unknown_email_classes():
    ctx = context(snapshot([user("u1", "a@corp.example")]), settings=MatchingSettings())
    ctx.links.clear()
    facts = facts_of(ctx, "account")["account:u1"].facts["account"]
    assert facts["email"] == "a@corp.example" and facts["personal_email"] is None
    assert facts["linked"] is False and facts["is_service_account"] is False


def test_ages_are_calendar_days_in_the_configured_time_zone():
    # 23:30 UTC on 1 November is already 2 November in Warsaw; 00:10 UTC on 2 November is too
    then, now = datetime(2026, 11, 1, 23, 30, tzinfo=UTC), datetime(2026, 11, 2, 0, 10, tzinfo=UTC)
    warsaw = ZoneInfo("Europe/Warsaw")
    assert calendar_days(now.date(), then, UTC) == 1
    assert calendar_days(now.astimezone(warsaw).date(), then, warsaw) == 0
    assert calendar_days(now.date(), None, UTC) is None
    assert calendar_days(date(2026, 10, 1), then, UTC) == 0, "never negative"
    # the same instants through the fact base: the account's age follows the zone
    snap = snapshot(accounts=[replace(user("u1"), created_at=then)])
    ages = {zone: facts_of(replace(context(snap), now=now, timezone=zone), "account")["account:u1"]
            .get("account", "age_days") for zone in (UTC, warsaw)}
    assert ages == {UTC: 1, warsaw: 0}
