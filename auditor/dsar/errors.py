"""Typed errors of the data-subject-request area; each message names the request and what was refused."""

from __future__ import annotations

from auditor.errors import AuditorError


class DsarError(AuditorError):
    """A data-subject request cannot be read or changed as asked (names the request id or the field)."""


class RequestNotFound(DsarError):
    """No request with this id is in the register."""


class TransitionRefused(DsarError):
    """The request's status does not allow this step (e.g. extending a closed request)."""


class ExtensionRefused(DsarError):
    """An Art. 12(3) extension without a reason, without a notice inside the first month, or a second one."""


class DeadlineError(DsarError):
    """Dates that cannot belong to one request (a clock stop before receipt, overlapping stops, ...)."""


class PackError(DsarError):
    """The answer pack could not be built or written (template, schema validation, output folder)."""
