"""``auditor dsar``: the register of GDPR data-subject requests on the command line.

    auditor dsar open --name NAME --email EMAIL [--email ...] [--handle PLATFORM=ID ...] [--received YYYY-MM-DD]
                      [--type access|erasure|rectification] [--channel email|web|post|...] [--owner NAME]
    auditor dsar list [--status open|closed|all|STATUS] [--format table|json]
    auditor dsar show ID [--format table|json]
    auditor dsar verify-identity ID --method TEXT
    auditor dsar stop-clock ID --reason identity|clarification [--on DATE] [--note TEXT]
    auditor dsar resume ID [--on DATE] [--note TEXT]
    auditor dsar extend ID --reason TEXT [--notice-on DATE]
    auditor dsar close ID --status answered|refused|withdrawn [--reason TEXT] [--channel CHANNEL]
    auditor dsar note ID TEXT          auditor dsar assign ID OWNER
    auditor dsar pack ID --out DIR [--language en|pl]
    auditor dsar erase ID [--dry-run]  auditor dsar retention [--dry-run]
    auditor dsar reminders             auditor dsar processing

Every command takes ``--config PATH`` (or the main group's, or ``$AUDITOR_CONFIG``). Errors print one line and
exit 2 (a refused step, e.g. an extension noticed too late, is such an error).
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from auditor.cli.common import config_option as _config
from auditor.cli.common import fail_cleanly as _fail_cleanly
from auditor.cli.common import settings_from as _settings
from auditor.dsar.deadlines import STOP_REASONS
from auditor.dsar.vocabulary import CHANNELS, CLOSED_STATUSES, LANGUAGES, REQUEST_TYPES, STATUSES
from auditor.output import write_json, write_rows, write_table

LIST_COLUMNS = ("id", "status", "type", "subject", "received", "due", "days_left", "alert", "owner")


def _fmt(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
                        show_default=True)(func)


def _actor() -> str:
    """Who acts from the command line (the OS user)."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (OSError, KeyError):
        return "unknown user (command line)"


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _handles(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> dict[str, list[str]]:
    handles: dict[str, list[str]] = {}
    for value in values:
        platform, sep, handle = value.rpartition("=")
        if not sep or not platform.strip() or not handle.strip():
            raise click.BadParameter(f"{value!r}: expected PLATFORM=ID (the configured platform name)")
        handles.setdefault(platform.strip(), []).append(handle.strip())
    return handles


def _line(item: dict[str, Any]) -> str:
    if item["status"] in CLOSED_STATUSES:
        return f"request {item['id']}: {item['status']} (was due {item['due']})"
    left = item["days_left"]
    when = "due today" if left == 0 else f"{left} day(s) left" if left > 0 else f"OVERDUE by {-left} day(s)"
    clock = "" if item["clock_running"] else ", clock stopped"
    return f"request {item['id']}: {item['status']}, due {item['due']} ({when}{clock})"


def _echo_detail(detail: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        write_json(detail, sys.stdout)
    else:
        click.echo(_line(detail))


@click.group()
def dsar() -> None:
    """GDPR data-subject requests: the register, legal deadlines, the answer pack."""


@dsar.command("open")
@_config
@click.option("--name", required=True, help="The subject's name.")
@click.option("--email", "emails", multiple=True, help="An e-mail address of the subject (repeatable).")
@click.option("--handle", "handles", multiple=True, callback=_handles,
              help="PLATFORM=ID: the subject's account id or handle on a configured platform (repeatable).")
@click.option("--received", callback=_day, default=None, help="Day of receipt, YYYY-MM-DD (default: today).")
@click.option("--type", "request_type", type=click.Choice(REQUEST_TYPES), default="access", show_default=True)
@click.option("--channel", type=click.Choice(CHANNELS), default="email", show_default=True)
@click.option("--owner", default=None, help="Who handles the request.")
@click.option("--note", default=None)
@_fmt
@click.pass_context
@_fail_cleanly
def open_(ctx: click.Context, config_path: str | None, name: str, emails: tuple[str, ...],
          handles: dict[str, list[str]], received: date | None, request_type: str, channel: str,
          owner: str | None, note: str | None, fmt: str) -> None:
    """Register a request; prints its id and due date."""
    from auditor.dsar.use_cases import open_request

    detail = open_request(_settings(ctx, config_path), name=name, emails=list(emails), handles=handles,
                          request_type=request_type, received=received, channel=channel, owner=owner, note=note,
                          actor=_actor())
    _echo_detail(detail, fmt)


@dsar.command("list")
@_config
@click.option("--status", type=click.Choice(["open", "closed", "all", *STATUSES]), default="open",
              show_default=True)
@_fmt
@click.pass_context
@_fail_cleanly
def list_(ctx: click.Context, config_path: str | None, status: str, fmt: str) -> None:
    """The register, soonest due first (days left shown; negative when overdue)."""
    from auditor.dsar.use_cases import list_requests

    rows = list_requests(_settings(ctx, config_path), status=status)
    if fmt == "json":
        write_json(rows, sys.stdout)
    else:
        write_table(rows, LIST_COLUMNS, sys.stdout)
        click.echo(f"{len(rows)} request(s)", err=True)


@dsar.command()
@_config
@click.argument("request_id", type=int)
@_fmt
@click.pass_context
@_fail_cleanly
def show(ctx: click.Context, config_path: str | None, request_id: int, fmt: str) -> None:
    """One request with its clock stops, history and answer packs."""
    from auditor.dsar.use_cases import show_request

    detail = show_request(_settings(ctx, config_path), request_id)
    if fmt == "json":
        write_json(detail, sys.stdout)
        return
    click.echo(_line(detail))
    click.echo(f"  subject: {detail['subject']} <{', '.join(detail['emails'])}>  type: {detail['type']}  "
               f"owner: {detail['owner'] or '-'}")
    identity = detail["identity"]
    verified = f"verified {identity['verified_at']} ({identity['method']})" if identity["verified_at"] else None
    click.echo(f"  identity: {verified or 'not verified'}")
    if detail["extension"]:
        click.echo(f"  extended: notice {detail['extension']['notice_on']}: {detail['extension']['reason']}")
    for stop in detail["stops"]:
        click.echo(f"  clock stop ({stop['reason']}): {stop['stopped_on']} -> {stop['resumed_on'] or 'still waiting'}")
    for entry in detail["history"]:
        note = f" - {entry['note']}" if entry["note"] else ""
        click.echo(f"  {entry['at']}  {entry['actor']}: {entry['kind']}{note}")
    for item in detail["packs"]:
        click.echo(f"  pack {item['created_at']}: sha256 {item['sha256']}")


def _step(name: str, step: str, help_text: str, *options: Callable[[Any], Any]) -> None:
    """Define ``auditor dsar NAME ID [options]`` calling the lifecycle step ``step`` with the options."""

    def command(ctx: click.Context, config_path: str | None, request_id: int, fmt: str, **arguments: Any) -> None:
        from auditor.dsar.use_cases import change_request

        detail = change_request(_settings(ctx, config_path), request_id, step, actor=_actor(), **arguments)
        _echo_detail(detail, fmt)

    command.__doc__ = help_text
    wrapped: Any = _fail_cleanly(command)
    for option in reversed(options):
        wrapped = option(wrapped)
    wrapped = click.pass_context(_fmt(click.argument("request_id", type=int)(_config(wrapped))))
    dsar.command(name)(wrapped)


_step("verify-identity", "verify_identity", "Record how the subject's identity was verified (ends an identity stop).",
      click.option("--method", required=True, help="How: e.g. 'replied from the registered address'."))
_step("stop-clock", "stop_clock", "Stop the clock while waiting for the subject's identity or a clarification.",
      click.option("--reason", type=click.Choice(STOP_REASONS), required=True),
      click.option("--on", callback=_day, default=None, help="Day the subject was asked (default: today)."),
      click.option("--note", default=None))
_step("resume", "resume_clock", "Restart the clock: the subject answered.",
      click.option("--on", callback=_day, default=None, help="Day the answer came (default: today)."),
      click.option("--note", default=None))
_step("extend", "extend", "Extend by two months (reason required; the notice must fall inside the first month).",
      click.option("--reason", required=True),
      click.option("--notice-on", "notice_on", callback=_day, default=None,
                   help="Day the subject was told (default: today)."))
_step("close", "close", "Close the request as answered, refused (reason required) or withdrawn.",
      click.option("--status", type=click.Choice(CLOSED_STATUSES), required=True),
      click.option("--reason", default=None),
      click.option("--channel", type=click.Choice(CHANNELS), default=None, help="How the answer was sent."))
_step("note", "add_note", "Add a note to the request's history.", click.argument("text"))
_step("assign", "assign", "Give the request an owner.", click.argument("owner"))


@dsar.command()
@_config
@click.argument("request_id", type=int)
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDF letter, the JSON export, the CSV files and SHA256SUMS.")
@click.option("--language", type=click.Choice(LANGUAGES), default=None,
              help="Language of the letter (default: the request's, else the config's).")
@click.pass_context
@_fail_cleanly
def pack(ctx: click.Context, config_path: str | None, request_id: int, out_dir: Path, language: str | None) -> None:
    """Search every source and write the answer pack; its SHA-256 goes into the register."""
    from auditor.dsar.use_cases import write_answer_pack

    built, paths = write_answer_pack(_settings(ctx, config_path), request_id, out_dir, actor=_actor(),
                                     language=language)
    for path in paths:
        click.echo(f"wrote {path}")
    sources = built.export["sources"]
    gaps = [s for s in sources if s["status"] in ("could_not_search", "partial")]
    click.echo(f"pack sha256 {built.sha256}")
    click.echo(f"{len(sources)} source(s) searched"
               + (f", {len(gaps)} with gaps: " + ", ".join(s["source"] for s in gaps) if gaps else "")
               + ("" if built.holds_data else "; no personal data held"))


@dsar.command()
@_config
@click.argument("request_id", type=int)
@click.option("--dry-run", is_flag=True, help="Decide and count, change nothing.")
@_fmt
@click.pass_context
@_fail_cleanly
def erase(ctx: click.Context, config_path: str | None, request_id: int, dry_run: bool, fmt: str) -> None:
    """Decide on an erasure request (legal-claims exception, current access) and pseudonymise where allowed."""
    from auditor.dsar.use_cases import erase_for_request

    decision = erase_for_request(_settings(ctx, config_path), request_id, actor=_actor(), dry_run=dry_run)
    if fmt == "json":
        write_json(decision, sys.stdout)
        return
    click.echo(f"{decision['outcome']}: {decision['basis']}" + (f" (until {decision['until']})"
                                                                  if decision["until"] else ""))
    for note in decision["notes"]:
        click.echo(f"  {note}")


@dsar.command()
@_config
@click.option("--dry-run", is_flag=True, help="Count what would be deleted, delete nothing.")
@_fmt
@click.pass_context
@_fail_cleanly
def retention(ctx: click.Context, config_path: str | None, dry_run: bool, fmt: str) -> None:
    """Apply the auditor's own retention policy (what the scheduled job runs)."""
    from auditor.dsar.use_cases import run_retention

    report = run_retention(_settings(ctx, config_path), dry_run=dry_run)
    if fmt == "json":
        write_json(report, sys.stdout)
        return
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb}: " + ", ".join(f"{k} {v}" for k, v in report["deleted"].items()))
    click.echo("kept: " + ", ".join(f"{k} {v}" for k, v in report["kept"].items()))
    for note in report["notes"]:
        click.echo(f"  {note}")


@dsar.command()
@_config
@_fmt
@click.pass_context
@_fail_cleanly
def reminders(ctx: click.Context, config_path: str | None, fmt: str) -> None:
    """Open requests close to or past their due date (reminder, escalation, overdue)."""
    from auditor.dsar.use_cases import due_reminders

    write_rows(due_reminders(_settings(ctx, config_path)), LIST_COLUMNS, fmt, sys.stdout)


@dsar.command()
@_config
@_fmt
@click.pass_context
@_fail_cleanly
def processing(ctx: click.Context, config_path: str | None, fmt: str) -> None:
    """Records of processing (GDPR Art. 30) of the auditor itself."""
    from auditor.dsar.use_cases import processing_record

    record = processing_record(_settings(ctx, config_path))
    if fmt == "json":
        write_json(record, sys.stdout)
        return
    click.echo(f"controller: {record['controller']['name'] or '(dsar.controller_name not set)'}")
    for activity in record["activities"]:
        click.echo(f"\n{activity['name']}")
        for key in ("purposes", "data_subjects", "data_categories", "recipients", "sources", "retention"):
            click.echo(f"  {key.replace('_', ' ')}: {activity[key]}")
