"""fingerprint and reconcile: the pure findings lifecycle."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from auditor.findings.exceptions import RiskException
from auditor.findings.lifecycle import (
    EXPIRED_EXCEPTION_RULE,
    Coverage,
    FindingState,
    fingerprint,
    reconcile,
    scope_complete,
    unresolved_scopes,
)
from auditor.model import Severity, Verdict

NOW = datetime(2025, 5, 10, 6, 0, tzinfo=UTC)
EVERYTHING = {("meta", "biz1"), ("linkedin", "org1"), (None, None)}


def v(subject: str = "u1", rule: str = "missing-2fa", platform: str | None = "meta",
      tenant: str | None = "biz1", **fields) -> Verdict:
    return Verdict(rule=rule, category=fields.pop("category", "missing_2fa"),
                   severity=fields.pop("severity", Severity.HIGH), outcome=fields.pop("outcome", "fail"),
                   subject=subject, platform=platform, tenant=tenant, message=fields.pop("message", "no 2FA"),
                   **fields)


def state_of(verdict: Verdict, status: str = "open", **fields) -> FindingState:
    return FindingState(
        fingerprint=fingerprint(verdict.rule, verdict.platform, verdict.tenant, verdict.subject),
        rule=verdict.rule, category=verdict.category, severity=Severity(verdict.severity).value,
        status=status, subject=verdict.subject, platform=verdict.platform, tenant=verdict.tenant,
        message=verdict.message, first_seen=NOW - timedelta(days=7), last_seen=NOW - timedelta(days=1),
        id=fields.pop("id", 1), **fields,
    )


def exception(expires: date, **fields) -> RiskException:
    return RiskException(id=fields.pop("id", "yaml:x"), rule=fields.pop("rule", "missing-2fa"),
                         reason="vendor account", approved_by="ciso@shop.example", expires_on=expires,
                         **fields)


def changes(result) -> dict[str, str]:
    return {c.fingerprint: c.change for c in result.changes}


def test_fingerprint_is_stable_and_distinguishes_its_parts():
    base = fingerprint("r", "meta", "biz1", "u1")
    assert base == fingerprint("r", "meta", "biz1", "u1")
    assert len(base) == 64 and int(base, 16) >= 0
    others = {fingerprint("r2", "meta", "biz1", "u1"), fingerprint("r", "x", "biz1", "u1"),
              fingerprint("r", "meta", "biz2", "u1"), fingerprint("r", "meta", "biz1", "u2"),
              fingerprint("r", None, "biz1", "u1"), fingerprint("r", "", "biz1", "u1"),
              fingerprint("r", "meta|biz1", "", "u1")}
    assert base not in others and len(others) == 7


def test_new_verdict_opens_a_finding():
    verdict = v(evidence={"two_factor": False}, person="ann", account="u1")
    result = reconcile([], [verdict], EVERYTHING, [], NOW, 7, policy_hashes={"missing-2fa": "h1"})
    (state,) = result.states
    assert state.status == "open" and state.id is None
    assert (state.first_seen, state.last_seen, state.first_scan_id, state.last_scan_id) == (NOW, NOW, 7, 7)
    assert state.evidence == {"two_factor": False, "scan_id": 7, "outcome": "fail", "policy_hash": "h1"}
    assert (state.person, state.account) == ("ann", "u1")
    assert changes(result) == {state.fingerprint: "opened"}
    assert result.counts()["opened"] == 1 and result.counts()["resolved"] == 0


def test_still_failing_stays_open_and_moves_last_seen():
    verdict = v(message="new message", severity=Severity.CRITICAL)
    stored = state_of(v())
    result = reconcile([stored], [verdict], EVERYTHING, [], NOW, 8)
    assert changes(result) == {stored.fingerprint: "still_open"}
    assert stored.last_seen == NOW and stored.first_seen == NOW - timedelta(days=7)
    assert stored.message == "new message" and stored.severity == "critical"
    assert stored.last_scan_id == 8


def test_resolved_then_failing_again_is_reopened():
    stored = state_of(v(), status="resolved", resolved_at=NOW - timedelta(days=2))
    result = reconcile([stored], [v()], EVERYTHING, [], NOW, 9)
    assert changes(result) == {stored.fingerprint: "reopened"}
    assert stored.status == "open" and stored.resolved_at is None


def test_missing_verdict_resolves_only_in_complete_scopes():
    meta, linkedin, directory = state_of(v("u1")), state_of(v("x1", "dormant", "linkedin", "org1"), id=2), \
        state_of(v("ann", "contract", None, None), id=3)
    result = reconcile([meta, linkedin, directory], [], {("linkedin", "org1")}, [], NOW, 10)
    assert changes(result) == {linkedin.fingerprint: "resolved"}
    assert (meta.status, linkedin.status, directory.status) == ("open", "resolved", "open")
    assert linkedin.resolved_at == NOW
    touched = [s.fingerprint for s in result.states]
    assert touched == [linkedin.fingerprint], "untouched findings are not rewritten"

    result = reconcile([meta, directory], [], {(None, None)}, [], NOW, 11)
    assert changes(result) == {directory.fingerprint: "resolved"}
    assert meta.status == "open"


def test_platform_not_verified_with_unknown_tenant_resolves_when_platform_is_complete():
    stored = state_of(v("meta", "platform-not-verified", "meta", None, category="could_not_verify"))
    assert not scope_complete("meta", None, {("linkedin", "org1"), (None, None)})
    assert scope_complete("meta", None, {("meta", "biz1")})
    assert not scope_complete("meta", "biz2", {("meta", "biz1")})
    still = reconcile([stored], [], {("linkedin", "org1"), (None, None)}, [], NOW, 1)
    assert still.changes == [] and stored.status == "open"
    result = reconcile([stored], [], {("meta", "biz1")}, [], NOW, 2)
    assert changes(result) == {stored.fingerprint: "resolved"}


def test_resolved_findings_without_verdict_stay_untouched():
    stored = state_of(v(), status="resolved", resolved_at=NOW - timedelta(days=3))
    result = reconcile([stored], [], EVERYTHING, [], NOW, 3)
    assert result.states == [] and stored.resolved_at == NOW - timedelta(days=3)


def test_duplicate_verdicts_count_once():
    result = reconcile([], [v(), v(message="dup")], EVERYTHING, [], NOW, 1)
    assert len(result.states) == 1 and result.states[0].message == "no 2FA"


def test_unknown_outcome_is_kept_as_a_finding():
    result = reconcile([], [v(outcome="unknown")], EVERYTHING, [], NOW, 1)
    assert result.states[0].outcome == "unknown" and result.states[0].status == "open"


def test_active_exception_mutes_by_fields_or_fingerprint():
    by_account = exception(date(2025, 5, 10), account="jane@shop.example", platform="meta")
    verdict = v(account="123", account_email="Jane@Shop.example")
    result = reconcile([], [verdict, v("u2")], EVERYTHING, [by_account], NOW, 1)
    muted = {s.subject: s for s in result.states}
    assert muted["u1"].status == "accepted" and muted["u1"].exception_id == "yaml:x"
    assert muted["u2"].status == "open"
    assert result.counts()["muted"] == 1 and result.counts()["opened"] == 1

    fp = fingerprint("missing-2fa", "meta", "biz1", "u2")
    by_fp = exception(date(2026, 1, 1), id="yaml:fp", fingerprint=fp)
    result = reconcile([], [v("u1"), v("u2")], EVERYTHING, [by_fp], NOW, 1)
    assert {s.subject: s.status for s in result.states} == {"u1": "open", "u2": "accepted"}


def test_exception_of_another_rule_or_subject_does_not_mute():
    other_rule = exception(date(2026, 1, 1), rule="dormant", account="u1")
    other_asset = exception(date(2026, 1, 1), id="yaml:y", asset="page-9")
    result = reconcile([], [v(account="u1", asset="page-1")], EVERYTHING, [other_rule, other_asset], NOW, 1)
    assert result.states[0].status == "open"


def test_muted_finding_stays_muted_without_event_and_resolves_when_fixed():
    exc = exception(date(2026, 1, 1), account="u1")
    stored = state_of(v(account="u1"), status="accepted", exception_id="yaml:x")
    result = reconcile([stored], [v(account="u1")], EVERYTHING, [exc], NOW, 2)
    assert result.changes == [] and stored.last_seen == NOW and result.states == [stored]
    result = reconcile([stored], [], EVERYTHING, [exc], NOW, 3)
    assert changes(result) == {stored.fingerprint: "resolved"}


def test_expired_exception_unmutes_and_is_reported():
    exc = exception(date(2025, 5, 9), account="u1")
    failing = v(account="u1", severity=Severity.MEDIUM, person="ann")
    stored = state_of(failing, status="accepted", exception_id="yaml:x")
    result = reconcile([stored], [failing], EVERYTHING, [exc], NOW, 4)
    assert stored.status == "open" and stored.exception_id is None
    (report,) = result.expired_exceptions
    assert report.rule == EXPIRED_EXCEPTION_RULE
    assert report.category == "missing_2fa" and report.severity is Severity.MEDIUM
    assert (report.platform, report.tenant, report.subject) == ("meta", "biz1", "yaml:x")
    assert report.person == "ann"
    for part in ("vendor account", "ciso@shop.example", "2025-05-09"):
        assert part in report.message
    assert report.evidence["muted_fingerprints"] == [stored.fingerprint]
    report_fp = fingerprint(EXPIRED_EXCEPTION_RULE, "meta", "biz1", "yaml:x")
    assert changes(result) == {stored.fingerprint: "exception_expired", report_fp: "opened"}


def test_expired_exception_report_takes_the_worst_severity_and_no_scope_across_platforms():
    exc = exception(date(2025, 1, 1), person="ann")
    verdicts = [v("u1", person="ann", severity=Severity.LOW),
                v("x1", platform="linkedin", tenant="org1", person="ann", severity=Severity.CRITICAL)]
    result = reconcile([], verdicts, EVERYTHING, [exc], NOW, 1)
    (report,) = result.expired_exceptions
    assert report.severity is Severity.CRITICAL
    assert (report.platform, report.tenant) == (None, None)
    assert report.evidence["muted_count"] == 2
    assert {s.subject: s.status for s in result.states} == {"u1": "open", "x1": "open", "yaml:x": "open"}


def test_active_exception_wins_over_an_expired_one():
    old = exception(date(2024, 1, 1), id="yaml:old", account="u1")
    renewed = exception(date(2026, 1, 1), id="yaml:new", account="u1", platform="meta")
    result = reconcile([], [v(account="u1")], EVERYTHING, [old, renewed], NOW, 1)
    assert result.expired_exceptions == []
    assert result.states[0].exception_id == "yaml:new"


def test_withdrawn_exception_unmutes():
    stored = state_of(v(account="u1"), status="accepted", exception_id="yaml:gone")
    result = reconcile([stored], [v(account="u1")], EVERYTHING, [], NOW, 5)
    assert changes(result) == {stored.fingerprint: "unmuted"}
    assert stored.status == "open"


def test_expiry_is_judged_on_the_utc_date_of_now():
    exc = exception(date(2025, 5, 10), account="u1")
    late_evening = datetime(2025, 5, 10, 23, 59, tzinfo=UTC)
    assert reconcile([], [v(account="u1")], EVERYTHING, [exc], late_evening, 1).states[0].status == "accepted"
    next_day = late_evening + timedelta(minutes=2)
    assert reconcile([], [v(account="u1")], EVERYTHING, [exc], next_day, 1).states[0].status == "open"


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        reconcile([], [], EVERYTHING, [], datetime(2025, 1, 1), 1)


# -- partial reads: resolve by scope ----------------------------------------------------------------------


def _partial(failed: dict[str, str]) -> Coverage:
    """Meta read in part (the ``failed`` scopes -> reasons); LinkedIn and the directory complete."""
    coverage = Coverage(complete={("linkedin", "org1"), (None, None)})
    coverage.add("meta", "biz1", False, failed)
    return coverage


STORED = {
    "invitation": state_of(v("account:inv1", rule="stale-invitation", category="stale_invitation"), id=1),
    "page admins": state_of(v("asset:page-1", rule="excess-admins", category="excess_admins", asset="page-1"),
                            id=2, asset="page-1"),
    "other page": state_of(v("asset:page-2", rule="excess-admins", category="excess_admins", asset="page-2"),
                           id=3, asset="page-2"),
    "account": state_of(v("account:u1", rule="orphaned-access", category="orphaned_access"), id=4, account="u1"),
    "dormant": state_of(v("account:u2", rule="dormant-access", category="dormant_access"), id=5, account="u2"),
    "departed": state_of(v("event:u3", rule="post-departure-activity", category="post_departure_activity"),
                         id=6, account="u3"),
    "grant elsewhere": state_of(v("grant:u4:page-2:MANAGE", rule="g"), id=7, account="u4", asset="page-2"),
    "tenant": state_of(v("tenant:biz1", rule="tenant-2fa-not-enforced", category="tenant_2fa_not_enforced"), id=8),
    "aggregated": state_of(v("unverified:account", rule="missing-2fa", category="could_not_verify"), id=9),
    "invited user": state_of(v("account:inv2", rule="unmatched-account", category="unmatched_account"), id=10,
                             account="inv2", evidence={"facts": {"account.kind": "invitation"}}),
}


def _resolved(coverage: Coverage) -> set[str]:
    states = [dataclasses.replace(s) for s in STORED.values()]
    result = reconcile(states, [], coverage, [], NOW, 20)
    names = {s.fingerprint: name for name, s in STORED.items()}
    return {names[c.fingerprint] for c in result.changes if c.change == "resolved"}


def test_a_failed_asset_keeps_its_findings_and_the_account_findings_it_could_change():
    resolved = _resolved(_partial({"asset:page-1": "HTTP 500 on page-1/assigned_users"}))
    # page-1's own finding, and every account-level finding (the account's roles on page-1 are unknown)
    assert resolved == {"invitation", "other page", "grant elsewhere", "tenant", "invited user"}


def test_a_failed_account_keeps_only_that_accounts_findings():
    resolved = _resolved(_partial({"account:u1": "HTTP 500 on u1/assigned_pages"}))
    assert resolved == set(STORED) - {"account", "aggregated"}


def test_a_failed_audit_log_keeps_the_dormancy_and_departure_findings():
    resolved = _resolved(_partial({"events": "HTTP 500 on activities"}))
    assert resolved == set(STORED) - {"dormant", "departed", "aggregated"}


def test_a_failed_tenant_scope_or_a_whole_failure_resolves_nothing():
    assert _resolved(_partial({"tenant": "HTTP 500 on pending_users"})) == set()
    failed = Coverage(complete={(None, None)})
    failed.add("meta", "biz1", False, {})  # failed as a whole: no scope named
    assert _resolved(failed) == set()
    unattributed = Coverage(complete={(None, None)})
    unattributed.add("meta", "biz1", False, {"asset:page-1": "HTTP 500"}, ["HTTP 500", "token expired"])
    assert _resolved(unattributed) == set(), "an error no scope accounts for fails the whole tenant"
    assert _resolved(Coverage(complete=EVERYTHING)) == set(STORED)


def test_unresolved_scopes_name_the_failed_scopes_a_finding_depends_on():
    coverage = _partial({"asset:page-1": "HTTP 500", "events": "log down"})
    assert unresolved_scopes(STORED["page admins"], coverage) == {"asset:page-1": "HTTP 500"}
    assert unresolved_scopes(STORED["dormant"], coverage) == {"asset:page-1": "HTTP 500", "events": "log down"}
    assert unresolved_scopes(STORED["invitation"], coverage) == {}
    assert scope_complete("meta", "biz1", coverage) is False  # without a finding: only a complete tenant counts


def test_a_credential_account_depends_on_its_principal():
    """A WordPress application password is the account ``<user>:app-password:<uuid>``; when ``account:<user>``
    failed, the user's passwords are unknown and their findings stay (found by bench/soak_faults.py)."""
    credential = state_of(v("account:5:app-password:abc", rule="orphaned-access", category="orphaned_access"),
                          id=11, account="5:app-password:abc")
    other = state_of(v("account:50:app-password:def", rule="orphaned-access", category="orphaned_access"),
                     id=12, account="50:app-password:def")
    coverage = _partial({"account:5": "malformed JSON from GET /wp/v2/users/5/application-passwords"})
    assert unresolved_scopes(credential, coverage) == {"account:5": coverage.partial[("meta", "biz1")]["account:5"]}
    assert scope_complete("meta", "biz1", coverage, credential) is False
    assert scope_complete("meta", "biz1", coverage, other) is True, "only the principal's own credentials"


def test_an_inspected_token_depends_on_its_inspection():
    """A token whose debug_token and /me/permissions both failed has unknown scopes: its excess-scope finding
    stays open while the rest of the tenant resolves (found by bench/soak_faults.py)."""
    token = state_of(v("token:SHOP", rule="excess-app-scope", category="excess_app_scope"), id=13)
    other = state_of(v("token:self", rule="excess-app-scope", category="excess_app_scope"), id=14)
    coverage = _partial({"token:SHOP": "meta: could not verify scopes of token SHOP: debug_token refused"})
    assert scope_complete("meta", "biz1", coverage, token) is False
    assert unresolved_scopes(token, coverage) == {"token:SHOP": coverage.partial[("meta", "biz1")]["token:SHOP"]}
    assert scope_complete("meta", "biz1", coverage, other) is True
    assert scope_complete("meta", "biz1", coverage, STORED["invitation"]) is True
