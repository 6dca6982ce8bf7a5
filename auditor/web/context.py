"""What the web app holds for its lifetime (settings, database, keys, clock, scan launcher), and request helpers
shared by the blueprints: the signed-in user as an audit actor, the client, the current time, page numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, g, request

from auditor.accounts.audit_trail import Actor
from auditor.accounts.crypto import WebKeys
from auditor.accounts.login import Client
from auditor.accounts.sessions import SessionInfo
from auditor.config import Settings
from auditor.errors import AuditorError
from auditor.limits import ascii_int
from auditor.storage.db import Database
from auditor.web.scan_launcher import ScanLauncher

log = logging.getLogger("auditor.web")

EXTENSION = "auditor"


@dataclass
class WebContext:
    """The app-wide objects, reachable as ``web()`` inside a request."""

    settings: Settings
    db: Database
    keys: WebKeys
    clock: Callable[[], datetime]
    launcher: ScanLauncher
    _policies: dict[str, Any] | None = field(default=None, repr=False)

    def now(self) -> datetime:
        """The server's time (UTC, aware); never a time sent by the client."""
        return self.clock()

    def policies(self) -> dict[str, Any]:
        """The configured rules by id (loaded once; empty with a logged warning if they cannot be read)."""
        if self._policies is None:
            from auditor.services.policies import load_configured_policies

            try:
                self._policies = {policy.id: policy for policy in load_configured_policies(self.settings)}
            except AuditorError as exc:
                log.warning("rules unavailable to the web UI: %s", exc)
                self._policies = {}
        return self._policies


def web() -> WebContext:
    """The current app's context."""
    return current_app.extensions[EXTENSION]


def current_user() -> SessionInfo:
    """The signed-in user's session (only called from views that require a permission)."""
    user = g.get("user")
    if user is None:  # the guard lets no such request through; this is a programming error
        raise RuntimeError("no signed-in user for this request")
    return user


def client() -> Client:
    """The requesting client (address as seen by the WSGI server, user agent)."""
    return Client(ip=request.remote_addr, user_agent=request.user_agent.string[:200] or None)


def actor() -> Actor:
    """The signed-in user as an audit actor."""
    user = current_user()
    return Actor(user.username, user.role, request.remote_addr)


def page_number(name: str = "page") -> int:
    """A 1-based page number from the query string (bad values give 1)."""
    number = ascii_int(request.args.get(name), max_digits=6)
    return number if number else 1
