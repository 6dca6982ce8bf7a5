"""The ``auditor`` command: the group, and one module per command group beside it (``auditor/cli/<group>.py``).

Every command is a thin wrapper: it parses arguments and calls the same use cases as the scheduler and the web UI.
Exit codes: 0 clean; 1 open findings at or above ``--fail-on``; 2 usage, config or input error;
3 a platform could not be verified.
"""

from __future__ import annotations

import logging

import click

from auditor.cli.common import config_option


@click.group()
@config_option
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="auditor")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Audit who holds the keys to a shop's social-media and e-commerce accounts."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"config_path": config_path}


def _register_commands() -> None:
    """Attach every command group's commands to ``main``, in the order ``auditor --help`` lists them."""
    from auditor.cli.demo import demo
    from auditor.cli.dsar import dsar
    from auditor.cli.findings import diff, findings
    from auditor.cli.init import init
    from auditor.cli.offboard import offboard
    from auditor.cli.person import person
    from auditor.cli.policies import policies
    from auditor.cli.report import report
    from auditor.cli.reviews import review
    from auditor.cli.scan import scan
    from auditor.cli.scheduler import scheduler
    from auditor.cli.web import serve, users

    for command in (init, scan, findings, diff, person, policies, demo, report, users, serve, offboard, scheduler,
                    dsar, review):
        main.add_command(command)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
