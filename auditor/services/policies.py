"""Policy use-cases: list and validate the configured rules."""

from __future__ import annotations

from pathlib import Path

from auditor.config import Settings
from auditor.findings.exceptions import load_exceptions
from auditor.policy.loader import load_policies


def load_configured_policies(settings: Settings) -> list:
    """The rules of the configured policies folder with the configured parameter overrides."""
    overrides = settings.resolve_path(settings.policies.parameters_file)
    return load_policies(settings.policies_dir, parameters_file=overrides)


def validate_policies(settings: Settings, folders: list[Path]) -> int:
    """Validate the given folders (or the configured rules and exceptions); return the number of rules."""
    if folders:
        return sum(len(load_policies(folder)) for folder in folders)
    rules = load_configured_policies(settings)
    load_exceptions(settings.resolve_path(settings.policies.exceptions_file))
    return len(rules)
