"""The ``auditor`` command: the group, and one module per command group beside it (``auditor/cli/<group>.py``).

Every command is a thin wrapper: it parses arguments and calls the same use cases as the scheduler and the web UI.
Exit codes: 0 clean; 1 open findings at or above ``--fail-on``; 2 usage, config or input error;
3 a platform could not be verified.
"""

from __future__ import annotations

import importlib
import logging

import click

from auditor.cli.common import config_option

_COMMANDS: dict[str, str] = {
    "init": "auditor.cli.init", "scan": "auditor.cli.scan", "findings": "auditor.cli.findings",
    "diff": "auditor.cli.findings", "person": "auditor.cli.person", "policies": "auditor.cli.policies",
    "demo": "auditor.cli.demo", "report": "auditor.cli.report", "users": "auditor.cli.web",
    "serve": "auditor.cli.web", "offboard": "auditor.cli.offboard", "scheduler": "auditor.cli.scheduler",
    "dsar": "auditor.cli.dsar", "review": "auditor.cli.reviews",
}
"""Command name -> the module defining it, in the order ``auditor --help`` lists them."""


class _LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs (or help lists it): ``auditor
    scan`` does not pay for the web UI, the reports and the reviews."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, in listing order."""
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, its module imported on first use (None for an unknown name)."""
        module = _COMMANDS.get(cmd_name)
        if module is None:
            return None
        return getattr(importlib.import_module(module), cmd_name)


@click.group(cls=_LazyGroup)
@config_option
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="auditor")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """Audit who holds the keys to a shop's social-media and e-commerce accounts."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"config_path": config_path}


if __name__ == "__main__":  # pragma: no cover
    main()
