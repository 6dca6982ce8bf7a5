"""Control catalogues (``reports/controls/*.yaml``) and the audit's appendix mapping findings to controls.

A catalogue names a framework, the prefix policies use in their ``compliance`` lists (``ISO27001:2022``,
``SOC2``, ``CIS v8``) and its controls with titles per language. A finding maps to the controls its rule
lists; a ``risk-exception-expired`` finding maps through the rule it used to mute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditor.model import Severity
from auditor.reporting.errors import ReportError

FRAMEWORK_ORDER = ("iso27001", "soc2", "cis")


@dataclass(frozen=True, slots=True)
class Control:
    """One control of a catalogue; ``key`` is the reference as policies write it."""

    key: str
    ref: str
    titles: Mapping[str, str]

    def title(self, language: str) -> str:
        """The title in ``language`` (English when not translated)."""
        return self.titles.get(language) or self.titles["en"]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """One framework's controls, in catalogue order."""

    framework: str
    prefix: str
    names: Mapping[str, str]
    controls: tuple[Control, ...]
    path: Path

    def name(self, language: str) -> str:
        """The framework's name in ``language``."""
        return self.names.get(language) or self.names["en"]


def _texts(path: Path, where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not isinstance(value.get("en"), str) or not value["en"].strip():
        raise ReportError(f"{path}: {where}: expected a mapping of language -> text with an 'en' entry")
    return {str(lang): str(text) for lang, text in value.items()}


def load_catalogue(path: Path) -> Catalogue:
    """Read one catalogue file; ReportError names the file and field when it is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ReportError(f"{path}: cannot read control catalogue: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ReportError(f"{path}: expected a mapping with framework, prefix, name and controls")
    for key in ("framework", "prefix"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ReportError(f"{path}: {key}: required text")
    items = data.get("controls")
    if not isinstance(items, list) or not items:
        raise ReportError(f"{path}: controls: expected a non-empty list")
    controls: list[Control] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("ref"), str):
            raise ReportError(f"{path}: controls[{index}].ref: required text")
        if item["ref"] in seen:
            raise ReportError(f"{path}: controls[{index}].ref: duplicate {item['ref']!r}")
        seen.add(item["ref"])
        titles = _texts(path, f"controls[{index}].title", item.get("title"))
        controls.append(Control(key=f"{data['prefix']} {item['ref']}", ref=item["ref"], titles=titles))
    return Catalogue(
        framework=data["framework"], prefix=data["prefix"], names=_texts(path, "name", data.get("name")),
        controls=tuple(controls), path=path,
    )


def load_catalogues(reports_dir: Path) -> list[Catalogue]:
    """Every catalogue under ``reports_dir/controls``: ISO 27001, SOC 2, CIS first, then any others."""
    folder = reports_dir / "controls"
    catalogues = [load_catalogue(path) for path in sorted(folder.glob("*.yaml"))]
    if not catalogues:
        raise ReportError(f"{folder}: no control catalogues (*.yaml)")
    rank = {name: index for index, name in enumerate(FRAMEWORK_ORDER)}
    return sorted(catalogues, key=lambda c: (rank.get(c.framework, len(rank)), c.framework))


def control_appendix(catalogues: list[Catalogue], rule_controls: Mapping[str, tuple[str, ...]],
                     open_by_rule: Mapping[str, Mapping[str, int]], language: str) -> list[dict[str, Any]]:
    """Per framework and control: the rules mapped to it and the open findings of those rules by severity.

    ``rule_controls``: rule id -> compliance references; ``open_by_rule``: rule id -> severity -> count.
    """
    frameworks: list[dict[str, Any]] = []
    for catalogue in catalogues:
        rows = []
        for control in catalogue.controls:
            rules = sorted(rule for rule, refs in rule_controls.items() if control.key in refs)
            by_severity = {sev.value: 0 for sev in reversed(Severity)}
            for rule in rules:
                for severity, count in open_by_rule.get(rule, {}).items():
                    by_severity[severity] = by_severity.get(severity, 0) + count
            rows.append({
                "ref": control.ref, "key": control.key, "title": control.title(language), "rules": rules,
                "open": sum(by_severity.values()),
                "by_severity": {sev: n for sev, n in by_severity.items() if n},
            })
        frameworks.append({"framework": catalogue.framework, "name": catalogue.name(language), "controls": rows})
    return frameworks


def unmapped_references(catalogues: list[Catalogue], rule_controls: Mapping[str, tuple[str, ...]]) -> list[str]:
    """References of catalogued frameworks that rules name but no catalogue lists (a data error)."""
    known = {control.key for catalogue in catalogues for control in catalogue.controls}
    prefixes = tuple(catalogue.prefix + " " for catalogue in catalogues)
    return sorted({ref for refs in rule_controls.values() for ref in refs if ref.startswith(prefixes)} - known)
