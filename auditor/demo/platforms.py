"""Sandbox platforms beyond Meta: each extends the fictional company with its own tenant and planted cases.

A platform kind ``K`` plugs in with two modules:

- ``auditor.demo.company_K`` with ``build(company: Company) -> SandboxPlatform | list[SandboxPlatform]``: the
  emulator's data for the
  same people (derived deterministically from ``company``), the findings it plants and the config it needs
  (a list when one kind brings several tenants, e.g. an API tenant and an admin's export);
- ``auditor.demo.K_api`` with ``create_emulator(data: dict, token: str) -> tuple[wsgi_app, path_prefix]``:
  the emulator that serves ``data`` and accepts ``token`` (kinds without an API, such as a file import,
  have no emulator and set ``SandboxPlatform.files`` instead).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import Any

SANDBOX_KINDS: tuple[str, ...] = ("linkedin", "tiktok", "x", "pinterest", "google_ads", "import")
"""Sandbox extensions included in the demo, in config order (a kind whose module is absent is left out)."""


@dataclass(slots=True)
class SandboxPlatform:
    """One sandbox tenant of the fictional company on a platform other than Meta."""

    kind: str
    name: str  # the configured platform name, e.g. "Kwiatek on LinkedIn"
    tenant_id: str
    data: dict[str, Any]
    token: str  # placeholder the emulator accepts; replaced by the configured secret at run time
    planted: list[Any]  # auditor.demo.company.Planted
    settings: dict[str, Any] = field(default_factory=dict)  # extra [[platform]] keys (options, tenant ids, ...)
    service_accounts: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    policy_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # file name -> text written into the demo workspace
    token_env: str | None = None  # env var holding the token (default AUDITOR_<KIND>_TOKEN)

    @property
    def token_variable(self) -> str:
        """The environment variable the demo config names for this platform's token."""
        return self.token_env or f"AUDITOR_{self.kind.upper()}_TOKEN"


def sandbox_platforms(company: Any) -> list[SandboxPlatform]:
    """Build every available sandbox extension for ``company``."""
    built = []
    for kind in SANDBOX_KINDS:
        try:
            module = importlib.import_module(f"auditor.demo.company_{kind}")
        except ModuleNotFoundError as exc:
            if exc.name != f"auditor.demo.company_{kind}":
                raise
            continue
        result = module.build(company)
        built.extend(result if isinstance(result, list) else [result])
    return built


def has_emulator(kind: str) -> bool:
    """True when ``auditor.demo.<kind>_api`` exists (file imports have none)."""
    return importlib.util.find_spec(f"auditor.demo.{kind}_api") is not None


def create_emulator(kind: str, data: dict[str, Any], token: str) -> tuple[Any, str]:
    """The emulator of ``kind`` serving ``data``: ``(wsgi_app, path_prefix)``."""
    module = importlib.import_module(f"auditor.demo.{kind}_api")
    return module.create_emulator(data, token)
