"""``auditor scheduler``: run the configured scheduled jobs until interrupted."""

from __future__ import annotations

import signal
import threading

import click

from auditor.cli.common import config_option, fail_cleanly, settings_from


@click.command("scheduler")
@config_option
@click.pass_context
@fail_cleanly
def scheduler(ctx: click.Context, config_path: str | None) -> None:
    """Run the scheduled jobs of the config until interrupted (SIGINT / SIGTERM)."""
    from auditor.scheduler import run_scheduler

    settings = settings_from(ctx, config_path)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())
    run_scheduler(settings, stop=stop, echo=lambda message: click.echo(message, err=True))
