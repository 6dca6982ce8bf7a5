"""Identity matching: link platform accounts to directory people.

Order of precedence for one account: a manual link (by account id, then by email) beats the directory's
primary mail, which beats an alias. Manual links come from the configuration (``matching.links``, the links
file) and from the web UI (stored in the database); a UI link never overrides a configured one for the same
key (it is skipped with a warning), so the YAML links are honoured as before. Service accounts likewise come
from the configuration and from the UI's markings (agency and service accounts with an owner). An email that
names several people is *ambiguous*: no link is made and the method ``"ambiguous"`` is recorded with the
candidates. Registered service accounts are marked, and
every account's first email is classified as personal (free-mail domain) and/or company.

Everything is indexed once (dicts keyed by lower-case email), so linking is O(accounts + people).
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from auditor.config import ManualLink, MatchingSettings, ServiceAccount
from auditor.errors import ConfigError
from auditor.model import AccountKind, Person, TenantSnapshot

log = logging.getLogger("auditor.matching")

LinkKey = tuple[str, str]
"""(snapshot.platform, account_id)"""


@dataclass(slots=True)
class Link:
    """How one platform account relates to the directory."""

    uid: str | None
    method: str | None  # "email" | "alias" | "manual" | "ambiguous" | None
    email: str | None  # the account's first email, lower-case
    email_domain: str | None
    personal_email: bool
    company_email: bool
    service_account: ServiceAccount | None
    candidates: tuple[str, ...] = ()  # the uids an ambiguous email names


def normalise_email(value: str | None) -> str | None:
    """Lower-case and strip an email; None for empty values."""
    if value is None:
        return None
    value = value.strip().lower()
    return value or None


def email_domain(email: str | None) -> str | None:
    """The domain part of an email (after the last ``@``), or None."""
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1] or None


def _domain_in(domain: str | None, domains: set[str]) -> bool:
    """True when ``domain`` or one of its parent domains is in ``domains``."""
    while domain:
        if domain in domains:
            return True
        _, _, domain = domain.partition(".")
    return False


# -- manual links -------------------------------------------------------------------------------------------


def load_links_file(path: Path) -> list[ManualLink]:
    """Read manual links from a YAML list or a CSV file (columns platform, account_id, email, uid).

    Raises ConfigError naming the file and line of the first bad entry.
    """
    return [link for _, link in _read_links(path)]


def _read_links(path: Path) -> list[tuple[str, ManualLink]]:
    """(``file: line N``, link) for every entry of a links file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: links file not found") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read links file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: links file is not UTF-8 text") from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path, text)
    elif suffix in (".yaml", ".yml"):
        rows = _yaml_rows(path, text)
    else:
        raise ConfigError(f"{path}: links file must be .csv, .yaml or .yml")
    return [(f"{path}: line {line}", _manual_link(row, f"{path}: line {line}")) for line, row in rows]


def _csv_rows(path: Path, text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    allowed = set(ManualLink.model_fields)
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in allowed]
    if not header or unknown:
        what = f"unknown column {unknown[0]!r}" if unknown else "empty file"
        raise ConfigError(f"{path}: line 1: {what} (expected columns: platform, account_id, email, uid)")
    rows = []
    for row in reader:
        values = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if None in row:
            raise ConfigError(f"{path}: line {reader.line_num}: more values than columns")
        if not any(values.values()):
            continue
        rows.append((reader.line_num, {k: v for k, v in values.items() if v}))
    return rows


def _yaml_rows(path: Path, text: str) -> list[tuple[int, Any]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise ConfigError(f"{path}: {line}invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    finally:
        loader.dispose()
    if data is None:
        return []
    if isinstance(data, Mapping) and set(data) == {"links"}:
        node = next(v for k, v in node.value if k.value == "links")
        data = data["links"]
    if not isinstance(data, list):
        raise ConfigError(f"{path}: line {node.start_mark.line + 1}: expected a list of links")
    return [(item.start_mark.line + 1, value) for item, value in zip(node.value, data, strict=True)]


def _manual_link(value: Any, where: str) -> ManualLink:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping with platform, account_id or email, uid")
    try:
        link = ManualLink.model_validate(dict(value))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "link"
        raise ConfigError(f"{where}: {field}: {first['msg']}") from exc
    if not link.account_id and not link.email:
        raise ConfigError(f"{where}: a link needs account_id or email")
    if not link.uid.strip():
        raise ConfigError(f"{where}: uid: must not be empty")
    return link


class _ManualIndex:
    """Manual links keyed by (platform, account_id) and (platform, email)."""

    def __init__(self, links: Iterable[tuple[str, ManualLink]]):
        self.by_id: dict[tuple[str, str], str] = {}
        self.by_email: dict[tuple[str, str], str] = {}
        for where, link in links:
            self.add(where, link)

    def add(self, where: str, link: ManualLink, *, configured: frozenset[tuple[str, str]] = frozenset()) -> None:
        """Index one link; a key in ``configured`` (set by the configuration) keeps its configured uid."""
        for index, key in (
            (self.by_id, (link.platform, link.account_id) if link.account_id else None),
            (self.by_email, (link.platform, email) if (email := normalise_email(link.email)) else None),
        ):
            if key is None:
                continue
            if key in configured:
                if index.get(key) != link.uid:
                    log.warning("%s: %r on %r is linked to %r in the configuration; the UI link to %r is ignored",
                                where, key[1], key[0], index.get(key), link.uid)
                continue
            self._put(index, key, link.uid, where)

    @staticmethod
    def _put(index: dict[tuple[str, str], str], key: tuple[str, str], uid: str, where: str) -> None:
        previous = index.setdefault(key, uid)
        if previous != uid:
            raise ConfigError(f"{where}: {key[1]!r} on {key[0]!r} is linked to both {previous!r} and {uid!r}")

    def keys(self) -> frozenset[tuple[str, str]]:
        """Every indexed key (by id and by e-mail)."""
        return frozenset(self.by_id) | frozenset(self.by_email)

    def find(self, platforms: tuple[str, ...], account_id: str, emails: Iterable[str]) -> str | None:
        for platform in platforms:
            uid = self.by_id.get((platform, account_id))
            if uid:
                return uid
        for email in emails:
            for platform in platforms:
                uid = self.by_email.get((platform, email))
                if uid:
                    return uid
        return None


# -- the directory index ------------------------------------------------------------------------------------


class _PeopleIndex:
    """Every directory email once: primary mail and aliases kept apart (primary wins)."""

    def __init__(self, people: Iterable[Person]):
        self.primary: dict[str, list[str]] = {}
        self.alias: dict[str, list[str]] = {}
        self.domains: set[str] = set()
        for person in people:
            for position, raw in enumerate(person.emails):
                email = normalise_email(raw)
                if not email:
                    continue
                index = self.primary if position == 0 else self.alias
                uids = index.setdefault(email, [])
                if person.uid not in uids:
                    uids.append(person.uid)
                domain = email_domain(email)
                if domain:
                    self.domains.add(domain)

    def find(self, emails: Iterable[str]) -> tuple[str | None, str | None, tuple[str, ...]]:
        """(uid, method, candidates) for the account's emails; primary mail beats alias."""
        emails = list(emails)
        for index, method in ((self.primary, "email"), (self.alias, "alias")):
            found: list[str] = []
            for email in emails:
                for uid in index.get(email, ()):
                    if uid not in found:
                        found.append(uid)
            if len(found) == 1:
                return found[0], method, ()
            if found:
                return None, "ambiguous", tuple(sorted(found))
        return None, None, ()


class _ServiceIndex:
    """Registered service accounts keyed by (platform, account_id) and (platform, email)."""

    def __init__(self, entries: Iterable[ServiceAccount]):
        self.by_id: dict[tuple[str, str], ServiceAccount] = {}
        self.by_email: dict[tuple[str, str], ServiceAccount] = {}
        for entry in entries:
            if entry.account_id:
                self.by_id.setdefault((entry.platform, entry.account_id), entry)
            email = normalise_email(entry.email)
            if email:
                self.by_email.setdefault((entry.platform, email), entry)

    def find(self, platforms: tuple[str, ...], account_id: str,
             emails: Iterable[str]) -> ServiceAccount | None:
        for platform in platforms:
            entry = self.by_id.get((platform, account_id))
            if entry:
                return entry
        for email in emails:
            for platform in platforms:
                entry = self.by_email.get((platform, email))
                if entry:
                    return entry
        return None


# -- linking ------------------------------------------------------------------------------------------------


def link_accounts(
    snapshots: list[TenantSnapshot],
    people: list[Person],
    settings: MatchingSettings,
    manual_links: Iterable[ManualLink] = (),
    *,
    base_dir: Path | None = None,
    service_accounts: Iterable[ServiceAccount] = (),
) -> dict[LinkKey, Link]:
    """Link every account of every snapshot; keyed by (snapshot.platform, account_id).

    ``manual_links`` and ``service_accounts`` are the ones made in the web UI: they apply beside the
    configuration's, which win for the same key. ``platform`` in manual links and service accounts may name
    the configured platform or the connector kind. ``settings.links_file`` is resolved against ``base_dir``
    (default: the working directory). Raises ConfigError for a bad links file or conflicting configured links.
    """
    sources = [
        (f"matching.links[{i}]", _manual_link(link.model_dump(), f"matching.links[{i}]"))
        for i, link in enumerate(settings.links)
    ]
    if settings.links_file:
        path = Path(settings.links_file).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        sources += _read_links(path)
    manual = _ManualIndex(sources)
    configured = manual.keys()
    for link in manual_links:
        manual.add("manual link", _manual_link(link.model_dump(), "manual link"), configured=configured)
    directory = _PeopleIndex(people)
    services = _ServiceIndex(settings.service_accounts)
    ui_services = _ServiceIndex(service_accounts)
    personal = {d.strip().lower() for d in settings.personal_domains}
    company = {d.strip().lower() for d in settings.company_domains} or {
        d for d in directory.domains if not _domain_in(d, personal)
    }

    links: dict[LinkKey, Link] = {}
    for snapshot in snapshots:
        platforms = tuple(dict.fromkeys((snapshot.platform, snapshot.kind)))
        for account in snapshot.accounts:
            emails = [e for e in (normalise_email(x) for x in account.emails) if e]
            first = emails[0] if emails else None
            uid = manual.find(platforms, account.account_id, emails)
            method: str | None = "manual" if uid else None
            candidates: tuple[str, ...] = ()
            if uid is None and account.kind != AccountKind.APP:
                uid, method, candidates = directory.find(emails)
            domains = [email_domain(e) for e in emails]
            links[(snapshot.platform, account.account_id)] = Link(
                uid=uid,
                method=method,
                email=first,
                email_domain=email_domain(first),
                personal_email=any(_domain_in(d, personal) for d in domains),
                company_email=any(_domain_in(d, company) for d in domains),
                service_account=services.find(platforms, account.account_id, emails)
                or ui_services.find(platforms, account.account_id, emails),
                candidates=candidates,
            )
    return links
