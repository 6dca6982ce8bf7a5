"""The Meta tenant's data with the configured secrets in place of its placeholder tokens."""

from __future__ import annotations

import copy
from typing import Any

from auditor.config import PlatformSettings, Settings
from auditor.demo.platforms import SandboxPlatform


def with_secrets(tenant: SandboxPlatform, platform: PlatformSettings, settings: Settings) -> dict[str, Any]:
    """A copy of the tenant's data whose token table (what ``debug_token`` answers) knows the auditor's own token
    and each token the platform's ``inspect_tokens`` names by the secrets the config holds for them."""
    data = copy.deepcopy(tenant.data)
    remap = {tenant.token: settings.secret(platform.token_env, key="platform.token_env")}
    for env_name in platform.inspect_tokens:
        if env_name in tenant.extra_tokens:
            remap[tenant.extra_tokens[env_name]] = settings.secret(env_name, key="platform.inspect_tokens")
    data["tokens"] = {remap.get(token, token): info for token, info in data.get("tokens", {}).items()}
    return data
