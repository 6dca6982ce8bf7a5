"""Revocation: removing a leaver's access through a platform's API, as an explicit, separate capability.

- Off by default; a platform opts in by being named in ``offboarding.revocation_platforms``, and only
  platforms with a ``Revoker`` here can (Meta: remove a business user, cancel a pending invitation).
- The tool only proposes (one proposal per account or invitation still present on an opted-in platform).
- A proposal runs only after a security officer approved it, and the approver may not be the person who
  opened the case (four eyes). A rejection is recorded the same way.
- Every API call made is recorded (method, path without query string, HTTP status, outcome); a proposal
  moves ``approved -> executing`` in one compare-and-set, so it cannot run twice.

The Graph API reference in docs/platform-apis.md lists the read edges only; the removal calls follow the
official SDK: ``BusinessUser.api_delete`` and ``BusinessRoleRequest.api_delete`` send ``DELETE /{id}``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import httpx
from sqlalchemy import insert, select, update
from sqlmodel import Session

from auditor.config import PlatformSettings, Settings
from auditor.connectors.http import HttpClient
from auditor.errors import AuditorError, ConnectorError
from auditor.offboarding.tables import OffboardingRevocation, OffboardingRevocationCall

REVOCATIONS = OffboardingRevocation.__table__
CALLS = OffboardingRevocationCall.__table__
APPROVER_ROLE = "security_officer"

Record = Callable[[str, str, int | None, str, str | None], None]
"""``record(method, path, status, outcome, detail)``: log one API call."""


class RevocationError(AuditorError):
    """A revocation cannot be proposed, decided or run (``status``: the HTTP answer for the web UI)."""

    def __init__(self, message: str, *, status: int = 409):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Proposal:
    """One call the tool proposes: ``action`` on ``target`` (the platform's id), described by ``label``."""

    action: str
    target: str
    label: str


class Revoker(ABC):
    """What a platform can revoke, and how. One per connector kind."""

    kind: ClassVar[str]

    def __init__(self, platform: PlatformSettings, secret: Callable[[str | None, str], str], *,
                 transport: httpx.BaseTransport | None = None):
        self.platform = platform
        self.secret = secret
        self.transport = transport

    @abstractmethod
    def proposals(self, items: Iterable[Mapping[str, Any]]) -> list[Proposal]:
        """Proposals for the case items (rows of ``offboarding_item``) still present on this platform."""

    @abstractmethod
    def execute(self, action: str, target: str, record: Record) -> None:
        """Carry out one approved proposal, recording every call; ConnectorError when it fails."""


class MetaRevoker(Revoker):
    """Meta Business Manager: ``DELETE /{business-user-id}`` removes the person (and every asset task they
    hold in the business); ``DELETE /{business-role-request-id}`` cancels a pending invitation."""

    kind = "meta"
    ACTIONS = {"remove_business_user", "cancel_invitation"}

    def proposals(self, items: Iterable[Mapping[str, Any]]) -> list[Proposal]:
        """A removal per business user account, a cancellation per invitation."""
        found = []
        for item in items:
            kind = (item.get("detail") or {}).get("account_kind")
            if item["kind"] == "account" and kind == "user":
                found.append(Proposal("remove_business_user", item["account_id"], f"remove {item['label']}"))
            elif item["kind"] == "invitation":
                target = str(item["account_id"]).removeprefix("invite:")
                found.append(Proposal("cancel_invitation", target, f"cancel {item['label']}"))
        return found

    def execute(self, action: str, target: str, record: Record) -> None:
        """One ``DELETE /{target}`` through the shared client (one retry on 5xx / rate limits)."""
        from auditor.connectors.meta import dialect
        from auditor.connectors.meta.connector import DEFAULT_BASE_URL

        if action not in self.ACTIONS or not target.isdigit():
            raise RevocationError(f"{self.platform.name}: cannot {action} {target!r}")
        token = self.secret(self.platform.token_env, "platform.token_env")
        path = f"/{target}"
        client = HttpClient(
            self.platform.name, self.platform.base_url or DEFAULT_BASE_URL,
            auth=lambda: {"Authorization": f"Bearer {token}"}, timeout=self.platform.timeout, max_retries=1,
            backoff=self.platform.backoff, is_rate_limited=dialect.is_rate_limited, retry_hint=dialect.retry_hint,
            error_info=dialect.error_info, secrets=[token], transport=self.transport,
        )
        with client:
            try:
                response = client.request("DELETE", path)
            except ConnectorError as exc:
                record("DELETE", path, exc.status, "error", str(exc))
                raise
        body = response.text[:200]
        record("DELETE", path, response.status_code, "ok", body)
        if '"success":false' in body.replace(" ", ""):
            raise ConnectorError(self.platform.name, f"DELETE {path} answered success=false")


REVOKERS: dict[str, type[Revoker]] = {"meta": MetaRevoker}


def revoker_for(settings: Settings, platform_name: str, *,
                transport: httpx.BaseTransport | None = None) -> Revoker | None:
    """The platform's revoker when it opted in and its kind can revoke; None otherwise."""
    if platform_name not in settings.offboarding.revocation_platforms:
        return None
    platform = next((p for p in settings.platform if p.name == platform_name), None)
    if platform is None:  # no longer configured: nothing to call
        return None
    cls = REVOKERS.get(platform.kind)
    if cls is None:
        return None
    return cls(platform, lambda env, key: settings.secret(env, key=key), transport=transport)


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
