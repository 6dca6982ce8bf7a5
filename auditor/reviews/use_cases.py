"""Access-review use cases for the edges (``auditor review``, the web pages, the scheduler): start a
campaign, read it, decide, delegate, follow the revocations through, complete it with its evidence PDF,
export it, and the scheduler's pass (recurring campaigns, follow-through, reminders, completion).

Every change is recorded in the tool's audit trail with its actor. Times come from ``now``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import insert, select, update
from sqlmodel import Session

from auditor.accounts import audit_trail
from auditor.accounts.audit_trail import Actor
from auditor.config import Settings
from auditor.private_files import private_folder, write_private
from auditor.reporting.use_cases import output_path
from auditor.reviews import campaigns, decisions, reminders, stats
from auditor.reviews.campaigns import CAMPAIGNS, ReviewError, plain
from auditor.reviews.evidence import build_evidence, evidence_content
from auditor.reviews.followup import follow_through
from auditor.reviews.tables import ReviewTemplate
from auditor.storage.db import Database, open_database

log = logging.getLogger("auditor.reviews")
TEMPLATES = ReviewTemplate.__table__


@contextmanager
def _session(settings: Settings, db: Database | None) -> Iterator[Session]:
    database = db or open_database(settings.storage_url)
    try:
        with database.session(write=True) as session:
            yield session
    finally:
        if db is None:
            database.dispose()


def _audit(session: Session, actor: Actor, action: str, kind: str, target: Any, now: datetime,
           **detail: Any) -> None:
    audit_trail.record(session, actor, action, target_kind=kind, target_id=target, detail=detail, at=now)


# ----------------------------------------------------------------------------------------------- start


def start_campaign(settings: Settings, *, name: str, scope: dict[str, Any], reviewer_mode: str,
                   fallback_reviewer: str, due_at: datetime, actor: Actor, now: datetime,
                   db: Database | None = None, template_id: int | None = None) -> dict[str, Any]:
    """Freeze the grants in scope, assign reviewers, send the start reminders; returns the campaign view."""
    with _session(settings, db) as session:
        campaign_id = campaigns.start(session, name=name, scope=scope, reviewer_mode=reviewer_mode,
                                      fallback_reviewer=fallback_reviewer, owner=str(actor.name), due_at=due_at,
                                      now=now, template_id=template_id)
        _audit(session, actor, "review_campaign_started", "review_campaign", campaign_id, now, name=name)
        reminders.send_due_reminders(settings, session, campaigns.campaign_row(session, campaign_id), now)
        return _view(session, campaign_id)


def _view(session: Session, campaign_id: int) -> dict[str, Any]:
    campaign = plain(campaigns.campaign_row(session, campaign_id))
    items = campaigns.item_rows(session, campaign_id)
    return {**campaign, "items": [plain(i) for i in items], "totals": stats.totals(items),
            "reviewers": stats.reviewer_stats(items)}


# ----------------------------------------------------------------------------------------------- read


def get_campaign(settings: Settings, campaign_id: int, *, db: Database | None = None) -> dict[str, Any]:
    """One campaign with its items, totals and per-reviewer figures (ReviewError 404 when none)."""
    with _session(settings, db) as session:
        return _view(session, campaign_id)


def find_campaigns(settings: Settings, *, status: str | None = None, db: Database | None = None) -> list[dict]:
    """Campaigns, newest first, with counts."""
    with _session(settings, db) as session:
        return campaigns.list_campaigns(session, status)


def my_items(settings: Settings, reviewer: str, *, db: Database | None = None) -> list[dict[str, Any]]:
    """A reviewer's items in open campaigns, grouped: ``[{campaign, people: [{uid, name, ..., items}]}]``."""
    with _session(settings, db) as session:
        groups: dict[int, dict[str, Any]] = {}
        for item in campaigns.item_rows(session, reviewer=reviewer, open_only=True):
            if item["campaign_id"] not in groups:
                groups[item["campaign_id"]] = {"campaign": plain(campaigns.campaign_row(session, item["campaign_id"])),
                                               "people": {}}
            people = groups[item["campaign_id"]]["people"]
            person = people.setdefault(item["person_uid"], {
                "uid": item["person_uid"], "name": item["person_name"], "status": item["person_status"],
                "departure": item["departure"].isoformat() if item["departure"] else None,
                "leaver": decisions.is_leaver(item), "open_findings": item["open_findings"], "items": []})
            person["items"].append(plain(item))
        return [{**g, "people": list(g["people"].values())} for g in groups.values()]


# -------------------------------------------------------------------------------------------- decide


def decide_item(settings: Settings, item_id: int, *, actor: Actor, decision: str, comment: str | None = None,
                new_role: str | None = None, now: datetime, db: Database | None = None) -> dict[str, Any]:
    """A reviewer decides one of their items."""
    with _session(settings, db) as session:
        item = decisions.decide(session, item_id, by=str(actor.name), decision=decision, comment=comment,
                                new_role=new_role, now=now)
        _audit(session, actor, "review_decided", "review_item", item_id, now, decision=decision,
               comment=comment or "", campaign=item["campaign_id"])
        return plain(item)


def decide_person(settings: Settings, campaign_id: int, person_uid: str, *, actor: Actor, decision: str,
                  comment: str | None = None, now: datetime, db: Database | None = None) -> int:
    """A reviewer decides every open item of one person at once; returns how many."""
    with _session(settings, db) as session:
        count = decisions.decide_person(session, campaign_id, person_uid, by=str(actor.name), decision=decision,
                                        comment=comment, now=now)
        _audit(session, actor, "review_decided_person", "review_campaign", campaign_id, now, person=person_uid,
               decision=decision, items=count)
        return count


def delegate_item(settings: Settings, item_id: int, *, actor: Actor, to: str, reason: str, now: datetime,
                  db: Database | None = None) -> dict[str, Any]:
    """A reviewer hands one item to another reviewer with a reason."""
    with _session(settings, db) as session:
        item = decisions.delegate(session, item_id, by=str(actor.name), to=to, reason=reason)
        _audit(session, actor, "review_delegated", "review_item", item_id, now, to=to, reason=reason)
        return plain(item)


# ----------------------------------------------------------------------------------- follow-through


def _all_done(session: Session, campaign_id: int) -> bool:
    items = campaigns.item_rows(session, campaign_id)
    return all(i["decision"] for i in items) and not any(i["follow_up"] in ("pending", "overdue") for i in items)


def refresh(settings: Settings, campaign_id: int, *, actor: Actor, now: datetime,
            db: Database | None = None) -> dict[str, Any]:
    """Follow the campaign's revocations through the scans; complete it (with evidence) once all is done."""
    with _session(settings, db) as session:
        campaign = campaigns.campaign_row(session, campaign_id)
        follow_through(session, campaign_id)
        if campaign["status"] == "open" and _all_done(session, campaign_id):
            _complete(settings, session, campaign_id, actor, now)
        return _view(session, campaign_id)


def complete_campaign(settings: Settings, campaign_id: int, *, actor: Actor, now: datetime,
                      db: Database | None = None) -> dict[str, Any]:
    """Close the campaign now (undecided items stay undecided in the evidence) and attach the evidence PDF."""
    with _session(settings, db) as session:
        campaign = campaigns.campaign_row(session, campaign_id)
        if campaign["status"] != "open":
            raise ReviewError(f"campaign #{campaign_id} is already {campaign['status']}", status=409)
        follow_through(session, campaign_id)
        _complete(settings, session, campaign_id, actor, now)
        return _view(session, campaign_id)


def _complete(settings: Settings, session: Session, campaign_id: int, actor: Actor, now: datetime) -> None:
    session.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(status="completed",
                                                                                 completed_at=now))
    data, entry = build_evidence(settings, session, campaign_id, generated_by=str(actor.name), now=now)
    path = output_path(settings, entry)
    try:
        private_folder(path.parent)
        write_private(path, data)
    except OSError as exc:
        raise ReviewError(f"{path}: cannot write the evidence: {exc.strerror}", status=500) from exc
    session.execute(update(CAMPAIGNS).where(CAMPAIGNS.c.id == campaign_id).values(
        evidence_report_id=entry.id, evidence_path=str(path)))
    _audit(session, actor, "review_campaign_completed", "review_campaign", campaign_id, now, report=entry.id)


def export(settings: Settings, campaign_id: int, *, db: Database | None = None) -> dict[str, Any]:
    """The evidence content (for JSON; its ``items`` are the CSV rows)."""
    with _session(settings, db) as session:
        return evidence_content(session, campaign_id, settings.reports.organisation)


# ------------------------------------------------------------------------------------------ recurring


def next_run(cron: str, after: datetime) -> datetime:
    """The next time a five-field cron expression (UTC) fires after ``after`` (ReviewError when malformed)."""
    try:
        trigger = CronTrigger.from_crontab(cron, timezone=UTC)
    except ValueError as exc:
        raise ReviewError(f"cron: bad expression {cron!r}: {exc}") from None
    found = trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    if found is None:
        raise ReviewError(f"cron: {cron!r} never fires")
    return found.astimezone(UTC)


def add_template(settings: Settings, *, name: str, scope: dict[str, Any], reviewer_mode: str,
                 fallback_reviewer: str, cron: str, due_days: int, actor: Actor, now: datetime,
                 db: Database | None = None) -> int:
    """Add a recurring campaign (e.g. quarterly: ``0 6 1 1,4,7,10 *``); the scheduler starts each run."""
    if reviewer_mode not in campaigns.MODES:
        raise ReviewError(f"reviewer: unknown assignment {reviewer_mode!r}")
    with _session(settings, db) as session:
        template_id = session.execute(insert(TEMPLATES).values(
            name=name, scope=campaigns.check_scope(scope), reviewer_mode=reviewer_mode,
            fallback_reviewer=fallback_reviewer, owner=str(actor.name), cron=cron, due_days=due_days,
            next_run_at=next_run(cron, now))).inserted_primary_key[0]
        _audit(session, actor, "review_template_added", "review_template", template_id, now, cron=cron)
        return int(template_id)


def run_reviews(settings: Settings, *, now: datetime, db: Database | None = None) -> dict[str, Any]:
    """The scheduler's pass: start due recurring campaigns, follow revocations through, complete finished
    campaigns, send due reminders. A campaign that fails is logged and skipped."""
    started, completed, reminded = [], [], 0
    with _session(settings, db) as session:
        due = [dict(r) for r in session.execute(select(TEMPLATES).where(TEMPLATES.c.next_run_at <= now)).mappings()]
    for template in due:
        actor = Actor(template["owner"], "scheduler")
        try:
            view = start_campaign(settings, name=f"{template['name']} {now:%Y-%m-%d}", scope=template["scope"],
                                  reviewer_mode=template["reviewer_mode"],
                                  fallback_reviewer=template["fallback_reviewer"],
                                  due_at=now + timedelta(days=template["due_days"]), actor=actor, now=now, db=db,
                                  template_id=template["id"])
            started.append(view["id"])
        except ReviewError as exc:
            log.error("recurring campaign %r not started: %s", template["name"], exc)
        with _session(settings, db) as session:
            session.execute(update(TEMPLATES).where(TEMPLATES.c.id == template["id"]).values(
                last_run_at=now, next_run_at=next_run(template["cron"], now)))
    with _session(settings, db) as session:
        open_ids = [c["id"] for c in campaigns.list_campaigns(session, "open")]
    for campaign_id in open_ids:
        view = refresh(settings, campaign_id, actor=Actor("scheduler", "scheduler"), now=now, db=db)
        if view["status"] == "completed":
            completed.append(campaign_id)
            continue
        with _session(settings, db) as session:
            reminded += len(reminders.send_due_reminders(settings, session,
                                                         campaigns.campaign_row(session, campaign_id), now))
    return {"started": started, "completed": completed, "reminders": reminded}
