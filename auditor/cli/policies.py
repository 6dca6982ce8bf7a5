"""``auditor policies list|validate``: inspect and validate the policy rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.cli.common import config_option, fail_cleanly, settings_from
from auditor.output import write_table


@click.group()
def policies() -> None:
    """Inspect and validate the policy rules."""


@policies.command("list")
@config_option
@click.pass_context
@fail_cleanly
def policies_list(ctx: click.Context, config_path: str | None) -> None:
    """List the rules with their severity and category."""
    from auditor.services.policies import load_configured_policies

    rules = load_configured_policies(settings_from(ctx, config_path))
    rows = [{"id": p.id, "severity": p.severity, "category": p.category, "title": p.title} for p in rules]
    write_table(rows, ("id", "severity", "category", "title"), sys.stdout, max_width=80)


@policies.command("validate")
@config_option
@click.argument("paths", nargs=-1, type=click.Path())
@click.pass_context
@fail_cleanly
def policies_validate(ctx: click.Context, config_path: str | None, paths: tuple[str, ...]) -> None:
    """Validate the configured rules (or the folders given)."""
    from auditor.services.policies import validate_policies

    settings = settings_from(ctx, config_path)
    count = validate_policies(settings, [Path(p) for p in paths])
    click.echo(f"ok: {count} rules valid")
