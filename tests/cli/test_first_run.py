"""First run: ``auditor demo --no-serve`` leaves a workspace that ``auditor serve`` serves as it is (web keys in
the 0600 secrets file, the demo administrator, the credentials printed), and ``auditor serve`` without its
keys names every missing one at once and prints nothing as if it had started. ``auditor diff`` says which
scans it compares."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.cli.findings import compared_scans
from auditor.demo.workspace import create_workspace


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_command(config: Path, port: int) -> list[str]:
    return [str(Path(sys.executable).parent / "auditor"), "serve", "--config", str(config), "--port", str(port)]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``auditor demo --no-serve`` once: the config path and what it printed."""
    folder = tmp_path_factory.mktemp("first-run") / "demo"
    code, out, err = run("demo", "--dir", str(folder), "--no-serve", "--port", "5123")
    assert code == 0, err
    return folder / "auditor.toml", out


def test_demo_no_serve_prints_the_credentials_and_keeps_the_keys_private(demo_run) -> None:
    config, out = demo_run
    assert "username:    admin" in out and "password:    " in out and "TOTP secret: " in out
    assert f"auditor serve --config {config} --port 5123" in out
    assert "Press Ctrl+C" not in out, "nothing is being served"
    secrets_file = config.parent / "secrets.env"
    names = {line.partition("=")[0] for line in secrets_file.read_text().splitlines()}
    assert {"AUDITOR_SECRET_KEY", "AUDITOR_ENCRYPTION_KEY"} <= names
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    code, users, _ = run("users", "list", "--config", str(config))
    assert code == 0 and users.split()[:4] == ["admin", "admin", "enabled", "2fa"]


def test_serve_then_serves_the_demo_workspace(demo_run) -> None:
    config, _out = demo_run
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    server = subprocess.Popen(serve_command(config, port), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        answer = None
        for _attempt in range(150):
            if server.poll() is not None:
                break
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert server.poll() is None, server.communicate()[1]
        assert answer is not None and answer.status_code == 200
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and 'name="username"' in login.text
    finally:
        server.terminate()
        _out, err = server.communicate(timeout=20)
    assert f"auditor web UI on http://127.0.0.1:{port}/" in err


def test_serve_without_its_keys_names_every_missing_one_and_exits_2(tmp_path: Path) -> None:
    config = create_workspace(tmp_path / "ws")  # a workspace before `auditor demo` added the web keys
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
    done = subprocess.run(serve_command(config, free_port()), env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "AUDITOR_SECRET_KEY, AUDITOR_ENCRYPTION_KEY" in done.stderr
    assert "web UI on" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_diff_says_which_scans_it_compares(demo_run) -> None:
    config, _out = demo_run
    code, out, _ = run("diff", "--config", str(config))
    assert code == 0
    assert out.splitlines()[0] == "scan #1 (the first that evaluated findings: everything it found is new)"
    assert compared_scans({"scan_id": 7, "previous_scan_id": 5}) == "scan #7 compared with scan #5"
