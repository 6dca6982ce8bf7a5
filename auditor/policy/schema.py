"""The schema of a rule file (pydantic, extra keys forbidden) and the compiled ``Policy``.

A rule file carries Prowler-style metadata (id, title, severity, category, rationale, remediation, compliance
references, parameters with defaults) and Cloud-Custodian-style conditions (``scope``, ``require``,
``severity_when``), compiled by ``auditor.policy.conditions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor.errors import PolicyError
from auditor.model import CATEGORIES, Severity
from auditor.policy.conditions import Compiler, Evaluator
from auditor.policy.facts import RESOURCES, Subject

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
PARAM_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COMPLIANCE_PATTERN = re.compile(
    r"^(ISO27001:2022 A\.\d+\.\d+|SOC2 CC\d+\.\d+|CIS v8 \d+\.\d+"
    r"|NIST 800-53 [A-Z]{2}-\d+(\(\d+\))?( \([a-z]\))?)$"
)
"""Accepted reference forms, e.g. "ISO27001:2022 A.5.18", "SOC2 CC6.2", "CIS v8 6.2", "NIST 800-53 AC-2(3)",
"NIST 800-53 AC-2 (l)"."""

KNOWN_CONTROLS: dict[str, str] = {
    "ISO27001:2022 A.5.15": "Access control",
    "ISO27001:2022 A.5.16": "Identity management",
    "ISO27001:2022 A.5.17": "Authentication information",
    "ISO27001:2022 A.5.18": "Access rights",
    "ISO27001:2022 A.5.19": "Information security in supplier relationships",
    "ISO27001:2022 A.5.20": "Addressing information security within supplier agreements",
    "ISO27001:2022 A.5.28": "Collection of evidence",
    "ISO27001:2022 A.5.34": "Privacy and protection of PII",
    "ISO27001:2022 A.6.5": "Responsibilities after termination or change of employment",
    "ISO27001:2022 A.8.2": "Privileged access rights",
    "ISO27001:2022 A.8.5": "Secure authentication",
    "ISO27001:2022 A.8.15": "Logging",
    "SOC2 CC6.1": "Logical access security",
    "SOC2 CC6.2": "Register and authorise users; remove credentials when no longer authorised",
    "SOC2 CC6.3": "Least privilege and segregation of duties",
    "CIS v8 5.1": "Establish and maintain an inventory of accounts",
    "CIS v8 5.3": "Disable dormant accounts (after 45 days of inactivity)",
    "CIS v8 6.1": "Establish an access granting process",
    "CIS v8 6.2": "Establish an access revoking process",
    "CIS v8 6.5": "Require MFA for administrative access",
    "CIS v8 6.8": "Define and maintain role-based access control",
    "NIST 800-53 AC-2 (h)": "Account management: notify on termination or transfer",
    "NIST 800-53 AC-2 (j)": "Account management: periodic review",
    "NIST 800-53 AC-2 (l)": "Account management: align with termination and transfer",
    "NIST 800-53 AC-2(3)": "Disable inactive or orphaned accounts",
    "NIST 800-53 IA-2(1)": "Multi-factor authentication to privileged accounts",
    "NIST 800-53 IA-2(8)": "Replay-resistant authentication",
}
"""Controls the shipped rules map to, reference -> title (ISO/IEC 27001:2022 Annex A, SOC 2, CIS Controls v8,
NIST SP 800-53 r5, as published)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityWhen(_Strict):
    """Raise the severity to ``severity`` when ``when`` holds."""

    when: Any
    severity: Severity


LANGUAGES = ("en", "pl")
"""The languages a rule's texts are written in (the report and UI languages)."""


class RuleText(_Strict):
    """A rule's wording in one language: its ``name`` (default: ``title``), a short ``title`` template and a
    ``message`` template, both with ``{fact.*}`` / ``{param.*}`` placeholders rendered for people (names,
    dates in the configured zone, Yes/No) by ``auditor.findings.texts``."""

    name: str | None = None
    title: str = Field(min_length=1)
    message: str = Field(min_length=1)


class PolicyFile(_Strict):
    """One rule file as written."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    severity: Severity
    category: str
    resource: Literal["account", "grant", "app", "asset", "tenant", "event"]
    rationale: str = Field(min_length=1)
    remediation: str = Field(min_length=1)
    compliance: list[str] = Field(min_length=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    scope: Any = None
    require: Any
    message: str = Field(min_length=1)
    severity_when: list[SeverityWhen] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    """Further facts to keep as evidence (besides those the conditions and the message read)."""
    texts: dict[Literal["en", "pl"], RuleText] = Field(default_factory=dict)
    """The finding's title and message per language (their facts are kept as evidence)."""

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(f"unknown category {value!r} (one of {', '.join(CATEGORIES)})")
        return value

    @field_validator("compliance")
    @classmethod
    def _compliance_refs(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not COMPLIANCE_PATTERN.match(ref):
                raise ValueError(
                    f"{ref!r} is not a reference like 'ISO27001:2022 A.5.18', 'SOC2 CC6.2', 'CIS v8 6.2' "
                    "or 'NIST 800-53 AC-2(3)'"
                )
        return value

    @field_validator("parameters")
    @classmethod
    def _parameter_names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, default in value.items():
            if not PARAM_PATTERN.match(name):
                raise ValueError(f"parameter name {name!r} must be snake_case")
            if default is None:
                raise ValueError(f"parameter {name!r} needs a default value")
        return value


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    """A loaded, compiled rule. ``parameters`` are the effective values (defaults + overrides)."""

    id: str
    title: str
    severity: Severity
    category: str
    resource: str
    rationale: str
    remediation: str
    compliance: tuple[str, ...]
    parameters: Mapping[str, Any]
    message: str
    path: Path
    content_hash: str
    scope: Evaluator | None
    require: Evaluator
    severity_when: tuple[tuple[Evaluator, Severity], ...]
    facts: tuple[str, ...]
    """Every fact the rule reads (scope, require, severity_when, message, evidence), in order."""
    require_facts: tuple[str, ...]
    """The facts ``require`` reads (explains an unknown verdict)."""
    render: Callable[[Subject], str]
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Language -> {name, title, message} templates (see ``RuleText``)."""


def validation_message(error: ValidationError) -> str:
    """The first pydantic error as ``field.path: message``."""
    first = error.errors()[0]
    where = ""
    for part in first["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    return f"{where or 'rule'}: {message}"


def parse_policy(data: Any, source: str) -> PolicyFile:
    """Validate a parsed rule file; PolicyError names the file and field."""
    if not isinstance(data, Mapping):
        raise PolicyError(f"{source}: expected a mapping of rule fields")
    try:
        return PolicyFile.model_validate(dict(data))
    except ValidationError as exc:
        raise PolicyError(f"{source}: {validation_message(exc)}") from exc


def compile_policy(spec: PolicyFile, *, parameters: Mapping[str, Any], path: Path, source: str,
                   content_hash: str) -> Policy:
    """Compile a validated rule with its effective parameters into a Policy."""
    if spec.resource not in RESOURCES:  # pragma: no cover - guarded by the Literal above
        raise PolicyError(f"{source}: resource: unknown resource {spec.resource!r}")
    compiler = Compiler(source, spec.resource, parameters)
    scope = compiler.condition(spec.scope, "scope") if spec.scope is not None else None
    require_compiler = Compiler(source, spec.resource, parameters)
    require = require_compiler.condition(spec.require, "require")
    compiler.facts.update(require_compiler.facts)
    raised = tuple(
        (compiler.condition(rule.when, f"severity_when[{i}].when"), rule.severity)
        for i, rule in enumerate(spec.severity_when)
    )
    render = compiler.message(spec.message)
    for i, name in enumerate(spec.evidence):
        compiler.fact(name, f"evidence[{i}]")
    texts: dict[str, dict[str, str]] = {}
    for language, text in spec.texts.items():
        for part in ("title", "message"):
            compiler.message(getattr(text, part), f"texts.{language}.{part}")
        texts[language] = {"name": text.name or spec.title,
                           "title": text.title, "message": text.message}
    return Policy(
        id=spec.id,
        title=spec.title,
        severity=spec.severity,
        category=spec.category,
        resource=spec.resource,
        rationale=spec.rationale,
        remediation=spec.remediation,
        compliance=tuple(spec.compliance),
        parameters=dict(parameters),
        message=spec.message,
        path=path,
        content_hash=content_hash,
        scope=scope,
        require=require,
        severity_when=raised,
        facts=tuple(compiler.facts),
        require_facts=tuple(require_compiler.facts),
        render=render,
        texts=texts,
    )
