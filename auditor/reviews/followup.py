"""Follow-through of revoke decisions: the next complete scan of the platform proves it.

A revoke item stays ``pending`` until a scan that read its platform completely ran after the decision;
then it is ``done`` when the grant is gone (``gone_at``: when a scan first missed it; ``confirmed_scan_id``:
the first complete scan from then on) or ``overdue`` when that scan still saw it. A scan that read the
platform only in part proves nothing either way. Idempotent: run it after scans, and before showing status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlmodel import Session

from auditor.reviews.campaigns import ITEMS
from auditor.storage.tables import InvGrant, Scan, ScanPlatform

_OPEN = ("pending", "overdue")


def _complete_scans(session: Session, platform: str, tenant: str) -> list[tuple[int, datetime]]:
    scans, platforms = Scan.__table__, ScanPlatform.__table__
    rows = session.execute(select(scans.c.id, scans.c.started_at)
                           .join(platforms, platforms.c.scan_id == scans.c.id)
                           .where(platforms.c.platform == platform, platforms.c.tenant == tenant,
                                  platforms.c.status == "complete", scans.c.status.in_(("complete", "partial")))
                           .order_by(scans.c.started_at, scans.c.id))
    return [(r.id, r.started_at) for r in rows]


def _grant_gone_at(session: Session, item: dict[str, Any]) -> tuple[bool, datetime | None]:
    grant = InvGrant.__table__
    row = session.execute(select(grant.c.gone_at).where(and_(
        grant.c.platform == item["platform"], grant.c.tenant == item["tenant"],
        grant.c.account_id == item["account_id"], grant.c.asset_id == item["asset_id"],
        grant.c.role == item["role"]))).first()
    if row is None:
        return True, None
    return row.gone_at is not None, row.gone_at


def follow_through(session: Session, campaign_id: int | None = None) -> dict[str, int]:
    """Update every open revoke follow-up (of one campaign, or all); returns counts by new state."""
    query = select(ITEMS).where(ITEMS.c.follow_up.in_(_OPEN))
    if campaign_id is not None:
        query = query.where(ITEMS.c.campaign_id == campaign_id)
    counts = {"done": 0, "overdue": 0, "pending": 0}
    scans: dict[tuple[str, str], list[tuple[int, datetime]]] = {}
    for item in [dict(r) for r in session.execute(query).mappings()]:
        key = (item["platform"], item["tenant"])
        if key not in scans:
            scans[key] = _complete_scans(session, *key)
        after = [(sid, at) for sid, at in scans[key] if at > item["decided_at"]]
        if not after:
            counts["pending"] += 1
            continue
        gone, gone_at = _grant_gone_at(session, item)
        if gone:
            since = max(item["decided_at"], gone_at) if gone_at else item["decided_at"]
            confirmed = next((sid for sid, at in after if at >= since), after[-1][0])
            values: dict[str, Any] = {"follow_up": "done", "gone_at": gone_at, "confirmed_scan_id": confirmed}
        else:
            values = {"follow_up": "overdue", "confirmed_scan_id": None, "gone_at": None}
        counts[values["follow_up"]] += 1
        if values["follow_up"] != item["follow_up"] or values["confirmed_scan_id"] != item["confirmed_scan_id"]:
            session.execute(update(ITEMS).where(ITEMS.c.id == item["id"]).values(**values))
    return counts
