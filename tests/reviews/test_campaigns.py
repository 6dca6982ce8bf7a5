"""Campaigns end to end on the use cases: frozen scope, reviewer assignment, decisions and their rules,
delegation, follow-through by the next scan, completion with a registered evidence PDF, recurring runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from auditor.accounts import audit_trail
from auditor.accounts.audit_trail import Actor
from auditor.reporting.use_cases import verify_file
from auditor.reviews import use_cases as reviews
from auditor.reviews.campaigns import ITEMS, ReviewError
from auditor.reviews.stats import reviewer_stats
from auditor.storage.tables import InvGrant
from tests.reviews.conftest import MANAGER_A, MANAGER_B, NOW, OFFICER

DUE = NOW + timedelta(days=14)


def _start(shop, **scope):
    return reviews.start_campaign(shop.settings, name="Q4 review", scope=scope, reviewer_mode="manager",
                                  fallback_reviewer="bkwiatkowska", due_at=DUE, actor=OFFICER, now=NOW, db=shop.db)


def test_start_freezes_the_grants_in_scope_and_assigns_managers(shop):
    campaign = _start(shop, privileged_only=True)
    with shop.db.session() as session:
        live = session.execute(select(InvGrant.__table__).where(InvGrant.__table__.c.gone_at.is_(None),
                                                                InvGrant.__table__.c.privileged.is_(True))).all()
    assert campaign["totals"]["items"] == len(live) > 0
    assert all(i["privileged"] for i in campaign["items"])
    by_person = {i["person_uid"]: i["reviewer"] for i in campaign["items"]}
    assert MANAGER_A in by_person.values()
    assert all(reviewer != uid for uid, reviewer in by_person.items())
    assert campaign["scan_id"] == 1
    # frozen: a later scan that loses a grant does not change the list
    shop.remove_grant(campaign["items"][0]["account_id"])
    shop.scan(NOW + timedelta(hours=1))
    assert reviews.get_campaign(shop.settings, campaign["id"], db=shop.db)["totals"]["items"] == len(live)


def test_bad_input_is_one_plain_message(shop):
    with pytest.raises(ReviewError, match="reviewer: unknown assignment 'boss'"):
        reviews.start_campaign(shop.settings, name="x", scope={}, reviewer_mode="boss", fallback_reviewer="a",
                               due_at=DUE, actor=OFFICER, now=NOW, db=shop.db)
    with pytest.raises(ReviewError, match="due: .* is not in the future"):
        reviews.start_campaign(shop.settings, name="x", scope={}, reviewer_mode="manager", fallback_reviewer="a",
                               due_at=NOW, actor=OFFICER, now=NOW, db=shop.db)
    with pytest.raises(ReviewError, match="scope.kinds: unknown people kind 'robot'"):
        _start(shop, kinds=["robot"])


def test_a_reviewer_decides_only_their_items_and_a_leaver_keep_needs_a_comment(shop):
    campaign = _start(shop)
    mine = reviews.my_items(shop.settings, MANAGER_A, db=shop.db)
    items = [i for g in mine for p in g["people"] for i in p["items"]]
    assert items and all(i["reviewer"] == MANAGER_A for i in items)
    other = next(i for i in campaign["items"] if i["reviewer"] != MANAGER_A)
    with pytest.raises(ReviewError) as refused:
        reviews.decide_item(shop.settings, other["id"], actor=Actor(MANAGER_A, "reviewer"), decision="keep",
                            now=NOW, db=shop.db)
    assert refused.value.status == 404
    leaver = next(i for i in items if i["privileged"])
    with shop.db.session(write=True) as session:  # make the holder a leaver
        session.execute(ITEMS.update().where(ITEMS.c.id == leaver["id"]).values(person_status="departed"))
    with pytest.raises(ReviewError, match="comment: required to keep the privileged role"):
        reviews.decide_item(shop.settings, leaver["id"], actor=Actor(MANAGER_A, "reviewer"), decision="keep",
                            now=NOW, db=shop.db)
    kept = reviews.decide_item(shop.settings, leaver["id"], actor=Actor(MANAGER_A, "reviewer"), decision="keep",
                               comment="handover until Friday", now=NOW, db=shop.db)
    assert kept["decision"] == "keep" and kept["comment"] == "handover until Friday"
    with shop.db.session() as session:
        trail = audit_trail.list_entries(session, action="review_decided")
    assert trail[0]["actor"] == MANAGER_A and trail[0]["target_id"] == str(leaver["id"])


def test_delegation_and_bulk_decision_per_person(shop):
    campaign = _start(shop)
    item = next(i for i in campaign["items"] if i["reviewer"] == MANAGER_A)
    with pytest.raises(ReviewError, match="reason: required"):
        reviews.delegate_item(shop.settings, item["id"], actor=Actor(MANAGER_A), to=MANAGER_B, reason=" ", now=NOW,
                              db=shop.db)
    moved = reviews.delegate_item(shop.settings, item["id"], actor=Actor(MANAGER_A), to=MANAGER_B,
                                  reason="I do not manage this page", now=NOW, db=shop.db)
    assert moved["reviewer"] == MANAGER_B and moved["delegated_from"] == MANAGER_A
    person = next(i["person_uid"] for i in campaign["items"] if i["reviewer"] == MANAGER_B)
    count = reviews.decide_person(shop.settings, campaign["id"], person, actor=Actor(MANAGER_B), decision="revoke",
                                  now=NOW, db=shop.db)
    view = reviews.get_campaign(shop.settings, campaign["id"], db=shop.db)
    assert count == sum(1 for i in view["items"] if i["person_uid"] == person and i["reviewer"] == MANAGER_B)
    assert view["totals"]["revocations_pending"] == count


def test_revoke_is_closed_by_the_next_complete_scan_and_evidence_verifies(shop):
    campaign = _start(shop, privileged_only=True)
    revoke = next(i for i in campaign["items"] if i["reviewer"] == MANAGER_A)
    for item in campaign["items"]:
        actor = Actor(item["reviewer"], "reviewer")
        if item["id"] == revoke["id"]:
            reviews.decide_item(shop.settings, item["id"], actor=actor, decision="revoke", now=NOW, db=shop.db)
        else:
            reviews.decide_item(shop.settings, item["id"], actor=actor, decision="keep", comment="needed",
                                now=NOW, db=shop.db)
    view = reviews.refresh(shop.settings, campaign["id"], actor=OFFICER, now=NOW, db=shop.db)
    assert view["status"] == "open" and view["totals"]["revocations_pending"] == 1
    shop.scan(NOW + timedelta(hours=2))  # still there: overdue
    view = reviews.refresh(shop.settings, campaign["id"], actor=OFFICER, now=NOW + timedelta(hours=2), db=shop.db)
    assert view["totals"]["revocations_overdue"] == 1 and view["status"] == "open"
    shop.remove_grant(revoke["account_id"])
    summary = shop.scan(NOW + timedelta(days=1))
    view = reviews.refresh(shop.settings, campaign["id"], actor=OFFICER, now=NOW + timedelta(days=1), db=shop.db)
    done = next(i for i in view["items"] if i["id"] == revoke["id"])
    assert done["follow_up"] == "done" and done["confirmed_scan_id"] == summary.scan_id
    assert done["gone_at"].startswith((NOW + timedelta(days=1)).date().isoformat())
    assert view["status"] == "completed" and view["evidence_report_id"].startswith("ACR-")
    from pathlib import Path

    pdf = Path(view["evidence_path"])
    assert verify_file(shop.settings, pdf).ok
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(str(pdf)).pages)
    assert "needed" in text and f"scan #{summary.scan_id}" in text
    tampered = pdf.with_name("tampered.pdf")
    tampered.write_bytes(pdf.read_bytes() + b"%")
    assert verify_file(shop.settings, tampered).status == "tampered"


def test_rubber_stamp_signals_are_figures():
    from datetime import datetime

    base = datetime(2026, 1, 1, tzinfo=NOW.tzinfo)
    items = [{"reviewer": "fast", "decision": "keep", "privileged": True, "decided_at": base + timedelta(seconds=i),
              "follow_up": None} for i in range(6)]
    items += [{"reviewer": "slow", "decision": "revoke" if i else "keep", "privileged": True,
               "decided_at": base + timedelta(minutes=5 * i), "follow_up": None} for i in range(6)]
    figures = {r["reviewer"]: r for r in reviewer_stats(items)}
    assert figures["fast"]["flags"] == ["6 decisions, median 1.0 s apart", "kept every privileged grant (6)"]
    assert figures["slow"]["flags"] == [] and figures["slow"]["median_seconds"] == 300.0


def test_recurring_template_starts_a_campaign_when_due(shop):
    template = reviews.add_template(shop.settings, name="Quarterly", scope={"privileged_only": True},
                                    reviewer_mode="manager", fallback_reviewer="bkwiatkowska",
                                    cron="0 6 1 1,4,7,10 *", due_days=14, actor=OFFICER, now=NOW, db=shop.db)
    assert template
    assert reviews.run_reviews(shop.settings, now=NOW + timedelta(days=1), db=shop.db)["started"] == []
    result = reviews.run_reviews(shop.settings, now=NOW.replace(year=2027, month=1, day=1, hour=6, minute=0),
                                 db=shop.db)
    assert len(result["started"]) == 1
    view = reviews.get_campaign(shop.settings, result["started"][0], db=shop.db)
    assert view["name"] == "Quarterly 2027-01-01" and view["template_id"] == template
    with pytest.raises(ReviewError, match="cron: bad expression"):
        reviews.next_run("every quarter", NOW)
