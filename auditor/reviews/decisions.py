"""Reviewers' decisions: keep / revoke / change role, per item or for every open item of one person, and
delegation to another reviewer with a reason. A reviewer acts on their own items only; a keep of a
privileged grant held by a leaver needs a comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from auditor.reviews.campaigns import CAMPAIGNS, ITEMS, ReviewError

DECISIONS = ("keep", "revoke", "change_role")


def is_leaver(item: Mapping[str, Any]) -> bool:
    """Whether the holder left or is leaving (departed or disabled, or a departure date is known)."""
    return item.get("departure") is not None or item.get("person_status") in ("departed", "disabled")


def _own_open_item(session: Session, item_id: int, by: str) -> dict[str, Any]:
    row = session.execute(select(ITEMS, CAMPAIGNS.c.status.label("campaign_status"))
                          .join(CAMPAIGNS, CAMPAIGNS.c.id == ITEMS.c.campaign_id)
                          .where(ITEMS.c.id == item_id)).mappings().first()
    if row is None or row["reviewer"] != by:  # another reviewer's item is not revealed to exist
        raise ReviewError(f"no review item #{item_id} assigned to {by}", status=404)
    if row["campaign_status"] != "open":
        raise ReviewError(f"review item #{item_id}: its campaign is {row['campaign_status']}", status=409)
    return dict(row)


def _values(item: Mapping[str, Any], decision: str, comment: str | None, new_role: str | None, by: str,
            now: datetime) -> dict[str, Any]:
    if decision not in DECISIONS:
        raise ReviewError(f"decision: {decision!r} is not one of {', '.join(DECISIONS)}")
    comment = (comment or "").strip() or None
    new_role = (new_role or "").strip() or None
    if decision == "keep" and item["privileged"] and is_leaver(item) and not comment:
        raise ReviewError(f"comment: required to keep the privileged role {item['role']} of a leaver "
                          f"({item['person_name'] or item['person_uid']} on {item['platform']})")
    if decision == "change_role" and not new_role:
        raise ReviewError("new_role: required for a change of role")
    return {"decision": decision, "comment": comment, "new_role": new_role if decision == "change_role" else None,
            "decided_by": by, "decided_at": now, "follow_up": "pending" if decision == "revoke" else None,
            "confirmed_scan_id": None, "gone_at": None}


def decide(session: Session, item_id: int, *, by: str, decision: str, comment: str | None = None,
           new_role: str | None = None, now: datetime) -> dict[str, Any]:
    """Record (or change, while the campaign is open) a decision on one of ``by``'s items."""
    item = _own_open_item(session, item_id, by)
    values = _values(item, decision, comment, new_role, by, now)
    session.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(**values))
    return {**item, **values}


def decide_person(session: Session, campaign_id: int, person_uid: str, *, by: str, decision: str,
                  comment: str | None = None, now: datetime) -> int:
    """One decision for every undecided item of one person assigned to ``by``; returns how many.

    Checked item by item first: nothing is written when one of them needs a comment it lacks.
    """
    items = [dict(r) for r in session.execute(select(ITEMS).join(CAMPAIGNS, CAMPAIGNS.c.id == ITEMS.c.campaign_id)
                                              .where(ITEMS.c.campaign_id == campaign_id,
                                                     ITEMS.c.person_uid == person_uid, ITEMS.c.reviewer == by,
                                                     ITEMS.c.decision.is_(None), CAMPAIGNS.c.status == "open"))
             .mappings()]
    if not items:
        raise ReviewError(f"no undecided item of {person_uid!r} assigned to {by} in campaign #{campaign_id}",
                          status=404)
    if decision == "change_role":
        raise ReviewError("decision: a change of role is decided item by item")
    rows = [(item["id"], _values(item, decision, comment, None, by, now)) for item in items]
    for item_id, values in rows:
        session.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(**values))
    return len(rows)


def delegate(session: Session, item_id: int, *, by: str, to: str, reason: str) -> dict[str, Any]:
    """Hand one undecided item to another reviewer, with a reason."""
    item = _own_open_item(session, item_id, by)
    to, reason = to.strip(), reason.strip()
    if not to or to == by:
        raise ReviewError("to: name another reviewer (their username)")
    if not reason:
        raise ReviewError("reason: required to delegate")
    if item["decision"] is not None:
        raise ReviewError(f"review item #{item_id} is already decided", status=409)
    session.execute(update(ITEMS).where(ITEMS.c.id == item_id).values(
        reviewer=to, delegated_from=by, delegation_reason=reason))
    return {**item, "reviewer": to, "delegated_from": by, "delegation_reason": reason}
