"""What every command shares: ``--config``, loading the settings, and one-line errors with exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

from auditor.config import Settings, load_settings
from auditor.errors import AuditorError
from auditor.model import Severity


def fail_cleanly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn an AuditorError into one plain line on stderr and its exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AuditorError as exc:
            click.echo(f"auditor: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--config PATH`` on every command (also accepted on the main group, and read from AUDITOR_CONFIG)."""
    return click.option(
        "--config", "config_path", type=click.Path(dir_okay=False), default=None,
        help="Config file (default ./auditor.toml or $AUDITOR_CONFIG).",
    )(func)


def settings_from(ctx: click.Context | None, config_path: str | None) -> Settings:
    """Load the settings named on the command, else on the main group, else the defaults."""
    root = ctx.find_root().obj if ctx is not None else None
    return load_settings(config_path or (root or {}).get("config_path"))


SEVERITIES = [s.value for s in Severity]
"""The severities a ``--severity`` or ``--fail-on`` option accepts."""


def progress_printer(quiet: bool) -> Callable[[str], None]:
    """A progress callback writing to stderr unless quiet."""
    return (lambda _m: None) if quiet else (lambda m: click.echo(f"  {m}", err=True))
