"""Erasure on request (Art. 17) of a person's data held by the auditor itself: decide, then pseudonymise.

The decision, in this order (the first that applies wins, and is recorded on the request):

1. ``nothing_held``: the auditor holds nothing about the person.
2. ``kept_still_necessary``: the person is active in the directory; the records mirror access they hold now
   and are needed to secure it (Art. 17(1)(a) does not apply; Art. 6(1)(f) and 32).
3. ``kept_legal_claims``: the person left less than ``legal_hold_days`` ago and the auditor holds evidence
   about their access: kept until the hold ends (Art. 17(3)(e), establishment, exercise or defence of legal
   claims).
4. ``kept_access_still_present``: an account of the person still exists on a platform; the auditor re-reads it
   on every scan, so the access must be removed there first (then erasure can run again).
5. ``pseudonymised``: every identifying value is replaced by a random pseudonym that is stored nowhere
   (directory copy and history, account names and e-mails, event actor and target names and raw payloads,
   finding person, e-mail, message and evidence, manual links, offboarding cases). The ids that tie records
   together stay, so statistics and finding history remain consistent; the link to the person is gone.

The request itself stays in the register (accountability, Art. 5(2)); its own retention applies to it.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, Table, delete, inspect, select, update
from sqlmodel import Session

from auditor.config import DsarSettings
from auditor.dsar import records as stored
from auditor.storage.tables import (
    AuditEventRow,
    DirectoryPerson,
    Finding,
    InvAccount,
    InvApp,
    InvGrant,
    ManualLinkRow,
    PersonChange,
    RiskExceptionRow,
)

NOTHING_HELD, KEPT_ACTIVE, KEPT_LEGAL_HOLD = "nothing_held", "kept_still_necessary", "kept_legal_claims"
KEPT_PRESENT, PSEUDONYMISED = "kept_access_still_present", "pseudonymised"
OUTCOMES = (NOTHING_HELD, KEPT_ACTIVE, KEPT_LEGAL_HOLD, KEPT_PRESENT, PSEUDONYMISED)
_BASIS = {
    NOTHING_HELD: "nothing about the person is held by the auditor",
    KEPT_ACTIVE: "kept: the person is active in the directory and the records are needed to secure the access "
                 "they hold (Art. 17(1)(a) does not apply; Art. 6(1)(f), Art. 32)",
    KEPT_LEGAL_HOLD: "kept: evidence about a former member's access, for the establishment, exercise or defence "
                     "of legal claims (Art. 17(3)(e))",
    KEPT_PRESENT: "kept: the person still holds access on a platform, which the auditor re-reads on every scan; "
                  "remove the access there first",
    PSEUDONYMISED: "erased: identifying values replaced by a pseudonym that is stored nowhere (Art. 17(1))",
}


@dataclass(slots=True)
class ErasureDecision:
    """The outcome, its legal basis, until when data is kept (legal hold), what changed, and notes."""

    outcome: str
    basis: str
    decided_at: datetime
    until: date | None = None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (kept on the request)."""
        return {"outcome": self.outcome, "basis": self.basis, "decided_at": self.decided_at.isoformat(),
                "until": self.until.isoformat() if self.until else None, "counts": dict(self.counts),
                "notes": list(self.notes), "dry_run": self.dry_run}


def _left_on(person: dict[str, Any]) -> date | None:
    if person.get("end_date"):
        return date.fromisoformat(person["end_date"])
    for key in ("status_changed", "vanished_at"):
        if person.get(key):
            return datetime.fromisoformat(person[key]).date()
    return None


def decide(session: Session, identity: stored.Identity, settings: DsarSettings, *, now: datetime,
           in_live_directory: bool = False) -> tuple[ErasureDecision, dict[str, Any]]:
    """The decision (nothing written) and what it was based on (people, accounts, findings, events)."""
    people = stored.stored_people(session, identity)
    identity.uids |= {p["uid"] for p in people}
    accounts = stored.stored_accounts(session, identity)
    findings = stored.stored_findings(session, identity)
    events = stored.stored_events(session, identity.accounts)
    basis = {"people": people, "accounts": accounts, "findings": findings, "events": len(events)}
    decision = ErasureDecision(outcome=NOTHING_HELD, basis=_BASIS[NOTHING_HELD], decided_at=now)
    if not (people or accounts or findings or events):
        return decision, basis
    if any(p["status"] == "active" for p in people):
        decision.outcome = KEPT_ACTIVE
    else:
        left = [d for d in map(_left_on, people) if d is not None]
        until = max(left) + timedelta(days=settings.legal_hold_days) if left else None
        present = sorted({a["platform"] for a in accounts if a["gone_at"] is None})
        if until is not None and until > now.date():
            decision.outcome, decision.until = KEPT_LEGAL_HOLD, until
        elif present:
            decision.outcome = KEPT_PRESENT
            decision.notes.append("access still present on: " + ", ".join(present))
        else:
            decision.outcome = PSEUDONYMISED
    decision.basis = _BASIS[decision.outcome]
    if in_live_directory and decision.outcome in (KEPT_LEGAL_HOLD, KEPT_PRESENT, PSEUDONYMISED):
        decision.notes.append("the company directory still holds the person's entry: delete it there too, or the "
                              "next directory sync records it again")
    decision.notes.append("the request itself stays in the register (accountability, Art. 5(2))")
    return decision, basis


def erase(session: Session, identity: stored.Identity, settings: DsarSettings, *, now: datetime,
          dry_run: bool = False, in_live_directory: bool = False) -> ErasureDecision:
    """Decide and, when the outcome is ``pseudonymised`` and not ``dry_run``, pseudonymise in the caller's
    transaction (set-based updates; only findings' texts are rewritten row by row)."""
    decision, basis = decide(session, identity, settings, now=now, in_live_directory=in_live_directory)
    decision.dry_run = dry_run
    if decision.outcome == PSEUDONYMISED and not dry_run:
        decision.counts = _pseudonymise(session, identity, basis, "erased-" + secrets.token_hex(5))
    elif decision.outcome == PSEUDONYMISED:
        decision.counts = {"people": len(basis["people"]), "accounts": len(basis["accounts"]),
                           "findings": len(basis["findings"]), "audit_events": basis["events"]}
    return decision


def _scrub(text: str, needles: list[str], pseudonym: str) -> str:
    """``text`` with every whole-word occurrence of a needle (longest first) replaced by the pseudonym."""
    for needle in needles:
        text = re.sub(rf"(?<!\w){re.escape(needle)}(?!\w)", pseudonym, text)
    return text


def _pseudonymise(session: Session, identity: stored.Identity, basis: dict[str, Any], pseudonym: str) -> dict:
    """Replace the person's identifying values everywhere the auditor keeps them; return rows changed per table."""
    uids = sorted(identity.uids)
    ids = sorted({key[2] for key in identity.accounts})
    names = {p["display_name"] for p in basis["people"]} | {a["name"] for a in basis["accounts"] if a["name"]}
    emails = set(identity.emails) | {e for p in basis["people"] for e in p["emails"]}
    needles = sorted({n for n in names | emails | set(uids) if n and len(n) >= 3}, key=len, reverse=True)
    renamed = {uid: pseudonym if len(uids) == 1 else f"{pseudonym}-{n}" for n, uid in enumerate(uids, 1)}
    counts: dict[str, int] = {}

    def run(name: str, statement: Any) -> None:
        counts[name] = counts.get(name, 0) + (session.exec(statement).rowcount or 0)

    person, change = DirectoryPerson.__table__, PersonChange.__table__
    acc, grant, app = InvAccount.__table__, InvGrant.__table__, InvApp.__table__
    events, finding = AuditEventRow.__table__, Finding.__table__
    run("person_changes", delete(change).where(change.c.uid.in_(uids)))
    run("manual_links", delete(ManualLinkRow.__table__).where(ManualLinkRow.__table__.c.uid.in_(uids)))
    for uid, new in renamed.items():
        run("people", update(person).where(person.c.uid == uid).values(
            uid=new, display_name=new, emails=[], dn=None, manager=None, department=None))
        run("risk_exceptions", update(RiskExceptionRow.__table__).where(
            RiskExceptionRow.__table__.c.person == uid).values(person=new))
        run("accounts", update(acc).where(acc.c.person_uid == uid).values(person_uid=new))
    account_keys = stored.keys_clause(acc, identity.accounts)
    run("accounts", update(acc).where(account_keys).values(name=pseudonym, emails=[], raw={}))
    run("grants", update(grant).where(stored.keys_clause(grant, identity.accounts)).values(raw={}))
    run("apps", update(app).where(stored.keys_clause(app, identity.accounts, "granted_by")).values(raw={}))
    run("audit_events", update(events).where(events.c.actor_id.in_(ids)).values(actor_name=pseudonym, raw={}))
    run("audit_events", update(events).where(events.c.target_id.in_(ids)).values(target_name=pseudonym, raw={}))
    rows = session.exec(select(finding.c.id, finding.c.person, finding.c.message, finding.c.evidence).where(
        finding.c.id.in_([f["id"] for f in basis["findings"]]))).all()
    for finding_id, owner, message, evidence in rows:
        text = json.dumps(evidence or {}, ensure_ascii=False)
        session.exec(update(finding).where(finding.c.id == finding_id).values(
            person=renamed.get(owner, owner), account_email=None, message=_scrub(message or "", needles, pseudonym),
            evidence=json.loads(_scrub(text, [json.dumps(n)[1:-1] for n in needles], pseudonym))))
    counts["findings"] = len(rows)
    counts["offboarding_cases"] = _pseudonymise_offboarding(session, renamed)
    return counts


def _pseudonymise_offboarding(session: Session, renamed: dict[str, str]) -> int:
    """Offboarding cases of the person (when that area is installed): identifying columns replaced."""
    connection = session.connection()
    if not renamed or not inspect(connection).has_table(stored.OFFBOARDING_CASE_TABLE):
        return 0
    cases = Table(stored.OFFBOARDING_CASE_TABLE, MetaData(), autoload_with=connection)
    changed = 0
    for uid, new in renamed.items():
        values = {k: v for k, v in {"uid": new, "display_name": new, "emails": [], "manager": None}.items()
                  if k in cases.c}
        if "uid" in cases.c:
            changed += session.exec(update(cases).where(cases.c.uid == uid).values(**values)).rowcount or 0
    return changed
