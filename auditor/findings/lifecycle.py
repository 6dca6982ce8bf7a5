"""Finding fingerprints and the lifecycle: reconcile a scan's verdicts with the stored findings.

Pure functions, no I/O. The rules:

- a verdict with a new fingerprint opens a finding; an open one that still fails stays open (``last_seen``
  and evidence move); a resolved one that fails again is reopened;
- an open finding without a verdict is resolved only when every scope it depends on was read completely
  in this scan (``Coverage``; ``(None, None)`` is the directory-wide scope). Within a tenant read in part
  (``TenantSnapshot.incomplete_scopes``) a finding about an invitation, an app or a tenant setting depends
  on ``tenant``; one about an asset on ``tenant`` + ``asset:<id>``; one about an account on ``tenant`` +
  ``account:<id>`` + every failed ``asset:*`` (its grants there are unknown), and a credential account
  ``<principal>:<...>`` (a WordPress application password) also on ``account:<principal>``; dormancy and post-departure
  activity also on ``events``; anything else (aggregated could-not-verify findings) on the whole tenant.
  A tenant that failed as a whole (no scope named) resolves nothing. A finding whose tenant is unknown
  (None) resolves when any tenant of its platform is complete (so ``platform-not-verified`` findings
  clear once the platform is read again);
- an active risk exception matching a failing finding mutes it (status ``accepted``); once expired it no
  longer mutes (back to ``open``, change ``exception_expired``) and is itself reported as a finding of
  rule ``risk-exception-expired``.

Each finding gets at most one change per scan. A finding that is and stays muted gets no event (only
``last_seen`` moves). A brand-new finding muted at once gets ``muted`` rather than ``opened``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from auditor.findings.exceptions import RiskException
from auditor.model import Severity, Verdict, failures_confined_to_scopes

OPEN = "open"
RESOLVED = "resolved"
ACCEPTED = "accepted"
STATUSES = (OPEN, RESOLVED, ACCEPTED)

OPENED = "opened"
REOPENED = "reopened"
STILL_OPEN = "still_open"
MUTED = "muted"
UNMUTED = "unmuted"
EXCEPTION_EXPIRED = "exception_expired"
RESOLVED_CHANGE = "resolved"
CHANGES = (OPENED, REOPENED, RESOLVED_CHANGE, STILL_OPEN, MUTED, UNMUTED, EXCEPTION_EXPIRED)

EXPIRED_EXCEPTION_RULE = "risk-exception-expired"
MAX_LISTED_FINGERPRINTS = 100

Scope = tuple[str | None, str | None]


def fingerprint(rule: str, platform: str | None, tenant: str | None, subject: str) -> str:
    """The stable identity of a finding across scans: sha256 hex of (rule, platform, tenant, subject)."""
    key = json.dumps([rule, platform, tenant, subject], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class FindingState:
    """A stored finding as reconciliation sees it (``id`` is None until written)."""

    fingerprint: str
    rule: str
    category: str
    severity: str
    status: str
    subject: str
    platform: str | None
    tenant: str | None
    message: str
    first_seen: datetime
    last_seen: datetime
    outcome: str = "fail"
    account: str | None = None
    account_email: str | None = None
    person: str | None = None
    asset: str | None = None
    role: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    resolved_at: datetime | None = None
    first_scan_id: int | None = None
    last_scan_id: int | None = None
    exception_id: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class FindingChange:
    """One lifecycle change of one finding in this scan."""

    fingerprint: str
    change: str


@dataclass(slots=True)
class ReconcileResult:
    """What reconciliation decided.

    ``states``: every finding that is new or whose stored row must change (in a stable order);
    ``changes``: at most one lifecycle change per finding; ``expired_exceptions``: the extra verdicts
    reporting expired exceptions (already reconciled into ``states``).
    """

    states: list[FindingState]
    changes: list[FindingChange]
    expired_exceptions: list[Verdict]

    def counts(self) -> dict[str, int]:
        """Number of findings per change (every change name present, zero when none)."""
        counter = Counter(change.change for change in self.changes)
        return {name: counter.get(name, 0) for name in CHANGES}


TENANT_SCOPE = "tenant"
EVENTS_SCOPE = "events"
_EVENT_CATEGORIES = frozenset({"dormant_access", "post_departure_activity"})
_TENANT_CATEGORIES = frozenset({"stale_invitation"})  # invitations are tenant-level lists
_TENANT_SUBJECTS = ("tenant:", "app:", "token:")


@dataclass(slots=True)
class Coverage:
    """What one scan read: tenants read completely, and tenants read in part with their failed scopes.

    ``complete``: (platform, tenant) pairs read entirely, plus ``(None, None)`` when the directory was read;
    ``partial``: (platform, tenant) -> {scope: reason} for tenants whose failures were confined to named
    scopes. A tenant in neither (or named with no scope) failed as a whole.
    """

    complete: set[Scope] = field(default_factory=set)
    partial: dict[Scope, dict[str, str]] = field(default_factory=dict)

    def add(self, platform: str, tenant: str, complete: bool, incomplete_scopes: Mapping[str, str],
            errors: Iterable[str] = ()) -> None:
        """Record one tenant's snapshot: complete, partial (named scopes) or failed (nothing named, or an
        error that no named scope accounts for)."""
        if complete:
            self.complete.add((platform, tenant))
        elif failures_confined_to_scopes(incomplete_scopes, errors):
            self.partial[(platform, tenant)] = dict(incomplete_scopes)


def dependencies(state: FindingState, failed: Mapping[str, str]) -> set[str] | None:
    """The scopes of its tenant a finding depends on (None: the whole tenant); ``failed`` names the tenant's
    incomplete scopes (the account-level findings depend on each failed asset)."""
    subject, category = state.subject, state.category
    needed = {TENANT_SCOPE}
    invitation = (state.evidence.get("facts") or {}).get("account.kind") == "invitation"
    if subject.startswith("token:"):  # an inspected token also depends on its own inspection
        return {*needed, subject}
    if subject.startswith(_TENANT_SUBJECTS) or category in _TENANT_CATEGORIES or invitation:
        return needed
    if subject.startswith(("account:", "event:", "grant:")) and state.account:
        needed.add(f"account:{state.account}")
        needed.update(s for s in failed if s.startswith("account:") and state.account.startswith(f"{s[8:]}:"))
        if state.asset:
            needed.add(f"asset:{state.asset}")
        elif not subject.startswith("grant:"):  # every role of the account counts, failed assets included
            needed.update(scope for scope in failed if scope.startswith("asset:"))
        if subject.startswith("event:") or category in _EVENT_CATEGORIES:
            needed.add(EVENTS_SCOPE)
        return needed
    if subject.startswith("asset:") and state.asset:
        return {*needed, f"asset:{state.asset}"}
    return None


def scope_complete(platform: str | None, tenant: str | None, complete_scopes: set[Scope] | Coverage,
                   state: FindingState | None = None) -> bool:
    """Was this finding's scope read completely? A None tenant accepts any complete tenant of the platform;
    within a tenant read in part, ``state`` resolves when none of the scopes it depends on failed."""
    coverage = complete_scopes if isinstance(complete_scopes, Coverage) else Coverage(complete=complete_scopes)
    complete = coverage.complete
    if (platform, tenant) in complete:
        return True
    if tenant is None:
        return platform is not None and any(p == platform for p, _ in complete)
    failed = coverage.partial.get((platform, tenant))
    if not failed or state is None:
        return False
    needed = dependencies(state, failed)
    return needed is not None and not needed & failed.keys()


def unresolved_scopes(state: FindingState, coverage: Coverage) -> dict[str, str]:
    """The failed scopes that kept ``state`` from resolving (empty when it could resolve or its tenant failed
    as a whole)."""
    failed = coverage.partial.get((state.platform, state.tenant), {})
    needed = dependencies(state, failed)
    return {scope: reason for scope, reason in failed.items() if needed is None or scope in needed}


class _ExceptionIndex:
    """Exceptions split into active and expired, indexed by fingerprint and by rule."""

    def __init__(self, exceptions: Iterable[RiskException], today: Any) -> None:
        self.by_fingerprint: dict[str, list[RiskException]] = defaultdict(list)
        self.by_rule: dict[str, list[RiskException]] = defaultdict(list)
        self.today = today
        for exc in exceptions:
            if exc.fingerprint is not None:
                self.by_fingerprint[exc.fingerprint].append(exc)
            else:
                self.by_rule[exc.rule].append(exc)

    def match(self, verdict: Verdict, fp: str) -> tuple[RiskException | None, RiskException | None]:
        """(first active matching exception, first expired matching exception)."""
        active: RiskException | None = None
        expired: RiskException | None = None
        for exc in (*self.by_fingerprint.get(fp, ()), *self.by_rule.get(verdict.rule, ())):
            if not exc.matches(verdict, fp):
                continue
            if exc.active_on(self.today):
                active = active or exc
            else:
                expired = expired or exc
        return active, expired


class _Reconciler:
    def __init__(self, existing: Iterable[FindingState], now: datetime, scan_id: int | None,
                 policy_hashes: Mapping[str, str]) -> None:
        self.by_fp = {state.fingerprint: state for state in existing}
        self.now = now
        self.scan_id = scan_id
        self.policy_hashes = policy_hashes
        self.seen: set[str] = set()
        self.touched: dict[str, FindingState] = {}
        self.changes: list[FindingChange] = []

    def _evidence(self, verdict: Verdict) -> dict[str, Any]:
        evidence = dict(verdict.evidence)
        evidence.setdefault("scan_id", self.scan_id)
        evidence.setdefault("outcome", verdict.outcome)
        policy_hash = self.policy_hashes.get(verdict.rule)
        if policy_hash is not None:
            evidence.setdefault("policy_hash", policy_hash)
        return evidence

    def _change(self, state: FindingState, change: str | None) -> None:
        self.touched[state.fingerprint] = state
        if change is not None:
            self.changes.append(FindingChange(state.fingerprint, change))

    def apply(self, verdict: Verdict, fp: str, active: RiskException | None,
              expired: RiskException | None) -> None:
        """Record one failing (or unknown) verdict."""
        severity = Severity(verdict.severity)
        state = self.by_fp.get(fp)
        if state is None:
            state = FindingState(
                fingerprint=fp, rule=verdict.rule, category=verdict.category, severity=severity.value,
                status=OPEN, subject=verdict.subject, platform=verdict.platform, tenant=verdict.tenant,
                message=verdict.message, first_seen=self.now, last_seen=self.now,
                first_scan_id=self.scan_id,
            )
            previous = None
        else:
            previous = state.status
        state.category, state.severity, state.message = verdict.category, severity.value, verdict.message
        state.outcome = verdict.outcome
        state.account, state.account_email = verdict.account, verdict.account_email
        state.person, state.asset, state.role = verdict.person, verdict.asset, verdict.role
        state.evidence = self._evidence(verdict)
        state.last_seen, state.last_scan_id = self.now, self.scan_id
        if active is not None:
            state.status, state.exception_id, state.resolved_at = ACCEPTED, active.id, None
            self._change(state, None if previous == ACCEPTED else MUTED)
            return
        state.exception_id = None
        state.status, state.resolved_at = OPEN, None
        if previous is None:
            change = OPENED
        elif previous == OPEN:
            change = STILL_OPEN
        elif previous == RESOLVED:
            change = REOPENED
        else:
            change = EXCEPTION_EXPIRED if expired is not None else UNMUTED
        self._change(state, change)

    def resolve_missing(self, coverage: Coverage) -> None:
        """Resolve open or muted findings without a verdict whose scopes were all read completely."""
        for fp, state in self.by_fp.items():
            if fp in self.seen or state.status == RESOLVED:
                continue
            if scope_complete(state.platform, state.tenant, coverage, state):
                state.status, state.resolved_at = RESOLVED, self.now
                self._change(state, RESOLVED_CHANGE)


def _expired_verdict(exc: RiskException, hits: list[tuple[Verdict, str]]) -> Verdict:
    """The finding reporting that ``exc`` expired while it still matched failing findings."""
    verdicts = [verdict for verdict, _ in hits]
    worst = max((Severity(v.severity) for v in verdicts), key=lambda s: s.rank)
    scopes = {(v.platform, v.tenant) for v in verdicts}
    platform, tenant = next(iter(scopes)) if len(scopes) == 1 else (None, None)
    single = verdicts[0] if len(verdicts) == 1 else None
    count = len(verdicts)
    message = (
        f"Risk exception for {exc.describe()} expired on {exc.expires_on.isoformat()} "
        f"(approved by {exc.approved_by}; reason: {exc.reason}); "
        f"{count} finding{'s' if count != 1 else ''} no longer muted"
    )
    return Verdict(
        rule=EXPIRED_EXCEPTION_RULE,
        category=verdicts[0].category,
        severity=worst,
        outcome="fail",
        subject=exc.id,
        platform=platform,
        tenant=tenant,
        message=message,
        account=exc.account or (single.account if single else None),
        account_email=single.account_email if single else None,
        person=exc.person or (single.person if single else None),
        asset=exc.asset or (single.asset if single else None),
        role=single.role if single else None,
        evidence={
            "exception_id": exc.id,
            "muted_rule": exc.rule,
            "reason": exc.reason,
            "approved_by": exc.approved_by,
            "expires": exc.expires_on.isoformat(),
            "source": exc.source,
            "muted_count": count,
            "muted_fingerprints": sorted(fp for _, fp in hits)[:MAX_LISTED_FINGERPRINTS],
        },
    )


def reconcile(
    existing: list[FindingState],
    verdicts: list[Verdict],
    complete_scopes: set[Scope] | Coverage,
    exceptions: list[RiskException],
    now: datetime,
    scan_id: int | None,
    *,
    policy_hashes: Mapping[str, str] | None = None,
) -> ReconcileResult:
    """Reconcile this scan's failing/unknown verdicts with the stored findings (see the module doc).

    ``complete_scopes`` is a ``Coverage`` (or, for fully read tenants only, the set of their scopes).

    ``existing`` must hold every open or accepted finding plus any stored finding whose fingerprint a
    verdict has; states in it are updated in place. Duplicate verdicts (same fingerprint) count once.
    """
    if now.tzinfo is None:
        raise ValueError("reconcile: now must be timezone-aware")
    index = _ExceptionIndex(exceptions, now.astimezone(UTC).date())
    work = _Reconciler(existing, now, scan_id, policy_hashes or {})
    expired_hits: dict[str, tuple[RiskException, list[tuple[Verdict, str]]]] = {}
    for verdict in verdicts:
        fp = fingerprint(verdict.rule, verdict.platform, verdict.tenant, verdict.subject)
        if fp in work.seen:
            continue
        work.seen.add(fp)
        active, expired = index.match(verdict, fp)
        if active is None and expired is not None:
            expired_hits.setdefault(expired.id, (expired, []))[1].append((verdict, fp))
        work.apply(verdict, fp, active, expired)
    extra = [_expired_verdict(exc, hits) for exc, hits in expired_hits.values()]
    for verdict in extra:
        fp = fingerprint(verdict.rule, verdict.platform, verdict.tenant, verdict.subject)
        if fp not in work.seen:
            work.seen.add(fp)
            work.apply(verdict, fp, None, None)
    coverage = complete_scopes if isinstance(complete_scopes, Coverage) else Coverage(complete=complete_scopes)
    work.resolve_missing(coverage)
    return ReconcileResult(states=list(work.touched.values()), changes=work.changes, expired_exceptions=extra)
