"""Revocation: removing a leaver's access through a platform's API, as an explicit, separate capability.

- Off by default; a platform opts in by being named in ``offboarding.revocation_platforms``, and only
  platforms whose connector can revoke (``Connector.revoker``, e.g. Meta: remove a business user, cancel a
  pending invitation; see ``auditor.connectors.meta.revoke``) get proposals.
- The tool only proposes (one proposal per account or invitation still present on an opted-in platform).
- A proposal runs only after a security officer approved it, and the approver may not be the person who
  opened the case (four eyes). A rejection is recorded the same way.
- Every API call made is recorded (method, path without query string, HTTP status, outcome); a proposal
  moves ``approved -> executing`` in one compare-and-set, so it cannot run twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import insert, select, update
from sqlmodel import Session

from auditor.config import Settings
from auditor.connectors.base import Revoker, connector_for
from auditor.errors import AuditorError
from auditor.offboarding.tables import OffboardingRevocation, OffboardingRevocationCall

REVOCATIONS = OffboardingRevocation.__table__
CALLS = OffboardingRevocationCall.__table__
APPROVER_ROLE = "security_officer"


class RevocationError(AuditorError):
    """A revocation cannot be proposed, decided or run (``status``: the HTTP answer for the web UI)."""

    def __init__(self, message: str, *, status: int = 409):
        super().__init__(message)
        self.status = status


def revoker_for(settings: Settings, platform_name: str, *,
                transport: httpx.BaseTransport | None = None) -> Revoker | None:
    """The platform's revoker when it opted in and its connector can revoke; None otherwise."""
    if platform_name not in settings.offboarding.revocation_platforms:
        return None
    platform = next((p for p in settings.platform if p.name == platform_name), None)
    if platform is None:  # no longer configured: nothing to call
        return None
    return connector_for(settings, platform).revoker(transport=transport)


def propose(session: Session, settings: Settings, case_id: int, items: Iterable[Mapping[str, Any]],
            now: datetime) -> int:
    """Record proposals for the present items on opted-in platforms (once each); returns how many are new."""
    by_platform: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        if item["state"] != "gone":
            by_platform.setdefault(item["platform"], []).append(item)
    existing = {(r.platform, r.action, r.target) for r in session.execute(
        select(REVOCATIONS.c.platform, REVOCATIONS.c.action, REVOCATIONS.c.target)
        .where(REVOCATIONS.c.case_id == case_id))}
    rows = []
    for platform, platform_items in sorted(by_platform.items()):
        revoker = revoker_for(settings, platform)
        if revoker is None:
            continue
        tenant = platform_items[0]["tenant"]
        for proposal in revoker.proposals(platform_items):
            key = (platform, proposal.action, proposal.target)
            if key not in existing:
                existing.add(key)
                rows.append({"case_id": case_id, "platform": platform, "tenant": tenant, "action": proposal.action,
                             "target": proposal.target, "label": proposal.label, "status": "proposed",
                             "proposed_at": now})
    if rows:
        session.execute(insert(REVOCATIONS), rows)
    return len(rows)


def revocation_row(session: Session, revocation_id: int) -> dict[str, Any]:
    """The stored proposal (RevocationError 404 when there is none)."""
    row = session.execute(select(REVOCATIONS).where(REVOCATIONS.c.id == revocation_id)).mappings().first()
    if row is None:
        raise RevocationError(f"no revocation #{revocation_id}", status=404)
    return dict(row)


def decide(session: Session, revocation_id: int, *, by: str, role: str, approve: bool, opened_by: str,
           reason: str | None, now: datetime) -> None:
    """Approve or reject a proposal: a security officer only, never the person who opened the case."""
    if role != APPROVER_ROLE:
        raise RevocationError(f"revocation #{revocation_id}: only a security officer may decide (role {role!r})",
                              status=403)
    if by == opened_by:
        raise RevocationError(f"revocation #{revocation_id}: {by} opened this case; a second person must decide",
                              status=403)
    changed = session.execute(update(REVOCATIONS).where(
        REVOCATIONS.c.id == revocation_id, REVOCATIONS.c.status == "proposed",
    ).values(status="approved" if approve else "rejected", decided_by=by, decided_role=role, decided_at=now,
             reason=reason)).rowcount
    if not changed:
        row = revocation_row(session, revocation_id)
        raise RevocationError(f"revocation #{revocation_id} is {row['status']}, not proposed")


def claim(session: Session, revocation_id: int) -> dict[str, Any]:
    """Move an approved proposal to ``executing`` (compare-and-set) and return it."""
    changed = session.execute(update(REVOCATIONS).where(
        REVOCATIONS.c.id == revocation_id, REVOCATIONS.c.status == "approved").values(status="executing")).rowcount
    row = revocation_row(session, revocation_id)
    if not changed:
        raise RevocationError(f"revocation #{revocation_id} is {row['status']}; only an approved one can run")
    return row


def finish(session: Session, revocation_id: int, calls: list[dict[str, Any]], error: str | None,
           now: datetime) -> None:
    """Record the calls made and the outcome (``executed`` or ``failed``)."""
    if calls:
        session.execute(insert(CALLS), [{"revocation_id": revocation_id, **call} for call in calls])
    session.execute(update(REVOCATIONS).where(REVOCATIONS.c.id == revocation_id).values(
        status="failed" if error else "executed", executed_at=now, error=error))


def revocations_of(session: Session, case_id: int) -> list[dict[str, Any]]:
    """A case's proposals with their calls (two queries), oldest first."""
    rows = [dict(r) for r in session.execute(select(REVOCATIONS).where(REVOCATIONS.c.case_id == case_id)
                                              .order_by(REVOCATIONS.c.id)).mappings()]
    by_id = {row["id"]: {**row, "calls": []} for row in rows}
    if by_id:
        for call in session.execute(select(CALLS).where(CALLS.c.revocation_id.in_(list(by_id)))
                                    .order_by(CALLS.c.id)).mappings():
            by_id[call["revocation_id"]]["calls"].append(dict(call))
    return [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()} | {
        "calls": [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in c.items()} for c in row["calls"]]}
        for row in by_id.values()]
