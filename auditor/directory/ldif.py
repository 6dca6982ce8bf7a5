"""People from an LDIF file (RFC 2849), read as a stream.

A small parser: records separated by blank lines, folded lines (a leading space continues the previous
line), ``#`` comments (folded comments included), ``attr:: base64`` values, an optional ``version: 1``
line. Change records other than ``changetype: add`` and ``attr:< URL`` values (which would read other
files) are refused. Every error names the file and the line: ``people.ldif: line 42: ...``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from auditor.config import DirectorySettings
from auditor.directory.base import Directory
from auditor.directory.groups import GroupIndex, is_group_entry, ranged_members
from auditor.directory.mapping import EntryMapper, is_person_entry, is_under, normalize_dn
from auditor.errors import DirectoryError
from auditor.model import Person

_Fail = Callable[[int, str], DirectoryError]
_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9-]*(;[A-Za-z0-9-]+)*\Z|\d+(\.\d+)+(;[A-Za-z0-9-]+)*\Z")


@dataclass(slots=True)
class LdifRecord:
    """One content record: its DN, attributes (plain values as str, base64 values as bytes), first line."""

    dn: str
    line: int
    attributes: dict[str, list[str | bytes]] = field(default_factory=dict)


MAX_LINE_BYTES = 1024 * 1024
"""Default longest logical line (an attribute with its folded value): 1 MiB (a photo fits, 200 MB does not)."""
MAX_FILE_BYTES = 512 * 1024 * 1024
"""Default largest LDIF file: 512 MiB."""


def _bounded_lines(handle: BinaryIO, limit: int) -> Iterator[bytes]:
    """The lines of ``handle``, each read with at most ``limit + 1`` bytes (a longer one is cut there)."""
    while line := handle.readline(limit + 1):
        yield line


def parse_ldif(lines: Iterable[bytes], *, source: str, max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[LdifRecord]:
    """Parse LDIF from raw lines (bytes, with or without line ends); ``source`` names the file in errors.

    A physical or logical (folded) line longer than ``max_line_bytes`` is refused with its line number.
    """
    record: list[tuple[int, str]] = []
    pending: list[str] = []
    pending_size = 0
    pending_line = 0
    first_record = True

    def fail(number: int, problem: str) -> DirectoryError:
        return DirectoryError(f"{source}: line {number}: {problem}")

    def flush_line() -> None:
        if pending and not pending[0].startswith("#"):
            record.append((pending_line, "".join(pending)))
        pending.clear()

    def flush_record() -> Iterator[LdifRecord]:
        nonlocal first_record
        flush_line()
        if record:
            logical = list(record)
            record.clear()
            if first_record and logical[0][1].lower().startswith("version:"):
                number, text = logical.pop(0)
                version = text.partition(":")[2].strip()
                if version != "1":
                    raise fail(number, f"unsupported LDIF version {version!r}")
            first_record = False
            if logical:
                yield _build_record(logical, fail)

    number = 0
    for number, raw in enumerate(lines, 1):
        if len(raw.rstrip(b"\r\n")) > max_line_bytes:
            raise fail(number, f"line longer than {max_line_bytes} bytes (directory.ldif_max_line_bytes)")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise fail(number, "not UTF-8 text") from None
        text = text.rstrip("\r\n")
        if number == 1:
            text = text.removeprefix("\ufeff")
        if text.startswith(" "):
            if not pending:
                raise fail(number, "continuation line (leading space) without a line to continue")
            pending.append(text[1:])
            pending_size += len(raw) - 1
            if pending_size > max_line_bytes:
                raise fail(pending_line, f"value folded over several lines is longer than {max_line_bytes} "
                                         "bytes (directory.ldif_max_line_bytes)")
        elif not text:
            yield from flush_record()
        else:
            flush_line()
            pending.append(text)
            pending_size = len(raw)
            pending_line = number
    yield from flush_record()


def _build_record(lines: list[tuple[int, str]], fail: _Fail) -> LdifRecord:
    """Turn the logical lines of one record into an LdifRecord."""
    first_line, _ = lines[0]
    record: LdifRecord | None = None
    for number, text in lines:
        name, value = _attribute_value(number, text, fail)
        lower = name.lower()
        if record is None:
            if lower != "dn":
                raise fail(number, f"a record must start with 'dn:', found {name!r}")
            record = LdifRecord(dn=str(value).strip(), line=first_line)
            continue
        if lower == "dn":
            raise fail(number, f"second 'dn:' in one record (the record began on line {first_line}); "
                               "records must be separated by a blank line")
        if lower == "changetype":
            if str(value).strip().lower() != "add":
                raise fail(number, f"change records (changetype: {value}) are not supported")
            continue
        if lower == "control":
            continue
        record.attributes.setdefault(name.split(";", 1)[0], []).append(value)
    assert record is not None
    return record


def _attribute_value(number: int, text: str, fail: _Fail) -> tuple[str, str | bytes]:
    """Split ``attr: value`` / ``attr:: base64`` into the name and value; errors name the line."""
    name, sep, rest = text.partition(":")
    if not sep or not _ATTRIBUTE.match(name):
        raise fail(number, f"expected 'attribute: value', found {text[:40]!r}")
    if rest.startswith(":"):
        try:
            data = base64.b64decode(rest[1:].strip(), validate=True)
        except (binascii.Error, ValueError):
            raise fail(number, f"attribute {name}: invalid base64 value") from None
        if name.lower() == "dn":
            try:
                return name, data.decode("utf-8")
            except UnicodeDecodeError:
                raise fail(number, "dn: base64 value is not UTF-8 text") from None
        return name, data
    if rest.startswith("<"):
        raise fail(number, f"attribute {name}: URL values (':<') are not supported")
    return name, rest.lstrip(" ")


def read_ldif(path: Path, *, max_bytes: int = MAX_FILE_BYTES,
              max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[LdifRecord]:
    """Stream the records of an LDIF file; DirectoryError names the file and line of any problem.

    A file larger than ``max_bytes`` is refused before parsing; no line is read past ``max_line_bytes``.
    """
    try:
        handle = path.open("rb")
        size = path.stat().st_size
    except OSError as exc:
        raise DirectoryError(f"{path}: cannot read LDIF file: {exc.strerror}") from None
    with handle:
        if size > max_bytes:
            raise DirectoryError(f"{path}: {size} bytes is more than the {max_bytes} allowed "
                                 "(directory.ldif_max_bytes)")
        yield from parse_ldif(_bounded_lines(handle, max_line_bytes), source=str(path),
                              max_line_bytes=max_line_bytes)


class LdifDirectory(Directory):
    """People from an LDIF export: person-like entries (inetOrgPerson, person, user) under ``base_dn``."""

    def __init__(self, path: Path, settings: DirectorySettings | None = None):
        self.path = Path(path)
        self.settings = settings or DirectorySettings(kind="ldif", path=str(path))
        self.name = str(self.path)
        self._base = normalize_dn(self.settings.base_dn) if self.settings.base_dn else ()

    def __repr__(self) -> str:
        return f"LdifDirectory({str(self.path)!r})"

    def people(self, now: datetime) -> Iterator[Person]:
        """Stream the people of the file (status computed against ``now``) with their groups.

        Groups come from group entries (``member``/``uniqueMember``, nesting resolved) and ``memberOf``; the
        file is read twice, first for its group entries, so people may come before their groups.
        """
        mapper = EntryMapper(self.settings, now)
        index = GroupIndex()
        for record in self._records():
            if is_group_entry(record.attributes):
                try:
                    members = [m for name in ("member", "uniqueMember")
                               for m in ranged_members(record.dn, _named(record.attributes, name), None, name)]
                    index.add_group(record.dn, members)
                except DirectoryError as exc:
                    raise DirectoryError(f"{self.path}: line {record.line}: {exc}") from None
        for record in self._records():
            if not is_person_entry(record.attributes):
                continue
            try:
                person = mapper.map(record.dn, record.attributes)
            except DirectoryError as exc:
                raise DirectoryError(f"{self.path}: line {record.line}: {exc}") from None
            member_of = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                         for v in _named(record.attributes, "memberOf").get("memberOf", [])]
            person.groups = index.groups_of(record.dn, member_of)
            yield person

    def _records(self) -> Iterator[LdifRecord]:
        """The records of the file under ``base_dn``."""
        limits = {"max_bytes": self.settings.ldif_max_bytes, "max_line_bytes": self.settings.ldif_max_line_bytes}
        for record in read_ldif(self.path, **limits):
            try:
                if self._base and not is_under(normalize_dn(record.dn), self._base):
                    continue
            except ValueError as exc:
                raise DirectoryError(f"{self.path}: line {record.line}: {exc}") from None
            yield record

    def check(self) -> None:
        """Parse the whole file; raises DirectoryError when it is malformed or holds no person entries."""
        count = sum(1 for _ in self.people(datetime.now(UTC)))
        if count == 0:
            where = f" under {self.settings.base_dn}" if self.settings.base_dn else ""
            raise DirectoryError(f"{self.path}: no person entries{where}")


def _named(attributes: dict[str, list[str | bytes]], name: str) -> dict[str, list[str | bytes]]:
    """The attributes whose name (before any option such as ``;range=``) is ``name``, case-insensitively."""
    wanted = name.lower()
    return {(name if key.lower() == wanted else key): values for key, values in attributes.items()
            if key.split(";", 1)[0].lower() == wanted}
