"""Identities as the admin sees them: live platform accounts grouped into one row per identity (the same
e-mail on several platforms is one row; an account without e-mail is a row of its own), each with who it is
linked to, the UI link or marking waiting for the next scan, and its open findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlmodel import Session

from auditor.findings.queries import contains_pattern, not_coverage
from auditor.identities.use_cases import markings, ui_links
from auditor.storage.tables import DirectoryPerson, Finding, InvAccount

SHOWS = ("unmatched", "all")
PERSON_KINDS = ("user", "invitation", "system_user")
"""Account kinds an admin links or marks (apps and partners are principals judged by their own rules)."""
_A = InvAccount.__table__
_F = Finding.__table__
_P = DirectoryPerson.__table__


@dataclass(slots=True)
class Identity:
    """One identity: its accounts across platforms."""

    key: str
    email: str | None
    name: str
    accounts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def people(self) -> list[str]:
        """The directory people its accounts are linked to by the last scan."""
        return sorted({a["person_uid"] for a in self.accounts if a["person_uid"]})

    @property
    def open_findings(self) -> int:
        """Open findings about its accounts."""
        return sum(a["open_findings"] for a in self.accounts)

    @property
    def state(self) -> str:
        """``linked``, ``agency``, ``service`` (by a marking or the configuration), or ``unmatched``."""
        if all(a["person_uid"] for a in self.accounts):
            return "linked"
        kinds = {a["marking"]["kind"] for a in self.accounts if a["marking"]}
        return next(iter(kinds)) if len(kinds) == 1 and all(a["marking"] for a in self.accounts) else "unmatched"

    @property
    def pending(self) -> bool:
        """Whether a UI link or marking waits for the next scan on one of its accounts."""
        return any(a["pending"] for a in self.accounts)


def identities(session: Session, *, q: str | None, show: str) -> list[Identity]:
    """Identities of the live accounts matching ``q`` (name, e-mail, account id), ``unmatched`` ones or ``all``."""
    where = [_A.c.gone_at.is_(None), _A.c.kind.in_(PERSON_KINDS)]
    if q:
        pattern = contains_pattern(q[:100])
        where.append(or_(*(func.lower(func.coalesce(c, "")).like(pattern, escape="\\")
                           for c in (_A.c.name, _A.c.account_id, cast(_A.c.emails, String), _A.c.person_uid))))
    rows = [dict(r) for r in session.exec(
        select(_A.c.platform, _A.c.tenant, _A.c.account_id, _A.c.kind, _A.c.name, _A.c.emails, _A.c.person_uid)
        .where(*where).order_by(_A.c.platform, _A.c.account_id)
    ).mappings()]
    counts = {
        (r[0], r[1]): r[2]
        for r in session.exec(
            select(_F.c.platform, _F.c.account, func.count())
            .where(_F.c.status == "open", not_coverage(), _F.c.account.is_not(None))
            .group_by(_F.c.platform, _F.c.account)
        )
    }
    marks, links = markings(session), ui_links(session)
    groups: dict[str, Identity] = {}
    for row in rows:
        key_pair = (row["platform"], row["account_id"])
        row["open_findings"] = counts.get(key_pair, 0)
        row["marking"] = marks.get(key_pair)
        row["ui_link"] = links.get(key_pair)
        row["pending"] = bool(row["ui_link"] and row["ui_link"] != row["person_uid"]) or bool(
            row["marking"] and row["person_uid"])
        email = next((e.strip().lower() for e in row["emails"] or [] if e and e.strip()), None)
        key = email or f"{row['platform']}|{row['account_id']}"
        identity = groups.setdefault(key, Identity(key=key, email=email, name=row["name"] or key))
        identity.accounts.append(row)
    found = list(groups.values())
    if show == "unmatched":
        found = [i for i in found if any(not a["person_uid"] for a in i.accounts)]
    return sorted(found, key=lambda i: (i.state != "unmatched", -i.open_findings, i.name.lower()))


def person_names(session: Session, uids: list[str]) -> dict[str, str]:
    """Display names of directory people."""
    if not uids:
        return {}
    return {r[0]: r[1] for r in session.exec(select(_P.c.uid, _P.c.display_name).where(_P.c.uid.in_(uids)))}


def active_people(session: Session) -> list[dict[str, Any]]:
    """Active directory people (uid, name) for the owner / person choosers."""
    query = select(_P.c.uid, _P.c.display_name).where(_P.c.status == "active").order_by(_P.c.display_name)
    return [dict(r) for r in session.exec(query).mappings()]

