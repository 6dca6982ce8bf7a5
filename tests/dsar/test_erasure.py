"""Erasure on request: kept for an active person, kept for a recent leaver (Art. 17(3)(e)), kept while access is
still present, otherwise pseudonymised everywhere the auditor keeps the person; the decision is recorded."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from auditor.config import DsarSettings
from auditor.dsar import erasure
from auditor.dsar import use_cases as service
from auditor.dsar.records import Identity
from auditor.storage.db import Database
from auditor.storage.tables import (
    AuditEventRow,
    DirectoryPerson,
    Finding,
    InvAccount,
    InvGrant,
    ManualLinkRow,
    PersonChange,
)
from tests.dsar import builders
from tests.dsar.builders import NOW
from tests.dsar.conftest import Shop

POLICY = DsarSettings(legal_hold_days=1095)


def _erase(db: Database, email: str, **kwargs) -> erasure.ErasureDecision:
    with db.session() as session:
        return erasure.erase(session, Identity(emails={email}), POLICY, now=NOW, **kwargs)


def _dump(db: Database) -> str:
    """Every row of the tables that can hold a person, as one text."""
    parts = []
    with db.session() as session:
        for model in (DirectoryPerson, PersonChange, InvAccount, InvGrant, AuditEventRow, Finding, ManualLinkRow):
            parts += [json.dumps(dict(row), default=str, ensure_ascii=False)
                      for row in session.exec(select(model.__table__)).mappings()]
    return "\n".join(parts)


def test_an_active_person_is_kept(database: Database) -> None:
    builders.the_leavers(database)
    before = _dump(database)
    decision = _erase(database, "anowak@kwiatek.example")
    assert decision.outcome == erasure.KEPT_ACTIVE and "Art. 17(1)(a)" in decision.basis
    assert _dump(database) == before


def test_a_recent_leaver_is_kept_for_legal_claims_until_the_hold_ends(database: Database) -> None:
    builders.the_leavers(database)
    before = _dump(database)
    decision = _erase(database, "trecent@kwiatek.example")
    assert decision.outcome == erasure.KEPT_LEGAL_HOLD and "Art. 17(3)(e)" in decision.basis
    assert decision.until == (NOW - timedelta(days=100)).date() + timedelta(days=1095)
    assert _dump(database) == before


def test_an_old_leaver_whose_access_is_gone_is_pseudonymised_everywhere(database: Database) -> None:
    builders.the_leavers(database)
    decision = _erase(database, "told@kwiatek.example")
    assert decision.outcome == erasure.PSEUDONYMISED
    dump = _dump(database)
    for trace in ("Teresa Old", "Teresa Older", "told@kwiatek.example", '"told"', "uid=told"):
        assert trace not in dump, trace
    assert "Anna Nowak" in dump and "anowak@kwiatek.example" in dump  # nobody else is touched
    with database.session() as session:
        person = session.exec(select(DirectoryPerson.__table__).where(
            DirectoryPerson.__table__.c.status == "departed", DirectoryPerson.__table__.c.uid != "trecent")
        ).mappings().one()
        pseudonym = person["uid"]
        assert pseudonym.startswith("erased-") and person["display_name"] == pseudonym and person["emails"] == []
        account = session.exec(select(InvAccount.__table__).where(InvAccount.__table__.c.account_id == "902")
                               ).mappings().one()
        assert (account["person_uid"], account["name"], account["emails"], account["raw"]) == (
            pseudonym, pseudonym, [], {})
        events = {r["event_id"]: r for r in session.exec(select(AuditEventRow.__table__)).mappings()}
        assert events["e-old-old"]["actor_name"] == pseudonym and events["e-old-old"]["raw"] == {}
        assert events["e-on-old"]["target_name"] == pseudonym and events["e-on-old"]["actor_name"] == "Anna Nowak"
        finding = session.exec(select(Finding.__table__).where(Finding.__table__.c.id == 1)).mappings().one()
        assert finding["person"] == pseudonym
        assert finding["message"] == f"{pseudonym} ({pseudonym}) belongs to {pseudonym}, who is departed"
        assert finding["evidence"] == {"name": pseudonym, "emails": [pseudonym], "uid": pseudonym}
    assert decision.counts["people"] == 1 and decision.counts["person_changes"] == 2
    assert decision.counts["manual_links"] == 1 and decision.counts["findings"] == 1


def test_access_still_present_on_a_platform_is_kept(database: Database) -> None:
    builders.the_leavers(database)
    with database.session() as session:
        session.exec(update(InvAccount.__table__).where(InvAccount.__table__.c.account_id == "902")
                     .values(gone_at=None))
    decision = _erase(database, "told@kwiatek.example", in_live_directory=True)
    assert decision.outcome == erasure.KEPT_PRESENT
    assert "access still present on: Kwiatek on Meta" in decision.notes
    assert any("company directory still holds" in note for note in decision.notes)


def test_nothing_held_and_dry_run(sqlite_db: Database) -> None:
    builders.the_leavers(sqlite_db)
    assert _erase(sqlite_db, "nobody@example.org").outcome == erasure.NOTHING_HELD
    before = _dump(sqlite_db)
    decision = _erase(sqlite_db, "told@kwiatek.example", dry_run=True)
    assert decision.outcome == erasure.PSEUDONYMISED and decision.dry_run
    assert decision.counts == {"people": 1, "accounts": 1, "findings": 1, "audit_events": 2}
    assert _dump(sqlite_db) == before


def test_the_service_records_the_decision_on_an_erasure_request(shop: Shop) -> None:
    settings = shop.settings
    access = service.open_request(settings, name="Marek Wójcik", emails=["marek.wojcik@kwiatek.example"],
                                  actor="dpo", now=NOW)
    request = service.open_request(settings, name="Marek Wójcik", emails=["marek.wojcik@kwiatek.example"],
                                   request_type="erasure", actor="dpo", now=NOW)
    try:
        service.erase_for_request(settings, access["id"], actor="dpo", now=NOW)
    except Exception as exc:  # noqa: BLE001 - the message is what is checked
        assert "not an erasure request" in str(exc)
    else:
        raise AssertionError("an access request must not be erased")
    decision = service.erase_for_request(settings, request["id"], actor="dpo", now=NOW)
    assert decision["outcome"] == erasure.KEPT_LEGAL_HOLD  # he left 90 days ago: evidence about his access
    detail = service.show_request(settings, request["id"], now=NOW)
    assert detail["decision"]["outcome"] == erasure.KEPT_LEGAL_HOLD
    assert detail["history"][-1]["kind"] == "erasure_decision" and "Art. 17(3)(e)" in detail["history"][-1]["note"]
