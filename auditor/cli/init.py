"""``auditor init``: write a commented sample configuration."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.common import fail_cleanly


@click.command()
@click.option("--path", default="auditor.toml", show_default=True, type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@fail_cleanly
def init(path: str, force: bool) -> None:
    """Write a commented sample configuration."""
    from auditor.cli.sample_config import write_sample_config

    write_sample_config(Path(path), force=force)
    click.echo(f"wrote {path}: edit it, set the environment variables it names, then run `auditor scan`")
