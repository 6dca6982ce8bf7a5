"""The demo's access reviews: last quarter's campaign, finished with its evidence PDF, and this quarter's,
in progress with some decisions made (reviewers are the directory's managers)."""

from __future__ import annotations

from datetime import datetime, timedelta

from auditor.accounts.audit_trail import Actor
from auditor.config import Settings
from auditor.reviews import use_cases as reviews

OWNER = Actor("demo-security-officer", "security_officer")
FALLBACK = "bkwiatkowska"  # the shop's owner reviews what has no manager


def seed_campaigns(settings: Settings, now: datetime) -> list[int]:
    """Start both campaigns from the latest scan; returns their ids (finished first)."""
    finished = reviews.start_campaign(settings, name="Privileged access, previous quarter",
                                      scope={"privileged_only": True}, reviewer_mode="manager",
                                      fallback_reviewer=FALLBACK, due_at=now + timedelta(days=7), actor=OWNER,
                                      now=now - timedelta(hours=2))
    for step, item in enumerate(finished["items"]):
        reviews.decide_item(settings, item["id"], actor=Actor(item["reviewer"], "reviewer"), decision="keep",
                            comment="confirmed with the team", now=now - timedelta(hours=1, seconds=-30 * step))
    reviews.complete_campaign(settings, finished["id"], actor=OWNER, now=now - timedelta(minutes=30))
    current = reviews.start_campaign(settings, name="All access, this quarter", scope={}, reviewer_mode="manager",
                                     fallback_reviewer=FALLBACK, due_at=now + timedelta(days=14), actor=OWNER,
                                     now=now - timedelta(minutes=10))
    for item in current["items"][: len(current["items"]) // 3]:
        decision = "revoke" if item["person_status"] == "departed" else "keep"
        reviews.decide_item(settings, item["id"], actor=Actor(item["reviewer"], "reviewer"), decision=decision,
                            comment="reviewed in the demo", now=now - timedelta(minutes=5))
    return [finished["id"], current["id"]]
