"""``auditor person UID``: everything one directory person holds, across platforms."""

from __future__ import annotations

import sys

import click

from auditor.cli.common import config_option, fail_cleanly, settings_from
from auditor.output import write_json


@click.command()
@config_option
@click.argument("uid")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
@fail_cleanly
def person(ctx: click.Context, config_path: str | None, uid: str, fmt: str) -> None:
    """Everything one directory person holds, across platforms."""
    from auditor.services.queries import person_report

    settings = settings_from(ctx, config_path)
    report = person_report(settings, uid)
    out = sys.stdout
    if fmt == "json":
        write_json(report, out)
        return
    from auditor.cli.summary import print_person

    print_person(report, click.echo)
