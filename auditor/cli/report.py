"""``auditor report``: generate the PDF reports and verify a PDF against the register of generated reports.

    auditor report audit         [--platform P] [--person UID] [--out FILE.pdf]
    auditor report access-review [--platform P] [--person UID] [--by-manager] [--out FILE.pdf]
    auditor report offboarding   --person UID [--platform P] [--out FILE.pdf]
    auditor report verify FILE

Every command takes ``--config PATH`` (or the group's, or ``$AUDITOR_CONFIG``). ``verify`` exits 0 for an
authentic file and 1 for a tampered or unknown one; errors exit 2.
"""

from __future__ import annotations

import getpass
import os
import pwd
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import config_option
from auditor.cli.common import fail_cleanly as _fail_cleanly
from auditor.cli.common import settings_from as _settings

EXIT_NOT_VERIFIED = 1


def _operator() -> str:
    """Who generates a report from the command line: ``$AUDITOR_OPERATOR`` (a person's name), else the OS
    account's full name, else its login; a bare superuser login is said as such, not printed as a name."""
    named = os.environ.get("AUDITOR_OPERATOR", "").strip()
    if named:
        return f"{named[:120]} (command line)"
    try:
        login = getpass.getuser()
        full = (pwd.getpwnam(login).pw_gecos or "").split(",")[0].strip()
    except (OSError, KeyError, ImportError):
        return "unknown user (command line)"
    if full and full != login:
        return f"{full} ({login}, command line)"
    if login == "root":  # the superuser names nobody: say so rather than print "root" as a person
        return "system administrator (command line)"
    return f"{login} (command line)"


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = (
        click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="PDF file to write (default: reports.output_dir/<report id>.pdf)."),
        click.option("--platform", "platform_name", default=None, help="Only this configured platform."),
        config_option,
    )
    for option in options:
        func = option(func)
    return func


def _generate(ctx: click.Context, kind: str, config_path: str | None, out: Path | None, **scope: Any) -> None:
    from auditor.reporting.use_cases import write_report

    settings = _settings(ctx, config_path)
    path, entry = write_report(settings, kind, generated_by=_operator(), out=out, **scope)
    click.echo(f"wrote {path}: {entry.title}, {entry.pages} pages")
    click.echo(f"  report id {entry.id}")
    click.echo(f"  content SHA-256 {entry.manifest_sha256}")
    click.echo(f"  file SHA-256 {entry.pdf_sha256}")


@click.group("report")
def report() -> None:
    """Generate PDF reports (security audit, access review, offboarding evidence) and verify them."""


@report.command("audit")
@_common
@click.option("--person", default=None, help="Only findings about this directory uid.")
@click.pass_context
@_fail_cleanly
def audit(ctx: click.Context, config_path: str | None, platform_name: str | None, out: Path | None,
          person: str | None) -> None:
    """The security audit: posture, trend, findings with evidence, exceptions, control mapping."""
    _generate(ctx, "audit", config_path, out, platform=platform_name, person=person)


@report.command("access-review")
@_common
@click.option("--person", default=None, help="Only the accounts of this directory uid.")
@click.option("--by-manager", is_flag=True, help="One section per manager from the directory.")
@click.pass_context
@_fail_cleanly
def access_review(ctx: click.Context, config_path: str | None, platform_name: str | None, out: Path | None,
                  person: str | None, by_manager: bool) -> None:
    """Every account with person, role, assets, 2FA, last activity and a keep / remove / modify column."""
    _generate(ctx, "access-review", config_path, out, platform=platform_name, person=person,
              by_manager=by_manager)


@report.command("offboarding")
@_common
@click.option("--person", required=True, help="Directory uid of the leaver.")
@click.pass_context
@_fail_cleanly
def offboarding(ctx: click.Context, config_path: str | None, platform_name: str | None, out: Path | None,
                person: str) -> None:
    """Offboarding evidence for one person: what they held, when each grant was seen gone, what is open."""
    _generate(ctx, "offboarding", config_path, out, platform=platform_name, person=person)


@report.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@config_option
@click.pass_context
@_fail_cleanly
def verify(ctx: click.Context, file: Path, config_path: str | None) -> None:
    """Check a PDF against the register: authentic (exit 0), tampered or unknown (exit 1)."""
    from auditor.reporting.use_cases import verify_file

    result = verify_file(_settings(ctx, config_path), file)
    click.echo(f"{file}: {result.message}")
    if result.entry is not None and result.ok:
        click.echo(f"  content SHA-256 {result.entry.manifest_sha256}; scans {result.entry.scan_ids}; "
                   f"{result.entry.pages} pages")
    if not result.ok:
        sys.exit(EXIT_NOT_VERIFIED)
