"""The scan's progress on the terminal (``auditor scan``, ``auditor demo``), on stderr.

On a terminal each platform has one status line, updated in place as it goes from queued to reading to
complete (or not verified), with the scan's steps printed above the block. Otherwise (a pipe, a log file, CI)
plain lines only: each step, and one line per platform when it is done.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

_UP_AND_CLEAR = "\x1b[{n}F"  # cursor to the start of the line n lines up
_CLEAR_LINE = "\x1b[2K"
_DONE = ("complete", "not verified")


class ScanProgressDisplay:
    """Callbacks for ``run_scan(progress=display.step, on_platform=display.platform)``."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False, tty: bool | None = None) -> None:
        self._out = stream if stream is not None else sys.stderr
        self._quiet = quiet
        self._tty = self._out.isatty() if tty is None else tty
        self._lock = threading.Lock()
        self._platforms: dict[str, str] = {}
        self._drawn = 0

    def step(self, message: str) -> None:
        """A step of the scan (policies loaded, directory read, evaluation, ...)."""
        if self._quiet:
            return
        with self._lock:
            if self._tty:
                self._erase()
                self._write(f"  {message}\n")
                self._draw()
            else:
                self._write(f"  {message}\n")

    def platform(self, name: str, state: str, detail: str) -> None:
        """One platform's state changed (called from the scan's worker threads)."""
        if self._quiet:
            return
        line = f"{name}: {state}" + (f" ({detail})" if detail else "")
        with self._lock:
            self._platforms[name] = line
            if self._tty:
                self._erase()
                self._draw()
            elif state in _DONE:
                self._write(f"  {line}\n")

    def _erase(self) -> None:
        if self._drawn:
            self._out.write(_UP_AND_CLEAR.format(n=self._drawn))
            self._out.write((_CLEAR_LINE + "\n") * self._drawn)
            self._out.write(_UP_AND_CLEAR.format(n=self._drawn))
            self._drawn = 0

    def _draw(self) -> None:
        for line in self._platforms.values():
            self._out.write(f"{_CLEAR_LINE}  {line}\n")
        self._drawn = len(self._platforms)
        self._out.flush()

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
