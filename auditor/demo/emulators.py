"""Pick and configure the emulator for one sandbox platform from the fictional company."""

from __future__ import annotations

import copy
from typing import Any

from auditor.config import PlatformSettings, Settings
from auditor.demo.platforms import SandboxPlatform, create_emulator, has_emulator, sandbox_platforms
from auditor.errors import ConfigError


def emulator_for(kind: str, company: Any, settings: Settings, platform: PlatformSettings,
                 extensions: list[SandboxPlatform] | None = None) -> tuple[Any, str]:
    """Return ``(wsgi_app, path_prefix)`` serving ``company`` for a platform of ``kind``.

    Meta is served from ``company.meta``; other kinds from the matching sandbox extension (by platform
    name, else by kind) of ``extensions`` (default: every extension built for ``company``).

    The company's placeholder tokens are replaced by the secrets the config names, so the emulator accepts
    exactly what the connector sends.
    """
    if kind == "meta":
        from auditor.demo.meta.writes import MetaWriteEmulator

        data = copy.deepcopy(company.meta)
        tokens = data.get("tokens", {})
        own = settings.secret(platform.token_env, key="platform.token_env")
        remap = {company.meta_token: own}
        for env_name in platform.inspect_tokens:
            if env_name in company.meta_extra_tokens:
                remap[company.meta_extra_tokens[env_name]] = settings.secret(env_name, key="platform.inspect_tokens")
        data["tokens"] = {remap.get(token, token): info for token, info in tokens.items()}
        return MetaWriteEmulator(data, token=own), "/v25.0"
    extensions = sandbox_platforms(company) if extensions is None else extensions
    candidates = [x for x in extensions if x.name == platform.name] or [x for x in extensions if x.kind == kind]
    if not candidates or not has_emulator(kind):
        raise ConfigError(f"platform {platform.name!r}: no sandbox emulator for kind {kind!r}")
    token = settings.secret(platform.token_env, key="platform.token_env")
    return create_emulator(kind, copy.deepcopy(candidates[0].data), token)
