"""The words of the request register: statuses, request types and channels (no I/O, cheap to import)."""

from __future__ import annotations

RECEIVED, IDENTITY_UNVERIFIED, IN_PROGRESS = "received", "identity_unverified", "in_progress"
WAITING, EXTENDED = "waiting_for_subject", "extended"
ANSWERED, REFUSED, WITHDRAWN = "answered", "refused", "withdrawn"
OPEN_STATUSES = (RECEIVED, IDENTITY_UNVERIFIED, IN_PROGRESS, WAITING, EXTENDED)
CLOSED_STATUSES = (ANSWERED, REFUSED, WITHDRAWN)
STATUSES = OPEN_STATUSES + CLOSED_STATUSES
REQUEST_TYPES = ("access", "erasure", "rectification")
CHANNELS = ("email", "web", "post", "phone", "in_person", "other")
