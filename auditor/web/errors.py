"""Error pages: a short message and the status, never a stack trace (those go to the server log)."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from auditor.errors import StorageError
from auditor.web.context import log
from auditor.web.i18n import lazy_gettext as _l

MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("Your role does not allow this page or action."),
    404: _l("There is nothing here."),
    405: _l("This page does not accept that kind of request."),
    413: _l("The form is too large."),
    500: _l("Something went wrong on the server. The error was logged."),
    503: _l("The database is not available right now. Try again in a moment."),
}


def _page(status: int, detail: str | None = None) -> tuple[str, int]:
    return render_template("error.html", status=status, message=detail or MESSAGES.get(status, _l("Error."))), status


def _http_error(exc: HTTPException) -> tuple[str, int]:
    status = exc.code or 500
    custom = exc.description if status in (400, 403) and exc.description not in (None, type(exc).description) else None
    return _page(status, custom)


def _storage_error(exc: StorageError) -> tuple[str, int]:
    log.error("database error: %s", exc)
    return _page(503)


def _unexpected(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error", exc_info=exc)
    return _page(500)


def install(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StorageError, _storage_error)
    app.register_error_handler(InternalServerError, lambda exc: _page(500))
    app.register_error_handler(Exception, _unexpected)
