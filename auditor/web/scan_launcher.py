"""Starting a scan from the web UI: it runs in a background thread of the web process, one at a time, and
reports its progress (each platform's state, the latest step) for the scans page to poll.

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


class ScanProgress:
    """What the running (or last) scan reported: each platform's state and detail, the latest step, the
    stored scan id once it finished. Written by the scan's threads, read by requests (under a lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._platforms: dict[str, dict[str, str]] = {}
        self._step = ""
        self.scan_id: int | None = None

    def step(self, message: str) -> None:
        """The scan's latest progress line (policies, directory, evaluation, ...)."""
        with self._lock:
            self._step = message

    def platform(self, name: str, state: str, detail: str) -> None:
        """One platform's state: queued, reading, complete or not verified."""
        with self._lock:
            self._platforms[name] = {"platform": name, "state": state, "detail": detail}

    def as_dict(self) -> dict[str, Any]:
        """A copy for the JSON endpoint."""
        with self._lock:
            done = sum(p["state"] in ("complete", "not verified") for p in self._platforms.values())
            return {
                "step": self._step,
                "platforms": [dict(p) for p in self._platforms.values()],
                "platforms_done": done,
                "scan_id": self.scan_id,
            }


ScanRunner = Callable[[Settings, ScanProgress], Any]


def run_web_scan(settings: Settings, progress: ScanProgress) -> Any:
    """The default runner: a full scan with trigger ``web``, reporting to ``progress``."""
    from auditor.services.scan import run_scan

    return run_scan(settings, trigger="web", progress=progress.step, on_platform=progress.platform)


class ScanLauncher:
    """Runs at most one scan at a time in a background thread."""

    def __init__(self, settings: Settings, runner: ScanRunner = run_web_scan) -> None:
        self._settings = settings
        self._runner = runner
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.progress: ScanProgress | None = None
        """The progress of the scan started last (None before the first)."""

    @property
    def running(self) -> bool:
        """Whether a scan started here is still running."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start a scan unless one is running; returns whether it started."""
        with self._lock:
            if self.running:
                return False
            self.progress = ScanProgress()
            self._thread = threading.Thread(target=self._run, args=(self.progress,), name="auditor-web-scan",
                                            daemon=True)
            self._thread.start()
            return True

    def status(self) -> dict[str, Any]:
        """For the progress endpoint: running, the last error, and the progress of the scan started last."""
        progress = self.progress
        return {
            "running": self.running,
            "error": self.last_error,
            **(progress.as_dict() if progress else {"step": "", "platforms": [], "platforms_done": 0,
                                                    "scan_id": None}),
        }

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running scan (tests and shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self, progress: ScanProgress) -> None:
        try:
            summary = self._runner(self._settings, progress)
            progress.scan_id = getattr(summary, "scan_id", None)
            progress.step("finished")
            self.last_error = None
        except AuditorError as exc:
            self.last_error = str(exc)
            progress.step("failed")
            log.warning("scan started from the web UI failed: %s", exc)
        except Exception:  # noqa: BLE001 - a background thread must not die silently
            self.last_error = "unexpected error (see the server log)"
            progress.step("failed")
            log.exception("scan started from the web UI crashed")
