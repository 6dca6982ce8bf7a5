"""Validate the records of an export row by row into ``ImportRow`` values (pure; no I/O).

Per row: ``account_id`` and ``role`` are required; ``email`` must look like an address; ``two_factor`` and
``privileged`` are yes/no (or empty/unknown: not known); ``last_activity`` is an ISO 8601 date or time (a
time without offset is UTC; ``never`` is kept as evidence and read as unknown; a time in the future is an
error); ``state`` is one of ``STATES`` (empty: active). Across rows: one platform and, unless the platform
entry picks one, one tenant; the rows of one account agree on email, name, 2FA, last activity and state; no
(account, asset, role) appears twice. Every problem carries its line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from auditor.connectors.file_import.reader import Problem, Record
from auditor.connectors.file_import.vocabulary import FALSE_WORDS, STATES, TRUE_WORDS, UNKNOWN_WORDS

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_TEXT = 512
FUTURE_SLACK = timedelta(days=1)
_ACCOUNT_FIELDS = ("email", "name", "two_factor", "last_activity", "state")


@dataclass(slots=True)
class ImportRow:
    """One valid row: one role of one account on one asset (``asset`` None: on the tenant)."""

    line: int
    account_id: str
    role: str
    platform: str | None = None
    tenant: str | None = None
    email: str | None = None
    name: str | None = None
    asset: str | None = None
    two_factor: bool | None = None
    last_activity: datetime | None = None
    never_active: bool = False
    state: str = "active"
    privileged: bool | None = None
    raw: dict[str, Any] | None = None


def parse_flag(value: Any) -> tuple[bool | None, str | None]:
    """(value, problem) of a yes/no cell: True, False or None (unknown); a problem for other words."""
    if isinstance(value, bool):
        return value, None
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True, None
    if word in FALSE_WORDS:
        return False, None
    if word in UNKNOWN_WORDS:
        return None, None
    return None, f"expected yes or no (or empty for unknown), found {value!r}"


def parse_when(value: Any, now: datetime) -> tuple[datetime | None, bool, str | None]:
    """(time, never, problem) of a last-activity cell."""
    return _parse_when(str(value).strip(), now)


@functools.lru_cache(maxsize=8192)
def _parse_when(text: str, now: datetime) -> tuple[datetime | None, bool, str | None]:
    if text.lower() in UNKNOWN_WORDS:
        return None, False, None
    if text.lower() == "never":
        return None, True, None
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time.min, UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, False, f"expected an ISO 8601 date or time such as 2026-03-01 or 2026-03-01T09:30:00Z, " \
                            f"found {text!r}"
    parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    if parsed > now + FUTURE_SLACK:
        return None, False, f"{text} is in the future"
    return parsed, False, None


def _text(record: Record, column: str, line: int, problems: list[Problem], *, required: bool = False) -> str | None:
    value = record.get(column, "")
    if isinstance(value, bool):
        problems.append(Problem(line, column, "expected text, found true/false"))
        return None
    text = str(value).strip()
    if not text:
        if required:
            problems.append(Problem(line, column, "required, but empty"))
        return None
    if len(text) > MAX_TEXT or _CONTROL.search(text):
        problems.append(Problem(line, column, f"at most {MAX_TEXT} printable characters"))
        return None
    return text


def parse_row(line: int, record: Record, now: datetime, problems: list[Problem]) -> ImportRow | None:
    """One record as an ImportRow; problems are appended (None when the row has any)."""
    before = len(problems)
    account_id = _text(record, "account_id", line, problems, required=True)
    role = _text(record, "role", line, problems, required=True)
    row = ImportRow(line=line, account_id=account_id or "", role=role or "",
                    platform=_text(record, "platform", line, problems, required="platform" in record),
                    tenant=_text(record, "tenant", line, problems, required="tenant" in record),
                    name=_text(record, "name", line, problems), asset=_text(record, "asset", line, problems),
                    raw={k: v for k, v in record.items() if v not in ("", None)})
    email = _text(record, "email", line, problems)
    if email is not None and not _EMAIL.match(email):
        problems.append(Problem(line, "email", f"{email!r} is not an email address"))
    row.email = email.lower() if email else None
    for column in ("two_factor", "privileged"):
        value, problem = parse_flag(record.get(column, ""))
        if problem:
            problems.append(Problem(line, column, problem))
        setattr(row, column, value)
    row.last_activity, row.never_active, problem = parse_when(record.get("last_activity", ""), now)
    if problem:
        problems.append(Problem(line, "last_activity", problem))
    state = str(record.get("state", "")).strip().lower()
    if state and state not in STATES:
        problems.append(Problem(line, "state", f"unknown state {state!r} (known: {', '.join(sorted(STATES))})"))
    row.state = STATES.get(state or "active", "active")
    return row if len(problems) == before else None


def _account_values(row: ImportRow) -> dict[str, Any]:
    return {field: getattr(row, field) for field in _ACCOUNT_FIELDS}


def parse_rows(records: Iterable[tuple[int, Record]], now: datetime, *, platform_kind: str | None,
               tenant_id: str | None) -> tuple[list[ImportRow], int, list[Problem]]:
    """Validate every record; return (rows of the chosen tenant, rows of other tenants skipped, problems)."""
    problems: list[Problem] = []
    counts = {"skipped": 0}
    rows = list(iter_rows(records, now, platform_kind=platform_kind, tenant_id=tenant_id, problems=problems,
                          counts=counts))
    return rows, counts["skipped"], problems


def iter_rows(records: Iterable[tuple[int, Record]], now: datetime, *, platform_kind: str | None,
              tenant_id: str | None, problems: list[Problem], counts: dict[str, int]) -> Iterator[ImportRow]:
    """Validate records as they come: yield each valid row of the chosen tenant, append problems and count
    the rows of other tenants in ``counts["skipped"]``. Rows yielded before a problem must not be used."""
    first_platform: tuple[int, str] | None = None
    first_tenant: tuple[int, str] | None = None
    accounts: dict[str, dict[str, Any]] = {}
    grants: dict[tuple[str, str | None, str], int] = {}
    for line, record in records:
        row = parse_row(line, record, now, problems)
        if row is None:
            continue
        if row.platform is not None:
            expected = (platform_kind, "options.platform_kind") if platform_kind else (
                (first_platform[1], f"line {first_platform[0]}") if first_platform else None)
            if expected is not None and row.platform.lower() != expected[0].lower():
                problems.append(Problem(line, "platform", f"{row.platform!r} differs from {expected[0]!r} "
                                                          f"({expected[1]})"))
                continue
            first_platform = first_platform or (line, row.platform)
        if tenant_id is not None and row.tenant is not None and row.tenant != tenant_id:
            counts["skipped"] += 1
            continue
        if tenant_id is None and row.tenant is not None:
            if first_tenant is not None and row.tenant != first_tenant[1]:
                problems.append(Problem(line, "tenant", f"{row.tenant!r} differs from {first_tenant[1]!r} (line "
                                                        f"{first_tenant[0]}); set tenant_id to pick one tenant"))
                continue
            first_tenant = first_tenant or (line, row.tenant)
        values = _account_values(row)
        known = accounts.setdefault(row.account_id, {**values, "line": line})
        if known["line"] != line:
            for field, value in values.items():
                if value != known[field]:
                    problems.append(Problem(line, field, f"{value!r} differs from line {known['line']} "
                                                         f"({known[field]!r}) for account {row.account_id}"))
        key = (row.account_id, row.asset, row.role)
        if key in grants:
            problems.append(Problem(line, None, f"repeats line {grants[key]} (same account, asset and role)"))
            continue
        grants[key] = line
        yield row
