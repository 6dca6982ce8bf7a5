"""Approved risk exceptions (risk acceptances): load them from YAML and match them against verdicts.

The file is a list of items::

    - rule: missing-2fa
      account: jane@shop.example      # and/or fingerprint, platform, asset, person
      reason: hardware key rollout pending
      approved_by: ciso@shop.example
      expires: 2025-12-31

An exception mutes the failing findings of its rule that match every subject field it gives, until its
expiry date (inclusive). Every error names the file and the item index.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import PolicyError
from auditor.model import Verdict

MATCH_FIELDS = ("platform", "account", "asset", "person")
REQUIRED_FIELDS = ("rule", "reason", "approved_by", "expires")
ALLOWED_FIELDS = frozenset((*REQUIRED_FIELDS, "fingerprint", *MATCH_FIELDS))


@dataclass(frozen=True, slots=True)
class RiskException:
    """One approved risk acceptance.

    ``id`` is stable across edits of reason and expiry (``yaml:<digest>`` of rule and subject fields, or
    ``db:<row id>`` for exceptions added in the web UI).
    """

    id: str
    rule: str
    reason: str
    approved_by: str
    expires_on: date
    fingerprint: str | None = None
    platform: str | None = None
    account: str | None = None
    asset: str | None = None
    person: str | None = None
    source: str | None = None

    def active_on(self, day: date) -> bool:
        """True while the exception mutes: its expiry date is ``day`` or later."""
        return self.expires_on >= day

    def matches(self, verdict: Verdict, fingerprint: str) -> bool:
        """Same rule, and every subject field the exception gives equals the verdict's.

        ``account`` matches the account id or (case-insensitively) the account email.
        """
        if verdict.rule != self.rule:
            return False
        if self.fingerprint is not None and self.fingerprint != fingerprint:
            return False
        if self.platform is not None and self.platform != verdict.platform:
            return False
        if self.asset is not None and self.asset != verdict.asset:
            return False
        if self.person is not None and self.person != verdict.person:
            return False
        if self.account is not None:
            email = (verdict.account_email or "").lower()
            if self.account != verdict.account and self.account.lower() != email:
                return False
        return True

    def describe(self) -> str:
        """A short human description of what the exception covers."""
        names = ("fingerprint", *MATCH_FIELDS)
        parts = [f"{name}={getattr(self, name)}" for name in names if getattr(self, name)]
        return f"{self.rule} ({', '.join(parts)})"


def exception_id(rule: str, fields: dict[str, str | None]) -> str:
    """The stable id of a file exception: a digest of its rule and subject fields."""
    key = json.dumps([rule, *(fields.get(name) for name in ("fingerprint", *MATCH_FIELDS))])
    return "yaml:" + hashlib.sha256(key.encode()).hexdigest()[:16]


def load_exceptions(path: Path | None) -> list[RiskException]:
    """Read the exceptions file; ``None`` (not configured) gives an empty list.

    Raises PolicyError naming the file (and the item index) when the file is missing or malformed.
    """
    if path is None:
        return []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: risk exceptions file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read risk exceptions file: {exc}") from exc
    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506  # nosec B506: a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise PolicyError(f"{path}: expected a list of exceptions, got {type(data).__name__}")
    exceptions = [_parse_item(path, index, item) for index, item in enumerate(data)]
    seen: dict[str, int] = {}
    for index, exc in enumerate(exceptions):
        if exc.id in seen:
            raise PolicyError(f"{path}: item {index}: same rule and subject as item {seen[exc.id]}")
        seen[exc.id] = index
    return exceptions


def _loader() -> type[yaml.SafeLoader]:
    """A SafeLoader that leaves dates as strings, so a bad date is reported with its item index."""

    class DatesAsText(yaml.SafeLoader):
        pass

    DatesAsText.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return DatesAsText


def _parse_item(path: Path, index: int, item: Any) -> RiskException:
    where = f"{path}: item {index}"
    if not isinstance(item, dict):
        raise PolicyError(f"{where}: expected a mapping, got {type(item).__name__}")
    unknown = sorted(str(key) for key in item if key not in ALLOWED_FIELDS)
    if unknown:
        allowed = ", ".join(sorted(ALLOWED_FIELDS))
        raise PolicyError(f"{where}: unknown field {unknown[0]!r} (allowed: {allowed})")
    for name in REQUIRED_FIELDS:
        if item.get(name) in (None, ""):
            raise PolicyError(f"{where}: {name} is required")
    strings = {name: _string(where, name, item.get(name)) for name in ("rule", "reason", "approved_by")}
    subject = {
        name: _string(where, name, item.get(name), optional=True) for name in ("fingerprint", *MATCH_FIELDS)
    }
    if not any(subject.values()):
        raise PolicyError(f"{where}: give at least one of fingerprint, {', '.join(MATCH_FIELDS)}")
    return RiskException(
        id=exception_id(strings["rule"], subject),
        rule=strings["rule"],
        reason=strings["reason"],
        approved_by=strings["approved_by"],
        expires_on=_expiry(where, item["expires"]),
        source=str(path),
        **subject,
    )


def _string(where: str, name: str, value: Any, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise PolicyError(f"{where}: {name} must be a string")
    text = str(value).strip()
    if not text:
        if optional:
            return None
        raise PolicyError(f"{where}: {name} is required")
    return text


def _expiry(where: str, value: Any) -> date:
    if isinstance(value, datetime):
        raise PolicyError(f"{where}: expires must be a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PolicyError(f"{where}: expires must be a date in the form YYYY-MM-DD, got {value!r}")
