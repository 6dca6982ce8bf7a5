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

from auditor.config import DirectorySettings
from auditor.directory.base import Directory
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


def parse_ldif(lines: Iterable[bytes], *, source: str) -> Iterator[LdifRecord]:
    """Parse LDIF from raw lines (bytes, with or without line ends); ``source`` names the file in errors."""
    record: list[tuple[int, str]] = []
    pending: list[str] = []
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
        elif not text:
            yield from flush_record()
        else:
            flush_line()
            pending.append(text)
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


def read_ldif(path: Path) -> Iterator[LdifRecord]:
    """Stream the records of an LDIF file; DirectoryError names the file and line of any problem."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise DirectoryError(f"{path}: cannot read LDIF file: {exc.strerror}") from None
    with handle:
        yield from parse_ldif(handle, source=str(path))


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
        """Stream the people of the file (status computed against ``now``)."""
        mapper = EntryMapper(self.settings, now)
        for record in read_ldif(self.path):
            try:
                if self._base and not is_under(normalize_dn(record.dn), self._base):
                    continue
            except ValueError as exc:
                raise DirectoryError(f"{self.path}: line {record.line}: {exc}") from None
            if not is_person_entry(record.attributes):
                continue
            try:
                yield mapper.map(record.dn, record.attributes)
            except DirectoryError as exc:
                raise DirectoryError(f"{self.path}: line {record.line}: {exc}") from None

    def check(self) -> None:
        """Parse the whole file; raises DirectoryError when it is malformed or holds no person entries."""
        count = sum(1 for _ in self.people(datetime.now(UTC)))
        if count == 0:
            where = f" under {self.settings.base_dn}" if self.settings.base_dn else ""
            raise DirectoryError(f"{self.path}: no person entries{where}")
