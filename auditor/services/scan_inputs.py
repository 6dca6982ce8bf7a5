"""What a platform's findings depend on, as one digest: a platform whose digest has not moved since its last
complete reading is carried over by the next scan instead of being read and judged again.

A platform's verdicts are a function of: its source (the connector's ``source_fingerprint``, such as an export
file's SHA-256), its settings, the people as synced from the directory, the matching settings and the links
and service accounts recorded in the web UI, the rules (every file of the rules folder and the parameters),
the risk exceptions (file and web UI), the day in the configured time zone (ages are whole calendar days,
``policy.subjects.calendar_days``) and in UTC (exceptions expire by UTC day), and the code's version. When
all of them equal those of the platform's last complete reading, judging again would give the same verdicts,
so the scan records the platform as unchanged since that scan and leaves its inventory and findings as they
are. Connectors without a fingerprint are always read (only reading them can tell).

Digests are BLAKE2b-128 hex of a canonical text of each input; sets are sorted first, so the digest does not
depend on the process's hash seed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import fields
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from auditor import __version__
from auditor.config import ManualLink, PlatformSettings, ServiceAccount, Settings
from auditor.findings.exceptions import RiskException

EVALUATION_VERSION = "1"
"""Raised when the meaning of the evaluation changes without the rules or the version changing."""


def _digest(parts: Iterable[str]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _canonical(value: Any) -> Any:
    """``value`` with sets as sorted tuples and models as their JSON-mode dumps (stable across processes)."""
    if isinstance(value, BaseModel):
        return _canonical(value.model_dump(mode="json"))
    if isinstance(value, set | frozenset):
        return tuple(sorted(repr(_canonical(v)) for v in value))
    if isinstance(value, dict):
        return tuple(sorted((repr(k), repr(_canonical(v))) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    return value


def folder_digest(folder: Path | None) -> str:
    """The digest of every file under ``folder`` (names and bytes); '-' when there is no such folder."""
    if folder is None or not folder.is_dir():
        return "-"
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        parts.append(f"{path.relative_to(folder)}:{hashlib.sha256(path.read_bytes()).hexdigest()}")
    return _digest(parts)


def file_digest(path: Path | None) -> str:
    """The digest of one file's bytes; '-' when it is not set or does not exist."""
    if path is None or not path.is_file():
        return "-"
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shared_digest(settings: Settings, *, now: datetime, zone: tzinfo, people: str,
                  exceptions: Iterable[RiskException], links: Iterable[ManualLink],
                  service_accounts: Iterable[ServiceAccount]) -> str:
    """The digest of the inputs every platform's verdicts share (see the module doc)."""
    matching = settings.matching
    links_file = settings.resolve_path(matching.links_file) if matching.links_file else None
    return _digest([
        f"auditor {__version__} evaluation {EVALUATION_VERSION}",
        f"day {now.astimezone(zone).date().isoformat()} utc {now.astimezone(UTC).date().isoformat()}",
        f"zone {settings.timezone}",
        f"people {people}",
        f"rules {folder_digest(settings.policies_dir)}",
        f"parameters {file_digest(settings.resolve_path(settings.policies.parameters_file))}",
        f"matching {repr(_canonical(matching))} links-file {file_digest(links_file)}",
        f"exceptions {repr(sorted(repr(_canonical([getattr(e, f.name) for f in fields(e)])) for e in exceptions))}",
        f"links {repr(sorted(repr(_canonical(link)) for link in links))}",
        f"service accounts {repr(sorted(repr(_canonical(s)) for s in service_accounts))}",
    ])


def platform_key(shared: str, platform: PlatformSettings, fingerprint: str) -> str:
    """The input key of one platform: the shared digest, its settings and its source fingerprint."""
    return _digest([shared, repr(_canonical(platform)), fingerprint])
