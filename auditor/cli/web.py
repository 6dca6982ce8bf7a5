"""``auditor users`` (the tool's own users, for the first administrator and for recovery) and ``auditor serve``.

    auditor users add USERNAME --role admin|security_officer|hr|auditor|dpo [--name NAME] [--password-stdin]
    auditor users disable USERNAME        (ends every session of the user at once)
    auditor users enable USERNAME
    auditor users reset-2fa USERNAME      (they enrol a new authenticator at their next sign-in)
    auditor users set-password USERNAME [--password-stdin]
    auditor users unlock USERNAME
    auditor users list
    auditor serve [--host H] [--port P]   (waitress; default 127.0.0.1:5000 or [web] host/port)

Every command takes ``--config PATH`` (or the group's, or ``$AUDITOR_CONFIG``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from auditor.accounts.roles import ROLE_LABELS
from auditor.cli.common import config_option as _config_option
from auditor.cli.common import fail_cleanly as _fail_cleanly
from auditor.cli.common import settings_from
from auditor.config import SecretsFileError, Settings
from auditor.errors import ConfigError


def _settings(config_path: str | None) -> Settings:
    return settings_from(click.get_current_context(), config_path)


def _database(config_path: str | None) -> Any:
    from auditor.storage.db import open_database

    return open_database(_settings(config_path).storage_url)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _with_db(config_path: str | None, action: Callable[[Any], Any]) -> Any:
    db = _database(config_path)
    try:
        return action(db)
    finally:
        db.dispose()


@click.group()
def users() -> None:
    """Manage the users of the web UI."""


@users.command("add")
@_config_option
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLE_LABELS)), required=True)
@click.option("--name", "display_name", default=None, help="Full name shown in the UI.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@_fail_cleanly
def users_add(
    config_path: str | None, username: str, role: str, display_name: str | None, password_stdin: bool
) -> None:
    """Add a user; they set up their authenticator app at their first sign-in."""
    from auditor.accounts.users import add_user

    password = _password(password_stdin)
    user = _with_db(config_path, lambda db: add_user(db, username, role, password, display_name=display_name))
    click.echo(
        f"added {user.username} ({user.role}): at the first sign-in they scan a QR code to set up "
        "two-factor authentication"
    )


def _simple(name: str, help_text: str, done: str, call: Callable[[Any, str], Any]) -> None:
    @users.command(name, help=help_text)
    @_config_option
    @click.argument("username")
    @_fail_cleanly
    def command(config_path: str | None, username: str) -> None:
        result = _with_db(config_path, lambda db: call(db, username))
        click.echo(done.format(username=username, result=result))


def _disable(db: Any, username: str) -> int:
    from auditor.accounts.users import disable_user

    return disable_user(db, username)


def _enable(db: Any, username: str) -> None:
    from auditor.accounts.users import enable_user

    enable_user(db, username)


def _reset(db: Any, username: str) -> None:
    from auditor.accounts.users import reset_two_factor

    reset_two_factor(db, username)


def _unlock(db: Any, username: str) -> None:
    from auditor.accounts.users import unlock

    unlock(db, username)


_simple(
    "disable",
    "Disable a user and end all their sessions at once.",
    "disabled {username}; {result} session(s) ended",
    _disable,
)
_simple("enable", "Enable a disabled user again.", "enabled {username}", _enable)
_simple(
    "reset-2fa",
    "Forget a user's authenticator and recovery codes; they enrol again at sign-in.",
    "two-factor reset for {username}: they set up a new authenticator at their next sign-in",
    _reset,
)
_simple("unlock", "Clear a user's failed sign-in counter and lock.", "unlocked {username}", _unlock)


@users.command("set-password")
@_config_option
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@_fail_cleanly
def users_set_password(config_path: str | None, username: str, password_stdin: bool) -> None:
    """Set a new password for a user (their sessions end)."""
    from auditor.accounts.users import set_password

    password = _password(password_stdin)
    _with_db(config_path, lambda db: set_password(db, username, password))
    click.echo(f"password set for {username}")


@users.command("list")
@_config_option
@_fail_cleanly
def users_list(config_path: str | None) -> None:
    """List the users with role and state."""
    from auditor.accounts.users import list_users

    def rows(db: Any) -> list[Any]:
        with db.session() as session:
            return list_users(session)

    for user in _with_db(config_path, rows):
        state = "disabled" if user.disabled else "enabled"
        factor = "2fa" if user.enrolled else "no-2fa-yet"
        click.echo(f"{user.username:<24} {user.role:<17} {state:<8} {factor}")


@click.command()
@_config_option
@click.option("--host", default=None, help="Address to listen on (default [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default [web] port, 5000).")
@_fail_cleanly
def serve(config_path: str | None, host: str | None, port: int | None) -> None:
    """Serve the web UI with waitress (needs the keys named by [web] secret_key_env and encryption_key_env)."""
    from auditor.accounts.crypto import load_web_keys
    from auditor.web.server import serve as run

    settings = _settings(config_path)
    missing = missing_web_settings(settings)
    if missing:
        where = f" or in the secrets file {settings.secrets_file}" if settings.secrets_file else ""
        raise ConfigError(
            f"{settings.source or 'config'}: the web UI cannot start: set {', '.join(missing)} (in the environment"
            f"{where}); generate the keys with: python -c \"from auditor.accounts.crypto import "
            "generate_secret_key, generate_encryption_key; print(generate_secret_key()); "
            "print(generate_encryption_key())\" (a demo workspace: run `auditor demo --no-serve` again)"
        )
    load_web_keys(settings)  # their values (length, encoding): one plain message before anything is printed
    click.echo(
        f"auditor web UI on http://{host or settings.web.host}:{port or settings.web.port}/ (Ctrl+C to stop)", err=True
    )
    run(settings, host, port)


def missing_web_settings(settings: Settings) -> list[str]:
    """The names of every setting ``auditor serve`` needs and cannot find (the web keys' variables)."""
    web = settings.web
    missing = []
    needed = ((web.secret_key_env, "web.secret_key_env"), (web.encryption_key_env, "web.encryption_key_env"))
    for env_name, key in needed:
        try:
            settings.secret(env_name, key=key)
        except SecretsFileError:
            raise  # the file itself is at fault (mode, syntax): its message says what to do
        except ConfigError:
            missing.append(env_name or key)
    return missing
