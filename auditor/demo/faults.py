"""Fault injection for the platform emulators: tell an emulator to misbehave on chosen requests.

``plan.add(kind, path_contains=None, times=1)`` arms a fault for the next ``times`` requests whose path
contains ``path_contains`` (``times=None``: every matching request). The emulator asks ``plan.take(path)``
on each request and lets the fault shape the answer. Thread-safe (the test server is threaded).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = frozenset({
    "429",           # HTTP 429 with Retry-After
    "rate_limit",    # HTTP 400 with a platform rate-limit code and a usage header
    "500", "503",    # server errors
    "timeout",       # answer only after `delay` seconds
    "malformed",     # HTTP 200 with a body that is not JSON
    "truncated",     # HTTP 200 with the real body cut mid-JSON
    "missing_data",  # HTTP 200 JSON without the `data` list
    "401",           # token rejected
    "permission",    # a permission is missing
})


@dataclass(slots=True)
class Fault:
    """One armed fault. ``remaining`` None means unlimited."""

    kind: str
    path_contains: str | None = None
    remaining: int | None = 1
    delay: float = 2.0
    code: int | None = None
    retry_after: float = 0.0
    regain_minutes: float = 0.0
    hits: int = 0

    def matches(self, path: str) -> bool:
        """Whether this fault applies to a request path."""
        return (self.remaining is None or self.remaining > 0) and (
            self.path_contains is None or self.path_contains in path
        )


class FaultPlan:
    """An ordered list of armed faults; the first match wins."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        kind: str,
        path_contains: str | None = None,
        times: int | None = 1,
        *,
        delay: float = 2.0,
        code: int | None = None,
        retry_after: float = 0.0,
        regain_minutes: float = 0.0,
    ) -> Fault:
        """Arm a fault. ``delay`` is for "timeout", ``code`` for "rate_limit" (default 80004),
        ``retry_after`` for "429" (seconds), ``regain_minutes`` for the rate-limit usage header."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(sorted(KINDS))})")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        fault = Fault(kind, path_contains, times, delay, code, retry_after, regain_minutes)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, path: str) -> Fault | None:
        """The first armed fault matching ``path``, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        """Disarm every fault."""
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults with uses left."""
        with self._lock:
            return [f for f in self._faults if f.remaining is None or f.remaining > 0]
