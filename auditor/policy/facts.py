"""The fact vocabulary rules may use, per resource, and the evaluation context facts are built from.

A fact is a flat, JSON-friendly value named ``namespace.key`` (``account.two_factor``). ``None`` always means
*unknown*. Each resource sees a fixed set of namespaces (``RESOURCES``); a rule naming a fact outside its
resource's vocabulary is rejected when it is loaded. *Derived* facts read rule parameters (for example
``account.dormant`` reads ``days``) and are computed per rule at evaluation time. The facts themselves are
built by ``auditor.policy.subjects``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from auditor.directory.groups import group_matches
from auditor.matching import Link
from auditor.model import AccountKind, Person, PersonKind, PersonStatus, TenantSnapshot

FACT_TYPES = ("bool", "int", "str", "list")

RESOURCES: dict[str, tuple[str, ...]] = {
    "account": ("account", "person", "tenant"),
    "grant": ("grant", "account", "person", "asset", "tenant"),
    "asset": ("asset", "tenant"),
    "app": ("app", "tenant"),
    "tenant": ("tenant",),
    "event": ("event", "account", "person", "tenant"),
}
"""Resource -> the fact namespaces a rule on it may read."""

CAPABILITY_TEXT: dict[str, str] = {
    "per_user_2fa": "per-user 2FA status",
    "tenant_2fa": "the tenant's 2FA policy",
    "app_scopes": "the scopes of connected apps",
    "audit_log": "an activity or audit log",
    "account_emails": "account emails",
    "invitation_dates": "when invitations were sent",
}
"""``Capabilities`` flag -> what the platform does not expose when the flag is False."""

TWO_FACTOR_LEVELS = {"none": 0, "admins": 1, "all": 2}
MAX_EVENT_EVIDENCE = 50


@dataclass(slots=True)
class EvaluationContext:
    """Everything a policy evaluation reads; ages are whole calendar days from ``now`` (the scan's time) in
    ``timezone`` (the configured time zone), so they are constant within one of its days."""

    now: datetime
    people: list[Person]
    snapshots: list[TenantSnapshot]
    links: dict[tuple[str, str], Link]
    timezone: tzinfo = UTC


class Subject:
    """One thing a rule judges: its stable key, its facts per namespace and the verdict's context fields."""

    __slots__ = ("key", "facts", "account", "account_email", "person", "asset", "role")

    def __init__(self, key: str, facts: dict[str, dict[str, Any]], *, account: str | None = None,
                 account_email: str | None = None, person: str | None = None, asset: str | None = None,
                 role: str | None = None):
        self.key = key
        self.facts = facts
        self.account = account
        self.account_email = account_email
        self.person = person
        self.asset = asset
        self.role = role

    def get(self, namespace: str, key: str) -> Any:
        """A base fact's value (None when unknown or when the namespace does not apply)."""
        return self.facts.get(namespace, _EMPTY).get(key)


_EMPTY: dict[str, Any] = {}

Derive = Callable[[Subject, Mapping[str, Any]], Any]
ParamCheck = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact of the vocabulary.

    ``capability`` names the ``Capabilities`` flag telling whether the platform exposes the fact at all;
    ``missing`` explains a None value otherwise. Derived facts have ``derive`` and the ``params`` they read.
    """

    name: str
    type: str
    doc: str
    choices: tuple[str, ...] = ()
    capability: str | None = None
    missing: str | None = None
    params: tuple[str, ...] = ()
    derive: Derive | None = None
    check: ParamCheck | None = None

    @property
    def namespace(self) -> str:
        """The part before the first dot."""
        return self.name.partition(".")[0]

    @property
    def key(self) -> str:
        """The part after the first dot."""
        return self.name.partition(".")[2]

    def value(self, subject: Subject, params: Mapping[str, Any]) -> Any:
        """The fact's value for ``subject`` under a rule's effective parameters."""
        if self.derive is not None:
            return self.derive(subject, params)
        return subject.get(self.namespace, self.key)


# -- derived facts ------------------------------------------------------------------------------------------


def _dormant(subject: Subject, params: Mapping[str, Any]) -> bool | None:
    """True when the account is known to have had no activity in the last ``days`` days (whole days)."""
    days = params["days"]
    since = subject.get("account", "days_since_activity")
    if since is not None:
        return since >= days
    window = subject.get("account", "activity_window_days")
    if window is not None and window >= days:
        return True
    return None


def _allowed_scopes(subject: Subject, params: Mapping[str, Any]) -> list[str] | None:
    allowed = params["allowed_scopes"]
    for key in (subject.get("app", "token_ref"), subject.get("app", "app_id")):
        if key is not None and key in allowed:
            return sorted(allowed[key])
    if subject.get("app", "is_self"):
        return sorted(params["default_allowed"])
    return None


def _excess_scopes(subject: Subject, params: Mapping[str, Any]) -> list[str] | None:
    scopes = subject.get("app", "scopes")
    allowed = _allowed_scopes(subject, params)
    if scopes is None or allowed is None:
        return None
    return sorted(set(scopes) - set(allowed))


def _approved(subject: Subject, params: Mapping[str, Any]) -> bool:
    approved = set(params["approved_apps"])
    return subject.get("app", "app_id") in approved or subject.get("app", "token_ref") in approved


def _partner_approved(subject: Subject, params: Mapping[str, Any]) -> bool | None:
    """A partner whose id or name is in ``approved_partners`` (None for accounts that are not partners)."""
    if subject.get("account", "kind") != AccountKind.PARTNER.value:
        return None
    approved = {str(item).strip().casefold() for item in params["approved_partners"]}
    names = (subject.get("account", "id"), subject.get("account", "name"))
    return any(name is not None and str(name).strip().casefold() in approved for name in names)


def _agreement_end(value: Any) -> date | None:
    """A parameter value as a date: a YAML date or an ISO 8601 ``YYYY-MM-DD`` string (None otherwise)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _partner_agreement(subject: Subject, params: Mapping[str, Any]) -> date | None:
    if subject.get("account", "kind") != AccountKind.PARTNER.value:
        return None
    agreements = {str(key): value for key, value in params["partner_agreements"].items()}
    value = agreements.get(str(subject.get("account", "id")))
    return _agreement_end(value) if value is not None else None


def _agreement_end_iso(subject: Subject, params: Mapping[str, Any]) -> str | None:
    end = _partner_agreement(subject, params)
    return end.isoformat() if end is not None else None


def _agreement_expired(subject: Subject, params: Mapping[str, Any]) -> bool | None:
    end = _partner_agreement(subject, params)
    today = subject.get("tenant", "_scan_date")
    return None if end is None or today is None else end < today


def _two_factor_enforced(subject: Subject, params: Mapping[str, Any]) -> bool | None:
    actual = subject.get("tenant", "two_factor_required")
    if actual not in TWO_FACTOR_LEVELS:
        return None
    return TWO_FACTOR_LEVELS[actual] >= TWO_FACTOR_LEVELS[params["required"]]


def _after_departure(subject: Subject, params: Mapping[str, Any]) -> tuple[list[dict[str, Any]], bool] | None:
    """(evidence of the events after departure + grace_days, whether the log covers that whole time)."""
    facts = subject.facts.get("event")
    if not facts:
        return None
    threshold = facts["_left"] + timedelta(days=params.get("grace_days", 0))
    after = [evidence for when, evidence in facts["_after"] if when > threshold]
    since = facts["_since"]
    return after, bool(facts["_observable"] and since is not None and since <= threshold)


def _event_count(subject: Subject, params: Mapping[str, Any]) -> int | None:
    window = _after_departure(subject, params)
    if window is None or not (window[0] or window[1]):
        return None
    return len(window[0])


def _event_list(subject: Subject, params: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    window = _after_departure(subject, params)
    return window[0][:MAX_EVENT_EVIDENCE] if window is not None else None


def _event_time(index: int) -> Derive:
    def derive(subject: Subject, params: Mapping[str, Any]) -> str | None:
        window = _after_departure(subject, params)
        return window[0][index]["time"] if window is not None and window[0] else None

    return derive


def _event_covered(subject: Subject, params: Mapping[str, Any]) -> bool | None:
    window = _after_departure(subject, params)
    return window[1] if window is not None else None


def _check_grace(params: Mapping[str, Any]) -> str | None:
    value = params.get("grace_days", 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "grace_days: expected a whole number of days >= 0"
    return None


def _check_days(params: Mapping[str, Any]) -> str | None:
    value = params.get("days")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "days: expected a whole number of days >= 0"
    return None


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_scopes(params: Mapping[str, Any]) -> str | None:
    allowed = params.get("allowed_scopes")
    if not isinstance(allowed, Mapping) or not all(
        isinstance(k, str) and _is_str_list(v) for k, v in allowed.items()
    ):
        return "allowed_scopes: expected a mapping of app id or token name -> list of scopes"
    if not _is_str_list(params.get("default_allowed")):
        return "default_allowed: expected a list of scopes"
    return None


def _check_approved(params: Mapping[str, Any]) -> str | None:
    return None if _is_str_list(params.get("approved_apps")) else "approved_apps: expected a list of app ids"


def _check_partners(params: Mapping[str, Any]) -> str | None:
    value = params.get("approved_partners")
    if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return "approved_partners: expected a list of partner ids or names"
    return None


def _check_agreements(params: Mapping[str, Any]) -> str | None:
    value = params.get("partner_agreements")
    if not isinstance(value, Mapping):
        return "partner_agreements: expected a mapping of partner id -> agreement end date (YYYY-MM-DD)"
    for key, end in value.items():
        if _agreement_end(end) is None:
            return f"partner_agreements: {key}: expected an agreement end date (YYYY-MM-DD), got {end!r}"
    return None


def _in_groups(subject: Subject, params: Mapping[str, Any]) -> bool | None:
    """The linked person belongs (nested groups included) to one of ``allowed_groups`` (names or DNs)."""
    groups = subject.get("person", "groups")
    return None if groups is None else group_matches(groups, params["allowed_groups"])


def _check_groups(params: Mapping[str, Any]) -> str | None:
    if not _is_str_list(params.get("allowed_groups")):
        return "allowed_groups: expected a list of group names or DNs"
    return None


def _check_required(params: Mapping[str, Any]) -> str | None:
    if params.get("required") not in TWO_FACTOR_LEVELS:
        return f"required: expected one of {', '.join(TWO_FACTOR_LEVELS)}"
    return None


# -- the vocabulary -----------------------------------------------------------------------------------------

_PERSON_STATUS = tuple(s.value for s in PersonStatus)
_ACCOUNT_KINDS = tuple(k.value for k in AccountKind)
_EMAILS = "account_emails"
_NO_EMAIL = "the account has no email to match"
_NO_PERSON = "the linked person is not in the directory"
_NO_DEPARTURE = "the directory does not say when the person left"
_NO_GROUPS = "the directory does not tell group membership, or the person is not in it"
_NO_TENANT_2FA = "the platform did not report the tenant's 2FA policy"

_SPECS: tuple[FactSpec, ...] = (
    # account
    FactSpec("account.id", "str", "platform account id"),
    FactSpec("account.kind", "str", "user, system_user, invitation, app or partner", _ACCOUNT_KINDS),
    FactSpec("account.state", "str", "platform state: active, pending, marked_for_removal, ..."),
    FactSpec("account.name", "str", "display name on the platform"),
    FactSpec("account.label", "str", "the account for people: its display name, else its email (unknown: "
             "neither is exposed)"),
    FactSpec("account.role", "str", "tenant-level role, when the platform has one"),
    FactSpec("account.created_by", "str", "who created the account or sent the invitation"),
    FactSpec("account.emails", "list", "every email the platform reveals", capability=_EMAILS,
             missing=_NO_EMAIL),
    FactSpec("account.email", "str", "first email, lower-case", capability=_EMAILS, missing=_NO_EMAIL),
    FactSpec("account.email_domain", "str", "domain of the first email", capability=_EMAILS,
             missing=_NO_EMAIL),
    FactSpec("account.personal_email", "bool", "an email is on a free-mail domain", capability=_EMAILS,
             missing=_NO_EMAIL),
    FactSpec("account.company_email", "bool", "an email is on a company domain", capability=_EMAILS,
             missing=_NO_EMAIL),
    FactSpec("account.linked", "bool", "linked to a directory person (None: no email to match)",
             capability=_EMAILS, missing=_NO_EMAIL),
    FactSpec("account.link_method", "str", "how it was linked (none: its emails match nobody)",
             ("email", "alias", "manual", "ambiguous", "none")),
    FactSpec("account.link_candidates", "list", "the people an ambiguous email names"),
    FactSpec("account.is_service_account", "bool", "registered in matching.service_accounts"),
    FactSpec("account.service_owner", "str", "uid of the registered owner"),
    FactSpec("account.service_owner_status", "str", "owner's directory status; missing: not in the "
             "directory; none: no owner registered", (*_PERSON_STATUS, "missing", "none")),
    FactSpec("account.privileged", "bool", "holds any privileged grant"),
    FactSpec("account.grant_count", "int", "number of grants held"),
    FactSpec("account.grants", "list", "the grants held, as 'asset:role' ('tenant:role' for the tenant)"),
    FactSpec("account.admin_of_tenant", "bool", "holds a privileged grant on the tenant itself"),
    FactSpec("account.privileged_grants", "list", "the privileged grants held, as 'asset:role'"),
    FactSpec("account.assets", "list", "the assets held, as 'name (id)' ('tenant <name>' for the tenant)"),
    FactSpec("account.access", "list", "the grants held, for people: {asset, kind, role, privileged} per grant "
             "(asset: its name, else its id; kind 'tenant' for the tenant itself)"),
    FactSpec("account.privileged_access", "list", "the privileged grants held, like account.access"),
    FactSpec("account.partner_approved", "bool", "a partner whose id or name is in `approved_partners` "
             "(partners only)", params=("approved_partners",), derive=_partner_approved, check=_check_partners,
             missing="the account is not a partner"),
    FactSpec("account.partner_agreement_end", "str", "end date of the partner's agreement in "
             "`partner_agreements` (partners only; ISO 8601)", params=("partner_agreements",),
             derive=_agreement_end_iso, check=_check_agreements,
             missing="no agreement is recorded for this partner in partner_agreements"),
    FactSpec("account.partner_agreement_expired", "bool", "the partner's agreement ended before the scan day",
             params=("partner_agreements",), derive=_agreement_expired, check=_check_agreements,
             missing="no agreement is recorded for this partner in partner_agreements"),
    FactSpec("account.two_factor", "bool", "2FA is on", capability="per_user_2fa",
             missing="the platform did not report this account's 2FA status"),
    FactSpec("account.last_activity", "str", "time of the last known activity (ISO 8601)",
             capability="audit_log", missing="no activity data for this account"),
    FactSpec("account.days_since_activity", "int", "days since the last known activity",
             capability="audit_log", missing="no activity data for this account"),
    FactSpec("account.activity_source", "str", "where activity comes from", ("last_activity", "audit_log")),
    FactSpec("account.activity_observable", "bool", "activity of this account can be observed"),
    FactSpec("account.activity_window_days", "int", "days the audit log covers without any activity of the "
             "account (None when activity was seen)", capability="audit_log",
             missing="no activity data for this account"),
    FactSpec("account.dormant", "bool", "no activity in the last `days` days", capability="audit_log",
             missing="no activity data for this account, or the audit log is shorter than the period",
             params=("days",), derive=_dormant, check=_check_days),
    FactSpec("account.age_days", "int", "days since the account was created",
             missing="the platform did not report when the account was created"),
    FactSpec("account.invitation_age_days", "int", "days since the invitation was sent (invitations only)",
             capability="invitation_dates", missing="the platform did not report when the invitation was sent"),
    # person
    FactSpec("person.uid", "str", "directory uid"),
    FactSpec("person.found", "bool", "the linked uid is in the directory"),
    FactSpec("person.display_name", "str", "name in the directory", missing=_NO_PERSON),
    FactSpec("person.status", "str", "active, disabled or departed", _PERSON_STATUS, missing=_NO_PERSON),
    FactSpec("person.kind", "str", "employee, contractor or service", tuple(k.value for k in PersonKind),
             missing=_NO_PERSON),
    FactSpec("person.department", "str", "department"),
    FactSpec("person.manager", "str", "manager"),
    FactSpec("person.status_changed", "str", "when the status changed (ISO 8601)"),
    FactSpec("person.days_since_status_change", "int", "days since the status changed"),
    FactSpec("person.end_date", "str", "contract / employment end date (ISO 8601)"),
    FactSpec("person.end_date_passed", "bool", "the end date is before the scan day"),
    FactSpec("person.days_since_end_date", "int", "days since the end date (negative: still to come)"),
    FactSpec("person.departure", "str", "when a departed or disabled person left: the earlier of the status "
             "change and the day after the end date", missing=_NO_DEPARTURE),
    FactSpec("person.days_since_departure", "int", "days since departure (departed or disabled only)",
             missing=_NO_DEPARTURE),
    FactSpec("person.entry_count", "int", "directory entries holding this uid (more than 1: a duplicate "
             "identity, judged on the strictest entry)", missing=_NO_PERSON),
    FactSpec("person.entries", "list", "the DNs of those entries when there are several"),
    FactSpec("person.groups", "list", "DNs of the directory groups the person belongs to, nested ones included "
             "(AD: the primary group is not listed)", missing=_NO_GROUPS),
    FactSpec("person.in_groups", "bool", "the person belongs to one of `allowed_groups` (group names or DNs, "
             "nested membership counts)", missing=_NO_GROUPS, params=("allowed_groups",), derive=_in_groups,
             check=_check_groups),
    # tenant
    FactSpec("tenant.id", "str", "tenant id"),
    FactSpec("tenant.name", "str", "tenant name"),
    FactSpec("tenant.platform", "str", "configured platform name"),
    FactSpec("tenant.kind", "str", "connector kind"),
    FactSpec("tenant.two_factor_required", "str", "who must use 2FA", tuple(TWO_FACTOR_LEVELS),
             capability="tenant_2fa", missing=_NO_TENANT_2FA),
    FactSpec("tenant.two_factor_enforced", "bool", "2FA is required at least for `required` "
             "(none < admins < all)", capability="tenant_2fa", missing=_NO_TENANT_2FA,
             params=("required",), derive=_two_factor_enforced, check=_check_required),
    FactSpec("tenant.fetch_complete", "bool", "every part of the fetch succeeded"),
    FactSpec("tenant.errors", "list", "what failed during the fetch"),
    FactSpec("tenant.error_texts", "list", "what failed during the fetch, once each, with the names of the "
             "assets it names (for people)"),
    FactSpec("tenant.error_count", "int", "number of fetch errors"),
    FactSpec("tenant.exposes_per_user_2fa", "bool", "the platform exposes per-user 2FA"),
    FactSpec("tenant.exposes_tenant_2fa", "bool", "the platform exposes the tenant 2FA policy"),
    FactSpec("tenant.exposes_app_scopes", "bool", "the platform exposes app scopes"),
    FactSpec("tenant.exposes_audit_log", "bool", "the platform exposes an activity or audit log"),
    FactSpec("tenant.exposes_account_emails", "bool", "the platform exposes account emails"),
    FactSpec("tenant.activity_since", "str", "the audit log is complete from this time (ISO 8601)"),
    FactSpec("tenant.account_count", "int", "number of accounts"),
    FactSpec("tenant.admin_count", "int", "accounts holding a privileged grant on the tenant itself"),
    # asset
    FactSpec("asset.id", "str", "asset id (the tenant id for the tenant itself)"),
    FactSpec("asset.kind", "str", "page, ad_account, ... or 'tenant'"),
    FactSpec("asset.name", "str", "asset name"),
    FactSpec("asset.is_tenant", "bool", "the tenant itself (holders of tenant-level roles)"),
    FactSpec("asset.admin_count", "int", "accounts (not invitations) holding a privileged grant on it"),
    FactSpec("asset.admins", "list", "ids of those accounts"),
    FactSpec("asset.holder_count", "int", "accounts (not invitations) holding any grant on it"),
    # grant
    FactSpec("grant.role", "str", "role (Meta: tasks joined by '+')"),
    FactSpec("grant.privileged", "bool", "the role gives control of the asset or tenant"),
    FactSpec("grant.asset_id", "str", "asset id (None on the tenant)"),
    FactSpec("grant.on_tenant", "bool", "the grant is on the tenant itself"),
    FactSpec("grant.granted_by", "str", "who granted it", missing="the platform did not say who granted it"),
    FactSpec("grant.granted_at", "str", "when it was granted (ISO 8601)"),
    FactSpec("grant.age_days", "int", "days since it was granted", missing="the platform did not say when"),
    # app
    FactSpec("app.app_id", "str", "application id"),
    FactSpec("app.name", "str", "application name"),
    FactSpec("app.scopes", "list", "granted scopes", capability="app_scopes",
             missing="the platform did not report this app's scopes"),
    FactSpec("app.token_ref", "str", "config name of an inspected token ('self': the auditor's own)"),
    FactSpec("app.is_self", "bool", "the auditor's own token"),
    FactSpec("app.is_token", "bool", "an inspected token (token_ref set)"),
    FactSpec("app.granted_by", "str", "account id of the authorising user"),
    FactSpec("app.days_since_used", "int", "days since last use",
             missing="the platform did not report last use"),
    FactSpec("app.allowed_scopes", "list", "scopes allowed for this app by `allowed_scopes` (or "
             "`default_allowed` for the auditor's own token)", params=("allowed_scopes", "default_allowed"),
             derive=_allowed_scopes, check=_check_scopes,
             missing="no allowed scopes are configured for this app"),
    FactSpec("app.excess_scopes", "list", "granted scopes beyond the allowed ones", capability="app_scopes",
             missing="the app's scopes or its allowed scopes are not known",
             params=("allowed_scopes", "default_allowed"), derive=_excess_scopes, check=_check_scopes),
    FactSpec("app.approved", "bool", "app id or token name is in `approved_apps`", params=("approved_apps",),
             derive=_approved, check=_check_approved),
    # event (one subject per account whose person left: its activity after the departure + optional
    # parameter grace_days)
    FactSpec("event.count_after_departure", "int", "events by or on the account after its person left "
             "(None when the audit log does not cover the whole time since)", capability="audit_log",
             missing="the audit log does not cover this account since its person left",
             derive=_event_count, check=_check_grace),
    FactSpec("event.events", "list", "up to 50 of those events (time, action, raw action, asset, actor, "
             "target)", derive=_event_list, check=_check_grace),
    FactSpec("event.first_after_departure", "str", "time of the first such event", derive=_event_time(0),
             check=_check_grace),
    FactSpec("event.last_after_departure", "str", "time of the last such event", derive=_event_time(-1),
             check=_check_grace),
    FactSpec("event.log_covers_departure", "bool", "the audit log covers the account since its person left",
             derive=_event_covered, check=_check_grace),
)

FACTS: dict[str, FactSpec] = {spec.name: spec for spec in _SPECS}
"""Every fact by name."""


def vocabulary(resource: str) -> dict[str, FactSpec]:
    """The facts a rule on ``resource`` may read."""
    namespaces = RESOURCES[resource]
    return {name: spec for name, spec in FACTS.items() if spec.namespace in namespaces}
