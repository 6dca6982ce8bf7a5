"""The web UI in the demo: keys in the 0600 secrets file, a demo administrator who can sign in at once."""

from __future__ import annotations

import stat

from auditor.accounts.totp import provisioning_uri
from auditor.config import load_settings
from auditor.demo.web_setup import demo_login_banner, ensure_demo_admin, ensure_web_secrets
from auditor.web import create_app
from tests.web.conftest import Browser


def test_ensure_web_secrets_adds_missing_keys_once_and_keeps_the_file_private(workspace):
    settings = load_settings(workspace / "auditor.toml")
    secrets_file = workspace / "secrets.env"
    before = secrets_file.read_text()
    assert ensure_web_secrets(settings) == []  # the fixture already added them
    assert secrets_file.read_text() == before
    lines = [line for line in before.splitlines() if not line.startswith(("AUDITOR_SECRET_KEY", "AUDITOR_ENCRYPTION"))]
    secrets_file.write_text("\n".join(lines))
    assert ensure_web_secrets(settings) == ["AUDITOR_SECRET_KEY", "AUDITOR_ENCRYPTION_KEY"]
    text = secrets_file.read_text()
    assert all(line in text for line in lines)  # the sandbox tokens are kept
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


def test_demo_admin_can_sign_in_and_a_rerun_changes_the_credentials(workspace, clock, monkeypatch):
    monkeypatch.delenv("AUDITOR_SECRET_KEY", raising=False)
    settings = load_settings(workspace / "auditor.toml")
    username, password, seed = ensure_demo_admin(settings, now=clock())
    app = create_app(settings, clock=clock)
    try:
        browser = Browser(app, clock)
        assert browser.password(username, password).location.endswith("/login/code")  # already enrolled
        from auditor.accounts.totp import code_at

        assert browser.code(code_at(seed, clock())).location.endswith("/dashboard")
        clock.advance(30)
        _, new_password, new_seed = ensure_demo_admin(settings, now=clock())
        assert (new_password, new_seed) != (password, seed)
        assert browser.get("/dashboard").status_code == 302  # the old session ended
        assert Browser(app, clock).password(username, password).status_code == 401
        assert Browser(app, clock).password(username, new_password).status_code == 302
    finally:
        app.extensions["auditor"].db.dispose()


def test_banner_has_the_credentials_and_a_terminal_qr_code():
    seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    banner = demo_login_banner("admin", "pw-1234", seed, "http://127.0.0.1:5000/")
    assert "http://127.0.0.1:5000/" in banner and "pw-1234" in banner and "JBSW Y3DP" in banner
    assert "█" in banner or "▀" in banner  # the QR code, drawn with block characters
    assert provisioning_uri(seed, "admin", "auditor").startswith("otpauth://")
