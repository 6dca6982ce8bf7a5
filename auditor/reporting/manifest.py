"""The content manifest of a report: canonical JSON of what the PDF says, and its SHA-256.

The manifest holds the report header (id, kind, time, author, scope, scan ids, language) and the view-model
the layout renders. Its SHA-256 is printed in every page footer and kept in the register with the hash of
the PDF file, so a printed page can be matched to a register entry and a file can be verified byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime
from typing import Any

MANIFEST_FORMAT = "auditor-report-manifest/1"
KIND_PREFIXES = {"audit": "AUD", "access-review": "ACR", "offboarding": "OFF"}
REPORT_ID_PATTERN = r"(?:AUD|ACR|OFF)-\d{8}-[0-9A-F]{8}"


def new_report_id(kind: str, now: datetime) -> str:
    """A fresh, unguessable report id such as ``AUD-20261125-1A2B3C4D``."""
    return f"{KIND_PREFIXES[kind]}-{now:%Y%m%d}-{secrets.token_hex(4).upper()}"


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same data always gives the same bytes."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=_plain).encode("utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"manifest: {type(value).__name__} is not JSON data")


def build_manifest(header: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
    """The manifest of one report."""
    return {"format": MANIFEST_FORMAT, "report": header, "content": content}


def manifest_sha256(manifest: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``manifest``."""
    return hashlib.sha256(canonical_json(manifest)).hexdigest()


def file_sha256(data: bytes) -> str:
    """SHA-256 (hex) of a file's bytes."""
    return hashlib.sha256(data).hexdigest()
