"""A campaign's figures: progress per reviewer, decisions, follow-through, and rubber-stamp signals.

Signals are figures, not judgement: a reviewer who decided at least ``FAST_MIN_ITEMS`` items with a median
of under ``FAST_SECONDS`` seconds between consecutive decisions, or who kept every privileged grant
assigned to them (at least one), is flagged with the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import median
from typing import Any

FAST_SECONDS = 5.0
FAST_MIN_ITEMS = 5


def reviewer_stats(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per reviewer: items, decided, open, keeps, revokes, changes, privileged kept / total, median gap, flags."""
    by_reviewer: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        by_reviewer.setdefault(item["reviewer"], []).append(item)
    result = []
    for reviewer, rows in sorted(by_reviewer.items()):
        decided = [r for r in rows if r["decision"]]
        times = sorted(r["decided_at"] for r in decided)
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
        gap = median(gaps) if gaps else None
        privileged = [r for r in rows if r["privileged"] and r["decision"]]
        kept_privileged = sum(1 for r in privileged if r["decision"] == "keep")
        flags = []
        if len(decided) >= FAST_MIN_ITEMS and gap is not None and gap < FAST_SECONDS:
            flags.append(f"{len(decided)} decisions, median {gap:.1f} s apart")
        if privileged and kept_privileged == len(privileged):
            flags.append(f"kept every privileged grant ({kept_privileged})")
        result.append({
            "reviewer": reviewer, "items": len(rows), "decided": len(decided), "open": len(rows) - len(decided),
            "keep": sum(1 for r in decided if r["decision"] == "keep"),
            "revoke": sum(1 for r in decided if r["decision"] == "revoke"),
            "change_role": sum(1 for r in decided if r["decision"] == "change_role"),
            "privileged_decided": len(privileged), "privileged_kept": kept_privileged,
            "median_seconds": round(gap, 1) if gap is not None else None, "flags": flags,
        })
    return result


def totals(items: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Items, decided, each decision, and follow-ups by state."""
    rows = list(items)
    out = {"items": len(rows), "decided": sum(1 for r in rows if r["decision"])}
    for decision in ("keep", "revoke", "change_role"):
        out[decision] = sum(1 for r in rows if r["decision"] == decision)
    for state in ("pending", "done", "overdue"):
        out[f"revocations_{state}"] = sum(1 for r in rows if r["follow_up"] == state)
    return out
