"""The web UI in ``auditor demo``: random keys in the workspace's 0600 secrets file, a demo administrator
with a fresh password and an already-enrolled TOTP seed, and a banner (with a terminal QR code) to log in.

Only for the demo workspace: a real installation takes its keys from the environment and creates its first
administrator with ``auditor users add``.
"""

from __future__ import annotations

import io
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import qrcode
from sqlalchemy import delete, update

from auditor.accounts import audit_trail as web_audit
from auditor.accounts.audit_trail import Actor
from auditor.accounts.crypto import generate_encryption_key, generate_secret_key, hash_password, load_web_keys
from auditor.accounts.login import replace_recovery_codes
from auditor.accounts.tables import WebLoginThrottle, WebUser
from auditor.accounts.totp import new_secret, provisioning_uri
from auditor.accounts.users import UnknownUser, add_user, end_sessions, get_user
from auditor.config import Settings
from auditor.errors import ConfigError
from auditor.storage.db import open_database

DEMO_ADMIN = "admin"
DEMO = Actor(name="demo", role="admin")


def ensure_web_secrets(settings: Settings) -> list[str]:
    """Add random web keys to the settings' secrets file when missing; returns the names added.

    The file is created (or kept) readable by its owner only. ConfigError when no secrets file is configured.
    """
    if not settings.secrets_file:
        raise ConfigError(f"{settings.source or 'config'}: secrets_file is not set (the demo keeps its keys there)")
    path = settings.resolve_path(settings.secrets_file)
    assert path is not None
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.partition("=")[0].strip() for line in text.splitlines() if "=" in line}
    web = settings.web
    wanted = {web.secret_key_env: generate_secret_key, web.encryption_key_env: generate_encryption_key}
    added = [name for name in wanted if name not in present]
    if added:
        if text and not text.endswith("\n"):
            text += "\n"
        text += "".join(f"{name}={wanted[name]()}\n" for name in added)
        _write_private(path, text)
    return added


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def ensure_demo_admin(settings: Settings, *, now: datetime | None = None) -> tuple[str, str, str]:
    """Create (or reset) the demo administrator; returns (username, password, TOTP secret).

    Each call sets a new random password and TOTP seed (enrolled, so the printed QR code works at once), new
    recovery codes, and ends the account's sessions. Also makes sure the web keys exist.
    """
    now = now or datetime.now(UTC)
    ensure_web_secrets(settings)
    keys = load_web_keys(settings)
    password = "-".join(secrets.token_hex(3) for _ in range(4))
    seed = new_secret()
    db = open_database(settings.storage_url)
    try:
        with db.session() as session:
            try:
                user_id = get_user(session, DEMO_ADMIN).id
            except UnknownUser:
                user_id = None
        if user_id is None:
            user_id = add_user(
                db, DEMO_ADMIN, "admin", password, display_name="Demo administrator", actor=DEMO, now=now
            ).id
        users, throttle = WebUser.__table__, WebLoginThrottle.__table__
        with db.session(write=True) as session:
            session.exec(
                update(users)
                .where(users.c.id == user_id)
                .values(
                    password_hash=hash_password(password),
                    password_changed_at=now,
                    disabled_at=None,
                    role="admin",
                    totp_secret_enc=keys.seed_cipher.encrypt(seed, user_id),
                    totp_pending_enc=None,
                    totp_enrolled_at=now,
                    totp_last_step=None,
                )
            )
            replace_recovery_codes(session, user_id, now)
            end_sessions(session, user_id)
            session.exec(delete(throttle).where(throttle.c.username == DEMO_ADMIN))
            web_audit.record(session, DEMO, "demo_admin_reset", target_kind="user", target_id=DEMO_ADMIN, at=now)
    finally:
        db.dispose()
    return DEMO_ADMIN, password, seed


def terminal_qr(text: str) -> str:
    """``text`` as a QR code drawn with block characters (dark on light terminals and light on dark both scan)."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(text)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


def demo_login_banner(username: str, password: str, totp_secret: str, url: str, *, issuer: str = "auditor",
                      serve_command: str | None = None) -> str:
    """What ``auditor demo`` prints: where to go, the credentials, the QR code to scan; with ``serve_command``
    (``--no-serve``) the command that starts the web UI later instead of "press Ctrl+C"."""
    uri = provisioning_uri(totp_secret, username, issuer)
    grouped = " ".join(totp_secret[i : i + 4] for i in range(0, len(totp_secret), 4))
    ending = (
        f"Start the web UI with:\n  {serve_command}\n"
        "These demo credentials change every time `auditor demo` runs.\n"
        if serve_command
        else "These demo credentials change every time `auditor demo` starts. Press Ctrl+C to stop.\n"
    )
    return (
        f"\nWeb UI: {url}" + (" (once started)" if serve_command else "") + "\n"
        f"  username:    {username}\n"
        f"  password:    {password}\n"
        f"  TOTP secret: {grouped}   (add it to an authenticator app, or scan the QR code below)\n\n"
        f"{terminal_qr(uri)}\n"
        f"{ending}"
    )
