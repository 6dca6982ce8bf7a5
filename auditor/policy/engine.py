"""The evaluator: a pure function of (context, policies) -> verdicts; no I/O, ages against ``context.now``.

For each snapshot and rule: subjects whose ``scope`` is not True are skipped; ``require`` True passes (not
returned), False fails, unknown is collected. The unknowns of one (rule, platform, tenant) become ONE
``could_not_verify`` verdict (severity low, outcome "unknown") with their count, up to 20 subjects and the
reason ("the platform does not expose X" when its capabilities say so, else the missing value).

When every reason is "the platform does not expose", the verdict's outcome is ``coverage`` (severity info):
shown as the platform's coverage, kept out of open counts, charts and queues; other unknowns stay findings.

Rules of category ``could_not_verify`` (``platform-not-verified``) report a failure with outcome "unknown":
the verdict says the platform could not be verified, not that something is wrong on it. Snapshots that are
incomplete are still evaluated; reconciliation resolves nothing in their scope.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from auditor.model import Severity, TenantSnapshot, Verdict
from auditor.policy.facts import CAPABILITY_TEXT, FACTS, EvaluationContext, Subject
from auditor.policy.schema import Policy
from auditor.policy.subjects import FactBase

MAX_UNKNOWN_SUBJECTS = 20
COULD_NOT_VERIFY = "could_not_verify"
COVERAGE = "coverage"
"""The outcome of a could-not-verify verdict whose every reason is what the platform does not expose: a
coverage note on the platform, not an open finding (a failed or partial fetch stays outcome "unknown")."""


def evaluate(context: EvaluationContext, policies: Iterable[Policy]) -> list[Verdict]:
    """Judge every snapshot by every policy; return the failing and the could-not-verify verdicts."""
    policies = list(policies)
    base = FactBase(context)
    verdicts: list[Verdict] = []
    for snapshot in context.snapshots:
        facts = base.snapshot(snapshot)
        for policy in policies:
            verdicts.extend(judge(policy, snapshot, facts.subjects(policy.resource)))
    return verdicts


def judge(policy: Policy, snapshot: TenantSnapshot, subjects: Iterable[Subject]) -> list[Verdict]:
    """The verdicts of one rule over the subjects of one snapshot."""
    verdicts: list[Verdict] = []
    unknown: list[Subject] = []
    scope, require = policy.scope, policy.require
    for subject in subjects:
        if scope is not None and scope(subject) is not True:
            continue
        result = require(subject)
        if result is True:
            continue
        if result is None:
            unknown.append(subject)
        else:
            verdicts.append(_failed(policy, snapshot, subject))
    if unknown:
        verdicts.append(_could_not_verify(policy, snapshot, unknown))
    return verdicts


def severity_of(policy: Policy, subject: Subject) -> Severity:
    """The rule's severity, raised to the highest ``severity_when`` entry that holds (never lowered)."""
    severity = policy.severity
    for when, raised in policy.severity_when:
        if raised.rank > severity.rank and when(subject) is True:
            severity = raised
    return severity


def evidence_facts(policy: Policy, subject: Subject, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The values of the facts a rule reads, for the evidence."""
    params = policy.parameters
    return {name: FACTS[name].value(subject, params) for name in (policy.facts if names is None else names)}


def _failed(policy: Policy, snapshot: TenantSnapshot, subject: Subject) -> Verdict:
    return Verdict(
        rule=policy.id,
        category=policy.category,
        severity=severity_of(policy, subject),
        outcome="unknown" if policy.category == COULD_NOT_VERIFY else "fail",
        subject=subject.key,
        platform=snapshot.platform,
        tenant=snapshot.tenant.tenant_id,
        message=policy.render(subject),
        account=subject.account,
        account_email=subject.account_email,
        person=subject.person,
        asset=subject.asset,
        role=subject.role,
        evidence={
            "rule": policy.id,
            "policy_hash": policy.content_hash,
            "facts": evidence_facts(policy, subject),
            "parameters": dict(policy.parameters),
            "texts": {lang: dict(text) for lang, text in policy.texts.items()},
        },
    )


NOT_EXPOSED = "the platform does not expose"


def unknown_reason(policy: Policy, snapshot: TenantSnapshot, subject: Subject) -> tuple[str, list[str]]:
    """Why ``require`` was unknown for ``subject``: (reason, the facts it read that are missing)."""
    values = evidence_facts(policy, subject, policy.require_facts)
    missing = [name for name, value in values.items() if value is None]
    capabilities = snapshot.capabilities
    for name in missing:
        capability = FACTS[name].capability
        if capability and not getattr(capabilities, capability, False):
            return f"{NOT_EXPOSED} {CAPABILITY_TEXT[capability]}", missing
        account = subject.facts.get("account") or {}
        window, period = account.get("activity_window_days"), policy.parameters.get("days")
        if capability == "audit_log" and window is not None and isinstance(period, int) and window < period:
            return (f"{NOT_EXPOSED} activity older than {window} days (its audit log is that short; the rule "
                    f"needs {period})"), missing
        if (capability == "audit_log" and capabilities.audit_log_asset_kinds
                and account.get("activity_observable") is False):
            kinds = ", ".join(capabilities.audit_log_asset_kinds)
            return (f"{NOT_EXPOSED} activity on the assets these accounts hold "
                    f"(its audit log covers only: {kinds})"), missing
    for name in missing:
        spec = FACTS[name]
        if spec.namespace == "person" and not subject.facts.get("person"):
            return "value missing: the account is not linked to a directory person", missing
        if spec.namespace == "person" and subject.facts["person"].get("found") is False:
            return "value missing: the linked person is not in the directory", missing
        if spec.missing:
            return f"value missing: {spec.missing}", missing
    return f"value missing: {', '.join(missing) or 'unknown'}", missing


def _could_not_verify(policy: Policy, snapshot: TenantSnapshot, subjects: list[Subject]) -> Verdict:
    reasons: Counter[str] = Counter()
    missing: set[str] = set()
    for subject in subjects:
        reason, names = unknown_reason(policy, snapshot, subject)
        reasons[reason] += 1
        missing.update(names)
    reason = reasons.most_common(1)[0][0]
    # a gap of the platform is information; a value that should have been there is a (low) problem
    coverage = all(r.startswith(NOT_EXPOSED) for r in reasons)
    severity = Severity.INFO if coverage else Severity.LOW
    count = len(subjects)
    noun = policy.resource if count == 1 else f"{policy.resource}s"
    return Verdict(
        rule=policy.id,
        category=COULD_NOT_VERIFY,
        severity=severity,
        outcome=COVERAGE if coverage else "unknown",
        subject=f"unverified:{policy.resource}",
        platform=snapshot.platform,
        tenant=snapshot.tenant.tenant_id,
        message=f"{policy.title}: could not verify {count} {noun}: {reason}",
        evidence={
            "rule": policy.id,
            "policy_hash": policy.content_hash,
            "count": count,
            "subjects": [s.key for s in subjects[:MAX_UNKNOWN_SUBJECTS]],
            "reason": reason,
            "reasons": dict(reasons.most_common()),
            "missing_facts": sorted(missing),
            "parameters": dict(policy.parameters),
            "resource": policy.resource,
            "names": {lang: text["name"] for lang, text in policy.texts.items()} or {"en": policy.title},
        },
    )
