"""Errors of the reporting package."""

from __future__ import annotations

from auditor.errors import AuditorError


class ReportError(AuditorError):
    """A report cannot be built: bad scope (unknown person or platform), missing layout or translation."""
