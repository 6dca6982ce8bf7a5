"""The security audit's view-model: posture, trend, findings by severity / category / platform, the critical
and high findings with evidence, exceptions in force, what could not be verified, the control appendix and
the full finding list. Finding texts are the readable ones (``auditor.findings.texts``) in the report's
language; coverage notes (what a platform does not expose) are a section of their own, never counted as open;
the executive page names the people behind the worst open findings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlmodel import Session

from auditor.findings.lifecycle import EXPIRED_EXCEPTION_RULE
from auditor.findings.texts import Texts
from auditor.model import CATEGORIES, Severity
from auditor.reporting import data
from auditor.reporting.base import ReportInputs
from auditor.reporting.controls import control_appendix
from auditor.storage.repository import stored_exceptions

SEVERITIES = tuple(s.value for s in reversed(Severity))
"""critical first."""
TOP_PEOPLE = 8


def posture(by_severity: dict[str, int], unverified: int) -> str:
    """One word for the executive summary: critical, high, attention, clean (or unverified when nothing ran)."""
    if by_severity.get("critical"):
        return "critical"
    if by_severity.get("high"):
        return "high"
    if any(by_severity.values()):
        return "attention"
    return "unverified" if unverified else "clean"


def _counts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_severity: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    by_platform: dict[str, Counter[str]] = defaultdict(Counter)
    by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        by_severity[row["severity"]] += row["n"]
        by_category[row["category"]] += row["n"]
        by_platform[row["platform"] or "—"][row["severity"]] += row["n"]
        by_rule[row["rule"]][row["severity"]] += row["n"]
    return {
        "by_severity": {sev: by_severity.get(sev, 0) for sev in SEVERITIES},
        "by_category": {cat: by_category[cat] for cat in CATEGORIES if by_category.get(cat)},
        "by_platform": {name: dict(counts) for name, counts in sorted(by_platform.items())},
        "by_rule": by_rule,
    }


def _key_findings(rows: list[dict[str, Any]], inputs: ReportInputs) -> list[dict[str, Any]]:
    """Critical and high findings grouped by rule (rationale and remediation once per rule)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        group = groups.get(row["rule"])
        if group is None:
            info = inputs.rule(row["rule"])
            group = groups[row["rule"]] = {
                "rule": row["rule"], "title": row.get("rule_name") or info.title, "severity": row["severity"],
                "category": row["category"], "rationale": info.rationale, "remediation": info.remediation,
                "compliance": list(info.compliance), "findings": [],
            }
        group["findings"].append(row)
    return sorted(groups.values(), key=lambda g: (-Severity(g["severity"]).rank, g["category"], g["rule"]))


def top_people(rows: list[dict[str, Any]], limit: int = TOP_PEOPLE) -> list[dict[str, Any]]:
    """The people behind the most severe open findings (for the executive page): per person the counts by
    severity and the titles of their worst findings, worst person first."""
    people: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not row.get("person"):
            continue
        entry = people.setdefault(row["person"], {"person": row["person"], "name": row.get("person_name")
                                                   or row["person"], "counts": Counter(), "titles": [],
                                                   "platforms": set()})
        entry["counts"][row["severity"]] += 1
        entry["platforms"].add(row.get("platform") or "—")
        if row["title"] not in entry["titles"]:
            entry["titles"].append(row["title"])
    ranked = sorted(people.values(), key=lambda e: (
        tuple(-e["counts"].get(s, 0) for s in SEVERITIES), e["name"]))
    return [{"person": e["person"], "name": e["name"], "counts": {s: e["counts"].get(s, 0) for s in SEVERITIES},
             "worst": next(s for s in SEVERITIES if e["counts"].get(s)), "titles": e["titles"][:3],
             "platforms": sorted(e["platforms"])} for e in ranked[:limit]]


def _coverage(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Coverage notes per platform: what each platform does not expose (no findings, never passing)."""
    platforms: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        platforms[row.get("platform") or "—"].append({"ref": row["ref"], "title": row["rule_name"],
                                                     "text": row["message"]})
    return [{"platform": name, "notes": notes} for name, notes in sorted(platforms.items())]


def _exceptions(session: Session, inputs: ReportInputs) -> list[dict[str, Any]]:
    """Risk exceptions in force on the report date, soonest expiry first, with how many findings each mutes."""
    today = inputs.now.date()
    muted = data.muted_counts(session, inputs.scope)
    items = []
    for exc in [*inputs.exceptions, *stored_exceptions(session)]:
        if not exc.active_on(today):
            continue
        if inputs.scope.platform is not None and exc.platform not in (None, inputs.scope.platform):
            continue
        if inputs.scope.person is not None and exc.person not in (None, inputs.scope.person):
            continue
        days_left = (exc.expires_on - today).days
        items.append({
            "id": exc.id, "rule": exc.rule, "title": inputs.rule(exc.rule).title, "subject": exc.describe(),
            "reason": exc.reason, "approved_by": exc.approved_by, "expires_on": exc.expires_on.isoformat(),
            "days_left": days_left, "expiring_soon": days_left <= inputs.expiry_warning_days,
            "muted": muted.get(exc.id, 0), "source": "database" if exc.id.startswith("db:") else "file",
        })
    return sorted(items, key=lambda item: (item["expires_on"], item["rule"], item["id"]))


def _trend(session: Session, inputs: ReportInputs, scan: dict[str, Any] | None,
           previous: dict[str, Any] | None, current: dict[str, int]) -> dict[str, Any]:
    if scan is None or previous is None:
        return {"previous_scan": None, "previous": None, "current": current, "opened": None, "resolved": None}
    before = data.open_at_scan(session, previous["id"], inputs.scope)
    changes = data.changes_between(session, previous["id"], scan["id"], inputs.scope)
    return {
        "previous_scan": previous, "previous": {sev: before.get(sev, 0) for sev in SEVERITIES},
        "current": current, "opened": changes["opened"], "resolved": changes["resolved"],
    }


def _controls(session: Session, inputs: ReportInputs, by_rule: dict[str, Counter[str]]) -> list[dict[str, Any]]:
    open_by_rule: dict[str, Counter[str]] = defaultdict(Counter)
    for rule, counts in by_rule.items():
        if rule != EXPIRED_EXCEPTION_RULE:
            open_by_rule[rule].update(counts)
    for (rule, severity), count in data.expired_exception_rules(session, inputs.scope).items():
        open_by_rule[rule][severity] += count
    rule_controls = {rule: info.compliance for rule, info in inputs.rules.items()}
    return control_appendix(list(inputs.catalogues), rule_controls, open_by_rule, inputs.language)


def build_audit(session: Session, inputs: ReportInputs) -> dict[str, Any]:
    """The audit view-model (JSON-ready) for ``inputs.scope`` as of the latest evaluated scan."""
    scope = inputs.scope
    scan = data.evaluated_scan(session, scope.platform)
    previous = data.evaluated_scan(session, scope.platform, before=scan["id"]) if scan else None
    platforms = data.platform_states(session, scope.platform)
    counts = _counts(data.finding_counts(session, scope))
    accepted = sum(row["n"] for row in data.finding_counts(session, scope, "accepted"))
    total = sum(counts["by_severity"].values())
    high_rank = Severity.HIGH.rank
    unverified_platforms = [p for p in platforms if p["status"] != "complete"]
    shown = Texts(language=inputs.language, timezone=inputs.timezone)
    listed = data.finding_rows(session, scope, limit=inputs.max_listed_findings, shown=shown)
    detailed = data.finding_rows(session, scope, min_rank=high_rank, limit=inputs.max_detailed_findings,
                                 shown=shown)
    scan_ids = sorted({p["scan_id"] for p in platforms} | ({scan["id"]} if scan else set()))
    return {
        "organisation": inputs.organisation,
        "period": {"from": previous["finished_at"] if previous else data.first_scan_time(session),
                   "to": scan["finished_at"] if scan else None},
        "scan": scan,
        "scan_ids": scan_ids,
        "platforms": platforms,
        "totals": {
            "open": total, "accepted": accepted, **data.inventory_totals(session, scope.platform),
            "platforms": len(platforms), "platforms_unverified": len(unverified_platforms),
        },
        "posture": posture(counts["by_severity"], len(unverified_platforms) + (0 if platforms else 1)),
        "by_severity": counts["by_severity"],
        "by_category": counts["by_category"],
        "by_platform": counts["by_platform"],
        "trend": _trend(session, inputs, scan, previous, counts["by_severity"]),
        "key_findings": _key_findings(detailed, inputs),
        "key_findings_total": sum(counts["by_severity"][s] for s in ("critical", "high")),
        "exceptions": _exceptions(session, inputs),
        "unverified": {
            "platforms": unverified_platforms,
            "checks": data.finding_rows(session, scope, unverified_only=True, shown=shown),
        },
        "coverage": _coverage(data.finding_rows(session, scope, coverage=True, shown=shown)),
        "top_people": top_people(listed),
        "controls": _controls(session, inputs, counts["by_rule"]),
        "findings": listed,
        "findings_total": total,
        "generated_on": date.isoformat(inputs.now.date()),
    }
