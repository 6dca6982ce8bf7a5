"""Render rows for people and programs: aligned tables, JSON arrays and CSV.

``write_csv`` and ``csv_chunks`` are the one CSV writer of the tool (the CLI, the web export and the DSAR
pack use them). Every cell goes through ``csv_cell``: a text a spreadsheet would run as a formula (it
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, OWASP "CSV injection") gets a leading
apostrophe; plain numbers such as ``-42`` stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet program would evaluate begins."""
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


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


def write_rows(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, out: TextIO) -> None:
    """Write rows as JSON (``fmt`` "json") or as a table of ``columns`` (any other format)."""
    if fmt == "json":
        write_json(rows, out)
    else:
        write_table(rows, columns, out)


def csv_cell(value: Any) -> str:
    """One CSV cell: empty for None, ``true``/``false`` for booleans, JSON text for lists and mappings, and
    text a spreadsheet would run as a formula prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> None:
    """Write rows as CSV with a header, every cell through ``csv_cell``."""
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([csv_cell(row.get(column)) for column in columns] for row in rows)


def csv_chunks(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], *, chunk_rows: int = 500) -> Iterator[str]:
    """``write_csv`` as a stream of text chunks of ``chunk_rows`` rows each (for a streamed download)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for count, row in enumerate(rows, 1):
        writer.writerow([csv_cell(row.get(column)) for column in columns])
        if count % chunk_rows == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
