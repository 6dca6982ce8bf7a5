"""Read an admin export (CSV or JSON) into numbered records, keeping the file's SHA-256 as evidence.

CSV: UTF-8 (a BOM is accepted), a header line first, the delimiter given or detected from the header
(``,``, ``;`` or tab: spreadsheet programs in many locales write ``;``), quotes as RFC 4180. The line of a
record is the line it starts on. JSON: one array of objects; the line of a record is the line its ``{`` is
on. Every problem is reported with its line. A CSV export is streamed (``stream_export``): its records come
one at a time and the iteration raises at the end if any was bad, so a caller must use nothing it built
from an iteration that raised; ``read_export`` reads the whole file into an ``ExportFile``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

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
_CHUNK = 1 << 16


class _Hashing(io.RawIOBase):
    """A binary file that hashes and counts every byte read through it (the evidence of a streamed read)."""

    def __init__(self, handle: BinaryIO):
        self._handle = handle
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._handle.close()
        super().close()

    def readinto(self, buffer: Any) -> int:
        count = self._handle.readinto(buffer) or 0
        self.sha256.update(memoryview(buffer)[:count])
        self.size += count
        return count


class ExportStream:
    """An export read as it is iterated: ``columns`` at once, then ``records()``; the SHA-256 and size once the
    records are exhausted. ``records()`` raises ExportError (every problem, with its line) at the first
    unreadable spot or at the end: a caller uses nothing it built unless the iteration ends cleanly."""

    def __init__(self, path: Path, fmt: str, modified: datetime, columns: tuple[str, ...],
                 records: Iterator[tuple[int, Record]], evidence: Callable[[], tuple[str, int]],
                 close: Callable[[], None] = lambda: None):
        self.path, self.format, self.modified, self.columns = path, fmt, modified, columns
        self._records, self._evidence, self.close = records, evidence, close

    def __enter__(self) -> ExportStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def records(self) -> Iterator[tuple[int, Record]]:
        """The records with their lines, read one at a time."""
        return self._records

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (hex); only once ``records()`` is exhausted."""
        return self._evidence()[0]

    @property
    def size(self) -> int:
        """The file's size in bytes; only once ``records()`` is exhausted."""
        return self._evidence()[1]


def stream_export(path: Path, *, fmt: str | None = None, delimiter: str | None = None,
                  max_bytes: int = 64 * 1024 * 1024, max_rows: int = MAX_ROWS) -> ExportStream:
    """Open ``path`` as an ExportStream (CSV streams; JSON is parsed whole); raise ExportError on a bad header."""
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("csv", "json"):
        raise ExportError(path, [Problem(None, None, "an export must be .csv or .json (or set options.format)")])
    try:
        stat = path.stat()
        if stat.st_size > max_bytes:
            raise ExportError(path, [Problem(None, None, f"{stat.st_size} bytes is more than the "
                                                         f"{max_bytes} allowed (options.max_bytes)")])
        if fmt == "json":
            data = path.read_bytes()
        else:
            handle = path.open("rb")
    except FileNotFoundError:
        raise ExportError(path, [Problem(None, None, "export file not found")]) from None
    except OSError as exc:
        raise ExportError(path, [Problem(None, None, f"cannot read the export: {exc.strerror}")]) from None
    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    if fmt == "json":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ExportError(path, [_not_utf8(data[: exc.start].count(b"\n") + 1)]) from None
        columns, records = _json(path, text, max_rows)
        evidence = (hashlib.sha256(data).hexdigest(), len(data))
        return ExportStream(path, fmt, modified, columns, iter(records), lambda: evidence)
    hashing = _Hashing(handle)
    text_handle = io.TextIOWrapper(io.BufferedReader(hashing, _CHUNK), encoding="utf-8-sig", newline="")
    try:
        columns, records = _csv(path, text_handle, delimiter, max_rows)
    except BaseException:
        text_handle.close()
        raise
    return ExportStream(path, fmt, modified, columns, records,
                        lambda: (hashing.sha256.hexdigest(), hashing.size), text_handle.close)


def read_export(path: Path, *, fmt: str | None = None, delimiter: str | None = None,
                max_bytes: int = 64 * 1024 * 1024, max_rows: int = MAX_ROWS) -> ExportFile:
    """Read and parse ``path`` whole; raise ExportError naming the file and each bad line (or the row limit)."""
    with stream_export(path, fmt=fmt, delimiter=delimiter, max_bytes=max_bytes, max_rows=max_rows) as stream:
        records = list(stream.records())
    return ExportFile(path=path, sha256=stream.sha256, size=stream.size, format=stream.format,
                      modified=stream.modified, columns=stream.columns, records=records)


def _not_utf8(line: int) -> Problem:
    return Problem(line, None, "not UTF-8 text (save the export as UTF-8)")


def _utf8_problem(path: Path) -> Problem | None:
    """The first non-UTF-8 spot of ``path`` (read in chunks), as a Problem with its line; None if all is UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return _not_utf8(lines + chunk[: max(exc.start, 0)].count(b"\n"))
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return _not_utf8(lines)
    return None


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


def _csv(path: Path, handle: TextIO, delimiter: str | None,
         max_rows: int = MAX_ROWS) -> tuple[tuple[str, ...], Iterator[tuple[int, Record]]]:
    """The header, then a generator of the records; a file that is not UTF-8 is reported as such first."""
    try:
        blank: list[str] = []
        first = ""
        for line in handle:
            if line.strip():
                first = line
                break
            blank.append(line)
        lines = itertools.chain(blank, [first] if first else [], handle)
        reader = csv.reader(lines, delimiter=delimiter or _detect_delimiter(first), strict=True)
        header: tuple[str, ...] | None = None
        end = 0
        try:
            for cells in reader:
                start, end = end + 1, reader.line_num
                if any(c.strip() for c in cells):
                    header = _header(path, cells, start)
                    break
        except csv.Error as exc:
            raise ExportError(path, [Problem(reader.line_num, None, f"not valid CSV: {exc}")]) from None
        if header is None:
            raise ExportError(path, [Problem(None, None, "empty export: no header line")])
    except (ExportError, UnicodeDecodeError) as exc:
        raise _utf8_first(path, exc) from None
    return header, _csv_records(path, reader, header, end, max_rows)


def _utf8_first(path: Path, exc: Exception) -> ExportError:
    """A problem found while streaming: a non-UTF-8 spot anywhere in the file wins (as when read whole)."""
    problem = _utf8_problem(path)
    if problem is not None:
        return ExportError(path, [problem])
    if isinstance(exc, UnicodeDecodeError):  # the file changed while it was read
        return ExportError(path, [Problem(None, None, "not UTF-8 text (save the export as UTF-8)")])
    assert isinstance(exc, ExportError)
    return exc


def _csv_records(path: Path, reader: Any, header: tuple[str, ...], end: int,
                 max_rows: int) -> Iterator[tuple[int, Record]]:
    problems: list[Problem] = []
    count = 0
    width = len(header)
    try:
        while True:
            start = end + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise ExportError(path, [*problems, Problem(reader.line_num, None, f"not valid CSV: {exc}")]) \
                    from None
            end = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if count + len(problems) >= max_rows:
                raise _too_many(path, start, max_rows)
            if len(cells) != width:
                problems.append(Problem(start, None, f"expected {width} values, found {len(cells)}"))
                continue
            count += 1
            yield start, {key: value.strip() for key, value in zip(header, cells, strict=True)}
        if problems:
            raise ExportError(path, problems)
    except (ExportError, UnicodeDecodeError) as exc:
        raise _utf8_first(path, exc) from None


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
