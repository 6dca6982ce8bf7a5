"""The Meta tenant's data with the configured secrets in place of its placeholder tokens."""

from __future__ import annotations

import copy
from typing import Any

from auditor.config import PlatformSettings, Settings
from auditor.demo.platforms import SandboxPlatform


def with_secrets(tenant: SandboxPlatform, platform: PlatformSettings, settings: Settings) -> dict[str, Any]:
    """A copy of the tenant's data whose token table (what ``debug_token`` answers) knows the auditor's own token
    and each token the platform's ``inspect_tokens`` names by the secrets the config holds for them, plus the
    app secret of the auditor's app (``options.app_id`` / ``app_secret_env``), which requires the proof."""
    data = copy.deepcopy(tenant.data)
    remap = {tenant.token: settings.secret(platform.token_env, key="platform.token_env")}
    for env_name in platform.inspect_tokens:
        if env_name in tenant.extra_tokens:
            remap[tenant.extra_tokens[env_name]] = settings.secret(env_name, key="platform.inspect_tokens")
    data["tokens"] = {remap.get(token, token): info for token, info in data.get("tokens", {}).items()}
    app_id, secret_env = platform.options.get("app_id"), platform.options.get("app_secret_env")
    if app_id and secret_env:  # the auditor's app has "Require App Secret" on: every call needs the proof
        data["app_secrets"] = {str(app_id): settings.secret(secret_env, key="platform.options.app_secret_env")}
        data["require_app_secret"] = [str(app_id)]
    return data
