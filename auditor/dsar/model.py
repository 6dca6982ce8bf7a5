"""Plain data of a collection: who is searched for, which sources were searched with what result, what was found.

The categories are a fixed vocabulary (the export's schema lists the columns of each); every row carries the
``source`` it came from, so a reader can tell what the auditor stored from what a platform answered live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

FOUND, NOTHING_FOUND, PARTIAL = "found", "nothing_found", "partial"
COULD_NOT_SEARCH, NOT_AVAILABLE = "could_not_search", "not_available"
SOURCE_STATUSES = (FOUND, NOTHING_FOUND, PARTIAL, COULD_NOT_SEARCH, NOT_AVAILABLE)
"""found; searched, nothing found; searched with gaps (partial); could not search (an error); the source does
not exist in this installation (not available)."""

CATEGORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "identity": ("source", "uid", "display_name", "emails", "department", "kind", "status", "status_changed",
                 "end_date", "manager"),
    "directory_history": ("source", "uid", "at", "field", "old", "new"),
    "platform_accounts": ("source", "platform", "tenant", "account_id", "kind", "name", "emails", "two_factor",
                          "last_activity", "state", "role", "created_at", "created_by", "first_seen", "last_seen",
                          "gone_at"),
    "access_rights": ("source", "platform", "tenant", "account_id", "asset_id", "asset_name", "asset_kind", "role",
                      "privileged", "granted_at", "granted_by", "first_seen", "gone_at", "other_holders_withheld"),
    "connected_apps": ("source", "platform", "tenant", "account_id", "app_id", "name", "scopes", "last_used",
                       "first_seen", "gone_at"),
    "findings": ("source", "id", "rule", "category", "severity", "status", "platform", "account", "message",
                 "first_seen", "last_seen"),
    "activity_log": ("source", "platform", "tenant", "event_id", "time", "action", "raw_action", "actor_id",
                     "actor_name", "target_id", "target_name", "asset_id"),
    "offboarding_cases": ("source", "case_id", "uid", "opened_at", "status", "closed_at", "last_working_day",
                          "items"),
}
"""Category -> the columns of its rows (the CSV header and the export's required keys)."""
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_COLUMNS)


@dataclass(slots=True)
class Subject:
    """Who a request is about: name, e-mail addresses and account ids / handles per configured platform."""

    name: str
    emails: tuple[str, ...] = ()
    handles: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(slots=True)
class SourceResult:
    """One source searched: its result status, why (for gaps and failures), how it was searched, what it gave."""

    source: str  # stable key, e.g. "directory", "auditor.inventory", "platform:Kwiatek on Meta"
    label: str
    status: str
    reason: str | None = None
    searched_by: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the export's ``sources`` items)."""
        return {"source": self.source, "label": self.label, "status": self.status, "reason": self.reason,
                "searched_by": list(self.searched_by), "counts": dict(self.counts)}


@dataclass(slots=True)
class Collection:
    """Everything found about one subject, redacted, with the list of sources searched."""

    subject: Subject
    collected_at: datetime
    sources: list[SourceResult] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    redactions: dict[str, int] = field(default_factory=dict)
    uids: list[str] = field(default_factory=list)

    @property
    def holds_data(self) -> bool:
        """True when any source gave any record about the subject."""
        return any(self.records.values())

    def counts(self) -> dict[str, int]:
        """Rows per category."""
        return {category: len(rows) for category, rows in self.records.items()}
