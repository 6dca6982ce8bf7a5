"""Normalise one directory entry (an LDAP search result or an LDIF record) into a ``Person``.

Pure functions only: the same code maps OpenLDAP and Active Directory entries, whether read from a server
or from a file. An entry is a DN plus ``{attribute: [values]}``; attribute names are case-insensitive and
values may be ``str`` or UTF-8 ``bytes``. A malformed value raises ``DirectoryError`` naming the entry's DN
and the attribute.

Status rules, in order (later ones win):

1. disabled: AD ``userAccountControl`` bit 0x2, or OpenLDAP ppolicy ``pwdAccountLockedTime``;
2. departed: the account expired at or before ``now`` (AD ``accountExpires`` FILETIME, ``shadowExpire`` days
   since 1970), or the entry lives under ``leavers_ou``;
3. the configured ``status_rules``.

``end_date`` is the last day the account was valid: an expiry instant of 2025-07-01T00:00Z gives
2025-06-30 (AD's "account expires end of 30 June" is stored as the next midnight). A configured
``end_date_attribute`` present on the entry takes precedence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from string import hexdigits

from auditor.config import DirectorySettings
from auditor.errors import DirectoryError
from auditor.model import Person, PersonKind, PersonStatus

AttributeValues = Sequence[str | bytes]
"""The values of one attribute as read from LDAP (bytes) or LDIF (str, or bytes for base64 values)."""

UF_ACCOUNTDISABLE = 0x2
ADMIN_LOCK = "000001010000Z"
"""ppolicy ``pwdAccountLockedTime`` value meaning "locked by an administrator" (permanently)."""

FILETIME_NEVER = frozenset({0, 9223372036854775807})
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_TICK = timedelta(microseconds=1)

PERSON_CLASSES = frozenset({"inetorgperson", "person", "user"})
"""objectClass values that make an entry person-like (``computer`` entries are excluded although AD
computers are ``user`` objects)."""

_CONTRACTOR_WORDS = frozenset(
    {"external", "extern", "freelance", "freelancer", "consultant", "temp", "temporary", "vendor", "supplier"}
)
_SERVICE_WORDS = frozenset({"service", "svc", "system", "technical", "shared", "functional", "bot", "robot"})

_BASE_ATTRIBUTES = (
    "objectClass", "uid", "mail", "displayName", "cn", "department", "departmentNumber", "ou", "manager",
    "employeeType", "modifyTimestamp",
)
_FLAVOR_ATTRIBUTES = {
    "openldap": ("pwdAccountLockedTime", "shadowExpire"),
    "ad": ("sAMAccountName", "proxyAddresses", "userAccountControl", "accountExpires", "whenChanged"),
}

_GENERALIZED_TIME = re.compile(
    r"(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)\Z"
)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_WORD = re.compile(r"[a-z0-9]+")


def requested_attributes(settings: DirectorySettings) -> list[str]:
    """Every attribute the mapping reads, by name (operational ones are only returned when named)."""
    names = [*_BASE_ATTRIBUTES, *_FLAVOR_ATTRIBUTES[settings.flavor]]
    names += settings.alias_attributes
    if settings.end_date_attribute:
        names.append(settings.end_date_attribute)
    names += [rule.attribute for rule in settings.status_rules]
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def uid_attributes(settings: DirectorySettings) -> tuple[str, str]:
    """The attributes holding the user id, preferred first: sAMAccountName for AD, uid for OpenLDAP."""
    return ("sAMAccountName", "uid") if settings.flavor == "ad" else ("uid", "sAMAccountName")


def is_person_entry(attributes: Mapping[str, AttributeValues]) -> bool:
    """True when objectClass names a person class (inetOrgPerson, person, user) and not ``computer``."""
    classes: set[str] = set()
    for name, values in attributes.items():
        if name.lower() == "objectclass":
            classes.update(_text(v).lower() for v in values)
    return bool(classes & PERSON_CLASSES) and "computer" not in classes


def parse_generalized_time(value: str) -> datetime:
    """Parse an LDAP GeneralizedTime (``20240115123000Z``, ``20240115123000.0Z``, ``2024011512+0100``).

    Returns an aware UTC datetime; raises ValueError when malformed.
    """
    match = _GENERALIZED_TIME.match(value.strip())
    if not match:
        raise ValueError(f"not a generalized time: {value!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute or 0), int(second or 0), tzinfo=UTC
    )
    if fraction:
        unit = timedelta(seconds=1) if second else timedelta(minutes=1) if minute else timedelta(hours=1)
        moment += unit * float("0." + fraction)
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5] or 0))
        moment -= sign * offset
    return moment


def parse_date(value: str) -> date:
    """Parse an end date given as ``YYYY-MM-DD`` or as a generalized time (its UTC date)."""
    match = _ISO_DATE.match(value.strip())
    if match:
        return date(int(match[1]), int(match[2]), int(match[3]))
    return parse_generalized_time(value).date()


def filetime_to_datetime(value: int) -> datetime | None:
    """Convert an AD FILETIME (100 ns ticks since 1601-01-01 UTC); 0 and 2**63-1 mean never (None)."""
    if value in FILETIME_NEVER:
        return None
    if value < 0:
        raise ValueError(f"negative FILETIME {value}")
    try:
        return _FILETIME_EPOCH + timedelta(microseconds=value // 10)
    except OverflowError as exc:
        raise ValueError(f"FILETIME {value} is out of range") from exc


@lru_cache(maxsize=65536)  # the same DN is split for base, leavers and manager checks; managers repeat
def split_dn(dn: str) -> tuple[tuple[str, str], ...]:
    """Split a DN into ``(attribute, value)`` pairs (first AVA of each RDN), unescaping the values.

    Attribute names are lower-cased; values keep their case. Raises ValueError when an RDN has no ``=``.
    Tolerates spaces around separators (``uid=a, ou=People``), which ldap3's parser rejects.
    """
    if "\\" not in dn and "+" not in dn:  # the common case: no escapes, single-valued RDNs
        pairs = [part.partition("=") for part in dn.split(",")]
        if all(sep and attribute.strip() for attribute, sep, _ in pairs):
            return tuple((attribute.strip().lower(), value.strip()) for attribute, _, value in pairs)
        raise ValueError(f"not a DN: {dn!r}")
    rdns: list[tuple[str, str]] = []
    for part in _split_unescaped(dn, ","):
        ava = _split_unescaped(part, "+")[0]
        attribute, sep, value = ava.partition("=")
        attribute = attribute.strip()
        if not sep or not attribute:
            raise ValueError(f"not a DN: {dn!r}")
        stripped = value.strip()
        if stripped.endswith("\\") and value.rstrip() != value:  # an escaped trailing space
            stripped += " "
        rdns.append((attribute.lower(), _unescape_dn_value(stripped)))
    return tuple(rdns)


@lru_cache(maxsize=65536)
def normalize_dn(dn: str) -> tuple[tuple[str, str], ...]:
    """A comparable form of a DN (attribute names and values case-folded), for "is under" tests."""
    return tuple((attribute, value.casefold()) for attribute, value in split_dn(dn))


def is_under(dn: tuple[tuple[str, str], ...], base: tuple[tuple[str, str], ...]) -> bool:
    """True when normalised ``dn`` equals ``base`` or lies below it."""
    return not base or (len(dn) >= len(base) and dn[len(dn) - len(base):] == base)


def _split_unescaped(text: str, separator: str) -> list[str]:
    if "\\" not in text:  # the common case, 10x faster than the loop below
        return text.split(separator)
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _unescape_dn_value(value: str) -> str:
    if "\\" not in value:
        return value
    out = bytearray()
    index, size = 0, len(value)
    while index < size:
        char = value[index]
        if char == "\\" and index + 1 < size:
            pair = value[index + 1:index + 3]
            if len(pair) == 2 and all(c in hexdigits for c in pair):
                out.append(int(pair, 16))
                index += 3
            else:
                out += value[index + 1].encode()
                index += 2
        else:
            out += char.encode()
            index += 1
    return out.decode("utf-8", errors="replace")


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def classify_kind(values: Iterable[str]) -> PersonKind | None:
    """Map employeeType values to a kind: "Contractor", "external" -> contractor; "service" -> service.

    Returns None when no value is recognised (the caller then keeps the default, employee).
    """
    found: PersonKind | None = None
    for value in values:
        words = set(_WORD.findall(value.lower()))
        if words & _SERVICE_WORDS:
            return PersonKind.SERVICE
        if words & _CONTRACTOR_WORDS or any(word.startswith("contract") for word in words):
            found = PersonKind.CONTRACTOR
        elif "employee" in words or "staff" in words:
            found = found or PersonKind.EMPLOYEE
    return found


class _Entry:
    """One entry with case-insensitive attribute access and value decoding that names DN and attribute."""

    __slots__ = ("dn", "_values")

    def __init__(self, dn: str, attributes: Mapping[str, AttributeValues]):
        self.dn = dn
        values: dict[str, list[str | bytes]] = {}
        for name, items in attributes.items():
            key = name.split(";", 1)[0].lower()
            values.setdefault(key, []).extend(items)
        self._values = values

    def error(self, attribute: str, problem: str) -> DirectoryError:
        return DirectoryError(f"directory entry {self.dn}: attribute {attribute}: {problem}")

    def all(self, attribute: str) -> list[str]:
        out: list[str] = []
        for value in self._values.get(attribute.lower(), ()):
            try:
                text = _text(value).strip()
            except UnicodeDecodeError:
                raise self.error(attribute, "value is not UTF-8 text") from None
            if text:
                out.append(text)
        return out

    def first(self, *attributes: str) -> str | None:
        for attribute in attributes:
            values = self.all(attribute)
            if values:
                return values[0]
        return None

    def integer(self, attribute: str) -> int | None:
        value = self.first(attribute)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise self.error(attribute, f"not an integer: {value!r}") from None

    def time(self, attribute: str) -> datetime | None:
        value = self.first(attribute)
        if value is None:
            return None
        try:
            return parse_generalized_time(value)
        except ValueError as exc:
            raise self.error(attribute, str(exc)) from None


class EntryMapper:
    """Maps entries to people for one directory configuration and one point in time (``now``)."""

    def __init__(self, settings: DirectorySettings, now: datetime):
        if now.tzinfo is None:
            raise ValueError("now must be a timezone-aware datetime")
        self.settings = settings
        self.now = now.astimezone(UTC)
        self._uid_attributes = uid_attributes(settings)
        changed = ("modifyTimestamp", "whenChanged")
        self._changed_attributes = changed[::-1] if settings.flavor == "ad" else changed
        self._leavers = normalize_dn(settings.leavers_ou) if settings.leavers_ou else None

    def map(self, dn: str, attributes: Mapping[str, AttributeValues]) -> Person:
        """Normalise one entry; raises DirectoryError naming the DN and attribute of a malformed value."""
        return self.map_with_expiry(dn, attributes)[0]

    def map_with_expiry(self, dn: str, attributes: Mapping[str, AttributeValues]) -> tuple[Person, datetime | None]:
        """``map`` plus the account's expiry instant (None: never), the one way ``now`` enters the result:
        an entry mapped before its expiry must be mapped again once it has passed."""
        entry = _Entry(dn, attributes)
        uid = entry.first(*self._uid_attributes)
        if uid is None:
            raise entry.error(self._uid_attributes[0], "missing (it holds the person's user id)")
        person = Person(
            uid=uid,
            display_name=entry.first("displayName", "cn") or uid,
            emails=self._emails(entry),
            department=entry.first("department", "departmentNumber", "ou"),
            manager=self._manager(entry),
            kind=classify_kind(entry.all("employeeType")) or PersonKind.EMPLOYEE,
            dn=dn,
        )
        return person, self._apply_status(entry, person)

    def _emails(self, entry: _Entry) -> tuple[str, ...]:
        emails = [value.lower() for value in entry.all("mail")]
        # AD proxyAddresses: the primary (upper-case SMTP:) first, then smtp: aliases; x500:, sip: ... skipped
        smtp = [p for p in entry.all("proxyAddresses") if p[:5].lower() == "smtp:"]
        smtp.sort(key=lambda p: not p.startswith("SMTP:"))
        emails += [p[5:].strip().lower() for p in smtp]
        for attribute in self.settings.alias_attributes:
            emails += [value.lower() for value in entry.all(attribute)]
        return tuple(dict.fromkeys(email for email in emails if email))

    @staticmethod
    def _manager(entry: _Entry) -> str | None:
        value = entry.first("manager")
        if value is None:
            return None
        try:
            rdns = split_dn(value)
        except ValueError as exc:
            raise entry.error("manager", str(exc)) from None
        attribute, rdn_value = rdns[0]
        return rdn_value if attribute in ("uid", "cn", "samaccountname") else None

    def _apply_status(self, entry: _Entry, person: Person) -> datetime | None:
        changed = None
        for attribute in self._changed_attributes:
            changed = entry.time(attribute)
            if changed is not None:
                break

        uac = entry.integer("userAccountControl")
        if uac is not None and uac & UF_ACCOUNTDISABLE:
            person.status, person.status_changed = PersonStatus.DISABLED, changed
        locked = entry.first("pwdAccountLockedTime")
        if locked is not None:
            locked_at = changed if locked == ADMIN_LOCK else entry.time("pwdAccountLockedTime")
            person.status, person.status_changed = PersonStatus.DISABLED, locked_at

        expires = self._expiry(entry)
        if expires is not None:
            person.end_date = (expires - _ONE_TICK).date()
            if expires <= self.now:
                person.status, person.status_changed = PersonStatus.DEPARTED, expires
        if self.settings.end_date_attribute:
            value = entry.first(self.settings.end_date_attribute)
            if value is not None:
                try:
                    person.end_date = parse_date(value)
                except ValueError as exc:
                    raise entry.error(self.settings.end_date_attribute, str(exc)) from None
        if self._leavers is not None and person.status is not PersonStatus.DEPARTED:
            try:
                under = is_under(normalize_dn(entry.dn), self._leavers)
            except ValueError as exc:
                raise entry.error("dn", str(exc)) from None
            if under:
                person.status, person.status_changed = PersonStatus.DEPARTED, changed

        for rule in self.settings.status_rules:
            values = entry.all(rule.attribute)
            wanted = rule.equals.casefold() if rule.equals is not None else None
            if not values or (wanted is not None and all(v.casefold() != wanted for v in values)):
                continue
            if rule.kind:
                person.kind = PersonKind(rule.kind)
            if rule.status and rule.status != person.status:
                person.status = PersonStatus(rule.status)
                person.status_changed = None if person.status is PersonStatus.ACTIVE else changed
        return expires

    @staticmethod
    def _expiry(entry: _Entry) -> datetime | None:
        candidates: list[datetime] = []
        ticks = entry.integer("accountExpires")
        if ticks is not None:
            try:
                moment = filetime_to_datetime(ticks)
            except ValueError as exc:
                raise entry.error("accountExpires", str(exc)) from None
            if moment is not None:
                candidates.append(moment)
        days = entry.integer("shadowExpire")
        if days is not None and days > 0:  # -1 (and the ambiguous 0) mean "never"
            try:
                candidates.append(_UNIX_EPOCH + timedelta(days=days))
            except OverflowError:
                raise entry.error("shadowExpire", f"{days} days is out of range") from None
        return min(candidates) if candidates else None


def map_entry(
    dn: str, attributes: Mapping[str, AttributeValues], settings: DirectorySettings, now: datetime
) -> Person:
    """Normalise one entry (convenience for a single call; use EntryMapper for many)."""
    return EntryMapper(settings, now).map(dn, attributes)
