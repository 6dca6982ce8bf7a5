"""The garbage collector's settings while a scan runs.

A scan at 50,000 people holds millions of long-lived objects (people, accounts, grants, their facts) and
allocates millions more while it reads, judges and writes. With CPython's default thresholds (700, 10, 10)
the collector runs so often over them that it took a quarter of a full scan's time (measured with
``bench/bench_end_to_end.py`` and ``bench/bench_fetch_latency.py``). A scan raises the first threshold so that
young objects are collected in large batches; nothing else changes (cycles are still collected, and the
usual thresholds come back when the last running scan ends).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SCAN_THRESHOLDS = (200_000, 50, 100)
"""(generation 0 allocations, generation 1 and 2 collection counts) between collections during a scan."""

_lock = threading.Lock()
_running = 0
_previous: tuple[int, int, int] | None = None


@contextmanager
def scan_heap() -> Iterator[None]:
    """Collect garbage less often while the block runs (several scans in one process share the setting)."""
    global _running, _previous  # noqa: PLW0603 - one process-wide setting, counted by the scans using it
    with _lock:
        if _running == 0:
            _previous = gc.get_threshold()
            gc.set_threshold(*SCAN_THRESHOLDS)
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _previous is not None:
                gc.set_threshold(*_previous)
