"""Logging for long-running processes: plain text (the default) or one JSON object per line for log shippers.

Every message, in either format, passes through the HTTP client's ``redact`` (tokens, ``access_token=``-style
query parameters, ``Authorization`` values), and an exception's traceback is redacted the same way. Set with
``[ops] log_format = "json"`` / ``log_level`` or ``AUDITOR_OPS_LOG_FORMAT=json``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from auditor.config import OpsSettings
from auditor.connectors.http import install_log_redaction, redact

_MARK = "_auditor_handler"


class JsonFormatter(logging.Formatter):
    """A record as ``{"time", "level", "logger", "message"[, "exception"]}``, secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """One line of JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class RedactingTextFormatter(logging.Formatter):
    """The plain text format, secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """One redacted line (plus a redacted traceback)."""
        return redact(super().format(record))


def configure_logging(ops: OpsSettings, *, root: logging.Logger | None = None) -> logging.Handler:
    """Install one stderr handler on the root logger in the configured format and level, in place of the plain
    stream handlers (``logging.basicConfig``'s, or this function's from before); returns it."""
    root = root or logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False) or type(handler) is logging.StreamHandler:  # no second, plain copy
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    setattr(handler, _MARK, True)
    if ops.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingTextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(ops.log_level)
    install_log_redaction()
    return handler
