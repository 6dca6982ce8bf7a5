"""Serve the built-in emulators for platforms configured with ``base_url = "sandbox://KIND"``.

The demo (and anyone trying the tool) scans the fictional company through real HTTP: each sandbox
platform gets an emulator on a free loopback port for the duration of the scan, and the connector is
pointed at it. The emulator accepts exactly the token the connector will send (read from the config's
secret), so no credential is baked into the code. Callers reach this through
``auditor.connectors.live.live_settings``.

What an emulator's write calls change (a revocation a security officer approved) lasts for the life of the
workspace, as on a real platform: each write is kept in ``sandbox-state.json`` beside the config and replayed
into the emulators of every later scan or check.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from auditor.config import PlatformSettings, Settings
from auditor.connectors.live import sandbox_kind
from auditor.demo.company import build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.platforms import demo_platforms
from auditor.demo.server import serve
from auditor.errors import ConfigError

STATE_FILE = "sandbox-state.json"


class SandboxState:
    """The writes the workspace's emulators have accepted, per platform name, in a JSON file."""

    _lock = threading.Lock()  # one process may run several emulators (and scans) at once

    def __init__(self, path: Path) -> None:
        self.path = path

    def writes(self) -> dict[str, list[list[str]]]:
        """Platform name -> its writes, oldest first (empty when the file is missing or unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): [list(map(str, w)) for w in v] for k, v in data.items() if isinstance(v, list)} \
            if isinstance(data, dict) else {}

    def record(self, platform: str, write: list[str]) -> None:
        """Add one write (re-reading the file first, so concurrent runs keep each other's writes)."""
        with self._lock:
            data = self.writes()
            data.setdefault(platform, []).append(write)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(temporary, self.path)

    def attach(self, platform: str, app: Any) -> None:
        """Replay the platform's kept writes into an emulator that takes writes, and keep its new ones."""
        if not hasattr(app, "replay"):
            return
        for write in self.writes().get(platform, []):
            app.replay(write)
        app.on_write = lambda write: self.record(platform, write)


@contextmanager
def running_sandboxes(settings: Settings, *, now: datetime | None = None) -> Iterator[Settings]:
    """Start an emulator per sandbox platform; yield settings whose base URLs point at them."""
    kinds = {p.name: kind for p in settings.platform if (kind := sandbox_kind(p)) is not None}
    if not kinds:
        yield settings
        return
    for platform in settings.platform:
        if platform.name in kinds and kinds[platform.name] != platform.kind:
            raise ConfigError(
                f"{settings.source or 'config'}: platform {platform.name!r}: base_url {platform.base_url!r} "
                f"does not match kind {platform.kind!r}"
            )
    epoch = settings.sandbox.epoch or now or datetime.now(UTC)
    company = build_company(settings.sandbox.company_seed, now=epoch)
    tenants = demo_platforms(company, kinds=set(kinds.values()))
    replaced: list[PlatformSettings] = []
    state = SandboxState(settings.base_dir / STATE_FILE) if settings.source else None
    with ExitStack() as stack:
        for platform in settings.platform:
            if platform.name not in kinds:
                replaced.append(platform)
                continue
            app, path_prefix = emulator_for(platform.kind, company, settings, platform, tenants)
            if state is not None:
                state.attach(platform.name, app)
            handle = stack.enter_context(serve(app))
            replaced.append(platform.model_copy(update={"base_url": handle.url + path_prefix}))
        yield settings.model_copy(update={"platform": replaced})
