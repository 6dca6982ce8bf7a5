"""Serve the built-in emulators for platforms configured with ``base_url = "sandbox://KIND"``.

The demo (and anyone trying the tool) scans the fictional company through real HTTP: each sandbox
platform gets an emulator on a free loopback port for the duration of the scan, and the connector is
pointed at it. The emulator accepts exactly the token the connector will send (read from the config's
secret), so no credential is baked into the code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime

from auditor.config import PlatformSettings, Settings
from auditor.errors import ConfigError

SANDBOX_SCHEME = "sandbox://"


def is_sandbox(platform: PlatformSettings) -> bool:
    """True when the platform is served by a built-in emulator."""
    return bool(platform.base_url and platform.base_url.startswith(SANDBOX_SCHEME))


@contextmanager
def running_sandboxes(settings: Settings, *, now: datetime | None = None) -> Iterator[Settings]:
    """Start an emulator per sandbox platform; yield settings whose base URLs point at them."""
    sandboxed = [p for p in settings.platform if is_sandbox(p)]
    if not sandboxed:
        yield settings
        return
    from auditor.demo.company import build_company
    from auditor.demo.emulators import emulator_for
    from auditor.demo.platforms import sandbox_platforms
    from auditor.demo.server import serve

    epoch = settings.sandbox.epoch or now or datetime.now(UTC)
    company = build_company(settings.sandbox.company_seed, now=epoch)
    extensions = sandbox_platforms(company) if any(p.kind != "meta" for p in sandboxed) else []
    replaced: list[PlatformSettings] = []
    with ExitStack() as stack:
        for platform in settings.platform:
            if not is_sandbox(platform):
                replaced.append(platform)
                continue
            kind = platform.base_url[len(SANDBOX_SCHEME):].strip("/")
            if kind != platform.kind:
                raise ConfigError(
                    f"{settings.source or 'config'}: platform {platform.name!r}: base_url {platform.base_url!r} "
                    f"does not match kind {platform.kind!r}"
                )
            app, path_prefix = emulator_for(kind, company, settings, platform, extensions)
            handle = stack.enter_context(serve(app))
            replaced.append(platform.model_copy(update={"base_url": handle.url + path_prefix}))
        yield settings.model_copy(update={"platform": replaced})
