"""Pick and configure the emulator for one sandbox platform from the fictional company."""

from __future__ import annotations

import copy
from typing import Any

from auditor.config import PlatformSettings, Settings
from auditor.demo.company import Company
from auditor.demo.platforms import SandboxPlatform, demo_platform, demo_platforms
from auditor.errors import ConfigError


def emulator_for(kind: str, company: Company, settings: Settings, platform: PlatformSettings,
                 tenants: list[SandboxPlatform] | None = None) -> tuple[Any, str]:
    """Return ``(wsgi_app, path_prefix)`` serving ``company`` for a platform of ``kind``.

    The data is the matching tenant (by platform name, else by kind) of ``tenants`` (default: the company's
    tenants of ``kind``). The tenant's placeholder tokens are replaced by the secrets the config names, so the
    emulator accepts exactly what the connector sends.
    """
    entry = demo_platform(kind)
    tenants = demo_platforms(company, kinds={kind}) if tenants is None else tenants
    candidates = [t for t in tenants if t.name == platform.name] or [t for t in tenants if t.kind == kind]
    if entry is None or entry.create_emulator is None or not candidates:
        raise ConfigError(f"platform {platform.name!r}: no sandbox emulator for kind {kind!r}")
    token = settings.secret(platform.token_env, key="platform.token_env")
    tenant = candidates[0]
    data = entry.with_secrets(tenant, platform, settings) if entry.with_secrets else copy.deepcopy(tenant.data)
    return entry.create_emulator(data, token)
