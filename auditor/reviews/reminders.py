"""Reminders and escalation: each reviewer with open items gets their count and a link (e-mail to their
directory address, and the chat webhook) at start, ``BEFORE_DAYS`` before the due date and after it; past
the due date the campaign owner is told who has not finished. Each stage is sent once per campaign.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session

from auditor.config import Settings
from auditor.notify import Notice, NoticeItem, deliver
from auditor.reviews.campaigns import CAMPAIGNS, item_rows
from auditor.storage.tables import DirectoryPerson

log = logging.getLogger("auditor.reviews")
BEFORE_DAYS = 3
STAGES = ("start", "before", "after")


def due_stage(campaign: dict[str, Any], now: datetime) -> str | None:
    """The reminder stage due now that was not sent yet (None when there is none)."""
    sent = campaign["reminders"] or {}
    if now >= campaign["due_at"]:
        return None if "after" in sent else "after"
    if now >= campaign["due_at"] - timedelta(days=BEFORE_DAYS):
        return None if "before" in sent else "before"
    return None if "start" in sent else "start"


def _address(session: Session, uid: str) -> str | None:
    table = DirectoryPerson.__table__
    emails = session.execute(select(table.c.emails).where(table.c.uid == uid)).scalar_one_or_none()
    return emails[0] if emails else None


def _to(settings: Settings, address: str) -> Settings:
    """The settings with e-mail going to ``address`` only."""
    return settings.model_copy(update={"notifications": settings.notifications.model_copy(
        update={"email_to": [address]})})


def _link(settings: Settings, path: str) -> str | None:
    base = settings.notifications.web_url
    return base.rstrip("/") + path if base else None


def reviewer_notice(settings: Settings, campaign: dict[str, Any], reviewer: str, count: int, stage: str) -> Notice:
    """The reminder to one reviewer: their open count, the due date, the link to their items."""
    when = {"start": "has started", "before": "is due soon", "after": "is past its due date"}[stage]
    return Notice(kind="review_reminder", severity="high" if stage == "after" else "info",
                  subject=f"auditor: access review {campaign['name']!r} {when}: {count} item(s) waiting for you",
                  summary=f"{reviewer}: {count} access item(s) of campaign #{campaign['id']} are waiting for your "
                          f"decision (due {campaign['due_at']:%Y-%m-%d}).",
                  link=_link(settings, "/reviews/mine"),
                  facts={"campaign_id": campaign["id"], "reviewer": reviewer, "open": count, "stage": stage})


def owner_notice(settings: Settings, campaign: dict[str, Any], late: Counter[str]) -> Notice:
    """The escalation to the campaign owner: who has not finished, with their open counts."""
    return Notice(kind="review_escalation", severity="high",
                  subject=f"auditor: access review {campaign['name']!r} is past due: {len(late)} reviewer(s) "
                          "have not finished",
                  summary=f"Campaign #{campaign['id']} was due {campaign['due_at']:%Y-%m-%d}.",
                  items=[NoticeItem("high", reviewer, f"{count} open") for reviewer, count in sorted(late.items())],
                  link=_link(settings, f"/reviews/{campaign['id']}"),
                  facts={"campaign_id": campaign["id"], "late": dict(late)})


def send_due_reminders(settings: Settings, session: Session, campaign: dict[str, Any], now: datetime,
                       stage: str | None = None) -> list[dict[str, Any]]:
    """Send the due stage (or ``stage``) for one open campaign and record it; returns what was sent."""
    stage = stage or due_stage(campaign, now)
    if stage is None or campaign["status"] != "open":
        return []
    open_counts = Counter(i["reviewer"] for i in item_rows(session, campaign["id"]) if i["decision"] is None)
    sent = []
    for reviewer, count in sorted(open_counts.items()):
        address = _address(session, reviewer)
        if address is None:
            log.warning("campaign #%s: reviewer %s has no e-mail address in the directory", campaign["id"], reviewer)
        notice = reviewer_notice(settings, campaign, reviewer, count, stage)
        delivery = deliver(_to(settings, address) if address else settings, notice)
        sent.append({"to": reviewer, "address": address, "open": count, "channels": delivery.sent})
    if stage == "after" and open_counts:
        address = _address(session, campaign["owner"])
        delivery = deliver(_to(settings, address) if address else settings, owner_notice(settings, campaign,
                                                                                           open_counts))
        sent.append({"to": campaign["owner"], "address": address, "late": dict(open_counts),
                     "channels": delivery.sent})
    reminders = {**(campaign["reminders"] or {}), stage: now.isoformat()}
    session.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign["id"]).values(reminders=reminders))
    campaign["reminders"] = reminders
    return sent
