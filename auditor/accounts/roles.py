"""The tool's roles and what each may do: the single table the access check of every request reads.

Deny by default: a permission not listed here, or a view without a declared permission, is refused.
"""

from __future__ import annotations

ADMIN = "admin"
SECURITY_OFFICER = "security_officer"
HR = "hr"
AUDITOR = "auditor"
DPO = "dpo"  # data protection officer: the GDPR request register
REVIEWER = "reviewer"  # a manager or asset owner certifying access (username = directory uid)
ALL_ROLES = (ADMIN, SECURITY_OFFICER, HR, AUDITOR, DPO, REVIEWER)
ROLE_LABELS: dict[str, str] = {
    ADMIN: "Administrator",
    SECURITY_OFFICER: "Security officer",
    HR: "HR",
    AUDITOR: "Auditor (read-only)",
    DPO: "Data protection officer",
    REVIEWER: "Access reviewer",
}
"""Role id -> label shown in the UI and the CLI."""

PERMISSIONS: dict[str, frozenset[str]] = {
    "account": frozenset(ALL_ROLES),  # one's own account: password, recovery codes, sign out everywhere
    "dashboard.view": frozenset({ADMIN, SECURITY_OFFICER, AUDITOR}),
    "findings.view": frozenset({ADMIN, SECURITY_OFFICER, AUDITOR}),
    "findings.export": frozenset({ADMIN, SECURITY_OFFICER, AUDITOR}),
    "findings.triage": frozenset({ADMIN, SECURITY_OFFICER}),
    "findings.accept_risk": frozenset({ADMIN, SECURITY_OFFICER}),
    "people.view": frozenset({ADMIN, SECURITY_OFFICER, HR, AUDITOR}),
    "platforms.view": frozenset({ADMIN, SECURITY_OFFICER, AUDITOR}),
    "scans.view": frozenset({ADMIN, SECURITY_OFFICER, AUDITOR}),
    "scans.start": frozenset({ADMIN, SECURITY_OFFICER}),
    "users.manage": frozenset({ADMIN}),
    "audit.view": frozenset({ADMIN}),
    # the areas that plug in with their own blueprints (auditor/web/offboarding_views.py, dsar_views.py):
    "offboarding.view": frozenset({ADMIN, SECURITY_OFFICER, HR, AUDITOR}),
    "offboarding.open": frozenset({ADMIN, HR}),
    "offboarding.approve": frozenset({SECURITY_OFFICER}),
    "offboarding.check": frozenset({ADMIN, HR, SECURITY_OFFICER}),  # "check again now" on an open case
    "dsar.view": frozenset({ADMIN, SECURITY_OFFICER, DPO}),
    "dsar.manage": frozenset({ADMIN, SECURITY_OFFICER, DPO}),
    "dsar.processing": frozenset({ADMIN, SECURITY_OFFICER, DPO, AUDITOR}),
    "reviews.view": frozenset({ADMIN, SECURITY_OFFICER, AUDITOR}),  # campaigns, figures, evidence
    "reviews.manage": frozenset({ADMIN, SECURITY_OFFICER}),  # start, follow through, complete
    "reviews.decide": frozenset({ADMIN, SECURITY_OFFICER, REVIEWER}),  # one's own assigned items only
    "identities.view": frozenset({ADMIN, SECURITY_OFFICER, AUDITOR}),  # accounts as identities, the queue
    "identities.manage": frozenset({ADMIN, SECURITY_OFFICER}),  # link / mark accounts (applied by the next scan)
}
"""Permission -> roles holding it. HR sees people and offboarding (state and evidence) and nothing else."""


def allowed(role: str | None, permission: str | None) -> bool:
    """Whether ``role`` holds ``permission`` (False for anything unknown)."""
    if role is None or permission is None:
        return False
    return role in PERMISSIONS.get(permission, frozenset())


def home_endpoint(role: str) -> str:
    """Where a role lands after signing in."""
    if allowed(role, "dashboard.view"):
        return "dashboard.index"
    if role == REVIEWER:
        return "reviews.mine"
    return "dsar.index" if role == DPO else "people.index"
