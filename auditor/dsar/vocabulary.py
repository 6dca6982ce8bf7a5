"""The words of the request register: statuses, request types, channels and answer languages (no I/O, cheap to
import)."""

from __future__ import annotations

RECEIVED, IDENTITY_UNVERIFIED, IN_PROGRESS = "received", "identity_unverified", "in_progress"
WAITING, EXTENDED = "waiting_for_subject", "extended"
ANSWERED, REFUSED, WITHDRAWN = "answered", "refused", "withdrawn"
OPEN_STATUSES = (RECEIVED, IDENTITY_UNVERIFIED, IN_PROGRESS, WAITING, EXTENDED)
CLOSED_STATUSES = (ANSWERED, REFUSED, WITHDRAWN)
STATUSES = OPEN_STATUSES + CLOSED_STATUSES
REQUEST_TYPES = ("access", "erasure", "rectification")
CHANNELS = ("email", "web", "post", "phone", "in_person", "other")
LANGUAGES = ("en", "pl")
"""The languages of the answer pack: one catalogue each in ``reports/dsar/i18n`` (a test keeps the two equal)."""


def check_language(language: str | None) -> str | None:
    """``language`` when it is None or one of ``LANGUAGES``; ValueError naming the field otherwise."""
    if language is not None and language not in LANGUAGES:
        shown = language if len(language) <= 40 else language[:40] + "..."
        raise ValueError(f"language: unknown value {shown!r} (expected one of {', '.join(LANGUAGES)})")
    return language
