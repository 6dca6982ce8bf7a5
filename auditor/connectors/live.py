"""Live connections: the one place that knows a platform may be served by a built-in emulator.

A platform configured with ``base_url = "sandbox://KIND"`` (the demo workspace, anyone trying the tool) is
scanned through real HTTP against the emulator of the fictional company. Scans, offboarding checks,
revocations and DSAR collection ask ``live_settings`` for settings they can connect with; the demo package is
imported only when some platform is a sandbox, so a production install never loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from auditor.config import PlatformSettings, Settings

SANDBOX_SCHEME = "sandbox://"


def sandbox_url(kind: str) -> str:
    """The ``base_url`` that asks for the built-in emulator of ``kind``."""
    return f"{SANDBOX_SCHEME}{kind}"


def sandbox_kind(platform: PlatformSettings) -> str | None:
    """The emulator kind a platform's ``sandbox://KIND`` base URL names; None for a real platform."""
    if not (platform.base_url and platform.base_url.startswith(SANDBOX_SCHEME)):
        return None
    return platform.base_url[len(SANDBOX_SCHEME):].strip("/")


@contextmanager
def live_settings(settings: Settings, *, now: datetime | None = None) -> Iterator[Settings]:
    """Yield settings every platform can be connected with: sandbox platforms point at running emulators
    (of the company as of ``settings.sandbox.epoch``, else ``now``) until the block ends; others are unchanged."""
    if not any(sandbox_kind(p) is not None for p in settings.platform):
        yield settings
        return
    from auditor.demo.runtime import running_sandboxes

    with running_sandboxes(settings, now=now) as live:
        yield live
