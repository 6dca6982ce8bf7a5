"""The public fields of a finding, defined once for the CLI, the web UI and its exports, notices and the read side.

This module imports nothing, so any edge can use it without loading the database or the web app.
"""

from __future__ import annotations

FINDING_FIELDS: tuple[str, ...] = (
    "id", "fingerprint", "rule", "category", "severity", "status", "platform", "tenant", "account",
    "account_email", "person", "asset", "role", "message", "evidence", "first_seen", "last_seen", "subject",
)
"""The keys of a finding dict: the JSON contract of ``auditor findings --json`` (which requires at least the
first seventeen) and the web API. ``subject`` is what the rule judged: ``account:<id>``, ``token:<ref>``,
``app:<id>``, ``asset:<id>``, ``tenant:<id>``, ..."""

EXPORT_FIELDS: tuple[str, ...] = (*FINDING_FIELDS, "assignee", "acknowledged_at", "acknowledged_by", "exception_id")
"""The columns of the web UI's export (CSV and JSON): the public fields, the triage state and the exception
that mutes the finding."""
