"""Findings in the formats other tools import: OCSF Detection Findings (JSON and JSON Lines, for SIEMs) and
DefectDojo's "Generic Findings Import" JSON.

Input rows are finding dicts with the keys of ``auditor.findings.fields.FINDING_FIELDS`` (what
``auditor findings --format json`` prints). The fingerprint is the stable id in both formats: OCSF
``finding_info.uid`` and DefectDojo ``unique_id_from_tool``, so a re-import updates instead of duplicating.

OCSF: class Detection Finding (``class_uid`` 2004, category Findings 2), schema version 1.7.0. The finding's
status maps to ``status_id`` (open: New, accepted: Suppressed, resolved: Resolved) and to the activity (open:
Create, accepted: Update, resolved: Close); severities map one to one onto ``severity_id``. Times are epoch
milliseconds. Tests validate the output against the schema subset in
``tests/findings/ocsf_1.7.0_detection_finding.schema.json`` and DefectDojo's parser rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TextIO

from auditor import __version__

OCSF_VERSION = "1.7.0"
CATEGORY_UID = 2  # Findings
CLASS_UID = 2004  # Detection Finding
SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_NAMES = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
STATUS = {"open": (1, "New"), "accepted": (3, "Suppressed"), "resolved": (4, "Resolved")}
ACTIVITY = {"open": (1, "Create"), "accepted": (2, "Update"), "resolved": (3, "Close")}
DEFECTDOJO_SEVERITY = {"info": "Info", "low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"}
PRODUCT = {"name": "auditor", "vendor_name": "auditor project", "version": __version__}
FORMATS = ("ocsf", "jsonl", "defectdojo")
"""The export formats of ``auditor findings --format`` and of the scheduled push."""


def as_datetime(value: Any) -> datetime | None:
    """A finding's time (datetime, date or ISO text) as an aware UTC datetime; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _millis(value: Any) -> int | None:
    moment = as_datetime(value)
    return None if moment is None else int(moment.timestamp() * 1000)


def title_of(row: Mapping[str, Any]) -> str:
    """A one-line title: the rule and what it judged."""
    where = row.get("account_email") or row.get("account") or row.get("asset") or row.get("subject") or ""
    platform = f" on {row['platform']}" if row.get("platform") else ""
    return f"{row.get('rule')}: {where}{platform}".strip()


def to_ocsf(row: Mapping[str, Any]) -> dict[str, Any]:
    """One finding as an OCSF 1.7.0 Detection Finding event."""
    status = str(row.get("status") or "open")
    severity_id = SEVERITY_IDS.get(str(row.get("severity")), 0)
    activity_id, activity_name = ACTIVITY.get(status, (99, status))
    status_id, status_name = STATUS.get(status, (99, status))
    seen = _millis(row.get("last_seen")) or _millis(row.get("first_seen")) or 0
    info: dict[str, Any] = {
        "uid": str(row["fingerprint"]),
        "title": title_of(row),
        "desc": str(row.get("message") or ""),
        "types": [str(row.get("category") or "")],
        "analytic": {"uid": str(row.get("rule") or ""), "name": str(row.get("rule") or ""), "type_id": 1,
                     "type": "Rule"},
        "product": dict(PRODUCT),
    }
    for key, field in (("first_seen_time", "first_seen"), ("last_seen_time", "last_seen")):
        if (millis := _millis(row.get(field))) is not None:
            info[key] = millis
    resources = [{"uid": str(row[key]), "type": kind, "name": str(row[key])}
                 for key, kind in (("asset", "asset"), ("account", "account"), ("tenant", "tenant"))
                 if row.get(key)]
    event: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": CLASS_UID * 100 + activity_id,
        "severity_id": severity_id,
        "severity": SEVERITY_NAMES.get(severity_id, "Unknown"),
        "status_id": status_id,
        "status": status_name,
        "time": seen,
        "message": str(row.get("message") or ""),
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT), "log_name": "findings",
                     "tenant_uid": str(row.get("tenant") or "")},
        "finding_info": info,
        "resources": resources,
        "unmapped": {key: row.get(key) for key in ("platform", "person", "role", "account_email", "subject", "id")
                     if row.get(key) is not None},
    }
    if not event["metadata"]["tenant_uid"]:
        del event["metadata"]["tenant_uid"]
    return event


def to_defectdojo_finding(row: Mapping[str, Any]) -> dict[str, Any]:
    """One finding as an item of DefectDojo's Generic Findings Import JSON."""
    status = str(row.get("status") or "open")
    first = as_datetime(row.get("first_seen"))
    evidence = row.get("evidence") or {}
    lines = [str(row.get("message") or "")]
    lines += [f"- {key}: {row[key]}" for key in ("platform", "tenant", "account_email", "person", "asset", "role")
              if row.get(key)]
    if evidence:
        lines += ["", "Evidence:", json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str)]
    item: dict[str, Any] = {
        "title": title_of(row),
        "description": "\n".join(lines),
        "severity": DEFECTDOJO_SEVERITY.get(str(row.get("severity")), "Info"),
        "unique_id_from_tool": str(row["fingerprint"]),
        "vuln_id_from_tool": str(row.get("rule") or ""),
        "active": status == "open",
        "is_mitigated": status == "resolved",
        "risk_accepted": status == "accepted",
        "tags": sorted({str(t) for t in (row.get("category"), row.get("platform")) if t}),
    }
    if first is not None:
        item["date"] = first.date().isoformat()
    if row.get("platform"):
        item["service"] = str(row["platform"])
    return item


def to_defectdojo(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The whole Generic Findings Import document."""
    return {"name": "auditor", "type": "auditor", "version": __version__,
            "findings": [to_defectdojo_finding(row) for row in rows]}


def write_export(rows: Iterable[Mapping[str, Any]], fmt: str, out: TextIO) -> None:
    """Write ``rows`` in ``fmt`` (one of ``FORMATS``): an OCSF JSON array, OCSF JSON Lines or DefectDojo JSON."""
    if fmt == "ocsf":
        json.dump([to_ocsf(row) for row in rows], out, ensure_ascii=False, indent=2)
        out.write("\n")
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(to_ocsf(row), ensure_ascii=False, separators=(",", ":")) + "\n")
    elif fmt == "defectdojo":
        json.dump(to_defectdojo(rows), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        raise ValueError(f"format: unknown value {fmt!r} (one of {', '.join(FORMATS)})")
