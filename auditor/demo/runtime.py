"""Serve the built-in emulators for platforms configured with ``base_url = "sandbox://KIND"``.

The demo (and anyone trying the tool) scans the fictional company through real HTTP: each sandbox
platform gets an emulator on a free loopback port for the duration of the scan, and the connector is
pointed at it. The emulator accepts exactly the token the connector will send (read from the config's
secret), so no credential is baked into the code. Callers reach this through
``auditor.connectors.live.live_settings``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

from auditor.config import PlatformSettings, Settings
from auditor.connectors.live import sandbox_kind
from auditor.demo.company import build_company
from auditor.demo.emulators import emulator_for
from auditor.demo.platforms import demo_platforms
from auditor.demo.server import serve
from auditor.errors import ConfigError


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
    with ExitStack() as stack:
        for platform in settings.platform:
            if platform.name not in kinds:
                replaced.append(platform)
                continue
            app, path_prefix = emulator_for(platform.kind, company, settings, platform, tenants)
            handle = stack.enter_context(serve(app))
            replaced.append(platform.model_copy(update={"base_url": handle.url + path_prefix}))
        yield settings.model_copy(update={"platform": replaced})
