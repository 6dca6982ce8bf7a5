"""``auditor users`` and ``auditor serve`` (the commands the lead registers on the main group)."""

from __future__ import annotations

import pytest
import waitress
from click.testing import CliRunner
from flask import Flask

from auditor.accounts import users as web_users
from auditor.cli.web import serve, users
from auditor.storage.db import open_database
from tests.web.conftest import PASSWORD


def _run(command, args, **kwargs):
    return CliRunner().invoke(command, args, catch_exceptions=False, **kwargs)


def test_users_add_list_disable_enable_reset_unlock(workspace):
    config = str(workspace / "auditor.toml")
    added = _run(
        users,
        ["add", "Root", "--role", "admin", "--name", "Root Admin", "--config", config, "--password-stdin"],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert "added root (admin)" in added.output
    listed = _run(users, ["list", "--config", config])
    assert "root" in listed.output and "admin" in listed.output and "no-2fa-yet" in listed.output
    again = _run(users, ["add", "root", "--role", "hr", "--config", config, "--password-stdin"], input=PASSWORD + "\n")
    assert again.exit_code == 2 and "already exists" in again.output
    weak = _run(users, ["add", "weak", "--role", "hr", "--config", config, "--password-stdin"], input="short\n")
    assert weak.exit_code == 2 and "password too short" in weak.output
    assert "disabled root; 0 session(s) ended" in _run(users, ["disable", "root", "--config", config]).output
    assert _run(users, ["enable", "root", "--config", config]).exit_code == 0
    assert "two-factor reset for root" in _run(users, ["reset-2fa", "root", "--config", config]).output
    assert _run(users, ["unlock", "root", "--config", config]).exit_code == 0
    missing = _run(users, ["disable", "ghost", "--config", config])
    assert missing.exit_code == 2 and "no user named 'ghost'" in missing.output
    db = open_database(f"sqlite:///{workspace / 'auditor.db'}")
    try:
        with db.session() as session:
            root = web_users.get_user(session, "root")
    finally:
        db.dispose()
    assert root.role == "admin" and root.display_name == "Root Admin" and not root.disabled


def test_users_add_prompts_for_the_password_twice(workspace):
    config = str(workspace / "auditor.toml")
    result = _run(
        users, ["add", "sofia", "--role", "security_officer", "--config", config], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0 and "added sofia" in result.output
    changed = _run(users, ["set-password", "sofia", "--config", config], input="another long passphrase\n" * 2)
    assert changed.exit_code == 0 and "password set for sofia" in changed.output


def test_serve_refuses_to_start_without_the_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDITOR_SECRET_KEY", raising=False)
    monkeypatch.delenv("AUDITOR_ENCRYPTION_KEY", raising=False)
    config = tmp_path / "auditor.toml"
    config.write_text('[storage]\nurl = "sqlite:///a.db"\n')
    started = []
    monkeypatch.setattr(waitress, "serve", lambda *a, **k: started.append(a))
    result = _run(serve, ["--config", str(config)])
    assert result.exit_code == 2
    assert "AUDITOR_SECRET_KEY" in result.output and "generate_secret_key" in result.output
    assert started == []


def test_serve_runs_waitress_with_host_and_port(workspace, monkeypatch):
    calls = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append((app, kw)))
    result = _run(serve, ["--config", str(workspace / "auditor.toml"), "--host", "0.0.0.0", "--port", "8123"])  # noqa: S104
    assert result.exit_code == 0, result.output
    app, options = calls[0]
    assert isinstance(app, Flask)
    assert options["host"] == "0.0.0.0" and options["port"] == 8123  # noqa: S104
    app.extensions["auditor"].db.dispose()


@pytest.mark.parametrize("port", ["0", "70000", "x"])
def test_serve_rejects_bad_ports(workspace, port):
    result = CliRunner().invoke(serve, ["--config", str(workspace / "auditor.toml"), "--port", port])
    assert result.exit_code == 2
