"""The collector pauses while scans run and comes back as it was when the last one ends."""

from __future__ import annotations

import gc
import threading

import pytest

from auditor.services.heap import scan_heap


def test_the_collector_pauses_until_the_last_of_two_overlapping_scans_ends() -> None:
    assert gc.isenabled()
    first_in, second_done, first_may_end = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with scan_heap():
            first_in.set()
            first_may_end.wait(10)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(10)
    with scan_heap():
        seen.append(gc.isenabled())
    second_done.set()
    seen.append(gc.isenabled())  # the first scan still runs
    first_may_end.set()
    thread.join(10)
    assert seen == [False, False, False]
    assert gc.isenabled()


def test_a_failing_scan_gives_the_collector_back_and_a_paused_one_stays_paused() -> None:
    with pytest.raises(RuntimeError), scan_heap():
        raise RuntimeError("scan failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with scan_heap():
            assert not gc.isenabled()
        assert not gc.isenabled(), "it was paused before: the scan does not turn it on"
    finally:
        gc.enable()
