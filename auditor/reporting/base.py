"""What every report builder receives: scope, time, language, rule metadata, exceptions and catalogues."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from auditor.findings.exceptions import RiskException
from auditor.reporting.controls import Catalogue
from auditor.reporting.data import Scope

KINDS = ("audit", "access-review", "offboarding")
"""The report kinds, as the CLI, web UI and scheduler name them."""


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a report shows about a rule: title, rationale, remediation and control references."""

    title: str
    rationale: str = ""
    remediation: str = ""
    compliance: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportInputs:
    """Everything a view-model builder needs besides the database session."""

    scope: Scope
    now: datetime
    language: str
    rules: Mapping[str, RuleInfo] = field(default_factory=dict)
    exceptions: tuple[RiskException, ...] = ()
    catalogues: tuple[Catalogue, ...] = ()
    organisation: str | None = None
    timezone: str | None = None
    by_manager: bool = False
    max_listed_findings: int = 2000
    max_detailed_findings: int = 500
    max_review_accounts: int = 5000
    max_listed_events: int = 200
    expiry_warning_days: int = 30

    def rule(self, rule_id: str) -> RuleInfo:
        """The rule's metadata, or a stand-in naming the id when the rule is no longer configured."""
        return self.rules.get(rule_id) or RuleInfo(title=rule_id)


def scope_dict(inputs: ReportInputs) -> dict[str, Any]:
    """The scope as it appears in the manifest and the register."""
    return {"platform": inputs.scope.platform, "person": inputs.scope.person, "by_manager": inputs.by_manager}
