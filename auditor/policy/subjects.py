"""Build the subjects a rule judges, per snapshot and resource, from an ``EvaluationContext``.

Indexes (grants by account and by asset, events by account, last event per actor) are built once per
snapshot, and subjects once per (snapshot, resource); the fact dicts of an account, its person, its assets and
the tenant are shared by every subject that reads them. Ages are computed against ``context.now``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any

from auditor.matching import Link
from auditor.model import Account, AccountKind, App, AuditEvent, Grant, Person, PersonStatus, TenantSnapshot
from auditor.policy.facts import EvaluationContext, Subject

"""Connector kind -> asset kinds its audit log covers, when the capabilities do not say (absent: all)."""

SELF_TOKEN = "self"  # noqa: S105 - the token_ref of the auditor's own token, not a secret
_LEFT = (PersonStatus.DEPARTED, PersonStatus.DISABLED)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def calendar_days(today: date, then: datetime | None, zone: tzinfo) -> int | None:
    """Whole calendar days from ``then`` to ``today`` in ``zone`` (never negative; None when unknown).

    Days are counted as a person reads dates ("last active on 2 November" is 30 days before 2 December), so
    every age fact is constant within one day of the configured time zone: a rescan on the same day with the
    same inputs judges exactly as the scan before it (``services.scan_inputs``).
    """
    return None if then is None else max(0, (today - _aware(then).astimezone(zone).date()).days)


def departure_time(person: Person) -> datetime | None:
    """When a departed or disabled person left: the earlier of status change and the day after end date."""
    if person.status not in _LEFT:
        return None
    times = [_aware(person.status_changed)] if person.status_changed else []
    if person.end_date:
        times.append(datetime.combine(person.end_date + timedelta(days=1), time.min, UTC))
    return min(times) if times else None


class FactBase:
    """The facts of one evaluation context; person facts are built once and shared across snapshots."""

    def __init__(self, context: EvaluationContext):
        self.context = context
        self.now = _aware(context.now)
        self.zone = context.timezone
        self.today = self.now.astimezone(self.zone).date()
        self.people = {p.uid: p for p in context.people}
        self._persons: dict[str, dict[str, Any]] = {}
        self.departures: dict[str, datetime | None] = {}

    def person_facts(self, uid: str) -> dict[str, Any]:
        """The ``person.*`` facts of a uid (``found`` False when it is not in the directory)."""
        facts = self._persons.get(uid)
        if facts is None:
            facts = self._persons[uid] = self._build_person(uid)
        return facts

    def _build_person(self, uid: str) -> dict[str, Any]:
        person = self.people.get(uid)
        if person is None:
            return {"uid": uid, "found": False}
        left = departure_time(person)
        self.departures[uid] = left
        today = self.today
        return {
            "uid": person.uid,
            "found": True,
            "display_name": person.display_name,
            "status": person.status.value,
            "kind": person.kind.value,
            "department": person.department,
            "manager": person.manager,
            "status_changed": _iso(person.status_changed),
            "days_since_status_change": self.days(person.status_changed),
            "end_date": _iso(person.end_date),
            "end_date_passed": None if person.end_date is None else person.end_date < today,
            "days_since_end_date": None if person.end_date is None else (today - person.end_date).days,
            "departure": _iso(left),
            "days_since_departure": self.days(left),
            "entry_count": max(1, len(person.duplicates)),
            "entries": list(person.duplicates),
            "groups": list(person.groups) if person.groups is not None else None,
        }

    def days(self, then: datetime | None) -> int | None:
        """Whole calendar days from ``then`` to the scan's day in the configured time zone."""
        return calendar_days(self.today, then, self.zone)

    def snapshot(self, snapshot: TenantSnapshot) -> SnapshotFacts:
        """The facts of one snapshot (build it once per evaluation and reuse it for every rule)."""
        return SnapshotFacts(self, snapshot)


class SnapshotFacts:
    """Subjects of one snapshot, built lazily per resource and cached."""

    def __init__(self, base: FactBase, snapshot: TenantSnapshot):
        self.base = base
        self.snapshot = snapshot
        self.now = base.now
        self.days = base.days
        self._accesses: dict[tuple[str | None, str, bool], dict[str, Any]] = {}
        self._subjects: dict[str, list[Subject]] = {}

    def subjects(self, resource: str) -> list[Subject]:
        """The subjects of ``resource`` (one of ``facts.RESOURCES``), in snapshot order."""
        cached = self._subjects.get(resource)
        if cached is None:
            cached = self._subjects[resource] = getattr(self, f"_build_{resource}")()
        return cached

    # -- indexes --------------------------------------------------------------------------------------------

    @cached_property
    def accounts(self) -> dict[str, Account]:
        """Accounts by id (the first of duplicates wins)."""
        index: dict[str, Account] = {}
        for account in self.snapshot.accounts:
            index.setdefault(account.account_id, account)
        return index

    @cached_property
    def grants_by_account(self) -> dict[str, list[Grant]]:
        """Grants per account id."""
        index: dict[str, list[Grant]] = defaultdict(list)
        for grant in self.snapshot.grants:
            index[grant.account_id].append(grant)
        return index

    @cached_property
    def grants_by_asset(self) -> dict[str | None, list[Grant]]:
        """Grants per asset id (None: on the tenant)."""
        index: dict[str | None, list[Grant]] = defaultdict(list)
        for grant in self.snapshot.grants:
            index[grant.asset_id].append(grant)
        return index

    @cached_property
    def asset_kinds(self) -> dict[str, str]:
        """Asset kind per asset id."""
        return {asset.asset_id: asset.kind for asset in self.snapshot.assets}

    @cached_property
    def events_by_account(self) -> dict[str, list[AuditEvent]]:
        """Events per account id that is their actor or their target."""
        index: dict[str, list[AuditEvent]] = defaultdict(list)
        for event in self.snapshot.events:
            if event.actor_id:
                index[event.actor_id].append(event)
            if event.target_id and event.target_id != event.actor_id:
                index[event.target_id].append(event)
        return index

    @cached_property
    def last_event_by_actor(self) -> dict[str, datetime]:
        """Time of the latest event per actor id."""
        index: dict[str, datetime] = {}
        for event in self.snapshot.events:
            if event.actor_id:
                when = _aware(event.time)
                if event.actor_id not in index or when > index[event.actor_id]:
                    index[event.actor_id] = when
        return index

    @cached_property
    def covered_kinds(self) -> frozenset[str] | None:
        """Asset kinds the audit log covers (None: the whole tenant)."""
        kinds = self.snapshot.capabilities.audit_log_asset_kinds
        return frozenset(kinds) if kinds else None

    def log_observes(self, grants: Iterable[Grant]) -> bool:
        """True when the audit log (complete since ``activity_since``) covers an asset these grants are on."""
        snap = self.snapshot
        if not snap.capabilities.audit_log or snap.activity_since is None:
            return False
        covered = self.covered_kinds
        if covered is None:
            return True
        return any(g.asset_id is not None and self.asset_kinds.get(g.asset_id) in covered for g in grants)

    # -- shared fact dicts ----------------------------------------------------------------------------------

    @cached_property
    def tenant_facts(self) -> dict[str, Any]:
        """The ``tenant.*`` facts."""
        snap = self.snapshot
        caps = snap.capabilities
        admins = {
            g.account_id for g in self.grants_by_asset.get(None, ())
            if g.privileged and self._holder(g.account_id)
        }
        return {
            "id": snap.tenant.tenant_id,
            "name": snap.tenant.name,
            "platform": snap.platform,
            "kind": snap.kind,
            "two_factor_required": snap.tenant.two_factor_required,
            "fetch_complete": snap.complete,
            "errors": list(snap.errors),
            "error_texts": self._error_texts(),
            "error_count": len(snap.errors),
            "exposes_per_user_2fa": caps.per_user_2fa,
            "exposes_tenant_2fa": caps.tenant_2fa,
            "exposes_app_scopes": caps.app_scopes,
            "exposes_audit_log": caps.audit_log,
            "exposes_account_emails": caps.account_emails,
            "activity_since": _iso(snap.activity_since),
            "_scan_date": self.base.today,  # internal: the scan's day, for facts derived from dates
            "account_count": len(self.accounts),
            "admin_count": len(admins),
        }

    def _error_texts(self) -> list[str]:
        """The fetch errors once each, with each named asset's id followed by its name."""
        named = {a.asset_id: a.name for a in self.snapshot.assets if a.name and len(a.asset_id) > 3}
        texts: dict[str, None] = {}
        for error in self.snapshot.errors:
            for asset_id, name in named.items():
                error = re.sub(rf"\b{re.escape(asset_id)}\b", f"“{name}”", error)
            texts.setdefault(error, None)
        return list(texts)

    def _holder(self, account_id: str) -> bool:
        """An account that holds its grants (invitations do not yet)."""
        account = self.accounts.get(account_id)
        return account is None or account.kind != AccountKind.INVITATION

    @cached_property
    def account_facts(self) -> dict[str, tuple[Account, dict[str, Any], dict[str, Any]]]:
        """(account, ``account.*`` facts, ``person.*`` facts) per account id."""
        return {aid: self._build_account_facts(account) for aid, account in self.accounts.items()}

    def _build_account_facts(self, account: Account) -> tuple[Account, dict[str, Any], dict[str, Any]]:
        snap = self.snapshot
        link = self.base.context.links.get((snap.platform, account.account_id))
        grants = self.grants_by_account.get(account.account_id, ())
        emails = [e.strip().lower() for e in account.emails if e and e.strip()]
        facts: dict[str, Any] = {
            "id": account.account_id,
            "kind": account.kind.value,
            "state": account.state,
            "name": account.name,
            "label": account.name or (emails[0] if emails else None),
            "role": account.role,
            "created_by": account.created_by,
            "emails": emails or None,
            "privileged": any(g.privileged for g in grants),
            "grant_count": len(grants),
            "grants": [f"{g.asset_id or 'tenant'}:{g.role}" for g in grants],
            "privileged_grants": [f"{g.asset_id or 'tenant'}:{g.role}" for g in grants if g.privileged],
            "assets": self._asset_names(grants),
            "access": [self._access(g) for g in grants],
            "privileged_access": [self._access(g) for g in grants if g.privileged],
            "admin_of_tenant": any(g.privileged and g.asset_id is None for g in grants),
            "two_factor": account.two_factor,
            "age_days": self.days(account.created_at),
        }
        facts["invitation_age_days"] = facts["age_days"] if account.kind == AccountKind.INVITATION else None
        facts.update(self._link_facts(account, link, emails))
        facts.update(self._activity_facts(account, grants))
        person = self.base.person_facts(link.uid) if link is not None and link.uid else {}
        return account, facts, person

    @cached_property
    def asset_names(self) -> dict[str, str]:
        """Display name per asset id: ``name (id)``, or the id alone when the asset has no name."""
        return {a.asset_id: f"{a.name} ({a.asset_id})" if a.name else a.asset_id for a in self.snapshot.assets}

    def _access(self, grant: Grant) -> dict[str, Any]:
        """One grant for people: the asset's name (else its id) and kind, the platform's role name (one shared
        dict per asset, role and privilege: facts are read, never changed)."""
        key = (grant.asset_id, grant.role, grant.privileged)
        found = self._accesses.get(key)
        if found is None:
            found = self._accesses[key] = self._build_access(grant)
        return found

    def _build_access(self, grant: Grant) -> dict[str, Any]:
        if grant.asset_id is None:
            asset, kind = self.snapshot.tenant.name or self.snapshot.tenant.tenant_id, "tenant"
        else:
            found = self.assets_by_id.get(grant.asset_id)
            asset = (found.name if found is not None and found.name else grant.asset_id)
            kind = found.kind if found is not None else None
            tenant = self.snapshot.tenant
            if grant.asset_id.rsplit(":", 1)[-1] == tenant.tenant_id and not (found and found.name):
                asset, kind = tenant.name or tenant.tenant_id, kind or "tenant"  # the tenant itself, as an asset
        return {"asset": asset, "kind": kind, "role": grant.role, "privileged": grant.privileged}

    @cached_property
    def assets_by_id(self) -> dict[str, Any]:
        """The snapshot's assets by id."""
        return {a.asset_id: a for a in self.snapshot.assets}

    def _asset_names(self, grants: Iterable[Grant]) -> list[str]:
        """The assets these grants are on, by name, once each in grant order ('tenant' for the tenant)."""
        names: dict[str, None] = {}
        for grant in grants:
            if grant.asset_id is None:
                names.setdefault(f"tenant {self.snapshot.tenant.name}", None)
            else:
                names.setdefault(self.asset_names.get(grant.asset_id, grant.asset_id), None)
        return list(names)

    def _link_facts(self, account: Account, link: Link | None, emails: list[str]) -> dict[str, Any]:
        has_email = bool(emails)
        service = link.service_account if link is not None else None
        uid = link.uid if link is not None else None
        method = link.method if link is not None else None
        # no email is no excuse: an account that holds access and links to nobody is unmatched until an
        # admin links it by hand (apps and partners are principals of their own, judged by their own rules)
        if uid:
            linked: bool | None = True
        elif account.kind not in (AccountKind.APP, AccountKind.PARTNER):
            linked = False
        else:
            linked = None
        owner_status = None
        if service is not None:
            if not service.owner:
                owner_status = "none"
            else:
                owner = self.base.people.get(service.owner)
                owner_status = owner.status.value if owner is not None else "missing"
        return {
            "email": emails[0] if has_email else None,
            "email_domain": emails[0].rsplit("@", 1)[1] if has_email and "@" in emails[0] else None,
            "personal_email": (link.personal_email if link is not None else None) if has_email else None,
            "company_email": (link.company_email if link is not None else None) if has_email else None,
            "linked": linked,
            "link_method": method or ("none" if linked is False else None),
            "link_candidates": list(link.candidates) if link is not None else None,
            "is_service_account": service is not None,
            "service_owner": service.owner if service is not None else None,
            "service_owner_status": owner_status,
        }

    def _activity_facts(self, account: Account, grants: Iterable[Grant]) -> dict[str, Any]:
        last: datetime | None = None
        source: str | None = None
        window: int | None = None
        if account.last_activity is not None:
            last, source = _aware(account.last_activity), "last_activity"
        elif self.log_observes(grants):
            source = "audit_log"
            last = self.last_event_by_actor.get(account.account_id)
            if last is None:
                window = self.days(self.snapshot.activity_since)
        return {
            "last_activity": _iso(last),
            "days_since_activity": self.days(last),
            "activity_source": source,
            "activity_observable": source is not None,
            "activity_window_days": window,
        }

    # -- subjects -------------------------------------------------------------------------------------------

    def _account_subject(self, key: str, namespaces: dict[str, dict[str, Any]], account: Account,
                         facts: dict[str, Any], person: dict[str, Any], *, asset: str | None = None,
                         role: str | None = None, grant: bool = False) -> Subject:
        return Subject(key, namespaces, account=account.account_id, account_email=facts["email"],
                       person=person.get("uid"), asset=asset, role=role if grant else account.role)

    def _build_account(self) -> list[Subject]:
        tenant = self.tenant_facts
        return [
            self._account_subject(f"account:{aid}", {"account": facts, "person": person, "tenant": tenant},
                                  account, facts, person)
            for aid, (account, facts, person) in self.account_facts.items()
        ]

    @cached_property
    def asset_facts(self) -> dict[str | None, dict[str, Any]]:
        """``asset.*`` facts per asset id; the key None is the tenant itself (holders of tenant roles)."""
        result: dict[str | None, dict[str, Any]] = {}
        known = {a.asset_id: a for a in self.snapshot.assets}
        ids: list[str | None] = list(known)
        ids += [aid for aid in self.grants_by_asset if aid not in known and aid is not None]
        if None in self.grants_by_asset:
            ids.append(None)
        for aid in ids:
            grants = [g for g in self.grants_by_asset.get(aid, ()) if self._holder(g.account_id)]
            admins = sorted({g.account_id for g in grants if g.privileged})
            asset = known.get(aid) if aid is not None else None
            tenant = self.snapshot.tenant
            result[aid] = {
                "id": aid if aid is not None else tenant.tenant_id,
                "kind": asset.kind if asset is not None else ("tenant" if aid is None else None),
                "name": asset.name if asset is not None else (tenant.name if aid is None else None),
                "is_tenant": aid is None,
                "admin_count": len(admins),
                "admins": admins,
                "holder_count": len({g.account_id for g in grants}),
            }
        return result

    def _build_asset(self) -> list[Subject]:
        tenant = self.tenant_facts
        return [
            Subject(f"asset:{facts['id']}", {"asset": facts, "tenant": tenant}, asset=facts["id"])
            for facts in self.asset_facts.values()
        ]

    def _build_grant(self) -> list[Subject]:
        tenant = self.tenant_facts
        assets = self.asset_facts
        subjects = []
        seen: set[str] = set()
        for grant in self.snapshot.grants:
            entry = self.account_facts.get(grant.account_id)
            if entry is None:
                account = Account(account_id=grant.account_id, kind=AccountKind.USER)
                entry = self.account_facts[grant.account_id] = self._build_account_facts(account)
            account, facts, person = entry
            key = f"grant:{grant.account_id}:{grant.asset_id or 'tenant'}:{grant.role}"
            if key in seen:
                continue
            seen.add(key)
            grant_facts = {
                "role": grant.role,
                "privileged": grant.privileged,
                "asset_id": grant.asset_id,
                "on_tenant": grant.asset_id is None,
                "granted_by": grant.granted_by,
                "granted_at": _iso(grant.granted_at),
                "age_days": self.days(grant.granted_at),
            }
            namespaces = {"grant": grant_facts, "account": facts, "person": person,
                          "asset": assets.get(grant.asset_id, {}), "tenant": tenant}
            subjects.append(self._account_subject(key, namespaces, account, facts, person,
                                                  asset=grant.asset_id, role=grant.role, grant=True))
        return subjects

    def _build_app(self) -> list[Subject]:
        tenant = self.tenant_facts
        subjects: list[Subject] = []
        seen: set[str] = set()
        for app in self.snapshot.apps:
            key = f"token:{app.token_ref}" if app.token_ref else f"app:{app.app_id}"
            if key in seen:
                continue
            seen.add(key)
            namespaces = {"app": self._app_facts(app), "tenant": tenant}
            subjects.append(Subject(key, namespaces, account=app.granted_by))
        return subjects

    def _app_facts(self, app: App) -> dict[str, Any]:
        return {
            "app_id": app.app_id,
            "name": app.name,
            "scopes": sorted(app.scopes) if app.scopes is not None else None,
            "token_ref": app.token_ref,
            "is_self": app.token_ref == SELF_TOKEN,
            "is_token": app.token_ref is not None,
            "granted_by": app.granted_by,
            "days_since_used": self.days(app.last_used),
        }

    def _build_tenant(self) -> list[Subject]:
        return [Subject(f"tenant:{self.snapshot.tenant.tenant_id}", {"tenant": self.tenant_facts})]

    def _build_event(self) -> list[Subject]:
        tenant = self.tenant_facts
        subjects = []
        for aid, (account, facts, person) in self.account_facts.items():
            uid = person.get("uid")
            events = self._event_facts(account, uid) if uid and person.get("status") in _LEFT else {}
            namespaces = {"event": events, "account": facts, "person": person, "tenant": tenant}
            subjects.append(self._account_subject(f"event:{aid}", namespaces, account, facts, person))
        return subjects

    def _event_facts(self, account: Account, uid: str) -> dict[str, Any]:
        left = self.base.departures.get(uid)
        if left is None:
            return {}
        since = self.snapshot.activity_since
        after = sorted((
            (_aware(e.time), _event_evidence(e))
            for e in self.events_by_account.get(account.account_id, ()) if _aware(e.time) > left
        ), key=lambda pair: pair[0])
        # internal values (underscore keys, not in the vocabulary): the event.* facts are derived from them
        # per rule, because the rule's optional grace_days parameter moves the departure time
        return {
            "_left": left,
            "_after": after,
            "_since": _aware(since) if since is not None else None,
            "_observable": self.log_observes(self.grants_by_account.get(account.account_id, ())),
        }


def _event_evidence(event: AuditEvent) -> dict[str, Any]:
    """One event as JSON-friendly evidence (its time is also the sort key)."""
    return {
        "time": _iso(_aware(event.time)),
        "action": event.action,
        "raw_action": event.raw_action,
        "asset": event.asset_id,
        "actor": event.actor_id,
        "target": event.target_id,
    }
