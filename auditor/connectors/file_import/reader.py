"""Read an admin export (CSV or JSON) into numbered records, keeping the file's SHA-256 as evidence.

CSV: UTF-8 (a BOM is accepted), a header line first, the delimiter given or detected from the header
(``,``, ``;`` or tab: spreadsheet programs in many locales write ``;``), quotes as RFC 4180. The line of a
record is the line it starts on. JSON: one array of objects; the line of a record is the line its ``{`` is
on. Every problem is reported with its line; nothing is returned unless the whole file reads cleanly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.connectors.file_import.vocabulary import COLUMNS, column_key

Record = dict[str, Any]
MAX_REPORTED = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of an export: the line (None: the file as a whole), the column and what is wrong."""

    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        column = f"{self.column}: " if self.column else ""
        return f"{where}{column}{self.message}"


class ExportError(Exception):
    """An export that cannot be used; ``problems`` lists every problem found (with its line)."""

    def __init__(self, path: Path, problems: Iterable[Problem]):
        self.path = path
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:MAX_REPORTED])
        more = len(self.problems) - MAX_REPORTED
        suffix = f"; and {more} more problem(s)" if more > 0 else ""
        super().__init__(f"{path}: {shown}{suffix}")


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A cleanly read export: evidence (path, hash, size, time) plus the records with their lines."""

    path: Path
    sha256: str
    size: int
    format: str
    modified: datetime | None
    columns: tuple[str, ...]
    records: list[tuple[int, Record]]


MAX_ROWS = 500_000
"""Default most records an export may hold (``options.max_rows``)."""


def read_export(path: Path, *, fmt: str | None = None, delimiter: str | None = None,
                max_bytes: int = 64 * 1024 * 1024, max_rows: int = MAX_ROWS) -> ExportFile:
    """Read and parse ``path``; raise ExportError naming the file and each bad line (or the row limit)."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "json"):
        raise ExportError(path, [Problem(None, None, "an export must be .csv or .json (or set options.format)")])
    try:
        stat = path.stat()
        if stat.st_size > max_bytes:
            raise ExportError(path, [Problem(None, None, f"{stat.st_size} bytes is more than the "
                                                         f"{max_bytes} allowed (options.max_bytes)")])
        data = path.read_bytes()
    except FileNotFoundError:
        raise ExportError(path, [Problem(None, None, "export file not found")]) from None
    except OSError as exc:
        raise ExportError(path, [Problem(None, None, f"cannot read the export: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExportError(path, [Problem(line, None, "not UTF-8 text (save the export as UTF-8)")]) from None
    columns, records = _csv(path, text, delimiter, max_rows) if fmt == "csv" else _json(path, text, max_rows)
    return ExportFile(
        path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data), format=fmt,
        modified=datetime.fromtimestamp(stat.st_mtime, UTC), columns=columns, records=records,
    )


def _header(path: Path, cells: list[str], line: int) -> tuple[str, ...]:
    problems = []
    seen: dict[str, str] = {}
    for cell in cells:
        key = column_key(cell)
        if key not in COLUMNS:
            problems.append(Problem(line, None, f"unknown column {cell.strip()!r} (known: {', '.join(COLUMNS)})"))
        elif key in seen:
            problems.append(Problem(line, None, f"column {cell.strip()!r} repeats {seen[key]!r}"))
        else:
            seen[key] = cell.strip()
    if problems:
        raise ExportError(path, problems)
    return tuple(seen)


def _detect_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _too_many(path: Path, line: int, max_rows: int) -> ExportError:
    return ExportError(path, [Problem(line, None, f"more than {max_rows} rows (options.max_rows)")])


def _csv(path: Path, text: str, delimiter: str | None,
         max_rows: int = MAX_ROWS) -> tuple[tuple[str, ...], list[tuple[int, Record]]]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or _detect_delimiter(first),
                        strict=True)
    header: tuple[str, ...] | None = None
    records: list[tuple[int, Record]] = []
    problems: list[Problem] = []
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ExportError(path, [*problems, Problem(reader.line_num, None, f"not valid CSV: {exc}")]) from None
        end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = _header(path, cells, start)
            continue
        if len(records) + len(problems) >= max_rows:
            raise _too_many(path, start, max_rows)
        if len(cells) != len(header):
            problems.append(Problem(start, None, f"expected {len(header)} values, found {len(cells)}"))
            continue
        records.append((start, {key: value.strip() for key, value in zip(header, cells, strict=True)}))
    if header is None:
        raise ExportError(path, [Problem(None, None, "empty export: no header line")])
    if problems:
        raise ExportError(path, problems)
    return header, records


class _Pairs(list):
    """A JSON object's (key, value) pairs, kept in order so that repeated keys can be reported."""


_DECODER = json.JSONDecoder(object_pairs_hook=_Pairs)


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _json(path: Path, text: str, max_rows: int = MAX_ROWS) -> tuple[tuple[str, ...], list[tuple[int, Record]]]:
    index = _skip(text, 0)
    if index >= len(text) or text[index] != "[":
        line = text.count("\n", 0, index) + 1
        raise ExportError(path, [Problem(line, None, "expected a JSON array of objects")])
    records: list[tuple[int, Record]] = []
    problems: list[Problem] = []
    present: dict[str, None] = {}
    line, counted = 1, 0
    index = _skip(text, index + 1)
    while index < len(text) and text[index] != "]":
        line += text.count("\n", counted, index)
        counted = index
        if len(records) + len(problems) >= max_rows:
            raise _too_many(path, line, max_rows)
        try:
            value, index = _DECODER.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise ExportError(path, [*problems, Problem(exc.lineno, None, f"not valid JSON: {exc.msg}")]) from None
        except RecursionError:  # a record is flat: any nesting is refused below, this one is too deep to decode
            raise ExportError(path, [*problems, Problem(line, None, "not valid JSON: nested too deeply")]) from None
        record = _json_record(value, line, problems)
        if record is not None:
            present.update(dict.fromkeys(record))
            records.append((line, record))
        index = _skip(text, index)
        if index < len(text) and text[index] == ",":
            index = _skip(text, index + 1)
        elif index < len(text) and text[index] != "]":
            where = text.count("\n", 0, index) + 1
            raise ExportError(path, [*problems, Problem(where, None, "not valid JSON: expected ',' or ']'")])
    if index >= len(text) or _skip(text, index + 1) != len(text):
        where = text.count("\n", 0, min(index, len(text))) + 1
        raise ExportError(path, [*problems, Problem(where, None, "not valid JSON: the array does not end cleanly")])
    if problems:
        raise ExportError(path, problems)
    return tuple(c for c in COLUMNS if c in present), records


def _json_record(value: Any, line: int, problems: list[Problem]) -> Record | None:
    if not isinstance(value, _Pairs):
        problems.append(Problem(line, None, "expected an object (one account's row)"))
        return None
    record: Record = {}
    ok = True
    for key, item in value:
        column = column_key(str(key))
        if column not in COLUMNS:
            problems.append(Problem(line, None, f"unknown key {key!r} (known: {', '.join(COLUMNS)})"))
            ok = False
        elif column in record:
            problems.append(Problem(line, column, f"key {key!r} repeats a key of the same object"))
            ok = False
        elif isinstance(item, list):  # a nested object or array (objects decode to _Pairs, a list)
            problems.append(Problem(line, column, "expected text, a number, true/false or null"))
            ok = False
        else:
            record[column] = _scalar(item)
    return record if ok else None


def _scalar(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return str(value).strip()
