"""Starting a scan from the web UI: it runs in a background thread of the web process, one at a time.

The scheduler (its own process) may run scans too; storage keeps each scan in one transaction, so the worst
case of both at once is two consecutive scans.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from auditor.config import Settings
from auditor.errors import AuditorError

log = logging.getLogger("auditor.web.scans")

ScanRunner = Callable[[Settings], Any]


def run_web_scan(settings: Settings) -> Any:
    """The default runner: a full scan with trigger ``web``."""
    from auditor.services.scan import run_scan

    return run_scan(settings, trigger="web")


class ScanLauncher:
    """Runs at most one scan at a time in a background thread."""

    def __init__(self, settings: Settings, runner: ScanRunner = run_web_scan) -> None:
        self._settings = settings
        self._runner = runner
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def running(self) -> bool:
        """Whether a scan started here is still running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start a scan unless one is running; returns whether it started."""
        with self._lock:
            if self.running:
                return False
            self._thread = threading.Thread(target=self._run, name="auditor-web-scan", daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running scan (tests and shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        try:
            self._runner(self._settings)
            self.last_error = None
        except AuditorError as exc:
            self.last_error = str(exc)
            log.warning("scan started from the web UI failed: %s", exc)
        except Exception:  # noqa: BLE001 - a background thread must not die silently
            self.last_error = "unexpected error (see the server log)"
            log.exception("scan started from the web UI crashed")
