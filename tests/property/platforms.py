"""The demo's platforms behind a mutating proxy, for the property tests of the connectors' answer handling.

Each emulator of the fictional company is served on loopback behind ``Mutator``, a WSGI middleware that lets
the real emulator answer and, for the one request a test picks, replaces the JSON body with a mutated copy.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from auditor.config import PlatformSettings
from auditor.connectors.base import Connector, create_connector
from auditor.demo.company import build_company
from auditor.demo.platforms import create_emulator, demo_platforms, has_emulator
from auditor.demo.server import ServerHandle, serve
from auditor.errors import ConfigError

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
SIZE = 40  # the fixed cast and a little filler: every planted case, small answers, quick fetches


@dataclass
class Mutator:
    """WSGI middleware: the real answer, except the first request of ``path``, answered with ``replacement``
(JSON). ``answers`` keeps the first JSON answer of each path while nothing is armed."""

    app: Any
    paths: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    replacement: Any = None
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arm(self, path: str | None, replacement: Any = None) -> None:
        """Answer the next request to ``path`` (None: nothing) with ``replacement`` from now on."""
        with self._lock:
            self.path, self.replacement, self.hits = path, replacement, 0
            self.paths.clear()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        request = Request(environ)
        response = Response.from_app(self.app, environ, buffered=True)
        with self._lock:
            self.paths.append(request.path)
            chosen = self.path == request.path and self.hits == 0
            self.hits += chosen
            if self.path is None and request.path not in self.answers:
                with contextlib.suppress(ValueError):
                    self.answers[request.path] = json.loads(response.get_data())
        if chosen:
            response.set_data(json.dumps(self.replacement).encode())
        return response(environ, start_response)


@dataclass
class Platform:
    """One demo platform served behind its mutator, and how to build its connector."""

    name: str
    kind: str
    mutator: Mutator
    handle: ServerHandle
    settings: PlatformSettings
    secrets: dict[str, str]

    def connector(self) -> Connector:
        """A fresh connector of this platform (no retries, no waits)."""
        def secret(env: str, key: str) -> str:
            if env not in self.secrets:
                raise ConfigError(f"{key}: {env} is not set")
            return self.secrets[env]
        return create_connector(self.settings, secret)


@functools.cache
def platforms() -> dict[str, Platform]:
    """Every demo platform with an emulator, served once per test session (by platform name)."""
    company = build_company(now=NOW, size=SIZE)
    served: dict[str, Platform] = {}
    for tenant in demo_platforms(company):
        if not has_emulator(tenant.kind):
            continue
        app, prefix = create_emulator(tenant.kind, tenant.data, tenant.token)
        mutator = Mutator(app)
        handle = serve(mutator)
        extra = dict(tenant.settings)
        options = {**extra.pop("options", {}), "max_wait": 0.0}
        secrets = {tenant.token_variable: tenant.token, **tenant.extra_tokens}
        secrets.update({value: tenant.token for key, value in options.items()
                        if key.endswith("_env") and isinstance(value, str) and value not in secrets})
        settings = PlatformSettings.model_validate({
            **extra, "kind": tenant.kind, "name": tenant.name, "token_env": tenant.token_variable,
            "base_url": handle.url + prefix, "backoff": 0.0, "max_retries": 0, "timeout": 5.0, "options": options})
        served[tenant.name] = Platform(tenant.name, tenant.kind, mutator, handle, settings, secrets)
    return served
