"""``auditor scan``: sync the directory, fetch every platform, evaluate the rules, reconcile findings.

Progress goes to stderr: one status line per platform updated in place on a terminal, plain lines otherwise.

Exit codes: 0 clean; 1 open findings at or above ``--fail-on``; 2 usage, config or input error;
3 a platform could not be verified.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from auditor.cli.common import SEVERITIES, config_option, fail_cleanly, settings_from
from auditor.cli.progress import ScanProgressDisplay
from auditor.model import Severity

EXIT_FINDINGS = 1
EXIT_UNVERIFIED = 3


@click.command()
@config_option
@click.option("--platform", "platform_name", default=None, help="Scan only this configured platform.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
              help="Exit 1 when open findings at or above this severity exist.")
@click.option("--quiet", is_flag=True, help="No progress display.")
@click.pass_context
@fail_cleanly
def scan(ctx: click.Context, config_path: str | None, platform_name: str | None, fail_on: str | None,
         quiet: bool) -> None:
    """Scan the directory and the platforms, then reconcile findings."""
    from auditor.cli.summary import print_summary
    from auditor.services.scan import run_scan

    settings = settings_from(ctx, config_path)
    display = ScanProgressDisplay(quiet=quiet)
    summary = run_scan(settings, platform=platform_name, progress=display.step, on_platform=display.platform)
    print_summary(summary, click.echo)
    sys.exit(scan_exit_code(summary, fail_on))


def scan_exit_code(summary: Any, fail_on: str | None) -> int:
    """3 when a platform could not be verified, else 1 when findings reach ``fail_on``, else 0."""
    if any(status != "complete" for _name, status, _errors in summary.platforms):
        return EXIT_UNVERIFIED
    if fail_on:
        threshold = Severity(fail_on).rank
        if any(Severity(sev).rank >= threshold and n for sev, n in summary.open_by_severity.items()):
            return EXIT_FINDINGS
    return 0
