"""The garbage collector's settings while a scan runs.

A scan at 50,000 people holds millions of long-lived objects (people, accounts, grants, their facts) and
allocates millions more while it reads, judges and writes, nearly all freed by reference counting. With
CPython's default thresholds (700, 10, 10) the cyclic collector took a quarter of a full scan's time; with
raised thresholds still a sixth (every young object is examined once whatever the threshold), measured with
``bench/bench_end_to_end.py`` and ``bench/bench_fetch_latency.py``. So the cyclic collector pauses while a scan
runs and resumes when the last running scan in the process ends. A scan starts with one full collection, so a
long-running process (the scheduler, the web UI) never carries one scan's cyclic garbage through the next. The
scan's peak memory with the collector paused is measured by the same benches (goal: 1 GiB at 50,000 people).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running = 0
_was_enabled = True


@contextmanager
def scan_heap() -> Iterator[None]:
    """Pause the cyclic garbage collector while the block runs (several scans in one process share the pause;
    the collector comes back as it was when the last one ends)."""
    global _running, _was_enabled  # noqa: PLW0603 - one process-wide setting, counted by the scans using it
    with _lock:
        if _running == 0:
            _was_enabled = gc.isenabled()
            if _was_enabled:
                gc.collect()  # what an earlier scan in this process left is freed before this one grows
            gc.disable()
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1
            if _running == 0 and _was_enabled:
                gc.enable()
