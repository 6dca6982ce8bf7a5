"""Render rows for the terminal: aligned tables, JSON arrays and CSV, streamed to a text stream."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def write_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], out: TextIO, *, max_width: int = 60) -> None:
    """Write rows as a fixed-width table with a header; long cells are cut with an ellipsis."""
    cells = [[_cell(row.get(col)) for col in columns] for row in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in line] for line in cells]
    widths = [max([len(col)] + [len(line[i]) for line in cells]) for i, col in enumerate(columns)]
    out.write("  ".join(col.upper().ljust(widths[i]) for i, col in enumerate(columns)).rstrip() + "\n")
    for line in cells:
        out.write("  ".join(c.ljust(widths[i]) for i, c in enumerate(line)).rstrip() + "\n")


def write_json(rows: Iterable[dict[str, Any]] | dict[str, Any], out: TextIO) -> None:
    """Write a JSON document (an array of rows, or one object)."""
    if isinstance(rows, dict):
        json.dump(rows, out, ensure_ascii=False, indent=2, default=str)
    else:
        json.dump(list(rows), out, ensure_ascii=False, indent=2, default=str)
    out.write("\n")


def write_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str], out: TextIO) -> None:
    """Write rows as CSV with a header; nested values as JSON text."""
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
